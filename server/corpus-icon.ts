// GET /api/corpus/icon/:key.png[?size=32|64]: one corpus icon ("noto:red-apple") as a PNG, drawn
// the way the corpus cache and the image-input node draw it (ml/data/corpus.ts#renderIcon), for
// the embedding map's hover thumbnails. Icons only change with the renderer (RENDER_VERSION), so
// the answer is cacheable for a day with an ETag; the last few hundred PNGs stay in memory.
import type http from 'node:http';
import sharp from 'sharp';
import { RENDER_VERSION, renderIcon } from '../ml/data/corpus.js';

const KEY = /^[a-z0-9-]{1,40}:[a-z0-9_-]{1,120}$/;
const KEEP = 512;
const cache = new Map<string, Buffer>();

export type IconAnswer = { ok: true; png: Buffer; etag: string } | { ok: false; status: number; code: 'BAD_REQUEST' | 'UNKNOWN_CORPUS_KEY'; message: string };

/** The PNG of one icon (the key as it stands in the URL path), or why not (400 for a bad size, 404 for a key the corpus does not have). */
export async function corpusIcon(pathKey: string, sizeParam: string | null): Promise<IconAnswer> {
  let key = pathKey;
  try {
    key = decodeURIComponent(pathKey); // "noto%3Ared-apple" as well as "noto:red-apple"
  } catch {
    /* malformed escapes: the key check below refuses it */
  }
  const size = sizeParam === null ? 32 : Number(sizeParam);
  if (size !== 32 && size !== 64) return { ok: false, status: 400, code: 'BAD_REQUEST', message: 'size must be 32 or 64' };
  if (!KEY.test(key)) return { ok: false, status: 404, code: 'UNKNOWN_CORPUS_KEY', message: `no corpus icon "${key}" (keys look like noto:red-apple)` };
  const id = `${size}/${key}`;
  const etag = `"icon-v${RENDER_VERSION}-${size}-${key}"`;
  let png = cache.get(id);
  if (!png) {
    let rgb: Uint8Array;
    try {
      rgb = await renderIcon(key, size);
    } catch (e) {
      return { ok: false, status: 404, code: 'UNKNOWN_CORPUS_KEY', message: (e as Error).message };
    }
    png = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
    if (cache.size >= KEEP) cache.delete(cache.keys().next().value!);
    cache.set(id, png);
  }
  return { ok: true, png, etag };
}

export function sendIcon(req: http.IncomingMessage, res: http.ServerResponse, icon: Extract<IconAnswer, { ok: true }>): void {
  const headers = { 'cache-control': 'public, max-age=86400', etag: icon.etag };
  if (req.headers['if-none-match'] === icon.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': 'image/png', 'content-length': icon.png.length });
  res.end(icon.png);
}
