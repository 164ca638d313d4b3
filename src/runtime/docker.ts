// The Docker member runtime: a node that is a container. Docker gives it no network; the lab
// names the container's network namespace after the node (`ip netns attach`), so everything
// that reaches a member through src/runtime/netns.ts (veths, addresses, services) reaches the
// container's the same way. A command in it goes through the engine, with its own limits.
import type { ContainerSpec, HostDriver } from '../host.js';
import type { Lab, LabNode } from '../model.js';
import type { Op } from '../kinds/ops.js';
import { tarball, type TarEntry } from '../tar.js';

/** The labels that mark a container as this lab's: teardown removes by these, never by name. */
export const LABEL = { lab: 'org.lablb.lab', token: 'org.lablb.token' } as const;

export const docker = {
  start(lab: Lab, node: LabNode): Op {
    const c = node.container!;
    const spec: ContainerSpec = {
      name: c.name,
      image: c.image,
      ...(c.command ? { command: c.command } : {}),
      env: c.env,
      labels: { [LABEL.lab]: lab.name, [LABEL.token]: c.token },
      hostname: node.name,
      files: c.files,
    };
    return { kind: 'container', member: node.name, spec, token: c.token };
  },

  /** Names the container's network namespace after the node. */
  attach(member: string, pid: number): string[] {
    return ['ip', 'netns', 'attach', member, String(pid)];
  },

  /** A command inside the container, through the engine (`docker exec`): with the container's
   *  own capabilities, cgroup, seccomp profile and user, never as root on the host. A terminal
   *  is given when lablb has one. */
  enter(id: string, argv: string[], tty: boolean): string[] {
    return ['docker', 'exec', '-i', ...(tty ? ['-t'] : []), id, ...argv];
  },
};

/** Where Debian's busybox-static puts its binary. */
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'];

/** lablb's image: busybox-static and a link per applet (sh, httpd, ip, ...), a /www for httpd. */
export async function buildLocalImage(host: HostDriver, ref: string): Promise<number> {
  const path = BUSYBOX.find((p) => host.exists(p));
  const binary = path ? host.readBytes(path) : undefined;
  if (!path || !binary) throw new Error('busybox-static is not installed: sudo apt-get install busybox-static (scripts/setup-host.sh installs it)');
  const applets = (await host.run([path, '--list'])).stdout.split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
  const entries: TarEntry[] = [
    ...['bin', 'etc', 'www', 'tmp', 'root', 'proc', 'sys', 'dev'].map((d): TarEntry => ({ type: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 })),
    { type: 'file', path: 'bin/busybox', content: binary, mode: 0o755 },
    ...applets.map((a): TarEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    { type: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { type: 'file', path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
    { type: 'file', path: 'www/index.html', content: 'lablb\n' },
  ];
  const tar = tarball(entries);
  await host.containers.importImage(tar, ref);
  return tar.length;
}
