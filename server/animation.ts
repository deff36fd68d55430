// A node's denoising steps as an animation (issue 24): every x_t | x0 frame it streamed, scaled up
// with nearest-neighbour (pixels stay pixels), the step and t written under each, as an animated
// WebP (the graph JSON carried in its XMP metadata, as the studio's PNGs carry theirs) or a GIF
// (no metadata: the format has no place sharp writes). Made from the run's log, live or stored.
//
//   GET /api/runs/:runId/animation/:nodeId.webp|.gif   (server/api.ts)
import sharp from 'sharp';
import { imageBytes } from '../nodes/image-input.js';
import type { Graph, RunEvent } from '../protocol/index.js';

export type AnimationFormat = 'webp' | 'gif';

/** One step's frame as PNG bytes, with where the step was. */
export interface StepFrame {
  png: Buffer;
  step: number;
  total: number;
  t?: number;
}

/** At most this many frames go into one animation: longer runs are sampled evenly (the last kept). */
export const MAX_ANIMATION_FRAMES = 120;
/** Frames are scaled to about this width. */
const TARGET_WIDTH = 384;
const CAPTION = 22;

/**
 * The frames of `nodeId`'s steps in a run's log; a frame is PNG bytes (live) or a data: URL
 * (stored). In a sweep, those of one variant (a run without one is all variant 0).
 */
export function stepFrames(log: readonly RunEvent[], nodeId: string, variant = 0): StepFrame[] {
  const out: StepFrame[] = [];
  for (const e of log) {
    if (e.event !== 'node:step' || e.payload.nodeId !== nodeId || (e.payload.variant ?? 0) !== variant) continue;
    const png = imageBytes(e.payload.frame);
    if (png) out.push({ png, step: e.payload.step, total: e.payload.total, ...(e.payload.t !== undefined ? { t: e.payload.t } : {}) });
  }
  return out;
}

/** Every k-th frame so that at most `max` remain, always keeping the last (the result). */
export function sampleFrames<T>(frames: readonly T[], max = MAX_ANIMATION_FRAMES): T[] {
  if (frames.length <= max) return [...frames];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(frames[Math.round((i * (frames.length - 1)) / (max - 1))]!);
  return out;
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** An XMP packet holding the graph, for the WebP's metadata. */
export function graphXmp(graph: Graph): string {
  return `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:unclip="https://github.com/unclip-studio/ns/1.0/"><unclip:graph>${escapeXml(JSON.stringify(graph))}</unclip:graph></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
}

/** The animation of these frames (all the same size: one node's steps are). */
export async function animate(frames: readonly StepFrame[], format: AnimationFormat, opts: { graph?: Graph; delayMs?: number } = {}): Promise<Buffer> {
  if (frames.length === 0) throw new RangeError('no frames to animate');
  const meta = await sharp(frames[0]!.png).metadata();
  const scale = Math.max(1, Math.floor(TARGET_WIDTH / (meta.width ?? TARGET_WIDTH)));
  const width = (meta.width ?? 0) * scale;
  const imageHeight = (meta.height ?? 0) * scale;
  const height = imageHeight + CAPTION;
  const pages = await Promise.all(
    frames.map(async (f) => {
      const caption = `step ${f.step}/${f.total}${f.t !== undefined ? ` · t ${f.t.toFixed(2)}` : ''}   x_t | x0`;
      const text = Buffer.from(`<svg width="${width}" height="${CAPTION}" xmlns="http://www.w3.org/2000/svg"><text x="6" y="16" font-family="sans-serif" font-size="13" fill="#222">${escapeXml(caption)}</text></svg>`);
      const img = await sharp(f.png).removeAlpha().resize(width, imageHeight, { kernel: 'nearest', fit: 'fill' }).raw().toBuffer();
      return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
        .composite([
          { input: img, raw: { width, height: imageHeight, channels: 3 }, top: 0, left: 0 },
          { input: text, top: imageHeight, left: 0 },
        ])
        .removeAlpha()
        .raw()
        .toBuffer();
    }),
  );
  // the last frame (the result) stays up longer
  const delay = frames.map((_, i) => (i === frames.length - 1 ? 1500 : (opts.delayMs ?? 120)));
  const strip = sharp(Buffer.concat(pages), { raw: { width, height: height * pages.length, channels: 3, pageHeight: height } });
  if (format === 'gif') return strip.gif({ loop: 0, delay }).toBuffer();
  const webp = strip.webp({ loop: 0, delay, lossless: true });
  return (opts.graph ? webp.withXmp(graphXmp(opts.graph)) : webp).toBuffer();
}
