import type { Datapath, Lab } from '../model.js';

/** A host command lablb drives, with the Debian package that has it. */
export interface Tool {
  command: string;
  pkg: string;
  versionArgs: string[];
  why: string;
  /** Whether a lab needs it (kinds' tools are needed when the kind is used); undefined: only
   *  for a learner's own use. */
  neededBy?: (lab: Lab, datapath: Datapath) => boolean;
}
