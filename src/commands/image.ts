// `lablb image build`: lablb's own container image (lablb/busybox:1) from Debian's
// busybox-static, imported into the Docker engine: no registry needed. `up` builds it too
// when a lab needs it; the workshop VM builds it at provision time.
import { requireRoot } from '../engine/preflight.js';
import { UserError } from '../errors.js';
import { START_DOCKER_HINT } from '../runtime/docker/docker.js';
import { buildLocalImage, LOCAL_IMAGE } from '../runtime/docker/image.js';
import type { CommandContext } from './context.js';

export async function image(args: string[], ctx: CommandContext): Promise<number> {
  if (args[0] !== 'build' || args.length > 1)
    throw new UserError(`image takes one action: build${args.length ? `, got: ${args.join(' ')}` : ''}`, 'usage: sudo lablb image build');
  requireRoot(ctx.host, 'image build');
  const engine = ctx.host.containers;
  const version = await engine.version();
  if (!version) throw new UserError(`no Docker engine answers at ${engine.endpoint()}`, START_DOCKER_HINT);
  if (await engine.hasImage(LOCAL_IMAGE)) {
    ctx.out(`${LOCAL_IMAGE} is already in the engine at ${engine.endpoint()} (Docker ${version})`);
    return 0;
  }
  const bytes = await buildLocalImage(ctx.host, LOCAL_IMAGE);
  ctx.out(`built ${LOCAL_IMAGE} from busybox-static (${Math.round(bytes / 1024)} KiB) into the engine at ${engine.endpoint()} (Docker ${version})`);
  return 0;
}
