// The step kinds an experiment can use: one line each.
import type { AnyStepKind } from '../kinds/step-kind.js';
import { agentDown } from './agent-down.js';
import { reschedule } from './reschedule.js';
import { amphoraKill, amphoraPortUpdate, loadbalancerFailover } from './amphora.js';
import { manilaCreate } from './manila.js';
import { nfsRead, nfsWrite } from './nfs.js';
import { containerExec } from './container-exec.js';
import { dhcpRequest } from './dhcp-request.js';
import { execStep } from './exec.js';
import { floatingIpsAnswer } from './floating-ips.js';
import { httpGet } from './http-get.js';
import { l2popEntry, l2popUnicast } from './l2pop.js';
import { impair, repair } from './impair.js';
import { capture } from './capture.js';
import { linkDown, linkUp } from './link.js';
import { natCountersStep } from './nat-counters.js';
import { disconnect, reconnect } from './partition.js';
import { memberCreate, memberDelete } from './pool.js';
import { portUpdate, securityGroupRuleCreate, securityGroupRuleDelete } from './security.js';
import { signalService, startService, stopService } from './service.js';
import { sleep } from './sleep.js';
import { addNode, removeNode } from './topology.js';
import { traffic } from './traffic.js';
import { wait } from './wait.js';

export const STEP_KINDS: readonly AnyStepKind[] = [
  traffic,
  stopService,
  startService,
  signalService,
  linkDown,
  linkUp,
  impair,
  repair,
  capture,
  disconnect,
  reconnect,
  wait,
  sleep,
  execStep,
  floatingIpsAnswer,
  dhcpRequest,
  httpGet,
  natCountersStep,
  l2popUnicast,
  l2popEntry,
  portUpdate,
  securityGroupRuleCreate,
  securityGroupRuleDelete,
  containerExec,
  addNode,
  removeNode,
  agentDown,
  reschedule,
  memberCreate,
  memberDelete,
  amphoraPortUpdate,
  amphoraKill,
  loadbalancerFailover,
  manilaCreate,
  nfsWrite,
  nfsRead,
];

export function stepKindOf(kind: string): AnyStepKind {
  const k = STEP_KINDS.find((s) => s.kind === kind);
  if (!k) throw new Error(`no step kind ${kind}`);
  return k;
}
