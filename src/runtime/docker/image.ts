// lablb's own container image, built on the host from Debian's busybox-static and imported into
// the engine: a lab with containers needs no registry.
import type { HostDriver } from '../../host.js';
import { tarball, type TarEntry } from '../../tar.js';

/** The image lablb builds itself: no registry needed. */
export const LOCAL_IMAGE = 'lablb/busybox:1';

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
