// `lablb graph`: a lab as nodes, networks and a link per port, in JSON for tools, DOT for
// Graphviz, SVG drawn by dot; from a scenario, with no root and nothing touched.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { graphDot, graphJson } from '../../src/report/graph.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { lablb, loadFixtureLab, ROOT } from '../helpers.js';

const flagship = loadFixtureLab();
const dvr = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'dvr.yaml')), { stateRoot: '/run/lablb' });

t.test('JSON: every node and network once, a link for every port, ids that never collide', async (t) => {
  const g = graphJson(flagship);
  t.equal(g.lab, 'floating-ip-lb');
  t.same(
    g.nodes.map((n) => n.name),
    flagship.nodes.map((n) => n.name),
  );
  t.same(
    g.networks.map((n) => n.name),
    flagship.networks.map((n) => n.name),
  );
  t.equal(
    g.links.length,
    flagship.nodes.reduce((sum, n) => sum + n.ports.length, 0),
  );
  const ids = new Set([...g.nodes.map((n) => n.id), ...g.networks.map((n) => n.id)]);
  t.equal(ids.size, g.nodes.length + g.networks.length);
  for (const l of g.links) t.ok(ids.has(l.node) && ids.has(l.network), `${l.node} -- ${l.network}`);
  const fip = g.links.find((l) => l.address.startsWith('10.255.253.') && l.node.startsWith('node:qrouter'));
  t.ok(fip, "the router's gateway port, with its address and prefix");
  t.match(fip!.address, /^10\.255\.253\.\d+\/24$/);
  t.same(g.hosts, [], 'one switch: no hosts');
  t.ok(
    g.nodes.find((n) => n.name === 'vm1')!.services.some((s) => s.kind === 'http-text' || s.kind === 'http-whoami'),
    "a node's services by kind",
  );
});

t.test('DOT: each host a cluster, each network with its segment; quoted and escaped', async (t) => {
  const dot = graphDot(graphJson(dvr));
  t.match(dot, /^graph "dvr" \{\n/);
  for (const host of dvr.hosts!.list)
    t.match(dot, new RegExp(`subgraph "cluster_${host.name}" \\{\\n    label="${host.name} \\(${host.role}, ${host.localIp.replace(/\./g, '\\.')}\\)";`));
  t.match(dot, /"net:net-a" \[label="net-a\\n10\.0\.1\.0\/24\\nbr-int vni \d+"/);
  t.match(dot, /"node:vm-a" -- "net:net-a" \[label="eth0\\n10\.0\.1\.3\/24"\];/);
  t.equal(dot.match(/ -- /g)!.length, graphJson(dvr).links.length);
  const odd = graphDot(graphJson({ ...flagship, name: 'a"b\\c' }));
  t.match(odd, /^graph "a\\"b\\\\c" \{/, 'a quote and a backslash escaped');
  const drawn = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  t.equal(drawn.status, 0, `Graphviz reads it: ${drawn.stderr}`);
});

t.test('on the command line: a scenario, no root; the formats; a wrong one refused', async (t) => {
  const json = lablb('graph', 'floating-ip-lb', '--format', 'json');
  t.equal(json.code, 0, json.err);
  t.equal(JSON.parse(json.out).nodes.length, flagship.nodes.length);
  const dot = lablb('graph', 'vxlan-hosts');
  t.match(dot.out, /subgraph "cluster_compute1"/);
  const svg = lablb('graph', 'l3-ha', '--format', 'svg');
  t.equal(svg.code, 0, svg.err);
  t.match(svg.out, /<svg [\s\S]*qrouter&#45;net1[\s\S]*<\/svg>\n$/, 'dot drew it (it writes - as &#45;)');
  t.match(lablb('graph', 'floating-ip-lb', '--format', 'png').err, /--format "png": one of dot, json, svg/);
  t.match(lablb('graph', 'no-such-scenario').err, /unknown scenario "no-such-scenario"/);
  t.match(lablb('graph', 'network-node-dies', '--set', 'routers=1', '--format', 'json').out, /"vm-h1"/);
  t.match(lablb('graph', '--help').out, /^Usage: lablb graph <lab\|scenario>/);
});
