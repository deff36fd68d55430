// The corpus icon thread (server/corpus-icon.ts starts it on demand): draws one icon per request.
// The icon sets are 60 MB of JSON (noto alone 25 MB); parsing one on the socket thread stalled
// every client and /healthz for seconds, and kept the parsed sets there for good. Here they live
// in a thread that ends when idle, taking their memory with it.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { renderIcon } from '../ml/data/corpus.js';

export type IconRequest = { id: number; key: string; size: 32 | 64 };
/** `failed`: the thread itself failed (not the key) */
export type IconReply = { id: number; png: Uint8Array } | { id: number; error: string; failed?: boolean };

const port = parentPort!;
port.on('message', async ({ id, key, size }: IconRequest) => {
  try {
    const rgb = await renderIcon(key, size);
    const png = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
    port.postMessage({ id, png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) } satisfies IconReply);
  } catch (e) {
    port.postMessage({ id, error: (e as Error).message } satisfies IconReply);
  }
});
