// The container runtime: a node that is a container. Docker gives it no network; the lab names
// the container's network namespace after the node (netns.attach), so veths, addresses and
// services reach it as they reach any member. A command in its own world (its processes, its
// files) goes through the engine, with the container's limits. The Docker policy lives here:
// lablb never pulls an image, journals a container before it exists and removes only those
// carrying its token label.
import { z } from 'zod';
import { ExternalError, UserError } from '../../errors.js';
import type { ContainerSpec, HostDriver } from '../../host.js';
import { Word } from '../../kinds/fields.js';
import type { Op, Task } from '../../kinds/ops.js';
import type { Lab, LabNode } from '../../model.js';
import { shellLine, shellQuote } from '../../shell.js';
import { netns } from '../netns/netns.js';
import { memberOp, type MemberRuntime, type RuntimeTeardown } from '../runtime.js';
import { buildLocalImage, LOCAL_IMAGE } from './image.js';

export { LOCAL_IMAGE };

/** The labels that mark a container as this lab's: teardown removes by these, never by name. */
export const LABEL = { lab: 'org.lablb.lab', token: 'org.lablb.token' } as const;

/** What the runtime keeps on a docker node (its `runtimeSpec`). */
export interface LabContainer {
  /** lablb-<lab>-<node> */
  name: string;
  image: string;
  command?: string[];
  env: Record<string, string>;
  files: { path: string; content: string }[];
  /** Labels it carries, so teardown removes exactly it, never another's of the same name. */
  token: string;
}

/** How to start an engine that leaves the host's network as found: no docker0 bridge, no
 *  iptables rules or forwarding changed in the root namespace (a plain `dockerd` adds all three). */
export const START_DOCKER_HINT =
  "start one that leaves the host's network as found: sudo dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false & (or point DOCKER_HOST at one)";

const ContainerPath = z
  .string()
  .regex(/^(\/[A-Za-z0-9_.-]+)+$/, { error: 'an absolute path inside the container, such as /www/index.html (letters, digits, "_", "." and "-")' })
  .refine((p) => !p.split('/').includes('..'), { error: 'a path without ".."' })
  .meta({ title: 'path in the container' });

const fields = {
  image: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._/-]{0,127}(:[A-Za-z0-9_.-]{1,128})?$/, { error: 'an image reference such as lablb/busybox:1 or nginx:1.25' })
    .optional()
    .describe(`docker: the image (default ${LOCAL_IMAGE}, which lablb builds locally from busybox-static)`),
  command: z.array(Word).min(1).max(64).optional().describe("docker: the container's command, as a list (no shell unless you name one)"),
  env: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: 'an environment variable name', abort: true })
        // LABLB_TOKEN marks lablb's own processes: a container must not claim another's.
        .refine((k) => !k.toUpperCase().startsWith('LABLB_'), { error: "LABLB_* names are lablb's own (LABLB_TOKEN marks its processes)" }),
      Word,
    )
    .refine((env) => Object.keys(env).length <= 64, { error: 'at most 64 variables' })
    .optional()
    .describe('docker: environment variables of the container'),
  files: z
    .record(ContainerPath, z.string().max(65536))
    .refine((f) => Object.keys(f).length <= 64, { error: 'at most 64 files' })
    .optional()
    .describe('docker: files put into the container before it starts, path: content'),
};

type Fields = { [K in keyof typeof fields]: z.infer<(typeof fields)[K]> };

/** The container of a docker node. */
export const containerOf = (node: LabNode): LabContainer => node.runtimeSpec as LabContainer;

/** The runtime's own ops, as `apply` reads them. */
type Action =
  | { do: 'image'; ref: string }
  | { do: 'start'; member: string; spec: ContainerSpec; token: string }
  | { do: 'exec'; token: string; name: string; argv: string[] };

const op = (action: Action, shell: string, what: string): Op => memberOp('docker', action, shell, what);

/** netns.attach as a person types it, the pid being the shell's substitution (left unquoted). */
function attachShell(member: string, pid: string): string {
  const words = netns.attach(member, pid);
  return [...words.slice(0, -1).map(shellQuote), pid].join(' ');
}

/** Starts the container and names its network namespace after the node. */
function startOp(lab: Lab, node: LabNode): Op {
  const c = containerOf(node);
  const spec: ContainerSpec = {
    name: c.name,
    image: c.image,
    ...(c.command ? { command: c.command } : {}),
    env: c.env,
    labels: { [LABEL.lab]: lab.name, [LABEL.token]: c.token },
    hostname: node.name,
    files: c.files,
  };
  const flags = [
    ...Object.entries(spec.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    ...Object.entries(spec.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
  ];
  const shell = [
    ...(spec.files.length ? [`# then put into it: ${spec.files.map((f) => f.path).join(', ')}`] : []),
    shellLine(['docker', 'run', '-d', '--name', spec.name, '--hostname', spec.hostname, '--network', 'none', ...flags, spec.image, ...(spec.command ?? [])]),
    attachShell(node.name, `"$(docker inspect -f '{{.State.Pid}}' ${shellQuote(spec.name)})"`),
  ].join('\n');
  return op({ do: 'start', member: node.name, spec, token: c.token }, shell, `container ${spec.name}`);
}

/** The running container of a token, or a clear error. */
async function running(host: HostDriver, token: string, what: string) {
  const [container] = await host.containers.list({ [LABEL.token]: token });
  if (!container?.pid) throw new ExternalError(what, undefined, 'the container is not running');
  return container;
}

export const dockerRuntime: MemberRuntime = {
  name: 'docker',
  description: 'a container (no Docker network) whose ports the lab wires like any other',
  fields,
  resolve(block, node) {
    const b = block as Fields;
    const c: LabContainer = {
      name: `lablb-${node.lab}-${node.name}`,
      image: b.image ?? LOCAL_IMAGE,
      ...(b.command ? { command: b.command } : {}),
      env: b.env ?? {},
      files: Object.entries(b.files ?? {}).map(([path, content]) => ({ path, content })),
      token: `${node.lab}/${node.name}/container`,
    };
    return c;
  },
  joinsAtRunTime: false,
  tools: [
    { command: 'docker', pkg: 'docker.io', versionArgs: ['--version'], why: "lablb exec into a container (docker exec, with the container's own limits)" },
    {
      command: 'busybox',
      pkg: 'busybox-static',
      versionArgs: ['--help'],
      why: "lablb's own container image (no registry needed)",
      neededBy: (lab) => lab.nodes.some((n) => n.runtime === 'docker' && containerOf(n).image === LOCAL_IMAGE),
    },
  ],

  create(lab, nodes) {
    const local = nodes.some((n) => containerOf(n).image === LOCAL_IMAGE);
    const image: Task[] = local
      ? [
          {
            id: 'image',
            title: `lablb's image ${LOCAL_IMAGE} (built from busybox-static when missing)`,
            after: [],
            ops: [
              op(
                { do: 'image', ref: LOCAL_IMAGE },
                `docker image inspect ${shellQuote(LOCAL_IMAGE)} >/dev/null 2>&1 || lablb image build`,
                `image ${LOCAL_IMAGE}`,
              ),
            ],
          },
        ]
      : [];
    return [
      ...image,
      // A container's network namespace is its own: the lab names it after the node once it runs.
      ...nodes.map((n): Task => ({
        id: `container:${n.name}`,
        title: `${n.name}: container from ${containerOf(n).image}, no Docker network`,
        after: containerOf(n).image === LOCAL_IMAGE ? ['image'] : [],
        ops: [startOp(lab, n)],
      })),
    ];
  },

  async apply(action, { host, record }) {
    const a = action as Action;
    switch (a.do) {
      case 'image':
        if (!(await host.containers.hasImage(a.ref))) await buildLocalImage(host, a.ref);
        return;
      case 'start':
        // lablb never pulls: a scenario must not make the host fetch from the network.
        if (!(await host.containers.hasImage(a.spec.image))) {
          throw new UserError(
            `image ${a.spec.image} is not in the Docker engine at ${host.containers.endpoint()}`,
            `lablb never pulls images; pull it yourself (docker pull ${a.spec.image}), or use ${LOCAL_IMAGE}`,
          );
        }
        // Journaled before it exists: a crash between create and start still leaves its label.
        record({ kind: 'member', runtime: 'docker', name: a.spec.name, token: a.token });
        {
          const started = await host.containers.start(a.spec);
          record({ kind: 'netns', name: a.member });
          await host.run(netns.attach(a.member, String(started.pid)));
        }
        return;
      case 'exec': {
        const what = `docker exec ${a.name} ${a.argv.join(' ')}`;
        const container = await running(host, a.token, what);
        const r = await host.containers.exec(container.id, a.argv);
        if (r.exitCode !== 0) throw new ExternalError(what, r.exitCode, r.output.trim() || 'no message');
        return;
      }
    }
  },

  execOp(node, argv) {
    const c = containerOf(node);
    return op({ do: 'exec', token: c.token, name: c.name, argv }, shellLine(['docker', 'exec', c.name, ...argv]), `docker exec ${c.name} ${argv.join(' ')}`);
  },

  // Its network namespace is attached under the node's name (netns.attach).
  inNetwork: (node, argv) => netns.execNet(node.name, argv),

  // A container's own files and processes, not only its network: its busybox sh, its /www.
  async enter(node, argv, tty, host) {
    const c = containerOf(node);
    const [container] = await host.containers.list({ [LABEL.token]: c.token });
    if (!container?.pid) throw new UserError(`the container of ${node.name} (${c.name}) is not running`, 'see: sudo lablb status');
    if (!host.which('docker'))
      throw new UserError('lablb exec into a container needs the docker command', 'sudo apt-get install docker.io (scripts/setup-host.sh installs it)');
    // With the container's own capabilities, cgroup, seccomp profile and user, never as root on
    // the host; a terminal when lablb has one.
    return ['docker', 'exec', '-i', ...(tty ? ['-t'] : []), container.id, ...argv];
  },

  async preflight(lab, host) {
    if (await host.containers.version()) return;
    throw new UserError(
      `lab ${lab.name} has containers, and no Docker engine answers at ${host.containers.endpoint()}`,
      `${START_DOCKER_HINT}; sudo lablb doctor says more`,
    );
  },

  async doctor(host) {
    const engine = { endpoint: host.containers.endpoint(), version: await host.containers.version() };
    return {
      json: { docker: engine },
      line: engine.version
        ? `docker: engine ${engine.version} answers at ${engine.endpoint} (runtime: docker members)`
        : `docker: no engine answers at ${engine.endpoint}; runtime: docker members need one: ${START_DOCKER_HINT}`,
    };
  },

  // By their token label: a container of the same name that is not this lab's stays.
  async teardown(entries, host) {
    const out: RuntimeTeardown = { removed: 0, failed: [] };
    for (const entry of [...entries].reverse()) {
      if (entry.kind !== 'member' || entry.runtime !== 'docker') continue;
      try {
        for (const c of await host.containers.list({ [LABEL.token]: entry.token })) {
          await host.containers.remove(c.id);
          out.removed++;
        }
      } catch (e) {
        out.failed.push({ entry, message: `container ${entry.name}: ${(e as Error).message}` });
      }
    }
    return out;
  },

  label: (node) => `docker ${containerOf(node).image}`,
};
