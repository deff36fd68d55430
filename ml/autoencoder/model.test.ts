// The icon autoencoder on a tiny config: shapes, the standardisation measured at export making the
// latent zero-mean and unit-variance per channel, a checkpoint round trip that reproduces outputs,
// training that lowers the loss, and no tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import type { Corpus } from '../data/corpus.js';
import { measureStandardisation, reconstruct } from './export.js';
import { Autoencoder, defaultAutoencoderConfig, latentSide, toUnit } from './model.js';

await initBackend({ log: () => {} });

const tiny = defaultAutoencoderConfig({ channels: [8, 8, 8] });

/** Icons like the corpus's: flat coloured squares on white, 32x32. */
function blocks(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n * 32 * 32 * 3).fill(255);
  let s = seed;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    const [x0, y0, w] = [Math.floor(r() * 16), Math.floor(r() * 16), 8 + Math.floor(r() * 8)];
    const c = [r() * 255, r() * 255, r() * 255];
    for (let y = y0; y < y0 + w; y++) for (let x = x0; x < x0 + w; x++) for (let k = 0; k < 3; k++) out[((i * 32 + y) * 32 + x) * 3 + k] = c[k]!;
  }
  return out;
}
const fakeCorpus = (n: number): Corpus => ({ size: 32, images: blocks(n, 5), entries: Array.from({ length: n }, (_, i) => ({ key: `x:${i}` }) as Corpus['entries'][number]) });
const unit = (bytes: Uint8Array, n: number) => toUnit(bytes, n, 32);

test('shapes: 32x32x3 ⇄ 8x8x4; encode needs the standardisation measured at export', () => {
  const ae = new Autoencoder(tiny, { seed: 1 });
  try {
    assert.equal(latentSide(tiny), 8);
    tf.tidy(() => {
      const z = ae.encodeRaw(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D);
      assert.deepEqual(z.shape, [2, 8, 8, 4]);
      const y = ae.decodeRaw(z);
      assert.deepEqual(y.shape, [2, 32, 32, 3]);
      assert.throws(() => ae.encode(tf.zeros([1, 32, 32, 3]) as tf.Tensor4D), /no latent standardisation/);
    });
  } finally {
    ae.dispose();
  }
});

test('measured standardisation: encoded latents have mean 0 and std 1 per channel; round trip through a checkpoint is exact; no leaks', async () => {
  const corpus = fakeCorpus(40);
  const rows = corpus.entries.map((_, i) => i);
  const before = tf.memory().numTensors;
  const ae = new Autoencoder(tiny, { seed: 3 });
  const std = await measureStandardisation(ae, corpus, rows);
  const ae2 = new Autoencoder({ ...tiny, ...std }, { tensors: ae.store.tensors() });
  ae.dispose();
  try {
    const z = tf.tidy(() => ae2.encode(unit(corpus.images, 40)));
    const v = Array.from(await z.data());
    z.dispose();
    for (let c = 0; c < 4; c++) {
      const xs = v.filter((_, i) => i % 4 === c);
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
      assert.ok(Math.abs(m) < 1e-3, `channel ${c} mean ${m}`);
      assert.ok(Math.abs(sd - 1) < 1e-3, `channel ${c} std ${sd}`);
    }
    const a = await reconstruct(ae2, corpus, rows.slice(0, 4));
    const copy = new Autoencoder(ae2.config, { tensors: ae2.store.tensors() });
    const b = await reconstruct(copy, corpus, rows.slice(0, 4));
    copy.dispose();
    assert.deepEqual(a.bytes, b.bytes, 'the same weights draw the same bytes');
    assert.throws(() => new Autoencoder(tiny, { tensors: { ...ae2.store.tensors(), extra: tf.zeros([1]) } }), /does not use: extra/);
  } finally {
    ae2.dispose();
  }
  assert.ok(tf.memory().numTensors <= before + 1, 'only the refused extra tensor may remain');
});

test('training lowers the reconstruction loss', async () => {
  const ae = new Autoencoder(tiny, { seed: 4 });
  const x = unit(blocks(8, 9), 8);
  const opt = tf.train.adam(3e-3);
  try {
    const lossAt = (i: number) => tf.tidy(() => ae.loss(x, i).dataSync()[0]!);
    const first = lossAt(0);
    for (let i = 0; i < 40; i++) opt.minimize(() => ae.loss(x, i), true, [...ae.store.params.values()])?.dispose();
    const last = lossAt(0);
    assert.ok(last < first * 0.7, `loss ${first} → ${last}`);
  } finally {
    tf.dispose(x);
    opt.dispose();
    ae.dispose();
  }
});
