// `lablb doctor [--fix]`: every command lablb drives, found or missing, with its version and
// Debian package; the datapath labs will use; `--fix` installs what is missing.
import { safeJson } from '../safe-text.js';
import { join } from 'node:path';
import type { HostDriver } from '../host.js';
import { LOAD_OPENVSWITCH } from '../model.js';
import { requireRoot } from '../engine/preflight.js';
import { TOOLS } from '../engine/tools.js';
import { EXIT_CHECK_FAILED, EXIT_OK } from '../errors.js';
import { PACKAGE_ROOT } from '../paths.js';
import { RUNTIMES } from '../runtime/all.js';
import type { CommandContext } from './context.js';

export interface Dependency {
  command: string;
  pkg: string;
  found: boolean;
  path?: string;
  version?: string;
  required: boolean;
  why: string;
}

async function versionOf(host: HostDriver, path: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await host.run([path, ...args], { allowFailure: true, timeoutMs: 5000 });
    const text = `${r.stdout}\n${r.stderr}`;
    return text.match(/\d+(\.\d+)+[a-z]?/)?.[0] ?? text.match(/version (\d+)/)?.[1];
  } catch {
    return undefined;
  }
}

export async function dependencies(host: HostDriver): Promise<Dependency[]> {
  return Promise.all(
    TOOLS.map(async (t) => {
      const path = host.which(t.command);
      return {
        command: t.command,
        pkg: t.pkg,
        found: path !== undefined,
        path,
        version: path ? await versionOf(host, path, t.versionArgs) : undefined,
        required: t.neededBy !== undefined,
        why: t.why,
      };
    }),
  );
}

export async function doctor(fix: boolean, ctx: CommandContext): Promise<number> {
  if (fix) {
    requireRoot(ctx.host, 'doctor --fix');
    const code = await ctx.host.runAttached(['bash', join(PACKAGE_ROOT, 'scripts', 'setup-host.sh'), '--packages']);
    if (code !== 0) return code;
  }
  const deps = await dependencies(ctx.host);
  const datapath = await ctx.host.chooseDatapath('auto');
  const node = process.versions.node;
  const nodeOk = Number(node.split('.')[0]) >= 20;
  const missingRequired = deps.filter((d) => d.required && !d.found);
  // What each runtime needs (a container engine) is told, never a failure.
  const runtimes = await Promise.all(RUNTIMES.map((r) => r.doctor?.(ctx.host)));
  const said = runtimes.filter((r) => r !== undefined);
  if (ctx.json) {
    ctx.out(
      safeJson({
        type: 'doctor',
        ok: missingRequired.length === 0 && nodeOk,
        node,
        root: ctx.host.isRoot(),
        datapath,
        ...Object.assign({}, ...said.map((r) => r.json)),
        dependencies: deps,
      }),
    );
  } else {
    ctx.out(`node ${node} ${nodeOk ? 'ok' : '(lablb needs 20 or newer)'}; running as ${ctx.host.isRoot() ? 'root' : 'a normal user (labs need sudo)'}`);
    ctx.out(
      `datapath: ${datapath === 'system' ? "system (the kernel's openvswitch module)" : `netdev (userspace; the openvswitch kernel module is not loaded: where it exists, ${LOAD_OPENVSWITCH} gives labs the kernel datapath)`}`,
    );
    for (const r of said) ctx.out(r.line);
    for (const d of deps) {
      const state = d.found ? `found   ${(d.version ?? '?').padEnd(12)}` : 'MISSING             ';
      ctx.out(`  ${d.command.padEnd(17)} ${state} ${d.pkg.padEnd(19)} ${d.required ? '' : '(optional) '}${d.why}`);
    }
    if (missingRequired.length > 0) {
      const pkgs = [...new Set(missingRequired.map((d) => d.pkg))];
      ctx.out(`missing: ${pkgs.join(' ')}; install with: sudo lablb doctor --fix`);
    }
  }
  return missingRequired.length === 0 && nodeOk ? EXIT_OK : EXIT_CHECK_FAILED;
}
