// An OVSDB standalone database file, as `ovsdb-tool create` writes it: records of the form
// "OVSDB JSON <bytes> <sha1 of them>\n<json>", the first one the schema. Written by lablb, the
// lab's database costs no process before ovsdb-server starts on it.
import { createHash } from 'node:crypto';

/** The file of an empty database of that schema (the schema file's text). */
export function emptyDatabase(schemaText: string): string {
  // Compact, as OVS writes it; any JSON whose length and SHA-1 match is read back.
  const json = JSON.stringify(JSON.parse(schemaText));
  const bytes = Buffer.from(json, 'utf8');
  return `OVSDB JSON ${bytes.length} ${createHash('sha1').update(bytes).digest('hex')}\n${json}`;
}
