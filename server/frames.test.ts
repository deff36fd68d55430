// Step frames: encoded at full size and per preview size; a frame sharp refuses comes back as a
// failure with sharp's reason instead of throwing (the runner counts it and sends the step on).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { encodeStepFrames } from './frames.js';

test('a good frame is a PNG of its size, with one smaller preview per size asked', async () => {
  const data = new Uint8Array(16 * 32 * 3).fill(200);
  const r = await encodeStepFrames({ size: 16, width: 32, data }, [8, 64]);
  assert.ok(r.ok);
  assert.deepEqual(await sharp(r.png).metadata().then((m) => [m.width, m.height]), [32, 16]);
  assert.deepEqual([...r.variants.keys()], [8], 'no preview larger than the frame');
  assert.deepEqual(await sharp(r.variants.get(8)!).metadata().then((m) => [m.width, m.height]), [16, 8]);
});

test('a frame a row short of its size is refused by sharp and reported, not thrown', async () => {
  const r = await encodeStepFrames({ size: 8, data: new Uint8Array(8 * 7 * 3) }, [4]);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error.length > 0);
});

test('dataUrlJsonLength is the length of the JSON bytesToDataUrls makes, for Buffers, byte arrays and packed images', async () => {
  const { bytesToDataUrls, dataUrlJsonLength } = await import('./frames.js');
  const { packImages } = await import('../protocol/index.js');
  const png = await sharp({ create: { width: 3, height: 3, channels: 3, background: '#f00' } }).png().toBuffer();
  for (const payload of [
    { step: 3, total: 10, frame: png, embeddings: [[0.1, -2e-7], [3, 4]], label: 'a "quoted" ünïcode' },
    { outputs: { image: { kind: 'image', images: packImages([png, new Uint8Array([1, 2]), new Uint8Array(0)]) } }, raw: new Uint8Array([0xff, 0xd8, 1, 2, 3]) },
    { nothing: null, list: [new Uint8Array(7), 'x'] },
  ]) {
    assert.equal(dataUrlJsonLength(payload), JSON.stringify(bytesToDataUrls(payload)).length);
  }
});
