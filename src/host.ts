// What lablb needs from the host, as one interface. The real one (drivers/real-host.ts) is
// made once by the command line and handed down; tests hand down a recording fake. Nothing
// above drivers/ starts a process or reads /proc except through this.
import type { Datapath, DatapathChoice } from './model.js';

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Resolve with the exit code instead of throwing when the command fails. */
  allowFailure?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A child whose stdout lablb reads line by line (the prober). */
export interface PipedChild {
  onLine(listener: (line: string) => void): void;
  onExit(listener: () => void): void;
  /** Closes its stdin and sends SIGTERM. */
  stop(): void;
}

/** A container as lablb asks the engine for it (runtime: docker). */
export interface ContainerSpec {
  name: string;
  image: string;
  /** The container's command; the image's when absent. */
  command?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  hostname: string;
  /** Put in before it starts (the article's index page). */
  files: { path: string; content: string }[];
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  /** Its first process on the host, 0 when it is not running. */
  pid: number;
}

/** The Docker engine at DOCKER_HOST or the default socket (drivers/docker.ts, dockerode). */
export interface ContainerEngine {
  /** Where it is reached, for messages. */
  endpoint(): string;
  /** The engine's version, or undefined when nothing answers. */
  version(): Promise<string | undefined>;
  /** Creates it with no network, puts its files in, starts it. */
  start(spec: ContainerSpec): Promise<ContainerInfo>;
  /** Containers (running or not) that carry every one of these labels. */
  list(labels: Record<string, string>): Promise<ContainerInfo[]>;
  /** Stops and removes one, by id. */
  remove(id: string): Promise<void>;
  /** `docker exec`: a command in a running container, within its own limits; its exit code and output. */
  exec(id: string, argv: string[]): Promise<{ exitCode: number; output: string }>;
  hasImage(ref: string): Promise<boolean>;
  /** `docker import`: a root filesystem tarball as an image. */
  importImage(tar: Buffer, ref: string): Promise<void>;
}

export interface HostDriver {
  /** Runs to completion; a failure is an ExternalError with the command and its stderr. */
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Hundreds of `run`s are coming (a large lab's build): start them the cheaper way. */
  expectManyRuns?(): void;
  /** A read-only look (iptables-save, ip addr), many times a second: never throws. */
  query(argv: string[], timeoutMs?: number): Promise<RunResult>;
  spawnDetached(argv: string[], opts: { env?: Record<string, string>; logfile: string }): number;
  spawnPiped(argv: string[], opts: { env?: Record<string, string> }): PipedChild;
  /** Attached to the terminal (`lablb exec`, `lablb shell`); resolves with the exit code. */
  runAttached(argv: string[], env?: Record<string, string>, opts?: { stdoutFile?: string }): Promise<number>;
  /** One request on a UNIX stream socket, the whole answer (haproxy's stats socket). */
  unixRequest(path: string, request: string, timeoutMs?: number): Promise<string>;
  /** A request whose answer keeps coming, line by line (haproxy's `show events -w`). */
  unixStream(path: string, request: string): PipedChild;
  /** Answers JSON requests, one a line, on a UNIX socket it makes (the lab's API for the
   *  control planes inside the lab); the socket is removed when closed. */
  serveUnix(path: string, handle: (request: unknown) => Promise<unknown>): { close(): void };

  writeFile(path: string, content: string, mode?: number): void;
  mkdir(path: string): void;
  readFile(path: string): string | undefined;
  /** A binary file (busybox, for lablb's image). */
  readBytes(path: string): Buffer | undefined;
  /** What a growing file (a log) gained since byte `from`, up to its last full line. */
  readNew(path: string, from: number): { text: string; next: number };
  exists(path: string): boolean;
  /** Removes a directory tree lablb made (a lab's state dir). */
  removeTree(path: string): void;

  /** Live PIDs whose environment carries this token (a token ending in "/" is a prefix). */
  findByToken(token: string): number[];
  /** Sends a signal to the processes carrying exactly this token (or only to PID `only`, if it
   *  carries it); returns the PIDs signalled. */
  signalByToken(token: string, signal: NodeJS.Signals, only?: number): number[];
  /** SIGTERM, then SIGKILL after graceMs, each only to a PID that still carries the token. */
  stopByToken(token: string, graceMs?: number): Promise<number[]>;
  isAlive(pid: number): boolean;
  commandLine(pid: number): string;

  isRoot(): boolean;
  which(command: string): string | undefined;
  /** Named network namespaces on the host (/run/netns). */
  namespaces(): string[];
  /** Loaded kernel modules and how many users each has (/proc/modules); undefined on a kernel
   *  without loadable modules. */
  kernelModules(): Map<string, number> | undefined;
  chooseDatapath(choice: DatapathChoice): Promise<Datapath>;
  containers: ContainerEngine;
}
