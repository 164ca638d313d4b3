// The real host: every side effect lablb has, behind the HostDriver interface. The command
// line makes it once and hands it down; nothing else imports drivers/.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dockerEngine } from './docker.js';
import { ExternalError } from '../errors.js';
import type { HostDriver } from '../host.js';
import { chooseDatapath, isRoot, kernelModules, namespaces, which } from './host-facts.js';
import { query, run, runAttached, spawnDetached, spawnPiped, useSpawner } from './process.js';
import { commandLine, findByToken, isAlive, signalByToken, stopByToken } from './procs.js';
import { serveUnix, unixRequest, unixStream } from './unix-socket.js';

function readNew(path: string, from: number): { text: string; next: number } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { text: '', next: from };
  }
  if (size <= from) return { text: '', next: size < from ? 0 : from };
  const buf = Buffer.alloc(size - from);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  // A partly written last line waits for the next read.
  const end = buf.lastIndexOf(0x0a) + 1;
  return { text: buf.subarray(0, end).toString('utf8'), next: from + end };
}

/** A file operation that failed, told like any other host command that failed. */
function fsOp<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new ExternalError(what, undefined, (err as Error).message);
  }
}

export const realHost: HostDriver = {
  containers: dockerEngine,
  run,
  expectManyRuns: useSpawner,
  query,
  spawnDetached,
  spawnPiped,
  runAttached,
  unixRequest: (path, request, timeoutMs) =>
    unixRequest(path, request, timeoutMs).catch((err: Error) => {
      throw new ExternalError(`${request.trim()} on ${path}`, undefined, err.message);
    }),
  unixStream,
  serveUnix,
  // Configs hold nothing secret, but lab dirs are root's alone (0700 below), so 0644 is enough.
  writeFile: (path, content, mode = 0o644) =>
    fsOp(`write ${path}`, () => {
      writeFileSync(path, content, { mode });
      chmodSync(path, mode); // an existing file keeps its mode otherwise
    }),
  mkdir: (path) => fsOp(`mkdir -p ${path}`, () => void mkdirSync(path, { recursive: true, mode: 0o700 })),
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  readBytes: (path) => {
    try {
      return readFileSync(path);
    } catch {
      return undefined;
    }
  },
  readNew,
  exists: existsSync,
  removeTree: (path) => rmSync(path, { recursive: true, force: true }),
  findByToken,
  signalByToken,
  stopByToken,
  isAlive,
  commandLine,
  isRoot,
  which,
  namespaces,
  chooseDatapath,
  kernelModules,
};
