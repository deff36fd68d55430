// GET /api/corpus/icon/:key.png[?size=32|64]: one corpus icon ("noto:red-apple") as a PNG, drawn
// the way the corpus cache and the image-input node draw it (ml/data/corpus.ts#renderIcon), for
// the embedding map's hover thumbnails. Icons only change with the renderer (RENDER_VERSION), so
// the answer is cacheable for a day with an ETag; the last few hundred PNGs stay in memory.
// Icons are drawn on a thread of their own (server/icon-worker.ts), started on the first request
// and ended after a minute without one: the icon sets it parses are too big for the socket thread.
import type http from 'node:http';
import { Worker } from 'node:worker_threads';
import { RENDER_VERSION } from '../ml/data/corpus.js';
import type { IconReply, IconRequest } from './icon-worker.js';

const KEY = /^[a-z0-9-]{1,40}:[a-z0-9_-]{1,120}$/;
const KEEP = 512;
const cache = new Map<string, Buffer>();
const IDLE_MS = 60_000;

let thread: { worker: Worker; pending: Map<number, (r: IconReply) => void>; idle?: NodeJS.Timeout } | undefined;
let nextId = 1;

/** Draws one icon on the icon thread (starting it if needed): its PNG, or why not. */
function draw(key: string, size: 32 | 64): Promise<IconReply> {
  if (!thread) {
    // icon-worker.ts is TypeScript: register tsx's hooks in the thread first (as server/pool.ts does)
    const entry = new URL('./icon-worker.ts', import.meta.url).href;
    const worker = new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
    const t = { worker, pending: new Map<number, (r: IconReply) => void>() };
    worker.on('message', (r: IconReply) => {
      const answer = t.pending.get(r.id);
      t.pending.delete(r.id);
      answer?.(r);
    });
    const fail = (why: string) => {
      if (thread === t) thread = undefined;
      const pending = [...t.pending];
      t.pending.clear();
      for (const [id, answer] of pending) answer({ id, error: why, failed: true });
    };
    worker.on('error', (e) => fail(`the icon thread failed: ${e.message}`));
    worker.on('exit', (code) => fail(`the icon thread exited (${code})`));
    worker.unref(); // it never holds the process open
    thread = t;
  }
  const t = thread;
  clearTimeout(t.idle);
  const id = nextId++;
  return new Promise((resolve) => {
    t.pending.set(id, (r) => {
      resolve(r);
      if (t.pending.size === 0 && thread === t) {
        t.idle = setTimeout(() => {
          thread = undefined;
          void t.worker.terminate();
        }, IDLE_MS).unref();
      }
    });
    t.worker.postMessage({ id, key, size } satisfies IconRequest);
  });
}

export type IconAnswer = { ok: true; png: Buffer; etag: string } | { ok: false; status: number; code: 'BAD_REQUEST' | 'UNKNOWN_CORPUS_KEY' | 'INTERNAL'; message: string };

/** The PNG of one icon (the key as it stands in the URL path), or why not (400 for a bad size, 404 for a key the corpus does not have). */
export async function corpusIcon(pathKey: string, sizeParam: string | null): Promise<IconAnswer> {
  let key = pathKey;
  try {
    key = decodeURIComponent(pathKey); // "noto%3Ared-apple" as well as "noto:red-apple"
  } catch {
    /* malformed escapes: the key check below refuses it */
  }
  const size = sizeParam === null ? 32 : Number(sizeParam) as 32 | 64;
  if (size !== 32 && size !== 64) return { ok: false, status: 400, code: 'BAD_REQUEST', message: 'size must be 32 or 64' };
  if (!KEY.test(key)) return { ok: false, status: 404, code: 'UNKNOWN_CORPUS_KEY', message: `no corpus icon "${key}" (keys look like noto:red-apple)` };
  const id = `${size}/${key}`;
  const etag = `"icon-v${RENDER_VERSION}-${size}-${key}"`;
  let png = cache.get(id);
  if (!png) {
    const r = await draw(key, size);
    if ('error' in r) return r.failed ? { ok: false, status: 500, code: 'INTERNAL', message: r.error } : { ok: false, status: 404, code: 'UNKNOWN_CORPUS_KEY', message: r.error };
    png = Buffer.from(r.png.buffer, r.png.byteOffset, r.png.byteLength);
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
