// A mask for the decoder's inpainting (issue 25): an image that is white where the decoder should
// draw anew and black where it keeps the image. A rectangle or an ellipse given as fractions of the
// image (left, top, width, height), or a bitmap painted in the studio (saved in the graph as a PNG
// data: URL, like uploads; light pixels = redraw). Linked to the image being edited, the mask takes
// its size and the studio paints over it; alone it is 32x32. Pure arithmetic: same params, same bytes.
import sharp from 'sharp';
import { checkUpload, IMAGE_SIZE, imageBytes } from './image-input.js';
import { defineNode, NodeFailure, optional } from './types.js';

const fraction = <N extends string>(name: N, title: string, def: number) => ({ name, title, kind: 'number', default: def, min: 0, max: 1 }) as const;

/** 1 where pixel (row i, column j) of an S×S grid lies in the shape (pixel centres tested). */
export function shapeMask(shape: 'rectangle' | 'circle', box: { left: number; top: number; width: number; height: number }, S: number): Uint8Array {
  const out = new Uint8Array(S * S);
  const cx = box.left + box.width / 2;
  const cy = box.top + box.height / 2;
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      const x = (j + 0.5) / S;
      const y = (i + 0.5) / S;
      let inside: boolean;
      if (shape === 'rectangle') inside = x >= box.left && x < box.left + box.width && y >= box.top && y < box.top + box.height;
      else {
        const dx = box.width > 0 ? (x - cx) / (box.width / 2) : Infinity;
        const dy = box.height > 0 ? (y - cy) / (box.height / 2) : Infinity;
        inside = dx * dx + dy * dy <= 1;
      }
      out[i * S + j] = inside ? 1 : 0;
    }
  }
  return out;
}

/** 1 where a painted bitmap is light (transparent reads as black: keep), resized to S×S. */
export async function paintedMask(buf: Buffer, S: number, maxPixels: number): Promise<Uint8Array> {
  const grey = await sharp(buf, { limitInputPixels: maxPixels })
    .flatten({ background: '#000000' })
    .resize(S, S, { fit: 'fill', kernel: 'nearest' })
    .greyscale()
    .raw()
    .toBuffer();
  return Uint8Array.from(grey, (v) => (v >= 128 ? 1 : 0));
}

export const maskNode = defineNode({
  decl: {
    type: 'mask',
    version: 1,
    title: 'Mask',
    category: 'input',
    description: 'Where the decoder redraws an image (white) and what it keeps (black): a rectangle, an ellipse, or painted in the studio over the linked image.',
    inputs: [{ name: 'image', title: 'image (to paint over)', type: { kind: 'image' }, required: false }],
    outputs: [{ name: 'mask', title: 'mask', type: { kind: 'image' } }],
    params: [
      { name: 'shape', title: 'Shape', kind: 'enum', default: 'rectangle', options: ['rectangle', 'circle', 'painted'] },
      fraction('left', 'Left (fraction)', 0),
      fraction('top', 'Top (fraction)', 0),
      fraction('width', 'Width (fraction)', 1),
      fraction('height', 'Height (fraction)', 0.5),
      { name: 'invert', title: 'Invert (keep the shape, redraw the rest)', kind: 'boolean', default: false },
      { name: 'painted', title: 'Painted mask', kind: 'image', default: null, description: 'painted in the studio (light = redraw)' },
    ] as const,
    models: [],
  },
  async check(params, limits) {
    if (params.shape !== 'painted') return [];
    if (params.painted === null) return [{ code: 'MISSING_INPUT', message: 'shape is "painted" but nothing was painted', port: 'painted' }];
    return (await checkUpload(params.painted, limits)).map((p) => ({ ...p, port: 'painted' }));
  },
  async execute(ctx) {
    const S = optional(ctx, 'image', 'image')?.size ?? IMAGE_SIZE;
    const p = ctx.params;
    let on: Uint8Array;
    if (p.shape === 'painted') {
      const buf = p.painted === null ? null : imageBytes(p.painted);
      if (!buf) throw new NodeFailure('MISSING_INPUT', 'shape is "painted" but nothing was painted', 'painted');
      try {
        on = await paintedMask(buf, S, ctx.limits.maxUploadPixels);
      } catch (e) {
        throw new NodeFailure('IMAGE_UNREADABLE', `painted mask: ${(e as Error).message}`, 'painted');
      }
    } else {
      on = shapeMask(p.shape, p, S);
    }
    const data = new Uint8Array(S * S * 3);
    for (let k = 0; k < S * S; k++) data.fill((on[k]! ^ (p.invert ? 1 : 0)) * 255, k * 3, k * 3 + 3);
    return { mask: { kind: 'image', count: 1, size: S, data, labels: [p.invert ? `${p.shape} (inverted)` : p.shape] } };
  },
});
