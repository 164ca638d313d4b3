// With --debug, how hard the live screen worked: frames drawn and their cost.
import type { FrameStats } from '../ui/app.js';

export function frameStats(s: FrameStats): string {
  const avg = s.frames ? s.renderMs / s.frames : 0;
  return `lablb: screen drew ${s.frames} frames in ${s.seconds.toFixed(1)} s (${(s.frames / Math.max(s.seconds, 0.001)).toFixed(1)}/s), ${avg.toFixed(1)} ms each`;
}
