// What a service kind is: one folder under src/services/ that brings everything lablb knows
// about it, registered by one line in src/services/all.ts. Generic code (resolver, planner,
// observers, screen, reference) asks the kind; it never branches on a kind's name.
import type { z } from 'zod';
import type { Lab, LabNode, LabPort, LabService } from '../model.js';
import type { HostDriver } from '../host.js';
import type { Facts } from './facts.js';
import type { Op } from './ops.js';
import type { Emit } from './events.js';
import type { Path, Report } from './path.js';
import type { Tool } from './tool.js';
import type { AnyWaitKind, WaitBound } from './wait-kind.js';

/** Commands per VRRP transition, each an argv run in the node. */
export interface VrrpHooks {
  master: string[][];
  /** Also run on FAULT: the node no longer serves the router. */
  backup: string[][];
}

/** What a kind's start is given besides its service: what other kinds on the node declared. */
export interface StartContext {
  vrrpHooks: VrrpHooks;
  /** The whole lab, for a kind whose start reaches other nodes (a DVR router's fip namespace). */
  lab?: Lab;
}

/** What a kind's resolver is given: its own parsed block and the node it is on. */
export interface ServiceContext {
  lab: string;
  node: { name: string; ports: LabPort[]; dir: string };
  nodeNames: string[];
  /** The lab's security groups, by name (a control plane may put its ports in one). */
  groupNames: string[];
  /** A problem in this service's block; the path is relative to the block. */
  report: Report;
  /** "no port named "eht0"; did you mean "eth0"?" */
  unknown(what: string, name: string, known: string[]): string;
  /** The node's port of that name, or undefined with the problem reported at `path`. */
  port(name: string, path: Path): LabPort | undefined;
}

/** What a daemon's log gained since the last call, per file: for observers that read a log
 *  (keepalived's state changes, an agent's request lines) instead of a process per poll. */
export function logReader(host: HostDriver): (file: string) => string {
  const offsets = new Map<string, number>();
  return (file) => {
    const { text, next } = host.readNew(file, offsets.get(file) ?? 0);
    offsets.set(file, next);
    return text;
  };
}

/** One line of the screen, as cells: the screen paints tones, kinds say what they mean. */
export type Tone = 'plain' | 'bold' | 'dim' | 'good' | 'bad' | 'warn' | 'accent';
export interface Cell {
  text: string;
  tone?: Tone;
  /** Pad to this many characters. */
  width?: number;
}
export type Row = Cell[];

/** A cell as plain text, padded as the screen pads it. */
export const cellText = (cell: Cell): string => (cell.width ? cell.text.padEnd(cell.width) : cell.text);

/** Something that reads live state on an interval and folds it into the shared facts. */
export interface Observer {
  /** What waits name in `needs`: a service kind's observer is its kind's name. */
  id: string;
  /** How often it is worth polling; a wait on its facts polls it faster. */
  everyMs: number;
  poll(): Promise<void>;
  /** Lets go of what it holds open (a stream), when observing stops. */
  close?(): void;
}

/** A kind's observer: the hub names it after the kind. */
export type KindObserver = Omit<Observer, 'id'>;

export interface ObserverContext {
  lab: Lab;
  host: HostDriver;
  facts: Facts;
  emit: Emit;
  /** ms since observing began, for event timestamps. */
  since(): number;
}

export interface ServiceKind<Spec = unknown, Block extends { name: string; kind: string } = { name: string; kind: string }> {
  kind: string;
  /** Its block in a scenario file: a strict object with `name` and `kind`. */
  schema: z.ZodType<Block>;
  /** A block the article writes on the node itself (a router's `l3:`), without name and kind:
   *  read as this kind's service named after the field. */
  nodeField?: { name: string; schema: z.ZodType };
  /** A minimal valid block, shown in the generated reference and validated by the tests. */
  example: string;
  /** The host commands it runs, with their Debian packages. */
  tools: Tool[];
  resolve(block: Block, ctx: ServiceContext): Spec;

  // Effects on the rest of the lab, declared rather than special-cased elsewhere.
  /** Addresses it needs to own on its node (a listener), with where each is written. */
  binds?(spec: Spec): { address: string; path: Path }[];
  /** Addresses it may come to hold besides the node's ports (VIPs): they count as the node's. */
  claims?(spec: Spec): string[];
  /** It moves an address among nodes made at run time (Octavia's VIP among its amphorae): the
   *  lab's addresses are then read every second, as for a claimed VIP. */
  movesAddresses?: boolean;
  /** It adds and removes nodes through the lab's API (Octavia's controller booting amphorae):
   *  a lab brought up with `up` keeps that API served beside it. */
  controlPlane?: boolean;
  /** Its VRRP groups (network/instance) and the state each instance is in now, for steps that
   *  fail a whole agent and time every router's takeover. */
  vrrpStates?(service: LabService<Spec>, facts: Facts): { group: string; state: string }[];
  /** Addresses the outside reaches it at (a router's floating IPs), for steps that try them all. */
  reachableAt?(spec: Spec): string[];
  /** A load balancer's members (for member waits): their ids and the nodes that host them. */
  members?(spec: Spec): { id: string; node: string }[];
  /** Per-namespace sysctls it needs, applied before any service on the node starts. */
  sysctls?(spec: Spec): [string, string][];
  /** Nodes that must be up, with their services running, before it starts (haproxy's
   *  members, a DVR router's fip namespace). */
  startsAfterNodes?(spec: Spec): string[];
  /** It acts at once on what it hears, or does not (VRRP elects itself MASTER when it hears
   *  nobody): where the switch starts after the nodes (a lab of many ports), it starts once
   *  the switch has made the ports. */
  talksAtStart?: true;
  /** Checks across every service of this kind in the lab (VRRP groups and their ids). */
  checkLab?(services: { service: LabService<Spec>; node: LabNode; at: Path }[], report: Report, nodes: LabNode[]): void;

  describe(service: LabService<Spec>): string;
  start(service: LabService<Spec>, ctx: StartContext): Op[];
  /** Commands to run in its node when a VRRP instance there changes state (conntrackd
   *  committing its table on promotion): the VRRP kind's notify script runs them. */
  vrrpHooks?(service: LabService<Spec>): VrrpHooks;

  /** Live state: one observer for every service of this kind in a lab. It keeps what it sees
   *  in the service's own facts (`serviceFacts`) and tells changes as `serviceEvent`s. */
  observer?(services: LabService<Spec>[], ctx: ObserverContext): KindObserver;
  /** A load balancer's member (by id) as it sees it now ("UP", "DOWN 1/2"), for member waits. */
  memberStatus?(service: { node: string; name: string }, facts: Facts, member: string): string | undefined;
  /** How long its health checks may take to see a member go DOWN or come UP: its config's
   *  timers, for member waits' bound. */
  memberBound?(service: LabService<Spec>, member: string, state: 'UP' | 'DOWN'): WaitBound | undefined;
  /** The protocol's bound on this service coming to hold an address it claims (a VRRP
   *  instance's master-down interval), for address waits. */
  claimBound?(service: LabService<Spec>, address: string): WaitBound | undefined;
  /** Waits on what only this kind has (a VRRP instance's state), offered in every `until`. */
  waits?: AnyWaitKind[];
  /** Its lines on the screen's services panel (a header, then rows). */
  rows?(service: LabService<Spec>, facts: Facts): Row[];
  /** Rows that sum up many services of the kind (a thousand routers), shown above the first few. */
  summary?(services: LabService<Spec>[], facts: Facts): Row[];
  /** The title of a panel of its own for its rows (a router's NAT counters); without one, its
   *  rows go in the services panel. */
  panel?(services: LabService<Spec>[]): string;
  /** What the details view shows of it: a command run in its node, the lines worth keeping. */
  details?(service: LabService<Spec>): { argv: string[]; keep(line: string): boolean };
  /** Addresses the topology labels (a load balancer's VIP). */
  labels?(service: LabService<Spec>): { address: string; label: string }[];
  /** Undefined once it serves; otherwise what it still waits for (warm-up). */
  unsettled?(service: LabService<Spec>, facts: Facts): string | undefined;
  /** A load balancer whose pools change at run time (member-create, member-delete). */
  pools?: PoolChanges<Spec>;
}

/** Members added to and taken from a running load balancer, as LBaaS v2's agent does it:
 *  the spec with the change, and the ops that make the running daemon take the new spec. */
export interface PoolChanges<Spec> {
  /** One member's block, as under the kind's members. */
  member: z.ZodType;
  /** The spec with the member in `pool` (the only pool when none is named). */
  add(spec: Spec, member: unknown, pool: string | undefined, ctx: { nodeNames: string[]; report: Report }): Spec;
  /** The spec without the member on that node (or with that id). */
  remove(spec: Spec, member: string, pool: string | undefined, report: Report): Spec;
  /** Ops that make the running daemon serve the new spec; `running` are its PIDs now. */
  reload(service: LabService<Spec>, running: string[]): Op[];
}

/** The type-erased form the registry holds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServiceKind = ServiceKind<any, any>;

export function serviceKind<Spec, Block extends { name: string; kind: string }>(k: ServiceKind<Spec, Block>): ServiceKind<Spec, Block> {
  return k;
}
