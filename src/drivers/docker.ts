// The Docker engine through dockerode, at DOCKER_HOST or the default socket. Containers get no
// network from Docker (NetworkMode none): lablb wires their ports itself, like any member's.
// Failures leave here as ExternalError naming what was asked of the engine.
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ExternalError } from '../errors.js';
import type { ContainerEngine, ContainerInfo, ContainerSpec } from '../host.js';
import { tarball } from '../tar.js';

let client: Docker | undefined;

async function docker(): Promise<Docker> {
  // Loaded on first use: most commands never talk to Docker.
  const { default: Dockerode } = await import('dockerode');
  client ??= new Dockerode();
  return client;
}

function endpoint(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

async function asked<T>(what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    throw new ExternalError(`docker: ${what} (engine at ${endpoint()})`, undefined, (e as Error).message);
  }
}

function info(
  c: {
    Id: string;
    Names?: string[];
    Name?: string;
    Image?: string;
    Config?: { Image?: string; Labels?: Record<string, string> };
    Labels?: Record<string, string>;
    State?: { Pid?: number } | string;
  },
  pid = 0,
): ContainerInfo {
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Name ?? '').replace(/^\//, ''),
    image: c.Image ?? c.Config?.Image ?? '',
    labels: c.Labels ?? c.Config?.Labels ?? {},
    pid,
  };
}

export const dockerEngine: ContainerEngine = {
  endpoint,
  async version() {
    try {
      return (await (await docker()).version()).Version;
    } catch {
      return undefined;
    }
  },
  start: (spec: ContainerSpec) =>
    asked(`start ${spec.name} from ${spec.image}`, async () => {
      const d = await docker();
      const container = await d.createContainer({
        name: spec.name,
        Image: spec.image,
        ...(spec.command ? { Cmd: spec.command } : {}),
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        Hostname: spec.hostname,
        // No Docker network, no host paths, no privileges, bounded: the lab wires its ports.
        HostConfig: { NetworkMode: 'none', Privileged: false, Memory: 256 * 1024 * 1024, PidsLimit: 256 },
      });
      if (spec.files.length)
        await container.putArchive(tarball(spec.files.map((f) => ({ type: 'file' as const, path: f.path, content: f.content }))), { path: '/' });
      await container.start();
      const state = await container.inspect();
      return info(state, state.State.Pid);
    }),
  list: (labels) =>
    asked('list containers', async () => {
      const d = await docker();
      const found = await d.listContainers({ all: true, filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) } });
      return Promise.all(found.map(async (c) => info(c, c.State === 'running' ? (await d.getContainer(c.Id).inspect()).State.Pid : 0)));
    }),
  remove: (id) =>
    asked(`remove container ${id.slice(0, 12)}`, async () => {
      try {
        // v: its anonymous volumes too (an image may declare some): nothing of it stays in Docker.
        await (await docker()).getContainer(id).remove({ force: true, v: true });
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 404) throw e;
      }
    }),
  exec: (id, argv) =>
    asked(`exec ${argv.join(' ')} in ${id.slice(0, 12)}`, async () => {
      const exec = await (await docker()).getContainer(id).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      // The stream multiplexes stdout and stderr in frames of an 8-byte header and a payload.
      const raw = Buffer.concat(chunks);
      let output = '';
      for (let at = 0; at + 8 <= raw.length; at += 8 + raw.readUInt32BE(at + 4)) output += raw.subarray(at + 8, at + 8 + raw.readUInt32BE(at + 4)).toString();
      return { exitCode: (await exec.inspect()).ExitCode ?? -1, output };
    }),
  async hasImage(ref) {
    try {
      await (await docker()).getImage(ref).inspect();
      return true;
    } catch {
      return false;
    }
  },
  importImage: (tar, ref) =>
    asked(`import image ${ref}`, async () => {
      const d = await docker();
      const [repo, tag] = ref.split(':');
      const stream = await d.importImage(Readable.from([tar]), { repo, tag });
      // The engine reports progress and errors in a JSON stream; it is done when that ends.
      await new Promise<void>((resolve, reject) => d.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    }),
};
