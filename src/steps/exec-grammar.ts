// What an exec step may say, as a grammar: each allowed program's argv is parsed against the
// few forms a scenario needs, word by exact word. Anything else is refused, because `ip`,
// `iptables` and the rest accept abbreviations (`ip net`, `-ne`, `-bat`), long forms
// (`--netns`), `=`-joined values and options that read files or load modules: a list of what
// is forbidden could never keep up with them, a list of what is allowed need not.

/** A refused word: its index in the argv (0 is the program) and why. */
export interface ArgvProblem {
  index: number;
  message: string;
}

/** A value an option or a position takes. */
interface Value {
  what: string;
  ok(s: string): boolean;
}

const re = (what: string, pattern: RegExp): Value => ({ what, ok: (s) => pattern.test(s) });
const oneOf = (...words: string[]): Value => ({ what: `one of ${words.join(', ')}`, ok: (s) => words.includes(s) });
const number = (what: string, min: number, max: number, integer = true): Value => ({
  what,
  ok: (s) => /^\d+(\.\d+)?$/.test(s) && (!integer || /^\d+$/.test(s)) && Number(s) >= min && Number(s) <= max,
});

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${OCTET}(\\.${OCTET}){3}`;
const V = {
  ipv4: re('an IPv4 address', new RegExp(`^${IPV4}$`)),
  ipOrCidr: re('an IPv4 address or network', new RegExp(`^${IPV4}(/(3[0-2]|[12]?\\d))?$`)),
  cidr: re('an IPv4 address with its prefix (10.0.0.5/24)', new RegExp(`^${IPV4}/(3[0-2]|[12]?\\d)$`)),
  destination: re('default or an IPv4 network', new RegExp(`^(default|${IPV4}(/(3[0-2]|[12]?\\d))?)$`)),
  ifname: re('an interface name', /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/),
  chain: re('a chain name', /^[A-Za-z0-9][A-Za-z0-9_-]{0,28}$/),
  port: re('a port or a range (80, 1000:2000)', /^\d{1,5}(:\d{1,5})?$/),
  natTo: re('an address, with a port if needed (10.0.0.5 or 10.0.0.5:80)', new RegExp(`^${IPV4}(:\\d{1,5})?$`)),
  states: re(
    'states such as NEW,ESTABLISHED',
    /^(NEW|ESTABLISHED|RELATED|INVALID|UNTRACKED|DNAT|SNAT)(,(NEW|ESTABLISHED|RELATED|INVALID|UNTRACKED|DNAT|SNAT))*$/,
  ),
  word: re('a word (letters, digits, "_", ".", "-")', /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
  count: number('a count from 1 to 1000', 1, 1000),
  seconds: number('seconds from 1 to 60', 1, 60),
  interval: number('seconds from 0.01 to 10', 0.01, 10, false),
  size: number('a size from 0 to 65507', 0, 65507),
  ttl: number('a TTL from 1 to 255', 1, 255),
  ruleNumber: number('a rule number', 1, 10000),
};

/** Reads an argv word by word; every refusal names the word. */
class Words {
  i = 1;
  problems: ArgvProblem[] = [];
  constructor(
    readonly argv: string[],
    readonly usage: string,
  ) {}

  get done(): boolean {
    return this.i >= this.argv.length;
  }

  peek(): string | undefined {
    return this.argv[this.i];
  }

  next(): string | undefined {
    return this.argv[this.i++];
  }

  refuse(index: number, why: string): void {
    if (this.problems.length === 0) this.problems.push({ index, message: `${why}; ${this.argv[0]} here takes ${this.usage}` });
  }

  /** The word at the cursor as a value, or a refusal. */
  value(v: Value, after: string): string | undefined {
    const at = this.i;
    const word = this.next();
    if (word === undefined) {
      this.refuse(at - 1, `${JSON.stringify(after)} needs ${v.what}`);
      return undefined;
    }
    if (!v.ok(word)) {
      this.refuse(at, `${JSON.stringify(word)} is not ${v.what}`);
      return undefined;
    }
    return word;
  }

  /** Refuses whatever is left. */
  end(): void {
    if (!this.done) this.unknown(this.i);
  }

  unknown(index: number): void {
    const word = this.argv[index];
    const joined = /^-[^=]+=/.test(word) ? ' (write an option and its value as two words)' : '';
    this.refuse(index, `${JSON.stringify(word)} is not allowed here${joined}`);
  }
}

type Options = Record<string, Value | null>;

/** Options (null: a flag, else the value it takes) in any order, and from `min` to `max`
 *  positional values. */
function optionsAnd(w: Words, options: Options, positional: Value, min: number, max = min): void {
  let seen = 0;
  while (!w.done && w.problems.length === 0) {
    const at = w.i;
    const word = w.next()!;
    if (word in options) {
      const v = options[word];
      if (v) w.value(v, word);
    } else if (!word.startsWith('-') && positional.ok(word) && seen < max) {
      seen++;
    } else {
      w.unknown(at);
    }
  }
  if (w.problems.length === 0 && seen < min) w.refuse(w.argv.length - 1, `needs ${positional.what}`);
}

function ping(w: Words): void {
  optionsAnd(
    w,
    {
      '-c': V.count,
      '-W': V.seconds,
      '-w': V.seconds,
      '-i': V.interval,
      '-s': V.size,
      '-t': V.ttl,
      '-I': V.ifname,
      '-n': null,
      '-q': null,
      '-4': null,
      '-O': null,
      '-D': null,
    },
    V.ipv4,
    1,
  );
}

function arping(w: Words): void {
  optionsAnd(
    w,
    { '-c': V.count, '-w': V.seconds, '-I': V.ifname, '-s': V.ipv4, '-U': null, '-A': null, '-D': null, '-q': null, '-b': null, '-f': null },
    V.ipv4,
    1,
  );
}

function conntrack(w: Words): void {
  const at = w.i;
  const command = w.next();
  if (command === '-F') return w.end();
  if (command !== '-L' && command !== '-D')
    return w.refuse(at, command === undefined ? 'needs -L, -D or -F' : `${JSON.stringify(command)} is not allowed here`);
  optionsAnd(
    w,
    {
      '-p': oneOf('tcp', 'udp', 'icmp'),
      '-s': V.ipv4,
      '-d': V.ipv4,
      '-r': V.ipv4,
      '-q': V.ipv4,
      '--sport': V.port,
      '--dport': V.port,
      '-n': null,
      '-g': null,
      '-f': oneOf('ipv4'),
    },
    V.word,
    0,
  );
}

const TABLES = oneOf('filter', 'nat');
const BUILTIN_TARGETS = ['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE'];
/** A target is a chain of the lab's rules or a plain verdict; an all-capitals name would be an
 *  extension target (TEE, LOG, ...) that the kernel may load a module for. */
const TARGET: Value = {
  what: `a verdict (${BUILTIN_TARGETS.join(', ')}) or a chain`,
  ok: (s) => BUILTIN_TARGETS.includes(s) || (V.chain.ok(s) && /[a-z]/.test(s)),
};
const RULE: Options = {
  '-s': V.ipOrCidr,
  '-d': V.ipOrCidr,
  '-i': V.ifname,
  '-o': V.ifname,
  '-p': oneOf('tcp', 'udp', 'icmp', 'vrrp', '112'),
  '-m': oneOf('tcp', 'udp', 'icmp', 'state', 'conntrack', 'comment'),
  '--dport': V.port,
  '--sport': V.port,
  '--icmp-type': V.word,
  '--state': V.states,
  '--ctstate': V.states,
  '--comment': V.word,
  '-j': TARGET,
  '--to-destination': V.natTo,
  '--to-source': V.natTo,
  '--reject-with': V.word,
  '!': null,
};
const LISTING: Options = { '-n': null, '-v': null, '-x': null, '--line-numbers': null, '-w': null };

function iptables(w: Words): void {
  while (w.peek() === '-t' || w.peek() === '-w') if (w.next() === '-t') w.value(TABLES, '-t');
  const at = w.i;
  const command = w.next();
  switch (command) {
    case '-S':
    case '-L':
    case '-Z':
      return optionsAnd(w, { ...LISTING, '-t': TABLES }, V.chain, 0, 1);
    case '-A':
    case '-C':
      w.value(V.chain, command);
      return optionsAnd(w, { ...RULE, '-w': null }, V.word, 0);
    case '-I':
    case '-D':
      w.value(V.chain, command);
      if (w.peek() !== undefined && V.ruleNumber.ok(w.peek()!)) w.next();
      return optionsAnd(w, { ...RULE, '-w': null }, V.word, 0);
    case undefined:
      return w.refuse(at - 1, 'needs a command');
    default:
      return w.unknown(at);
  }
}

function iptablesSave(w: Words): void {
  optionsAnd(w, { '-t': TABLES, '-c': null }, V.word, 0);
}

const IP_OBJECTS = ['addr', 'address', 'link', 'route', 'neigh', 'neighbor', 'neighbour', 'rule'];
const IP_GLOBAL = ['-4', '-s', '-d', '-j', '-p', '-br', '-o'];
/** A word of a `show` filter: a device, an address, a keyword; never an option. */
const FILTER = re('a device, an address or a keyword', /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/);

function ip(w: Words): void {
  while (w.peek() !== undefined && IP_GLOBAL.includes(w.peek()!)) w.next();
  const at = w.i;
  const object = w.next();
  if (object === undefined) return w.refuse(at - 1, 'needs an object');
  if (!IP_OBJECTS.includes(object)) return w.unknown(at);
  const actionAt = w.i;
  const action = w.next();
  if (action === undefined) return;
  if (['show', 'list', 'ls'].includes(action) || (action === 'get' && object === 'route')) {
    while (!w.done && w.problems.length === 0) {
      const word = w.peek()!;
      if (word.startsWith('-') || !FILTER.ok(word)) return w.unknown(w.i);
      w.next();
    }
    return;
  }
  const form = `${object === 'address' ? 'addr' : object.startsWith('neigh') ? 'neigh' : object} ${action}`;
  switch (form) {
    case 'link set':
      w.value(V.ifname, action);
      w.value(oneOf('up', 'down'), 'set DEV');
      return w.end();
    case 'addr add':
    case 'addr del':
      w.value(V.cidr, action);
      expectWord(w, 'dev');
      w.value(V.ifname, 'dev');
      return w.end();
    case 'route add':
    case 'route del':
      w.value(V.destination, action);
      expectWord(w, 'via');
      w.value(V.ipv4, 'via');
      if (w.peek() === 'dev') {
        w.next();
        w.value(V.ifname, 'dev');
      }
      return w.end();
    case 'neigh flush':
      expectWord(w, 'dev');
      w.value(V.ifname, 'dev');
      return w.end();
    default:
      return w.unknown(actionAt);
  }
}

function expectWord(w: Words, word: string): void {
  if (w.problems.length) return;
  const at = w.i;
  const got = w.next();
  if (got !== word)
    w.refuse(got === undefined ? at - 1 : at, got === undefined ? `needs ${word}` : `${JSON.stringify(got)} is not allowed here (expected ${word})`);
}

interface Program {
  usage: string;
  parse(w: Words): void;
}

/** The programs an exec step may run, each with the forms it may take. */
export const EXEC_PROGRAMS: Record<string, Program> = {
  ping: { usage: '[-c N] [-W S] [-w S] [-i S] [-s N] [-t N] [-I DEV] [-n] [-q] ADDRESS', parse: ping },
  arping: { usage: '[-c N] [-w S] [-I DEV] [-s ADDRESS] [-U] [-A] [-D] [-q] [-b] [-f] ADDRESS', parse: arping },
  ip: {
    usage:
      '[-4|-s|-d|-j|-p|-br|-o] addr|link|route|neigh|rule [show ...], route get ..., link set DEV up|down, addr add|del CIDR dev DEV, route add|del DEST via ADDRESS [dev DEV], neigh flush dev DEV',
    parse: ip,
  },
  iptables: {
    usage:
      '[-w] [-t filter|nat] -S|-L|-Z [CHAIN] [-n -v -x --line-numbers], or -A|-I|-D|-C CHAIN with -s -d -p -i -o -m --dport --sport --state --ctstate -j --to-destination --to-source',
    parse: iptables,
  },
  'iptables-save': { usage: '[-t filter|nat] [-c]', parse: iptablesSave },
  conntrack: { usage: '-L|-D [-p tcp|udp|icmp] [-s|-d|-r|-q ADDRESS] [--sport|--dport PORT] [-n] [-g], or -F', parse: conntrack },
};

/** Every refusal of an exec step's argv (at most one per command: the first word that breaks
 *  the grammar), or none when it is one of the allowed forms. */
export function checkExecArgv(argv: string[]): ArgvProblem[] {
  const [program] = argv;
  const spec = EXEC_PROGRAMS[program];
  if (!spec) return [{ index: 0, message: `${JSON.stringify(program)} is not allowed here; exec runs one of ${Object.keys(EXEC_PROGRAMS).join(', ')}` }];
  const control = argv.findIndex((a) => /[\u0000-\u001f\u007f-\u009f]/.test(a));
  if (control >= 0) return [{ index: control, message: 'an argument may not contain control characters' }];
  const w = new Words(argv, spec.usage);
  spec.parse(w);
  return w.problems;
}
