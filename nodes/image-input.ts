// An image to start from: corpus icons picked by key ("noto:red-apple"; several keys separated by
// spaces or commas make a batch), or uploaded bytes (PNG, JPEG or WebP; binary over the socket or
// a data: URL in saved JSON). Either way they come out as 32x32 RGB images on white, the size CLIP
// sees. A graph never names a file path.
import sharp from 'sharp';
import { renderIcon } from '../ml/data/corpus.js';
import { rgbFromImage } from '../ml/png.js';
import { checkBatch, defineNode, NodeFailure } from './types.js';
import { imageParamBytes, type Limits } from '../protocol/index.js';

export const IMAGE_SIZE = 32;

/** The bytes of an image param (raw bytes, or a data: URL). */
export function imageBytes(v: unknown): Buffer | null {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (typeof v === 'string') {
    const m = /^data:image\/(?:png|jpeg|webp);base64,([A-Za-z0-9+/=]*)$/.exec(v);
    return m ? Buffer.from(m[1]!, 'base64') : null;
  }
  return null;
}

// what the user is told for bytes the image library cannot read (its own message names its internals)
const NOT_AN_IMAGE = 'upload: the file is not a PNG, JPEG or WebP image';

/** Problems with an image param's bytes (size, pixels, format), read from its header alone. */
export async function checkUpload(v: unknown, limits: Limits): Promise<{ code: 'IMAGE_TOO_LARGE' | 'IMAGE_UNREADABLE'; message: string }[]> {
  const buf = imageBytes(v);
  if (!buf) return [{ code: 'IMAGE_UNREADABLE', message: 'upload: no image bytes' }];
  const n = imageParamBytes(v);
  if (n !== null && n > limits.maxUploadBytes) return []; // already refused by validateGraph
  try {
    // The header alone: width and height without decoding the pixels.
    const meta = await sharp(buf, { limitInputPixels: false }).metadata();
    if (!meta.format || !['png', 'jpeg', 'webp'].includes(meta.format)) return [{ code: 'IMAGE_UNREADABLE', message: `upload: ${meta.format ?? 'unknown'} is not PNG, JPEG or WebP` }];
    const px = (meta.width ?? 0) * (meta.height ?? 0);
    if (px > limits.maxUploadPixels) return [{ code: 'IMAGE_TOO_LARGE', message: `upload: ${meta.width}x${meta.height} = ${px} pixels; at most ${limits.maxUploadPixels}` }];
    return [];
  } catch {
    return [{ code: 'IMAGE_UNREADABLE', message: NOT_AN_IMAGE }];
  }
}

export const imageInputNode = defineNode({
  decl: {
    type: 'image-input',
    version: 1,
    title: 'Image',
    category: 'input',
    description: 'A corpus icon by key (style:name), or an uploaded PNG/JPEG/WebP; made 32x32 on white.',
    inputs: [],
    outputs: [{ name: 'image', title: 'image', type: { kind: 'image' } }],
    params: [
      { name: 'source', title: 'Source', kind: 'enum', default: 'corpus', options: ['corpus', 'upload'] },
      { name: 'key', title: 'Corpus key(s)', kind: 'string', default: 'noto:red-apple', maxLength: 4000, description: 'style:icon-name, e.g. noto:red-apple; several separated by spaces or commas' },
      { name: 'upload', title: 'Upload', kind: 'image', default: null },
    ],
    models: [],
  },
  async check(params, limits) {
    if (params.source !== 'upload') return [];
    if (params.upload === null || params.upload === undefined) return [{ code: 'MISSING_INPUT', message: 'source is "upload" but no image was uploaded', port: 'upload' }];
    return (await checkUpload(params.upload, limits)).map((p) => ({ ...p, port: 'upload' }));
  },
  async execute(ctx) {
    const S = IMAGE_SIZE;
    if (ctx.params.source === 'upload') {
      const buf = imageBytes(ctx.params.upload);
      if (!buf) throw new NodeFailure('IMAGE_UNREADABLE', 'no upload', 'upload');
      let data: Uint8Array;
      try {
        data = await rgbFromImage(buf, S, ctx.limits.maxUploadPixels);
      } catch {
        throw new NodeFailure('IMAGE_UNREADABLE', NOT_AN_IMAGE, 'upload');
      }
      return { image: { kind: 'image', count: 1, size: S, data, labels: ['upload'] } };
    }
    const keys = ctx.params.key.split(/[\s,]+/).filter((k) => k.length > 0);
    if (keys.length === 0) throw new NodeFailure('UNKNOWN_CORPUS_KEY', 'no corpus key given', 'key');
    checkBatch(ctx, keys.length, 'corpus images');
    const data = new Uint8Array(keys.length * S * S * 3); // [N, S, S, 3]
    for (const [i, key] of keys.entries()) {
      ctx.checkCancelled();
      try {
        data.set(await renderIcon(key, S), i * S * S * 3);
      } catch (e) {
        throw new NodeFailure('UNKNOWN_CORPUS_KEY', `${key}: ${(e as Error).message}`, 'key');
      }
    }
    return { image: { kind: 'image', count: keys.length, size: S, data, labels: keys } };
  },
});
