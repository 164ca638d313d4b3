import t from 'tap';
import { netns } from '../runtime/netns/netns.js';
import { checkExecArgv } from './exec-grammar.js';

// The ways the member runtime reaches a member, which a scenario's exec must never spell.
const intoX = netns.exec('x', ['sh']);
const ipInOther = netns.ip('other', ['addr']);

const refusal = (argv: string[]) => checkExecArgv(argv).map((p) => `${p.index}: ${p.message.split(`; ${argv[0]} here takes`)[0].split('; exec runs')[0]}`);

t.test('the forms a scenario needs are allowed', async (t) => {
  const allowed = [
    ['ping', '-c', '3', '-W', '1', '10.0.0.1'],
    ['ping', '-c', '5', '-i', '0.2', '-I', 'eth0', '-q', '10.255.253.100'],
    ['arping', '-U', '-I', 'tap04', '-c', '3', '10.0.0.100'],
    ['ip', 'addr'],
    ['ip', 'addr', 'show', 'dev', 'eth0'],
    ['ip', '-br', '-4', 'address', 'show'],
    ['ip', 'route', 'show', 'table', 'all'],
    ['ip', 'route', 'get', '10.255.253.1'],
    ['ip', 'neigh', 'show', 'dev', 'qg01'],
    ['ip', 'rule', 'list'],
    ['ip', 'link', 'set', 'eth0', 'down'],
    ['ip', 'addr', 'add', '10.0.0.5/24', 'dev', 'eth0'],
    ['ip', 'route', 'add', 'default', 'via', '10.0.0.1', 'dev', 'eth0'],
    ['ip', 'neigh', 'flush', 'dev', 'eth0'],
    ['iptables', '-t', 'nat', '-S'],
    ['iptables', '-t', 'nat', '-L', 'neutron-l3-agent-PREROUTING', '-n', '-v', '-x'],
    ['iptables', '-Z'],
    ['iptables', '-I', 'INPUT', '1', '-p', 'vrrp', '-j', 'DROP'],
    [
      'iptables',
      '-A',
      'FORWARD',
      '-s',
      '10.0.0.0/24',
      '!',
      '-d',
      '10.0.0.1',
      '-p',
      'tcp',
      '-m',
      'tcp',
      '--dport',
      '80',
      '-j',
      'REJECT',
      '--reject-with',
      'tcp-reset',
    ],
    ['iptables', '-t', 'nat', '-D', 'PREROUTING', '-d', '10.255.253.100', '-j', 'DNAT', '--to-destination', '10.0.0.100'],
    ['iptables', '-C', 'INPUT', '-m', 'state', '--state', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
    ['iptables-save', '-t', 'nat', '-c'],
    ['conntrack', '-L', '-p', 'tcp', '--dport', '80'],
    ['conntrack', '-D', '-s', '10.0.0.81'],
    ['conntrack', '-F'],
  ];
  for (const argv of allowed) t.same(checkExecArgv(argv), [], argv.join(' '));
});

t.test('every form that reaches past the node is refused, at the word that does', async (t) => {
  const refused: [string[], string][] = [
    // Other programs, shells included.
    [['sh', '-c', 'id'], '0: "sh" is not allowed here'],
    [['/sbin/ip', 'addr'], '0: "/sbin/ip" is not allowed here'],
    [['nsenter', '-t', '1', '-a', 'sh'], '0: "nsenter" is not allowed here'],
    // ip: another namespace, spelled out, abbreviated, long, joined.
    [intoX, '1: "netns" is not allowed here'],
    [['ip', 'net', 'exec', 'x', 'sh'], '1: "net" is not allowed here'],
    [ipInOther, '1: "-n" is not allowed here'],
    [['ip', '-ne', 'other', 'addr'], '1: "-ne" is not allowed here'],
    [['ip', '-netns', 'other', 'addr'], '1: "-netns" is not allowed here'],
    [['ip', '--netns', 'other', 'addr'], '1: "--netns" is not allowed here'],
    [['ip', '--netns=other', 'addr'], '1: "--netns=other" is not allowed here (write an option and its value as two words)'],
    [['ip', '-all', ...intoX.slice(1)], '1: "-all" is not allowed here'],
    [['ip', '--all', ...intoX.slice(1)], '1: "--all" is not allowed here'],
    // ip: commands read from a file.
    [['ip', '-b', '/etc/shadow'], '1: "-b" is not allowed here'],
    [['ip', '-bat', '/tmp/x'], '1: "-bat" is not allowed here'],
    [['ip', '-batch', '-'], '1: "-batch" is not allowed here'],
    [['ip', '--batch=/tmp/x'], '1: "--batch=/tmp/x" is not allowed here (write an option and its value as two words)'],
    [['ip', '-force', '-batch', 'x'], '1: "-force" is not allowed here'],
    // ip: a device moved out, or anything but up/down.
    [['ip', 'link', 'set', 'eth0', 'netns', '1'], '4: "netns" is not one of up, down'],
    [['ip', 'link', 'set', 'dev', 'eth0', 'up'], '4: "eth0" is not one of up, down'],
    [['ip', 'link', 'set', 'eth0', 'up', 'netns', '1'], '5: "netns" is not allowed here'],
    [['ip', 'link', 'add', 'x', 'type', 'veth'], '2: "add" is not allowed here'],
    [['ip', 'l', 'show'], '1: "l" is not allowed here'],
    [['ip', 'link', 'show', '--netns', 'x'], '3: "--netns" is not allowed here'],
    [['ip', 'addr', 'show', 'dev', 'eth0;reboot'], '4: "eth0;reboot" is not allowed here'],
    [['ip', 'rule', 'add', 'from', 'all'], '2: "add" is not allowed here'],
    [['ip', 'netns'], '1: "netns" is not allowed here'],
    [['ip'], '0: needs an object'],
    // iptables: modules, files, other tables, long forms, abbreviations.
    [['iptables', '--modprobe', '/tmp/x', '-L'], '1: "--modprobe" is not allowed here'],
    [['iptables', '--modprobe=/tmp/x', '-L'], '1: "--modprobe=/tmp/x" is not allowed here (write an option and its value as two words)'],
    [['iptables', '-M', '/tmp/x', '-L'], '1: "-M" is not allowed here'],
    [['iptables', '--list'], '1: "--list" is not allowed here'],
    [['iptables', '--table', 'nat', '-S'], '1: "--table" is not allowed here'],
    [['iptables', '-t', 'mangle', '-S'], '2: "mangle" is not one of filter, nat'],
    [['iptables', '-tnat', '-S'], '1: "-tnat" is not allowed here'],
    [['iptables', '-nvL'], '1: "-nvL" is not allowed here'],
    [['iptables', '-F'], '1: "-F" is not allowed here'],
    [['iptables', '-A', 'INPUT', '-j', 'LOG'], '4: "LOG" is not a verdict (ACCEPT, DROP, REJECT, RETURN, DNAT, SNAT, MASQUERADE) or a chain'],
    [
      ['iptables', '-A', 'INPUT', '-j', 'TEE', '--gateway', '1.2.3.4'],
      '4: "TEE" is not a verdict (ACCEPT, DROP, REJECT, RETURN, DNAT, SNAT, MASQUERADE) or a chain',
    ],
    [['iptables', '-A', 'INPUT', '-m', 'recent', '--set'], '4: "recent" is not one of tcp, udp, icmp, state, conntrack, comment'],
    [['iptables', '-A', 'INPUT', '--append', 'x'], '3: "--append" is not allowed here'],
    [['iptables', '-L', 'INPUT', 'OUTPUT'], '3: "OUTPUT" is not allowed here'],
    [['iptables'], '0: needs a command'],
    [['iptables-save', '-M', '/tmp/x'], '1: "-M" is not allowed here'],
    [['iptables-save', '--modprobe=/tmp/x'], '1: "--modprobe=/tmp/x" is not allowed here (write an option and its value as two words)'],
    [['iptables-save', '-f', '/etc/passwd'], '1: "-f" is not allowed here'],
    [['iptables-save', '--file=/etc/passwd'], '1: "--file=/etc/passwd" is not allowed here (write an option and its value as two words)'],
    // conntrack: event streams that never end, updates.
    [['conntrack', '-E'], '1: "-E" is not allowed here'],
    [['conntrack', '-U', '-m', '1'], '1: "-U" is not allowed here'],
    [['conntrack', '-F', 'expect'], '2: "expect" is not allowed here'],
    [['conntrack'], '1: needs -L, -D or -F'],
    // ping and arping: floods, unknown options, no target, a name to resolve.
    [['ping', '-f', '10.0.0.1'], '1: "-f" is not allowed here'],
    [['ping', '-c1', '10.0.0.1'], '1: "-c1" is not allowed here'],
    [['ping', '-c', '100000', '10.0.0.1'], '2: "100000" is not a count from 1 to 1000'],
    [['ping', '-i', '0.001', '10.0.0.1'], '2: "0.001" is not seconds from 0.01 to 10'],
    [['ping', '-c', '1'], '2: needs an IPv4 address'],
    [['ping', 'example.com'], '1: "example.com" is not allowed here'],
    [['ping', '10.0.0.1', '10.0.0.2'], '2: "10.0.0.2" is not allowed here'],
    [['arping', '-I'], '1: "-I" needs an interface name'],
    [['ping', '-c', '1', '10.0.0.1\u001b[2J'], '3: an argument may not contain control characters'],
  ];
  for (const [argv, expected] of refused) t.same(refusal(argv), [expected], argv.join(' '));
});

t.test('a refusal says what the program takes', async (t) => {
  const [p] = checkExecArgv(intoX);
  t.match(p.message, /ip here takes .*link set DEV up\|down/);
});
