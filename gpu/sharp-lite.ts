// Stands in for sharp inside the GPU bundle, where libvips (16 MB) would not fit the carry. It
// encodes raw RGB/RGBA pixels to PNG with node:zlib (what `npm run generate` writes); anything
// that needs libvips (SVG plots, resizing, decoding uploads) rejects with a clear message, which
// the bundle's steps record rather than die on.
import { writeFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';

interface Raw {
  width: number;
  height: number;
  channels: number;
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** PNG bytes of 8-bit raw pixels (3 or 4 channels), filter 0 on every row. */
export function encodePng(pixels: Uint8Array, raw: Raw): Buffer {
  const { width, height, channels } = raw;
  if (channels !== 3 && channels !== 4) throw new Error(`sharp-lite encodes 3 or 4 channels, not ${channels}`);
  const stride = width * channels;
  const rows = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) rows.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 3 ? 2 : 6;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const missing = (what: string) => Promise.reject(new Error(`${what} needs libvips, which the GPU bundle leaves out (sharp-lite)`));

class Pipeline {
  constructor(private readonly input: unknown, private readonly raw?: Raw) {}
  png(): this {
    return this;
  }
  composite(): this {
    return this;
  }
  resize(): this {
    return this;
  }
  removeAlpha(): this {
    return this;
  }
  flatten(): this {
    return this;
  }
  async toBuffer(): Promise<Buffer> {
    if (!this.raw || !(this.input instanceof Uint8Array)) return missing('this image operation');
    return encodePng(this.input, this.raw);
  }
  async toFile(path: string): Promise<void> {
    await writeFile(path, await this.toBuffer());
  }
  metadata(): Promise<never> {
    return missing('reading image metadata');
  }
}

function sharp(input?: unknown, opts?: { raw?: Raw }): Pipeline {
  return new Pipeline(input, opts?.raw);
}
sharp.concurrency = (_n?: number): number => 1;
sharp.cache = (_o?: unknown): void => {};

export default sharp;
