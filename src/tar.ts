// A minimal ustar writer: a container image's root filesystem (lablb's busybox image) and the
// files a scenario puts into a container, as the tarballs Docker imports. Pure.

export type TarEntry =
  | { type: 'file'; path: string; content: Buffer | string; mode?: number }
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, mode: number, size: number, type: string, linkname = ''): Buffer {
  if (Buffer.byteLength(name) > 100 || Buffer.byteLength(linkname) > 100) throw new Error(`tar: ${name} is longer than 100 bytes`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100);
  h.write(octal(mode, 8), 100);
  h.write(octal(0, 8), 108); // uid root
  h.write(octal(0, 8), 116); // gid root
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136); // mtime: the epoch, so the same files make the same tarball
  h.write('        ', 148); // the checksum counts its own field as spaces
  h.write(type, 156);
  h.write(linkname, 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write('root', 265);
  h.write('root', 297);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export function tarball(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    if (e.type === 'dir') parts.push(header(path.endsWith('/') ? path : `${path}/`, e.mode ?? 0o755, 0, '5'));
    else if (e.type === 'symlink') parts.push(header(path, 0o777, 0, '2', e.target));
    else {
      const body = Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content);
      parts.push(header(path, e.mode ?? 0o644, body.length, '0'), body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
