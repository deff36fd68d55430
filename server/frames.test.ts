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
