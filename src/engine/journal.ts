// The lab's journal: every object lablb is about to create, appended and flushed to disk
// before the command that creates it runs, so cleanup after a crash knows what is lablb's.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkLabName } from '../lab-name.js';
import type { Lab } from '../model.js';
import type { JournalEntry } from '../kinds/ops.js';

export const JOURNAL_FILE = 'journal.jsonl';
export const LAB_FILE = 'lab.json';

export type LabState = 'building' | 'up' | 'failed' | 'tearing-down';

export interface LabRecord {
  lab: Lab;
  state: LabState;
  datapath: string;
  /** The lablb process that built it, to tell a running build from a crashed one. */
  pid: number;
  createdAt: string;
  /** The kernel modules loaded before the build: any the kernel loads for the lab (veth, NAT
   *  on first use in a namespace) is unloaded at teardown. */
  modules?: string[];
}

export function stateRoot(): string {
  return process.env.LABLB_STATE_DIR ?? '/run/lablb';
}

/** A lab's state dir; any name that is not a lab name is refused, so no verb argument can
 *  reach a path outside the state root. */
export function labDir(name: string): string {
  return join(stateRoot(), checkLabName(name));
}

/** Every directory under the state root is a lab's, including one a crash left before its
 *  journal was written: `status` shows it and `clean` removes it. */
export function listLabDirs(): string[] {
  try {
    return readdirSync(stateRoot(), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(stateRoot(), e.name));
  } catch {
    return [];
  }
}

export class Journal {
  private constructor(readonly dir: string) {}

  /** Start a new lab's journal; the directory must not exist yet (one lab per name). */
  static create(dir: string): Journal {
    mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
    // The lab's configs, sockets and logs are root's alone.
    mkdirSync(dir, { recursive: false, mode: 0o700 }); // EEXIST: another lablb took the name first
    writeFileSync(join(dir, JOURNAL_FILE), '');
    return new Journal(dir);
  }

  static open(dir: string): Journal {
    return new Journal(dir);
  }

  record(entry: JournalEntry): void {
    const fd = openSync(join(this.dir, JOURNAL_FILE), 'a');
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** The entries in creation order; a line cut short by a crash is skipped. */
  entries(): JournalEntry[] {
    let text = '';
    try {
      text = readFileSync(join(this.dir, JOURNAL_FILE), 'utf8');
    } catch {
      return [];
    }
    const out: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as JournalEntry);
      } catch {
        /* truncated by a crash */
      }
    }
    return out;
  }

  /** Replaces the journal with what is still to remove: a teardown that could not remove
   *  everything leaves exactly that for `clean`. */
  rewrite(entries: JournalEntry[]): void {
    const tmp = join(this.dir, `${JOURNAL_FILE}.tmp`);
    writeFileSync(tmp, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    renameSync(tmp, join(this.dir, JOURNAL_FILE));
  }

  writeRecord(record: LabRecord): void {
    const tmp = join(this.dir, `${LAB_FILE}.tmp`);
    writeFileSync(tmp, JSON.stringify(record, null, 2));
    // rename is atomic: a reader sees the old record or the new one, never half of one.
    renameSync(tmp, join(this.dir, LAB_FILE));
  }

  readRecord(): LabRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, LAB_FILE), 'utf8')) as LabRecord;
    } catch {
      return undefined;
    }
  }
}
