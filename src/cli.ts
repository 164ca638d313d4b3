// lablb's command line: parse, dispatch to a verb, and turn any failure into one clear message
// and an exit code (0 checks held, 1 a check failed, 2 lablb could not run).
import { parseArgs } from 'node:util';
import { packageVersion } from './paths.js';
import { safeText } from './safe-text.js';
import { CombinedError, EXIT_CANNOT_RUN, ExternalError, ScenarioError, TeardownError, UserError, errorMessage } from './errors.js';
import { jsonReporter, lineReporter } from './report/reporters.js';
import type { CommandContext } from './commands/context.js';

const USAGE = `lablb: an OpenStack-style network node on one Linux host, and failover experiments on it

Usage: lablb <command> [options]

Commands:
  list                       the scenarios that come with lablb
  validate <scenario>        check a scenario file; touches nothing
  up <scenario>              build the lab and leave it running
  run <scenario>             build the lab, run its experiment, report, tear it down
  status [lab]               the labs on this host: up, building or left over
  watch [lab] [--probe]      the live screen of a lab brought up with 'up' (also: status --watch)
  exec <node> -- <cmd...>    run a command inside a node's namespace ("ovs" is the lab's switch)
  shell [lab] [-- <cmd...>]  a shell where the article's commands work as typed (ovs-vsctl show, ...)
                             (a lab of hosts: --host NAME for exec, shell and status)
  capture [lab] <node:port>  tcpdump on a node's port: lines, or pcap (-w FILE, -w - for Wireshark)
  graph <lab|scenario>       the lab as a graph: nodes, networks, ports (--format dot|json|svg)
  report <run.ndjson>        a run's report as one HTML page: topology, traffic, states, checks
  impair [lab] <node:port>   loss (--loss PCT) or a rate limit (--rate KBIT) on a port; --clear
  trace [lab] --from N --to A[:P]  one real packet's path: each node's iptables rules, each bridge's flows, the drop
  neutron <command> ...      Neutron's port security commands on a running lab (port-update, ...)
  manila <command> ...       Manila's share commands on a running lab (create NFS 1 --name ...)
  image build                lablb's container image for runtime: docker members, from busybox-static
  lab-api <lab>              the lab's API for a controller in it (up starts it; down stops it)
  down <lab>                 remove a lab
  clean                      remove every lab lablb left on this host
  doctor [--fix]             the host commands lablb needs, found or missing; --fix installs them

A scenario is a shipped one by name (e.g. floating-ip-lb) or a file by its path (./mine.yaml).
A lab is named after its scenario unless --name says otherwise. A scenario's parameters
(lablb list shows them) take --set name=value, e.g. --set health_monitor.delay=5.

Global options:
  --json     one JSON object per line instead of text
  --no-tui   plain lines instead of the live screen (also when not a terminal, or CI=true)
  --debug    print every command lablb runs, and stack traces
  -h, --help this help; 'lablb <command> --help' for one command
  --version

Exit codes: 0 done (every check held), 1 a check failed, 2 lablb could not run.`;

const HELP: Record<string, string> = {
  list: `Usage: lablb list [--json]\n\nLists the scenarios under scenarios/ with their titles.`,
  validate: `Usage: lablb validate <scenario> [--set NAME=VALUE ...]\n\nChecks a scenario file and prints every problem with file, line and column.\nNeeds no root and touches nothing on the host. Exit 0 when valid, 2 when not.`,
  up: `Usage: sudo lablb up <scenario> [--name LAB] [--set NAME=VALUE ...] [--explain] [--json]\n\nBuilds the lab and leaves it running: namespaces, a private Open vSwitch, ports,\naddresses, iptables, daemons. Everything it creates is journaled under /run/lablb/<lab>/.\n\n  --name LAB   name the lab (default: the scenario's name)\n  --set N=V    override a scenario parameter (lablb list shows them); may repeat\n  --explain    print every command 'up' would run, in order, and exit; touches nothing\n               and needs no root`,
  run: `Usage: sudo lablb run <scenario> [--name LAB] [--set NAME=VALUE ...] [--report FILE.html] [--explain] [--json] [--no-tui]\n\nBuilds the lab, runs the scenario's experiment while a prober sends traffic for the\nwhole run, reports each check with its measured figures, and tears the lab down\n(also on Ctrl-C or q). Exit 0 when every check holds, 1 when one fails.\n\nOn a terminal it shows a live screen: topology, load balancer members, NAT counters,\ntraffic, the experiment's steps and events (? for keys). Elsewhere, with --no-tui or\nwith CI set, it prints plain lines.\n\n  --set N=V    override a scenario parameter, e.g. --set health_monitor.delay=5 for the\n               article's own 5 s checks (lablb list shows each scenario's parameters)\n  --explain    print what run would do, and exit; touches nothing and needs no root: the\n               build's commands, each prober's command line, and every step's commands\n               with what it waits for and judges\n  --report F   also write the run's report to F (one HTML page: topology, traffic, states,\n               checks, events; see 'lablb report --help')\n  --json       one JSON event per line, ending with a summary line`,
  watch: `Usage: sudo lablb watch [lab] [--probe]   (or: sudo lablb status --watch [lab])\n\nThe live screen of a lab brought up with 'up', without an experiment: topology,\nmembers, NAT counters, addresses, events. q quits and leaves the lab up.\n\n  --probe      also run the scenario's prober while the screen is open, and show its\n               traffic (it stops when the screen closes)`,
  status: `Usage: lablb status [lab] [--host NAME] [--json] [--watch]\n\nShows every lab on this host (or one), whether it is building, up or left over by a\ncrash, its namespaces and processes: what 'clean' would remove. A lab of hosts lists its nodes\nby host.\n\n  --watch      the live screen instead (see 'lablb watch --help')\n  --host NAME  a lab of hosts: that host only, with its bridges and tunnels`,
  exec: `Usage: sudo lablb exec <node> [--lab LAB] [--host NAME] -- <command...>\n\nRuns a command inside a node's namespace, e.g.\n  sudo lablb exec ext -- curl -s http://10.255.253.100/\n  sudo lablb exec qrouter01 -- iptables -t nat -S\n  sudo lablb exec ovs -- ovs-vsctl show        (the lab's private Open vSwitch)\n  sudo lablb exec --host compute1 -- ovs-vsctl show   (a lab of hosts: that host's)\n\n  --lab LAB    which lab, when several are up\n  --host NAME  a lab of hosts: the switch "ovs" is that host's (the node may be left out)`,
  shell: `Usage: sudo lablb shell [lab] [--host NAME] [-- <command...>]\n\nA shell in which the article's own commands work as typed: it runs in the lab's switch\nnamespace (the bridges br-int and br-ex, and the ports plugged into them, eth3 among them),\nwith OVS_RUNDIR set, so bare ovs-vsctl show and ovs-ofctl dump-flows br-int reach the lab's\nOpen vSwitch, and the article's ip netns commands reach its nodes. The prompt names the lab.\nWith a command after --, runs just that and exits with its code, e.g.\n  sudo lablb shell floating-ip-lb -- ovs-vsctl show\n  sudo lablb shell floating-ip-lb -- ovs-ofctl dump-flows br-int\n\n  --host NAME  a lab of hosts: that host's namespace and Open vSwitch (br-int, br-tun ...)\n               e.g. sudo lablb shell vxlan-hosts --host compute1 -- ovs-ofctl dump-flows br-tun`,
  capture: `Usage: sudo lablb capture [lab] <node>:<port> [-w FILE | -w -] [--filter EXPR] [--count N] [--duration S] [--lab LAB] [--host NAME]\n\nRuns tcpdump on one port of a running lab's node, in the node's network namespace: decoded\nlines on the terminal, or pcap into a file or onto stdout. The node "ovs" is the lab's switch\n(its ports to the nodes, e.g. ovs:tap-vm1). Ctrl-C stops it.\n  sudo lablb capture l3-ha qrouter-net2:ha-n2 --filter "vrrp or arp"\n  sudo lablb capture floating-ip-lb ext:eth3 -w ext.pcap --duration 30\n  sudo lablb capture floating-ip-lb vm1:eth0 -w - | wireshark -k -i -\n\n  -w FILE      pcap into FILE; -w - pcap onto stdout\n  --filter E   tcpdump's filter expression (words of BPF only: no options, no shell)\n  --count N    stop after N packets\n  --duration S stop after S seconds\n  --lab LAB    which lab, when the lab is not named and several have the node\n  --host NAME  a lab of hosts: the switch "ovs" is that host's`,
  trace: `Usage: sudo lablb trace [lab] --from NODE --to ADDRESS[:PORT] [--lab LAB] [--json]\n\nSends one real packet from NODE (a TCP SYN to PORT, or without a port an echo request) and\nexplains its path through the running lab, in order: in each node, every iptables rule it\nwent through (a TRACE rule in the raw table, journaled, and xtables-monitor --trace), its NAT,\nroute and next hop; on each bridge, every OpenFlow flow it matched (ovs-appctl ofproto/trace).\nIt ends where the packet was delivered or dropped, naming the rule or flow that dropped it\n(port security's tables 24, 25, 61, 81/82; an iptables DROP; no route; an ARP nobody\nanswered, with the holders' ARP replies traced). Exit 0 delivered, 1 not delivered.\n  sudo lablb trace floating-ip-lb --from ext --to 10.255.253.100:80\n  sudo lablb trace keepalived-vip --from client --to 172.16.200.251:80\n\n  --from NODE  the node that sends it\n  --to A[:P]   where to: an IPv4 address, and a TCP port\n  --lab LAB    which lab, when several have the node`,
  report: `Usage: lablb report <run.ndjson> [-o FILE.html]\n\nMakes a run's report from what 'lablb run --json' printed: one HTML page that opens offline\n(no fetches; its charts are drawn by Chart.js, inlined). It shows the topology (when Graphviz's\ndot is here), each probe's latency and answers per second with the steps marked, a band of\nstates for each VRRP instance, pool member, amphora and moving address, the checks with\ntheir figures, and the events. 'run --report FILE.html' writes the same page as it ends.\n  sudo lablb run l3-ha --json > l3-ha.ndjson; lablb report l3-ha.ndjson\n\n  -o FILE      where to write it (default: the run file's name, ending .html)`,
  graph: `Usage: lablb graph <lab|scenario> [--format dot|json|svg] [--set NAME=VALUE ...]\n\nThe lab as a graph: its nodes (role and services), its networks (CIDR, bridge, VLAN or VNI)\nand a link per port (name and address); in a lab of hosts, each host a group. A running\nlab of that name is read from its record, with the nodes added at run time; otherwise the\nscenario, which needs no root and touches nothing.\n  lablb graph floating-ip-lb | dot -Tpng > lab.png\n  lablb graph dvr --format svg > dvr.svg\n  lablb graph l3-ha --format json\n\n  --format F   dot (Graphviz, the default), json (for other tools), svg (drawn by dot)`,
  impair: `Usage: sudo lablb impair [lab] <node>:<port> [--loss PERCENT] [--rate KBIT] [--clear] [--lab LAB]\n\nImpairs a port of a running lab's node, as the impair step does: --loss drops that share of\nthe packets arriving at the port, at random (iptables' statistic match in the node's raw\ntable, before anything sees them, VRRP adverts included); --rate limits what leaves it (tbf).\nEach is journaled with its undo: --clear takes them off, and so do down and clean.\n  sudo lablb impair l3-ha qrouter-net2:ha-n2 --loss 30     (VRRP adverts lost: watch it flap)\n  sudo lablb impair floating-ip-lb vm1:eth0 --rate 64\n  sudo lablb impair l3-ha qrouter-net2:ha-n2 --clear\n\nDelay and jitter need the kernel's netem, which this lab's reference host lacks: not offered.`,
  down: `Usage: sudo lablb down <lab>\n\nRemoves the lab: stops its processes, deletes its namespaces and state dir, exactly\nas its journal records them. Safe to repeat; works after a crash.`,
  neutron: `Usage: sudo lablb neutron [--lab LAB] <command> ...   (in 'lablb shell': neutron <command> ...)\n\nNeutron's port security commands, as the articles type them, on a lab brought up with\n'up': the switch's flows change at once, and 'watch' shows each port's state and drops.\n\n  neutron port-update keepalived01/eth0 --allowed-address-pairs type=dict list=true ip_address=172.16.200.251\n  neutron port-update keepalived02/eth0 --no-security-groups\n  neutron port-update keepalived02/eth0 --port_security_enabled=False\n  neutron security-group-rule-create --protocol 112 --direction ingress web\n  neutron security-group-rule-delete web-5\n  neutron security-group-rule-list | port-show PORT | port-list\n\nA port is node/port, or a node with one port. lablb neutron help lists every form.`,
  manila: `Usage: sudo lablb manila [--lab LAB] <command> ...\n\nManila's share commands, as seed 000 types them, on a lab brought up with 'up':\n\n  manila create NFS 1 --name share_nfs --share-network private\n  manila list\n\nlablb manila help shows what each does.`,
  image: `Usage: sudo lablb image build\n\nBuilds lablb's own container image, lablb/busybox:1, from Debian's busybox-static and imports\nit into the Docker engine at DOCKER_HOST (or /var/run/docker.sock): no registry needed.\nMembers with runtime: docker use it unless they name another image; 'up' builds it\nwhen it is missing. It has busybox's sh, httpd, ip, ps and the rest of its applets.`,
  doctor: `Usage: lablb doctor [--fix] [--json]\n\nLists every command lablb drives: found or missing, its version and Debian package,\nand the Open vSwitch datapath labs will use here. Exit 0 when everything a lab needs is\npresent, 1 when something is missing.\n\n  --fix        install what is missing (needs root; runs scripts/setup-host.sh --packages)`,
  'lab-api': `Usage: sudo lablb lab-api <lab>\n\nServes the lab's API (a root-only UNIX socket in the lab's dir) to the control planes\ninside a lab brought up with 'up', such as Octavia's controller booting and deleting\namphorae: each node it adds or removes goes through the lab's journal and record. 'up'\nstarts it when the lab has such a controller and 'down' stops it; 'run' serves the same\nAPI itself. It runs until stopped.`,
  clean: `Usage: sudo lablb clean\n\nRemoves every lab lablb has on this host (see 'lablb status'), from their journals.\nNever touches objects lablb did not create.`,
};

/** Options every verb takes; each verb's own are below, and any other is an error. */
const GLOBAL_OPTIONS = ['json', 'debug', 'help', 'version', 'no-tui'];
const VERB_OPTIONS: Record<string, string[]> = {
  validate: ['set'],
  up: ['name', 'set', 'explain'],
  run: ['name', 'set', 'explain', 'report'],
  report: ['output'],
  status: ['watch', 'probe', 'host'],
  watch: ['probe'],
  exec: ['lab', 'host'],
  shell: ['host'],
  capture: ['lab', 'host', 'write', 'filter', 'count', 'duration'],
  graph: ['format', 'set'],
  impair: ['lab', 'loss', 'rate', 'clear'],
  trace: ['lab', 'from', 'to'],
  neutron: ['lab'],
  manila: ['lab'],
  doctor: ['fix'],
};

/** Where the verb is: the first word that is not an option or an option's value. */
function firstWord(argv: string[]): number {
  const valued = new Set([
    '--name',
    '--lab',
    '--set',
    '--host',
    '-w',
    '--write',
    '--filter',
    '--count',
    '--duration',
    '--format',
    '--loss',
    '--rate',
    '--report',
    '-o',
    '--output',
  ]);
  for (let i = 0; i < argv.length; i++) {
    if (valued.has(argv[i])) i++;
    else if (!argv[i].startsWith('-')) return i;
  }
  return -1;
}

export async function main(argv: string[]): Promise<number> {
  // Every line lablb prints may carry a scenario's or a daemon's words: escapes made visible.
  // The reporters make their own text safe (to colour it after), so they write raw.
  const rawOut = (line: string) => process.stdout.write(`${line}\n`);
  const out = (line: string) => rawOut(safeText(line));
  const err = (line: string) => process.stderr.write(`${safeText(line)}\n`);
  // `neutron` takes the article's own arguments as typed: everything after it is its own.
  const verbAt = firstWord(argv);
  const raw = argv[verbAt] === 'neutron' || argv[verbAt] === 'manila';
  const dashdash = raw ? verbAt + 1 : argv.indexOf('--');
  const own = dashdash >= 0 ? argv.slice(0, dashdash) : argv;
  const rest = dashdash >= 0 ? argv.slice(raw ? dashdash : dashdash + 1) : [];
  const debug = own.includes('--debug');

  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      allowPositionals: true,
      tokens: true,
      options: {
        json: { type: 'boolean', default: false },
        debug: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
        name: { type: 'string' },
        lab: { type: 'string' },
        host: { type: 'string' },
        explain: { type: 'boolean', default: false },
        'no-tui': { type: 'boolean', default: false },
        fix: { type: 'boolean', default: false },
        watch: { type: 'boolean', default: false },
        probe: { type: 'boolean', default: false },
        set: { type: 'string', multiple: true, default: [] },
        write: { type: 'string', short: 'w' },
        filter: { type: 'string' },
        count: { type: 'string' },
        duration: { type: 'string' },
        format: { type: 'string' },
        loss: { type: 'string' },
        rate: { type: 'string' },
        clear: { type: 'boolean', default: false },
        report: { type: 'string' },
        output: { type: 'string', short: 'o' },
        from: { type: 'string' },
        to: { type: 'string' },
      },
    });
  } catch (e) {
    err(`lablb: ${errorMessage(e).replace(/\. To specify.*$/s, '')}`);
    err(`Run 'lablb --help' for usage.`);
    return EXIT_CANNOT_RUN;
  }
  const { values, positionals } = parsed;
  const [verb, ...args] = positionals;
  if (values.version) {
    out(packageVersion());
    return 0;
  }
  if (!verb) {
    (values.help ? out : err)(USAGE);
    return values.help ? 0 : EXIT_CANNOT_RUN;
  }
  if (!(verb in HELP)) {
    err(`lablb: unknown command ${JSON.stringify(verb)}. Commands: ${Object.keys(HELP).join(', ')}`);
    return EXIT_CANNOT_RUN;
  }
  if (values.help) {
    out(HELP[verb]);
    return 0;
  }
  const given = [...new Set(parsed.tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])))];
  const unsupported = given.filter((o) => !GLOBAL_OPTIONS.includes(o) && !(VERB_OPTIONS[verb] ?? []).includes(o));
  if (unsupported.length) {
    err(`lablb: ${verb} does not take --${unsupported[0]}`);
    err(`  ${HELP[verb].split('\n')[0]}`);
    return EXIT_CANNOT_RUN;
  }
  if (values.probe && verb === 'status' && !values.watch) {
    err('lablb: status takes --probe only with --watch');
    return EXIT_CANNOT_RUN;
  }
  // Each verb's modules load on demand: `--help` and `validate` stay quick.
  if (debug) (await import('./drivers/process.js')).setCommandLog((line) => err(line));

  // A terminal that went away (EIO) or a closed pipe (EPIPE) must not stop a teardown: with
  // nowhere to print, lablb carries on quietly.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    err(`lablb: ${sig}: stopping and tearing down...`);
    controller.abort();
  };
  // SIGHUP: the terminal went away (a closed window, a killed tmux); tear down as for Ctrl-C.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, onSignal);

  // The composition root: the one place that makes the real host; everything else is handed it.
  const { realHost } = await import('./drivers/real-host.js');
  const ctx: CommandContext = {
    host: realHost,
    out,
    err,
    json: values.json,
    sets: values.set,
    debug,
    reporter: values.json ? jsonReporter(rawOut) : lineReporter(rawOut),
    signal: controller.signal,
    abort: () => controller.abort(),
  };
  // The live screen: only on a terminal, and never for machines.
  const ci = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);
  const tui = Boolean(process.stdout.isTTY && process.stdin.isTTY) && !values['no-tui'] && !values.json && !ci;
  // React's development build checks every render and costs several times the CPU.
  if (tui) process.env.NODE_ENV ??= 'production';
  const need = (what: string) => {
    if (args.length < 1) throw new UserError(`${verb} needs a ${what}`, `usage: ${HELP[verb].split('\n')[0].replace('Usage: ', '')}`);
    if (args.length > 1 && verb !== 'exec') throw new UserError(`${verb} takes one ${what}, got: ${args.join(' ')}`);
    return args[0];
  };

  try {
    switch (verb) {
      case 'list':
        return (await import('./commands/list.js')).list(ctx);
      case 'validate':
        return (await import('./commands/list.js')).validate(need('scenario'), ctx);
      case 'up': {
        const { explain, up } = await import('./commands/up.js');
        return values.explain ? await explain(need('scenario'), values.name, ctx) : await up(need('scenario'), values.name, ctx);
      }
      case 'run': {
        const { explain, run } = await import('./commands/up.js');
        return values.explain ? await explain(need('scenario'), values.name, ctx, true) : await run(need('scenario'), values.name, ctx, tui, values.report);
      }
      case 'status':
        if (values.watch) return await (await import('./commands/watch.js')).watch(args[0], ctx, tui, values.probe);
        return await (await import('./commands/status.js')).status(args[0], ctx, values.host);
      case 'watch':
        return await (await import('./commands/watch.js')).watch(args[0], ctx, tui, values.probe);
      case 'exec':
        // With --host, the node may be left out: the host's switch.
        return await (await import('./commands/exec.js')).exec(values.host && args.length === 0 ? 'ovs' : need('node'), rest, values.lab, ctx, values.host);
      case 'shell':
        if (args.length > 1)
          throw new UserError(`shell takes one lab name, got: ${args.join(' ')}`, 'a command goes after --: sudo lablb shell floating-ip-lb -- ovs-vsctl show');
        return await (await import('./commands/shell.js')).shell(args[0], rest, ctx, values.host);
      case 'capture':
        return await (
          await import('./commands/capture.js')
        ).capture(args, values.lab, { write: values.write, filter: values.filter, count: values.count, duration: values.duration, host: values.host }, ctx);
      case 'graph':
        return await (await import('./commands/graph.js')).graph(need('lab or scenario'), values.format, ctx);
      case 'impair':
        return await (await import('./commands/impair.js')).impairCommand(args, values.lab, { loss: values.loss, rate: values.rate, clear: values.clear }, ctx);
      case 'trace':
        if (args.length > 1) throw new UserError(`trace takes one lab name, got: ${args.join(' ')}`);
        return await (await import('./commands/trace.js')).trace(args[0], { from: values.from, to: values.to, lab: values.lab }, ctx);
      case 'report':
        return await (await import('./commands/report.js')).report(need('run file'), values.output, ctx);
      case 'down':
        return await (await import('./commands/down.js')).down(need('lab name'), ctx);
      case 'lab-api':
        return await (await import('./commands/lab-api.js')).labApi(need('lab name'), ctx);
      case 'clean':
        return await (await import('./commands/down.js')).clean(ctx);
      case 'neutron': {
        // `neutron --lab LAB port-list`, as the help writes it: --lab is lablb's, the rest Neutron's.
        const [lab, argv] = rest[0] === '--lab' ? [rest[1], rest.slice(2)] : [values.lab, rest];
        return await (await import('./commands/neutron.js')).neutron(argv, lab, ctx);
      }
      case 'manila': {
        const [lab, argv] = rest[0] === '--lab' ? [rest[1], rest.slice(2)] : [values.lab, rest];
        return await (await import('./commands/manila.js')).manila(argv, lab, ctx);
      }
      case 'image':
        return await (await import('./commands/image.js')).image(args, ctx);
      case 'doctor':
        return await (await import('./commands/doctor.js')).doctor(values.fix, ctx);
    }
    return EXIT_CANNOT_RUN;
  } catch (e) {
    reportError(e, debug, err);
    return EXIT_CANNOT_RUN;
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
}

function reportError(e: unknown, debug: boolean, err: (line: string) => void): void {
  if (e instanceof CombinedError) {
    // The failure first, then what the teardown after it could not do.
    for (const one of e.errors) reportError(one, debug, err);
    return;
  }
  if (e instanceof ScenarioError) {
    err(e.message);
    err(`lablb: ${e.problems.length} problem${e.problems.length > 1 ? 's' : ''} in ${e.file}; nothing was changed on the host`);
  } else if (e instanceof UserError) {
    err(`lablb: ${e.message}`);
    if (e.hint) err(`  ${e.hint}`);
  } else if (e instanceof ExternalError || e instanceof TeardownError) {
    err(`lablb: ${e.message}`);
  } else {
    err(`lablb: internal error: ${errorMessage(e)}`);
    if (!debug) err('  (run again with --debug for the stack trace, and please report it)');
  }
  if (debug && e instanceof Error && e.stack) err(e.stack);
}
