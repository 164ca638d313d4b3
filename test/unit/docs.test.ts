// The scenario reference and JSON Schema are generated from the schema: they must match it,
// and every example in them must validate.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { EXAMPLES, MINIMAL_SCENARIO, renderReference, scenarioJsonSchema } from '../../src/docs/reference.js';
import { parseScenario } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { Service, Step } from '../../src/scenario/schema.js';
import { WAIT_KINDS } from '../../src/waits/all.js';
import { ROOT } from '../helpers.js';

t.test('docs/scenario-reference.md is what the schema generates (npm run docs)', async (t) => {
  t.equal(readFileSync(join(ROOT, 'docs', 'scenario-reference.md'), 'utf8'), renderReference());
});

t.test('scenarios/scenario.schema.json is what the schema generates (npm run docs)', async (t) => {
  t.same(JSON.parse(readFileSync(join(ROOT, 'scenarios', 'scenario.schema.json'), 'utf8')), scenarioJsonSchema());
});

t.test('every kind has an example, and every example is valid', async (t) => {
  const kinds = [...Service.options, ...Step.options].map((o) => String(o.shape.kind.value));
  t.same(Object.keys(EXAMPLES).sort(), kinds.sort(), 'one example per service and step kind');
  for (const [kind, text] of Object.entries(EXAMPLES)) {
    const schema = Service.options.some((o) => o.shape.kind.value === kind) ? Service : Step;
    const r = schema.safeParse(parse(text));
    t.ok(r.success, `${kind}: ${r.success ? '' : JSON.stringify(r.error.issues)}`);
  }
});

t.test('the minimal scenario in the reference validates', async (t) => {
  const lab = resolveLab(parseScenario(MINIMAL_SCENARIO, 'minimal.yaml'), { stateRoot: '/run/lablb' });
  t.equal(lab.nodes.length, 2);
});

t.test('every kind and every top-level field appears in the reference', async (t) => {
  const text = renderReference();
  for (const kind of Object.keys(EXAMPLES)) t.match(text, new RegExp(`## .*: ${kind}\\n`), kind);
  for (const field of ['switch', 'networks', 'nodes', 'experiment']) t.match(text, new RegExp(`\\| \`${field}\` \\|`), field);
  for (const w of WAIT_KINDS) t.match(text, new RegExp(`### Wait: ${w.key}\\n`), `wait ${w.key}`);
});

t.test("every wait's example is valid", async (t) => {
  for (const w of WAIT_KINDS) {
    const r = w.schema.safeParse(parse(w.example));
    t.ok(r.success, `${w.key}: ${r.success ? '' : JSON.stringify(r.error.issues)}`);
  }
});
