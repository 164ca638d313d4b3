import { join } from 'node:path';
import t from 'tap';
import { loadFixtureLab, ROOT } from '../test/helpers.js';
import type { LabService } from './model.js';
import { jsonReporter, lineReporter } from './report/reporters.js';
import { serviceEvent, type LabEvent } from './kinds/events.js';
import { loadScenarioFile } from './scenario/load.js';
import { resolveLab } from './scenario/resolve.js';
import type { HaproxySpec } from './services/haproxy/haproxy.js';
import { memberEvent } from './services/haproxy/observe.js';
import { safeDeep, safeJson, safeText } from './safe-text.js';
import { LiveStore } from './ui/store.js';

const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;
const hostile = 'Server web/vm2 is DOWN\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eevil\r';

t.test('control characters are made visible; newline, tab and text stay', async (t) => {
  t.equal(safeText('a\tb\nc'), 'a\tb\nc');
  t.equal(safeText('\u001b[2J'), '\\x1b[2J');
  t.equal(safeText('\u009b31m\u007f'), '\\x9b31m\\x7f');
  t.equal(safeText('\u202eabc\u2066'), '\\u202eabc\\u2066');
  t.equal(safeText('é ü 中文 ✓'), 'é ü 中文 ✓');
  t.notMatch(safeText(hostile), RAW);
});

t.test('JSON keeps the text exactly, with every control as an escape', async (t) => {
  const value = { message: hostile, n: 1, list: ['\u0085', 'ok'] };
  const text = safeJson(value);
  t.notMatch(text, RAW);
  t.same(JSON.parse(text), value);
});

t.test('a structure is copied only where a string needed it', async (t) => {
  const clean = { a: ['x', { b: 'y' }], n: 2 };
  t.equal(safeDeep(clean), clean);
  const dirty = { a: ['x', { b: '\u001b' }], keep: clean };
  const out = safeDeep(dirty);
  t.not(out, dirty);
  t.same(out, { a: ['x', { b: '\\x1b' }], keep: clean });
  t.equal(out.keep, clean);
});

const event: LabEvent = serviceEvent(
  'haproxy',
  { node: 'qlbaas-01', name: 'lb' },
  'log',
  { text: `qlbaas-01/lb says: ${hostile}`, tone: 'bad', quoted: true },
  { message: hostile },
  5,
);

t.test("the plain lines and --json carry a daemon's log line with its escapes visible", async (t) => {
  for (const color of [false, true]) {
    const lines: string[] = [];
    lineReporter((l) => lines.push(l), color).event(event);
    lineReporter((l) => lines.push(l), color).event({ type: 'check', name: 'x', ok: false, detail: hostile });
    for (const l of lines) t.notMatch(l.replace(/\u001b\[\d+m/g, ''), RAW, `colour ${color}: only lablb's own colours`);
    t.match(lines.join('\n'), /\\x1b\]0;pwned\\x07/);
  }
  const json: string[] = [];
  jsonReporter((l) => json.push(l)).event(event);
  t.notMatch(json[0], RAW);
  t.equal(JSON.parse(json[0]).message, hostile);
});

t.test('the live screen shows the log line with its escapes visible', async (t) => {
  const store = new LiveStore(loadFixtureLab(), 'run');
  store.event(event);
  const shown = JSON.stringify(store.getSnapshot().events);
  t.match(shown, /pwned/);
  // JSON.stringify writes a raw C0 control as \u00XX and leaves C1 and overrides raw.
  const view = JSON.stringify(store.getSnapshot());
  t.notMatch(view, /\\u00[01][0-9a-f]/, 'no raw C0 control anywhere in the view');
  t.notMatch(view, RAW, 'no raw C1 control or override anywhere in the view');
  for (const e of store.getSnapshot().events) t.notMatch(e.text, RAW);
});

t.test('a member event reads the same in the plain lines, --json and on the screen, pool included', async (t) => {
  const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'lbaas-v1-v2.yaml')), { stateRoot: '/run/lablb' });
  const lb = lab.nodes.find((n) => n.name === 'qlbaas-v2')!.services[0] as LabService<HaproxySpec>;
  const member: LabEvent = memberEvent(lb, { node: 'web2', pool: 'test-lb-pool-http' }, 'DOWN', 1);
  const lines: string[] = [];
  lineReporter((l) => lines.push(l), false).event(member);
  t.same(lines, ['    qlbaas-v2/lb: member web2 in pool test-lb-pool-http is DOWN']);
  const store = new LiveStore(loadFixtureLab(), 'run');
  store.event(member);
  t.same(
    store.getSnapshot().events.map((e) => `${e.tone} ${e.text}`),
    ['bad qlbaas-v2/lb: member web2 in pool test-lb-pool-http is DOWN'],
  );
  const json: string[] = [];
  jsonReporter((l) => json.push(l)).event(member);
  t.match(JSON.parse(json[0]), {
    type: 'service',
    event: 'member',
    member: 'web2',
    pool: 'test-lb-pool-http',
    status: 'DOWN',
    text: 'qlbaas-v2/lb: member web2 in pool test-lb-pool-http is DOWN',
  });
});
