// A lab's name: the scenario name rule. It becomes a directory under the state root, a part of
// every process token and of container names, so it is checked wherever one comes in (a
// scenario's name, --name, a verb's argument) before any path is made of it.
import { UserError } from './errors.js';

export const LAB_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
export const LAB_NAME_RULE = 'lowercase letters, digits and "-", starting with a letter or digit, up to 40';

/** The name, or a UserError saying what a lab name is (nothing is touched before this). */
export function checkLabName(name: string, what = 'a lab name'): string {
  if (!LAB_NAME.test(name)) throw new UserError(`${JSON.stringify(name)} is not ${what}: ${LAB_NAME_RULE}`, 'see the labs on this host: sudo lablb status');
  return name;
}
