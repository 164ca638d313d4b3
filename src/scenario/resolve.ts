// Scenario file -> resolved Lab: cross-references checked, names and paths worked out.
// Pure: the state directory is passed in; nothing on the host is read or written.
import { join } from 'node:path';
import { ScenarioError, type Problem } from '../errors.js';
import type {
  Expectation,
  HaproxyService,
  Lab,
  LabNode,
  LabPort,
  LabService,
  LabStep,
} from '../model.js';
import { contains, isNetworkAddress, overlaps, subnet } from '../net/addr.js';
import type { LoadedScenario } from './load.js';
import type { ExpectSpec, ScenarioFile, ScenarioNode, ScenarioService, ScenarioStep } from './schema.js';
import { nearest } from './suggest.js';

export interface ResolveOptions {
  /** Root of lablb's state, e.g. /run/lablb. */
  stateRoot: string;
  /** The lab's name; the scenario's when absent. */
  name?: string;
}

type Path = (string | number)[];

export function resolveLab(loaded: LoadedScenario, opts: ResolveOptions): Lab {
  const problems: Problem[] = [];
  const report = (path: Path, message: string) => {
    const { line, col } = loaded.locate(path);
    problems.push({ file: loaded.file, line, col, path: pathText(path), message });
  };
  const lab = build(loaded.scenario, loaded.file, opts, report);
  if (problems.length > 0) throw new ScenarioError(loaded.file, problems);
  return lab;
}

function pathText(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

type Report = (path: Path, message: string) => void;

function unknown(what: string, name: string, known: string[]): string {
  const hint = nearest(name, known);
  return `no ${what} named ${JSON.stringify(name)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : `; known: ${known.join(', ')}`}`;
}

function duplicates<T>(items: T[], key: (t: T) => string, report: (index: number, name: string) => void) {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) report(i, k);
    seen.add(k);
  });
}

function build(s: ScenarioFile, file: string, opts: ResolveOptions, report: Report): Lab {
  const name = opts.name ?? s.name;
  const dir = join(opts.stateRoot, name);
  const bridges = new Set(s.switch.bridges);

  duplicates(s.switch.bridges, (b) => b, (i, b) => report(['switch', 'bridges', i], `bridge ${b} is listed twice`));
  duplicates(s.networks, (n) => n.name, (i, n) => report(['networks', i, 'name'], `network ${n} is defined twice`));
  duplicates(s.nodes, (n) => n.name, (i, n) => report(['nodes', i, 'name'], `node ${n} is defined twice`));

  const networks = s.networks.map((n, i) => {
    if (!bridges.has(n.bridge)) report(['networks', i, 'bridge'], unknown('bridge', n.bridge, [...bridges]));
    if (!isNetworkAddress(n.cidr)) {
      report(['networks', i, 'cidr'], `${n.cidr} has host bits set; the network is ${subnet(n.cidr).cidr}`);
    }
    return { name: n.name, bridge: n.bridge, cidr: subnet(n.cidr).cidr, prefix: subnet(n.cidr).prefix, vlan: n.vlan };
  });
  s.networks.forEach((a, i) =>
    s.networks.slice(0, i).forEach((b) => {
      if (a.bridge === b.bridge && a.vlan === b.vlan && overlaps(a.cidr, b.cidr)) {
        report(['networks', i, 'cidr'], `${a.cidr} overlaps ${b.name} (${b.cidr}) on the same bridge and VLAN`);
      }
    }),
  );
  // A name defined twice keeps its first definition (the second is reported above).
  const networkByName = new Map<string, (typeof networks)[number]>();
  for (const n of networks) if (!networkByName.has(n.name)) networkByName.set(n.name, n);
  const nodeNames = s.nodes.map((n) => n.name);

  const switchNamespace = `lablb-${name}`;
  if (nodeNames.includes(switchNamespace)) {
    report(['nodes', nodeNames.indexOf(switchNamespace), 'name'], `${switchNamespace} is reserved for the lab's switch`);
  }

  // Addresses are unique per network; bridge port names are unique on the switch.
  const addressOwner = new Map<string, string>();
  const bridgePortOwner = new Map<string, string>();
  const nodes: LabNode[] = s.nodes.map((n, ni) => {
    const nodeDir = join(dir, 'nodes', n.name);
    duplicates(n.ports, (p) => p.name, (pi, p) => report(['nodes', ni, 'ports', pi, 'name'], `port ${p} is defined twice on ${n.name}`));
    const ports: LabPort[] = n.ports.map((p, pi) => {
      const at: Path = ['nodes', ni, 'ports', pi];
      const net = networkByName.get(p.network);
      if (!net) {
        report([...at, 'network'], unknown('network', p.network, [...networkByName.keys()]));
      } else if (!contains(net.cidr, p.address)) {
        report([...at, 'address'], `${p.address} is outside ${net.name} (${net.cidr})`);
      } else if (p.address === subnet(net.cidr).network) {
        report([...at, 'address'], `${p.address} is the network address of ${net.cidr}, not a host's`);
      } else if (p.address === subnet(net.cidr).broadcast) {
        report([...at, 'address'], `${p.address} is the broadcast address of ${net.cidr}, not a host's`);
      }
      const key = `${p.network}/${p.address}`;
      const owner = addressOwner.get(key);
      if (owner) report([...at, 'address'], `${p.address} is already used on ${p.network} by ${owner}`);
      addressOwner.set(key, `${n.name}/${p.name}`);

      if (p.type === 'internal' && p.bridge_port && p.bridge_port !== p.name) {
        report([...at, 'bridge_port'], 'an internal port is its own bridge port; drop bridge_port');
      }
      if (p.type === 'veth' && !p.bridge_port) {
        report([...at, 'bridge_port'], 'a veth port needs bridge_port: the name of its end on the bridge (e.g. tapvm1)');
      }
      const bridgePort = p.type === 'internal' ? p.name : (p.bridge_port ?? p.name);
      const portOwner = bridgePortOwner.get(bridgePort);
      // The same port defined twice on one node is reported once, above.
      if (portOwner && portOwner !== `${n.name}/${p.name}`) report([...at, p.type === 'internal' ? 'name' : 'bridge_port'], `bridge port ${bridgePort} is already used by ${portOwner}`);
      bridgePortOwner.set(bridgePort, `${n.name}/${p.name}`);

      const sub = net ? subnet(net.cidr) : undefined;
      return {
        node: n.name,
        name: p.name,
        network: p.network,
        bridge: net?.bridge ?? '',
        vlan: net?.vlan,
        address: p.address,
        prefix: sub?.prefix ?? 32,
        broadcast: sub?.broadcast ?? '',
        type: p.type,
        bridgePort,
        mac: p.mac,
      };
    });

    n.routes.forEach((r, ri) => {
      if (!ports.some((p) => p.broadcast && contains(`${p.address}/${p.prefix}`, r.via))) {
        report(['nodes', ni, 'routes', ri, 'via'], `gateway ${r.via} is not on any network of ${n.name}`);
      }
    });
    duplicates(n.services, (sv) => sv.name, (si, sv) => report(['nodes', ni, 'services', si, 'name'], `service ${sv} is defined twice on ${n.name}`));

    const services = n.services.map((sv, si) =>
      resolveService(sv, n, nodeDir, name, ['nodes', ni, 'services', si], ports, nodeNames, report),
    );

    let l3: LabNode['l3'];
    if (n.l3) {
      const gw = ports.find((p) => p.name === n.l3!.gateway_port);
      if (!gw) report(['nodes', ni, 'l3', 'gateway_port'], unknown('port', n.l3.gateway_port, ports.map((p) => p.name)));
      n.l3.floating_ips.forEach((f, fi) => {
        const at: Path = ['nodes', ni, 'l3', 'floating_ips', fi];
        if (gw && !contains(`${gw.address}/${gw.prefix}`, f.floating_ip_address)) {
          report([...at, 'floating_ip_address'], `${f.floating_ip_address} is not on the gateway's network (${gw.network})`);
        }
        if (!ports.some((p) => p !== gw && contains(`${p.address}/${p.prefix}`, f.fixed_ip_address))) {
          report([...at, 'fixed_ip_address'], `${f.fixed_ip_address} is not on any internal network of ${n.name}`);
        }
      });
      l3 = {
        gatewayPort: n.l3.gateway_port,
        gatewayAddress: gw?.address ?? '',
        internalCidrs: ports.filter((p) => p !== gw).map((p) => networkByName.get(p.network)?.cidr ?? ''),
        enableSnat: n.l3.enable_snat,
        floatingIps: n.l3.floating_ips.map((f) => ({ floating: f.floating_ip_address, fixed: f.fixed_ip_address })),
      };
    }

    // As Neutron's HA routers: a node whose keepalived may hold a VIP lets its services bind it
    // before it does.
    const sysctls = Object.entries(n.sysctls).map(([k, v]) => [k, String(v)] as [string, string]);
    if (services.some((sv) => sv.kind === 'keepalived') && !n.sysctls['net.ipv4.ip_nonlocal_bind']) sysctls.push(['net.ipv4.ip_nonlocal_bind', '1']);
    return {
      name: n.name,
      role: n.role,
      ports,
      routes: n.routes.map((r) => ({ to: r.to, via: r.via })),
      sysctls,
      services,
      l3,
      dir: nodeDir,
    };
  });

  checkVrrpGroups(s, nodes, report);

  const lab: Lab = {
    name,
    scenario: s.name,
    title: s.title,
    source: s.source,
    file,
    dir,
    switch: { namespace: switchNamespace, datapath: s.switch.datapath, bridges: s.switch.bridges, rundir: join(dir, 'ovs') },
    networks,
    nodes,
  };
  if (s.experiment) {
    const e = s.experiment;
    if (!nodeNames.includes(e.probe.from)) report(['experiment', 'probe', 'from'], unknown('node', e.probe.from, nodeNames));
    lab.experiment = {
      probe: { from: e.probe.from, url: e.probe.url, intervalMs: e.probe.interval_ms, timeoutMs: e.probe.timeout_ms },
      steps: e.steps.map((st, i) => resolveStep(st, lab, ['experiment', 'steps', i], report)),
    };
    duplicates(e.steps, (st) => st.name, (i, st) => report(['experiment', 'steps', i, 'name'], `step ${st} is defined twice`));
  }
  return lab;
}

/** One VRRP group (an instance name on one network) has one virtual_router_id; two groups on one
 *  network must not share one, or their adverts collide. */
function checkVrrpGroups(s: ScenarioFile, nodes: LabNode[], report: Report): void {
  const groups = new Map<string, { vrid: number; where: string }>();
  s.nodes.forEach((n, ni) =>
    n.services.forEach((sv, si) => {
      if (sv.kind !== 'keepalived') return;
      const resolved = nodes[ni].services[si];
      if (resolved?.kind !== 'keepalived') return;
      resolved.instances.forEach((inst, ii) => {
        if (!inst.network) return;
        const at: Path = ['nodes', ni, 'services', si, 'instances', ii, 'virtual_router_id'];
        const group = groups.get(`${inst.network}/${inst.name}`);
        if (group && group.vrid !== inst.vrid) {
          report(at, `${inst.name} has virtual_router_id ${group.vrid} on ${group.where}; one group, one id`);
          return;
        }
        const clash = [...groups.entries()].find(([key, g]) => key.startsWith(`${inst.network}/`) && key !== `${inst.network}/${inst.name}` && g.vrid === inst.vrid);
        if (clash) report(at, `virtual_router_id ${inst.vrid} is already used on ${inst.network} by ${clash[0].split('/')[1]} (${clash[1].where})`);
        if (!group) groups.set(`${inst.network}/${inst.name}`, { vrid: inst.vrid, where: n.name });
      });
    }),
  );
}

function resolveService(
  sv: ScenarioService,
  n: ScenarioNode,
  nodeDir: string,
  labName: string,
  at: Path,
  ports: LabPort[],
  nodeNames: string[],
  report: Report,
): LabService {
  const base = {
    node: n.name,
    name: sv.name,
    token: `${labName}/${n.name}/${sv.name}`,
    pidfile: join(nodeDir, `${sv.name}.pid`),
    logfile: join(nodeDir, `${sv.name}.log`),
  };
  // A service may listen on a port's address or on a VIP this node's keepalived can hold.
  const vips = n.services.flatMap((s) => (s.kind === 'keepalived' ? s.instances.flatMap((i) => i.virtual_ipaddress) : []));
  const ownsAddress = (address: string, path: Path) => {
    if (!ports.some((p) => p.address === address) && !vips.includes(address)) {
      report(path, `${address} is not an address of ${n.name} (${[...ports.map((p) => p.address), ...vips].join(', ')})`);
    }
  };
  if (sv.kind === 'keepalived') {
    duplicates(sv.instances, (i) => i.name, (ii, name) => report([...at, 'instances', ii, 'name'], `instance ${name} is defined twice in ${sv.name}`));
    return {
      ...base,
      kind: 'keepalived',
      config: join(nodeDir, `${sv.name}.conf`),
      vrrpPidfile: join(nodeDir, `${sv.name}.vrrp.pid`),
      instances: sv.instances.map((inst, ii) => {
        const port = ports.find((p) => p.name === inst.interface);
        if (!port) report([...at, 'instances', ii, 'interface'], unknown('port', inst.interface, ports.map((p) => p.name)));
        inst.virtual_ipaddress.forEach((vip, vi) => {
          if (port?.broadcast && !contains(`${port.address}/${port.prefix}`, vip)) {
            report([...at, 'instances', ii, 'virtual_ipaddress', vi], `${vip} is not on ${port.network} (${inst.interface}'s network)`);
          }
        });
        return {
          name: inst.name,
          interface: inst.interface,
          network: port?.network ?? '',
          vrid: inst.virtual_router_id,
          priority: inst.priority,
          state: inst.state,
          advertInt: inst.advert_int,
          nopreempt: inst.nopreempt,
          vips: inst.virtual_ipaddress.map((address) => ({ address, prefix: port?.prefix ?? 32 })),
        };
      }),
    };
  }
  if (sv.kind === 'haproxy') {
    ownsAddress(sv.listener.address, [...at, 'listener', 'address']);
    sv.pool.members.forEach((m, mi) => {
      if (!nodeNames.includes(m.node)) report([...at, 'pool', 'members', mi, 'node'], unknown('node', m.node, nodeNames));
    });
    duplicates(sv.pool.members, (m) => m.id, (mi, id) => report([...at, 'pool', 'members', mi, 'id'], `member ${id} is listed twice`));
    const lb: HaproxyService = {
      ...base,
      kind: 'haproxy',
      // Neutron's LBaaS v2 layout: haproxy.conf and haproxy_stats.sock beside the pid file.
      config: join(nodeDir, 'haproxy.conf'),
      statsSocket: join(nodeDir, 'haproxy_stats.sock'),
      user: sv.user,
      group: sv.group,
      listener: {
        id: sv.listener.id,
        address: sv.listener.address,
        port: sv.listener.protocol_port,
        protocol: sv.listener.protocol,
        connectionLimit: sv.listener.connection_limit,
      },
      pool: {
        id: sv.pool.id,
        lbMethod: sv.pool.lb_method,
        monitor: {
          type: sv.pool.health_monitor.type,
          delay: sv.pool.health_monitor.delay,
          timeout: sv.pool.health_monitor.timeout,
          maxRetries: sv.pool.health_monitor.max_retries,
          rise: sv.pool.health_monitor.rise,
          urlPath: sv.pool.health_monitor.url_path,
        },
        members: sv.pool.members.map((m) => ({
          id: m.id,
          node: m.node,
          address: m.address,
          port: m.protocol_port,
          weight: m.weight,
        })),
      },
    };
    return lb;
  }
  const [address, port] = sv.listen.split(':');
  ownsAddress(address, [...at, 'listen']);
  if (Number(port) < 1 || Number(port) > 65535) report([...at, 'listen'], `port ${port} is out of range 1-65535`);
  if (sv.kind === 'http-text') return { ...base, kind: 'http-text', address, port: Number(port), text: sv.text };
  return { ...base, kind: 'http-whoami', address, port: Number(port) };
}

function resolveExpect(e: ExpectSpec, at: Path, report: Report): Expectation {
  if (!e.alternate && !e.only) report(at, 'say what to expect: alternate: [...] or only: [...]');
  return { alternate: e.alternate, only: e.only, maxFailed: e.max_failed };
}

function resolveStep(st: ScenarioStep, lab: Lab, at: Path, report: Report): LabStep {
  const nodeNames = lab.nodes.map((n) => n.name);
  const needNode = (name: string, path: Path) => {
    if (!nodeNames.includes(name)) report(path, unknown('node', name, nodeNames));
    return lab.nodes.find((n) => n.name === name);
  };
  switch (st.kind) {
    case 'traffic':
      return { kind: 'traffic', name: st.name, samples: st.samples, expect: resolveExpect(st.expect, [...at, 'expect'], report) };
    case 'stop-service':
    case 'start-service': {
      const [svcNode, svcName] = st.service.split('/');
      const node = needNode(svcNode, [...at, 'service']);
      if (node && !node.services.some((s) => s.name === svcName)) {
        report([...at, 'service'], unknown(`service on ${svcNode}`, svcName, node.services.map((s) => s.name)));
      }
      const [lbNode, lbName] = st.watch.loadbalancer.split('/');
      const lbHost = needNode(lbNode, [...at, 'watch', 'loadbalancer']);
      const lb = lbHost?.services.find((s) => s.name === lbName);
      if (lbHost && lb?.kind !== 'haproxy') {
        report([...at, 'watch', 'loadbalancer'], `${st.watch.loadbalancer} is not a haproxy service`);
      }
      const member = lb?.kind === 'haproxy' ? lb.pool.members.find((m) => m.node === st.watch.member) : undefined;
      if (lb?.kind === 'haproxy' && !member) {
        const on = lb.pool.members.map((m) => m.node);
        const hint = nearest(st.watch.member, on);
        report([...at, 'watch', 'member'], `${st.watch.loadbalancer} has no member on node ${JSON.stringify(st.watch.member)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : `; its members are on ${on.join(', ')}`}`);
      }
      return {
        kind: st.kind,
        name: st.name,
        service: { node: svcNode, name: svcName },
        watch: { node: lbNode, service: lbName, member: member ?? { id: '', node: st.watch.member, address: '', port: 0, weight: 0 } },
        withinMs: st.within_ms,
        then: { samples: st.then.samples, expect: resolveExpect(st.then.expect, [...at, 'then', 'expect'], report) },
      };
    }
    case 'http-get':
      needNode(st.from, [...at, 'from']);
      return { kind: 'http-get', name: st.name, from: st.from, url: st.url, expectBody: st.expect_body };
    case 'nat-counters': {
      const router = needNode(st.router, [...at, 'router']);
      const fip = router?.l3?.floatingIps.find((f) => f.floating === st.floating_ip_address);
      if (router && !fip) report([...at, 'floating_ip_address'], `${st.router} has no floating IP ${st.floating_ip_address}`);
      return { kind: 'nat-counters', name: st.name, router: st.router, floating: st.floating_ip_address, fixed: fip?.fixed ?? '' };
    }
  }
}
