import { join } from 'node:path';

/** The variable that marks every process lablb starts (LABLB_TOKEN=<lab>/<node>/<service>):
 *  children and daemons inherit it, so cleanup after a crash finds exactly those PIDs. */
export const TOKEN_VAR = 'LABLB_TOKEN';

/** A secret per lab, in its dir (root's alone), written when the lab is prepared: lablb's own
 *  agents show it to each other (Octavia's controller to its amphorae's agents, whose configs
 *  can start programs as root), which a container member on the same network cannot read. */
export const labKeyPath = (labDir: string): string => join(labDir, 'lab.key');
