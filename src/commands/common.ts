// Helpers the verbs share: finding scenarios and labs by name.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { Journal, labDir, listLabDirs, stateRoot, type LabRecord } from '../engine/journal.js';
import type { Lab } from '../model.js';
import { loadScenarioFile } from '../scenario/load.js';
import { parseSets } from '../scenario/parameters.js';
import { resolveLab } from '../scenario/resolve.js';
import { nearest } from '../scenario/suggest.js';

import { SCENARIO_DIR } from '../paths.js';

export function knownScenarios(): string[] {
  try {
    return readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
  } catch {
    return [];
  }
}

/** A scenario is a name under scenarios/ or a path to a file. */
export function scenarioPath(arg: string): string {
  const looksLikePath = arg.includes('/') || /\.ya?ml$/.test(arg);
  if (looksLikePath || (existsSync(arg) && statSync(arg).isFile())) return resolve(arg);
  const file = join(SCENARIO_DIR, `${arg}.yaml`);
  if (existsSync(file)) return file;
  const known = knownScenarios();
  const hint = nearest(arg, known);
  throw new UserError(
    `unknown scenario ${JSON.stringify(arg)}${hint ? `; did you mean ${hint}?` : ''}`,
    `known scenarios: ${known.join(', ') || '(none)'}; or give a path to a .yaml file`,
  );
}

export function loadLab(arg: string, name?: string, sets: string[] = []): Lab {
  if (name !== undefined && !/^[a-z0-9][a-z0-9-]{0,39}$/.test(name)) {
    throw new UserError(`--name ${JSON.stringify(name)}: a lab name is lowercase letters, digits and "-", up to 40`);
  }
  return resolveLab(loadScenarioFile(scenarioPath(arg), parseSets(sets)), { stateRoot: stateRoot(), name });
}

export interface LabOnHost {
  name: string;
  dir: string;
  record?: LabRecord;
}

export function labsOnHost(): LabOnHost[] {
  return listLabDirs().map((dir) => ({ name: basename(dir), dir, record: Journal.open(dir).readRecord() }));
}

/** The lab a verb means: the one named, or the only one up. */
export function labUp(name: string | undefined): Lab {
  const labs = labsOnHost();
  const target = name ?? (labs.length === 1 ? labs[0].name : undefined);
  if (!target) {
    throw new UserError(labs.length ? 'which lab? several are up' : 'no lab is up', labs.length ? `labs: ${labs.map((l) => l.name).join(', ')}` : 'start one with: sudo lablb up floating-ip-lb');
  }
  const lab = labByName(target)?.record?.lab;
  if (!lab) throw new UserError(`no lab named ${target} on this host`, 'see: sudo lablb status');
  return lab;
}

export function labByName(name: string): LabOnHost | undefined {
  const dir = labDir(name);
  return existsSync(dir) ? { name, dir, record: Journal.open(dir).readRecord() } : undefined;
}
