// The scenario reference (docs/scenario-reference.md) and JSON Schema
// (scenarios/scenario.schema.json), generated from the zod schema so they cannot drift from
// what `lablb validate` accepts. `npm run docs` writes them; a test fails when they differ.
import { z } from 'zod';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIO_DIR } from '../paths.js';
import { loadScenarioFile } from '../scenario/load.js';
import { Scenario } from '../scenario/schema.js';
import { SERVICE_KINDS } from '../services/all.js';
import { STEP_KINDS } from '../steps/all.js';
import { WAIT_KINDS } from '../waits/all.js';

interface Js {
  type?: string;
  title?: string;
  properties?: Record<string, Js>;
  required?: string[];
  items?: Js;
  oneOf?: Js[];
  anyOf?: Js[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  default?: unknown;
  description?: string;
  additionalProperties?: boolean | Js;
}

export function scenarioJsonSchema(): Js {
  return z.toJSONSchema(Scenario, { io: 'input', unrepresentable: 'any' }) as Js;
}

/** A minimal, valid example of each kind, from the kinds themselves; checked by the tests. */
export const EXAMPLES: Record<string, string> = Object.fromEntries([...SERVICE_KINDS, ...STEP_KINDS].map((k) => [k.kind, k.example]));

export const MINIMAL_SCENARIO = `name: two-hosts
switch: { bridges: [br-int] }
networks:
  - { name: net1, bridge: br-int, vlan: 1, cidr: 10.0.0.0/24 }
nodes:
  - name: client
    role: external
    ports: [{ name: eth0, network: net1, address: 10.0.0.2, bridge_port: tapclient }]
  - name: server
    role: vm
    ports: [{ name: eth0, network: net1, address: 10.0.0.3, bridge_port: tapserver }]
    services: [{ name: web, kind: http-text, listen: 10.0.0.3:80, text: hello }]
experiment:
  probe: { from: client, url: "http://10.0.0.3/" }
  steps:
    - { name: answers, kind: traffic, samples: 5, expect: { only: [hello] } }
`;

const FORMATS: Record<string, string> = { ipv4: 'IPv4 address', cidrv4: 'IPv4 CIDR', uri: 'URL' };

function typeText(s: Js, link?: string): string {
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  if (s.title) return s.title;
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf)!.map((o) => typeText(o)).join(' or ');
  switch (s.type) {
    case 'string':
      return s.format ? (FORMATS[s.format] ?? s.format) : 'text';
    case 'integer':
    case 'number': {
      const word = s.type === 'integer' ? 'integer' : 'number';
      if (s.minimum !== undefined && s.maximum !== undefined) return `${word} ${s.minimum}-${s.maximum}`;
      if (s.exclusiveMinimum !== undefined) return `${word} > ${s.exclusiveMinimum}`;
      if (s.minimum !== undefined) return `${word} >= ${s.minimum}`;
      return word;
    }
    case 'boolean':
      return 'true or false';
    case 'array':
      return `list of ${link ?? typeText(s.items ?? {})}${s.minItems ? ` (at least ${s.minItems})` : ''}`;
    case 'object':
      return link ?? (s.properties ? 'mapping' : 'mapping of name to value');
    default:
      return 'any';
  }
}

const anchor = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

export function renderReference(): string {
  const out: string[] = [
    '# Scenario reference',
    '',
    '<!-- Generated from src/scenario/schema.ts by `npm run docs`; a test fails if it drifts. -->',
    '',
    'A scenario is a YAML file; `lablb validate <file>` checks it and reports every problem with',
    'file:line:column. Editors that speak JSON Schema can use `scenarios/scenario.schema.json`',
    '(for the YAML language server: `# yaml-language-server: $schema=scenario.schema.json`).',
    '',
    "Beyond the shapes below, `validate` checks: addresses inside their network's subnet and",
    "unique on it; no overlapping subnets on one bridge and VLAN; a route's gateway, a VIP and a",
    'floating IP on the right network; unique node, port, network, service and step names; every',
    "reference (a port's network, a member's node, a step's service or router) pointing at",
    'something that exists.',
    '',
    '## A minimal scenario',
    '',
    '```yaml',
    MINIMAL_SCENARIO.trimEnd(),
    '```',
  ];
  const queue: [string, Js][] = [['Scenario file', scenarioJsonSchema()]];
  while (queue.length > 0) {
    const [title, s] = queue.shift()!;
    out.push('', `## ${title}`, '');
    if (s.description) out.push(`${s.description}.`, '');
    const kind = s.properties?.kind?.const;
    if (typeof kind === 'string' && EXAMPLES[kind]) out.push('```yaml', EXAMPLES[kind], '```', '');
    out.push('| field | type | | meaning |', '|---|---|---|---|');
    for (const [field, f] of Object.entries(s.properties ?? {})) {
      const item = f.type === 'array' ? f.items : f;
      let link: string | undefined;
      if (item?.oneOf) {
        // A list of kinds: one section per kind.
        const kinds = item.oneOf.map((o) => String(o.properties?.kind?.const));
        link = kinds.map((k) => `[${k}](#${anchor(`${title} ${field}: ${k}`)})`).join(', ');
        item.oneOf.forEach((o, i) => queue.push([`${title} ${field}: ${kinds[i]}`, o]));
      } else if (item?.type === 'object' && item.properties) {
        const sub = `${title === 'Scenario file' ? '' : `${title} `}${field}`.trim();
        link = `[${sub}](#${anchor(sub)})`;
        queue.push([sub, item]);
      }
      const need =
        s.required?.includes(field) && f.default === undefined ? 'required' : f.default !== undefined ? `default \`${JSON.stringify(f.default)}\`` : 'optional';
      out.push(`| \`${field}\` | ${typeText(f, link)} | ${need} | ${f.description ?? ''} |`);
    }
  }
  out.push('', '## The scenarios that come with lablb', '', 'Each with the parameters a run may override (`--set name=value`).', '');
  for (const file of readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const s = loadScenarioFile(join(SCENARIO_DIR, file)).scenario;
    out.push(`### ${s.name}`, '', `${s.title ?? ''}${s.source ? ` (${s.source})` : ''}.`, '');
    const params = Object.entries(s.parameters ?? {});
    if (params.length) {
      out.push('| parameter | default | meaning |', '|---|---|---|');
      for (const [name, p] of params) out.push(`| \`${name}\` | \`${JSON.stringify(p.default)}\` | ${p.description ?? ''} |`);
      out.push('');
    }
  }
  out.push('', '## Waits', '', "A step's `until` lists waits; each is one of these, told apart by its first field.");
  for (const w of WAIT_KINDS) {
    const js = z.toJSONSchema(w.schema, { io: 'input', unrepresentable: 'any' }) as Js;
    out.push(
      '',
      `### Wait: ${w.key}`,
      '',
      `${js.description ?? ''}.`,
      '',
      '```yaml',
      `until: [${w.example}]`,
      '```',
      '',
      '| field | type | | meaning |',
      '|---|---|---|---|',
    );
    for (const [field, f] of Object.entries(js.properties ?? {})) {
      const need =
        js.required?.includes(field) && f.default === undefined
          ? 'required'
          : f.default !== undefined
            ? `default \`${JSON.stringify(f.default)}\``
            : 'optional';
      out.push(`| \`${field}\` | ${typeText(f)} | ${need} | ${f.description ?? ''} |`);
    }
  }
  return `${out.join('\n')}\n`;
}
