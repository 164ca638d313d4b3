// Helpers the verbs share: finding scenarios and labs by name.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { checkLabName } from '../lab-name.js';
import { Journal, labDir, listLabDirs, stateRoot, type LabRecord } from '../engine/journal.js';
import type { Lab, LabSwitch } from '../model.js';
import { loadScenarioFile } from '../scenario/load.js';
import { parseSets } from '../scenario/parameters.js';
import { resolveLab } from '../scenario/resolve.js';
import { nearest } from '../suggest.js';

import { SCENARIO_DIR } from '../paths.js';

export function knownScenarios(): string[] {
  try {
    return readdirSync(SCENARIO_DIR)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
  } catch {
    return [];
  }
}

/** A scenario is a shipped one, by its bare name, or a file, by a path: one with a "/" or a
 *  .yaml/.yml ending. A file in the working directory never stands in for a shipped scenario
 *  of the same name (people run this with sudo in folders full of downloads). */
export function scenarioPath(arg: string): string {
  if (arg.includes('/') || /\.ya?ml$/.test(arg)) return resolve(arg);
  const known = knownScenarios();
  if (known.includes(arg)) return join(SCENARIO_DIR, `${arg}.yaml`);
  const hint = nearest(arg, known);
  const local = existsSync(arg) ? `; for the file ${JSON.stringify(arg)} here, write ./${arg}` : '';
  throw new UserError(
    `unknown scenario ${JSON.stringify(arg)}${hint ? `; did you mean ${hint}?` : ''}${local}`,
    `known scenarios: ${known.join(', ') || '(none)'}; or give a path to a .yaml file`,
  );
}

export function loadLab(arg: string, name?: string, sets: string[] = []): Lab {
  if (name !== undefined) checkLabName(name, 'a lab name (--name)');
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
    throw new UserError(
      labs.length ? 'which lab? several are up' : 'no lab is up',
      labs.length ? `labs: ${labs.map((l) => l.name).join(', ')}` : 'start one with: sudo lablb up floating-ip-lb',
    );
  }
  const lab = labByName(target)?.record?.lab;
  if (!lab) throw new UserError(`no lab named ${target} on this host`, 'see: sudo lablb status');
  return lab;
}

export function labByName(name: string): LabOnHost | undefined {
  const dir = labDir(name);
  return existsSync(dir) ? { name, dir, record: Journal.open(dir).readRecord() } : undefined;
}

/** The switch `--host` names in a lab of hosts; the lab's one switch when none is named. */
export function hostSwitch(lab: Lab, host: string | undefined): LabSwitch {
  const names = lab.hosts?.list.map((h) => h.name) ?? [];
  if (host === undefined) {
    if (lab.hosts)
      throw new UserError(`lab ${lab.name} has ${names.length} hosts, each with its own Open vSwitch`, `say which with --host (${names.join(', ')})`);
    return lab.switch;
  }
  if (!lab.hosts) throw new UserError(`lab ${lab.name} is one switch, not several hosts`, 'drop --host');
  const found = lab.hosts.list.find((h) => h.name === host);
  if (!found) {
    const hint = nearest(host, names);
    throw new UserError(
      `lab ${lab.name} has no host named ${host}`,
      hint ? `did you mean ${hint}? (hosts: ${names.join(', ')})` : `hosts: ${names.join(', ')}`,
    );
  }
  return found.switch;
}

/** The lab on this host with this node (or any lab, for the switch's own name): the one named,
 *  or the only one that has it. */
export function labWithNode(node: string, labName: string | undefined, switchNode?: string): Lab {
  const labs = labName ? [labByName(labName)].filter((l) => l !== undefined) : labsOnHost();
  if (labName && labs.length === 0) throw new UserError(`no lab named ${labName} on this host`, 'see: sudo lablb status');
  const matches = labs.filter((l) => l.record && (node === switchNode || l.record.lab.nodes.some((n) => n.name === node)));
  if (matches.length === 0) {
    const known = labs.flatMap((l) => l.record?.lab.nodes.map((n) => n.name) ?? []);
    throw new UserError(
      `no node named ${node} in ${labName ? `lab ${labName}` : 'any lab on this host'}`,
      known.length ? `nodes: ${[...known, ...(switchNode ? [switchNode] : [])].join(', ')}` : 'no lab is up; start one with: sudo lablb up floating-ip-lb',
    );
  }
  if (matches.length > 1) throw new UserError(`node ${node} is in several labs`, `say which with --lab (${matches.map((l) => l.name).join(', ')})`);
  return matches[0].record!.lab;
}
