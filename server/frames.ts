// Frame and output encoding for the wire: raw RGB → PNG with sharp (its work runs on libuv's
// thread pool, not on the event loop), and binary → data: URLs for JSON (REST, the store).
import sharp from 'sharp';
import { imageList, isPackedImages, packImages, type WireValue } from '../protocol/index.js';
import type { Outputs, RawFrame } from '../nodes/index.js';

export async function encodePng(frame: RawFrame, size?: number): Promise<Buffer> {
  const width = frame.width ?? frame.size;
  let img = sharp(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), { raw: { width, height: frame.size, channels: 3 } });
  // nearest: a preview of a 32x32 image should show its pixels, not a blur. `size` is the
  // preview's height; a wide frame keeps its aspect.
  if (size !== undefined && size < frame.size) img = img.resize(Math.max(1, Math.round((size * width) / frame.size)), size, { kernel: 'nearest' });
  return img.png({ compressionLevel: 3 }).toBuffer();
}

/** A step's frame, encoded once at full size and once per smaller preview size a watcher asked for. */
export type StepFrames = { ok: true; png: Buffer; variants: Map<number, Buffer> } | { ok: false; error: string };

/**
 * Encodes a step's frame and its previews. Never throws: a frame sharp refuses (a node that sent
 * the wrong number of bytes for its size) comes back as `ok: false` with sharp's reason, so the
 * caller can count it, say so, and still send the step.
 */
export async function encodeStepFrames(frame: RawFrame, previewSizes: Iterable<number>): Promise<StepFrames> {
  try {
    const png = await encodePng(frame);
    const variants = new Map<number, Buffer>();
    for (const size of previewSizes) if (size < frame.size) variants.set(size, await encodePng(frame, size));
    return { ok: true, png, variants };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

export async function toWire(outputs: Outputs): Promise<Record<string, WireValue>> {
  const out: Record<string, WireValue> = {};
  for (const [port, v] of Object.entries(outputs)) {
    switch (v.kind) {
      case 'embedding': {
        const vectors: number[][] = [];
        for (let i = 0; i < v.count; i++) vectors.push(Array.from(v.data.subarray(i * v.width, (i + 1) * v.width)));
        out[port] = { kind: 'embedding', space: v.space, width: v.width, vectors, labels: v.labels };
        break;
      }
      case 'image': {
        const px = v.size * v.size * 3;
        const images: Buffer[] = [];
        for (let i = 0; i < v.count; i++) images.push(await encodePng({ size: v.size, data: v.data.subarray(i * px, (i + 1) * px) }));
        // one attachment for all of them (socket.io allows 10 per packet)
        out[port] = { kind: 'image', width: v.size, height: v.size, images: packImages(images), labels: v.labels };
        break;
      }
      default:
        out[port] = v;
    }
  }
  return out;
}

function mimeOf(b: Uint8Array): string {
  if (b[0] === 0x89 && b[1] === 0x50) return 'image/png';
  if (b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57) return 'image/webp';
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  return 'application/octet-stream';
}

/** Characters of a byte array's data: URL. */
function dataUrlLength(b: Uint8Array): number {
  return `data:${mimeOf(b)};base64,`.length + 4 * Math.ceil(b.byteLength / 3);
}

/**
 * The length of JSON.stringify(bytesToDataUrls(v)), measured without base64-encoding anything: a
 * byte array is serialised as "" and its data: URL's length (which needs no JSON escaping) added.
 * The run log sizes every event with it on the runner's path (run-log.ts).
 */
export function dataUrlJsonLength(v: unknown): number {
  let urls = 0;
  const json = JSON.stringify(v, function (this: Record<string, unknown>, key: string, x: unknown) {
    const raw = this[key]; // before toJSON: a Buffer would already be {type, data} in `x`
    if (raw instanceof Uint8Array) {
      urls += dataUrlLength(raw);
      return '';
    }
    if (isPackedImages(raw)) {
      return imageList(raw).map((b) => {
        if (!(b instanceof Uint8Array)) return b; // already a data: URL
        urls += dataUrlLength(b);
        return '';
      });
    }
    return x;
  });
  return (json?.length ?? 0) + urls;
}

/** A deep copy where every byte array is a data: URL, and packed images a list of them (JSON for REST and the store). */
export function bytesToDataUrls<T>(v: T): T {
  const walk = (x: unknown): unknown => {
    if (x instanceof Uint8Array) return `data:${mimeOf(x)};base64,${Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64')}`;
    if (isPackedImages(x)) return imageList(x).map(walk);
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return walk(v) as T;
}
