import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { emptyDatabase } from './ovsdb-file.js';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

t.test('one record: its length and SHA-1 are those of the compact schema that follows', async (t) => {
  const text = emptyDatabase('{ "name": "Ünïcode",\n  "version": "1.0.0", "tables": {} }');
  const [header, json] = text.split('\n');
  t.equal(json, '{"name":"Ünïcode","version":"1.0.0","tables":{}}');
  const bytes = Buffer.from(json, 'utf8');
  t.equal(header, `OVSDB JSON ${bytes.length} ${createHash('sha1').update(bytes).digest('hex')}`, 'bytes, not characters');
  t.not(bytes.length, json.length);
  t.throws(() => emptyDatabase('{ not json'), 'a schema that is not JSON is an error, never a broken database');
});

t.test(
  "Open vSwitch's own tools read it as the database ovsdb-tool create makes",
  { skip: !existsSync(SCHEMA) && !process.env.CI && 'no Open vSwitch here' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lablb-ovsdb-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const ours = join(dir, 'ours.db');
    writeFileSync(ours, emptyDatabase(readFileSync(SCHEMA, 'utf8')));
    const tool = (...args: string[]) => spawnSync('ovsdb-tool', args, { encoding: 'utf8' });
    const theirs = join(dir, 'theirs.db');
    t.equal(tool('create', theirs, SCHEMA).status, 0);
    for (const question of ['db-name', 'db-version', 'db-cksum']) {
      const r = tool(question, ours);
      t.equal(r.status, 0, `${question}: ${r.stderr}`);
      t.equal(r.stdout, tool(question, theirs).stdout, `${question} as for ovsdb-tool's own`);
    }
    t.match(tool('show-log', ours).stdout, /^record 0: "Open_vSwitch" schema, version="[\d.]+"/);
    const changed = join(dir, 'changed.db');
    writeFileSync(changed, readFileSync(ours, 'utf8').replace('"Bridge"', '"Bridgf"'));
    t.not(tool('show-log', changed).status, 0, 'a record whose SHA-1 is wrong is refused: the check above can fail');
  },
);
