// Parts grown onto a trained s2d net, the full-resolution refinement head (UNetConfig.refine) and
// the position code (UNetConfig.pos): the grown net computes exactly what the old one did, the
// part then trains, and the optimiser state restores around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { positionFeatures } from './unet-blocks.js';
import { type DecoderConfig, createDecoderNet, decoderBatch, decoderConfig, diffusionLoss, disposeBatch } from './model.js';
import { perturb } from './test-util.js';
import { Trainer } from '../training/trainer.js';

await initBackend({ log: () => {} });

const tinyS2d = (refine?: number, pos?: boolean): DecoderConfig => decoderConfig(16, { channels: [8, 16, 32], heads: 2, tdim: 32, stem: 's2d', attnRes: [8], refine, pos });
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
const copy = (r: Record<string, tf.Tensor>) => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, tf.clone(t)]));

function batch(cfg: DecoderConfig, seed: number) {
  let r = seed;
  const imgs = new Uint8Array(2 * 32 * 32 * 3).map((_, k) => (k * 37 + seed) % 256);
  return decoderBatch(cfg, imgs, Float32Array.from({ length: 2 * 16 }, (_, k) => Math.cos(k + seed)), 2, () => ((r = (r * 16807) % 2147483647) / 2147483647), seed);
}

test('growing a refinement head onto a trained s2d net leaves its output unchanged, and the head is live', () => {
  const before = tf.memory().numTensors;
  const old = createDecoderNet(tinyS2d(), { seed: 2 });
  perturb(old);
  const weights = copy(old.tensors());
  assert.throws(() => createDecoderNet(tinyS2d(8), { tensors: weights }), /checkpoint lacks parameter refine\./, 'without grow, a missing parameter is an error');
  const grown = createDecoderNet(tinyS2d(8), { tensors: weights, grow: true });
  tf.dispose(Object.values(weights));
  try {
    assert.deepEqual([...grown.grown].sort(), grown.names.filter((n) => n.startsWith('refine.')), 'exactly the head is new');
    assert.ok(grown.grown.length >= 8);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const t = tf.tensor1d([10, 700], 'int32');
    const emb = tf.randomNormal([2, 16], 0, 1, 'float32', 4) as tf.Tensor2D;
    const y0 = tf.tidy(() => old.apply(x, t, { emb }));
    const y1 = tf.tidy(() => grown.apply(x, t, { emb }));
    assert.equal(maxAbsDiff(y0, y1), 0, 'the zero-initialised head adds exactly nothing');
    // Nudge only the head: now it changes the output, at full resolution (per pixel, not per 2x2 patch).
    tf.tidy(() => {
      for (const n of grown.grown) grown.params.get(n)!.assign(tf.add(grown.params.get(n)!, tf.randomNormal(grown.params.get(n)!.shape, 0, 0.1, 'float32', 9)));
    });
    const y2 = tf.tidy(() => grown.apply(x, t, { emb }));
    assert.ok(maxAbsDiff(y0, y2) > 1e-3, 'a trained head changes the output');
    tf.dispose([x, t, emb, y0, y1, y2]);
  } finally {
    old.dispose();
    grown.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.throws(() => createDecoderNet(decoderConfig(16, { channels: [8, 16, 32], heads: 2, tdim: 32, refine: 8 })), /needs the s2d stem/);
});

test('a resumed run that grows the head restores Adam around it (zero moments for the head) and trains it', async () => {
  const a = createDecoderNet(tinyS2d(), { seed: 1 });
  const ta = new Trainer(a, { lr: 1e-3, emaDecay: 0.9 });
  const b1 = batch(tinyS2d(), 1);
  try {
    for (let i = 0; i < 3; i++) await ta.step(() => diffusionLoss(a, 'v', b1));
    const state = await ta.state();
    const saved = copy(state);
    state['adam/iterations']?.dispose();
    const weights = copy(a.tensors());
    const g = createDecoderNet(tinyS2d(8), { tensors: weights, grow: true });
    const tg = new Trainer(g, { lr: 1e-3, emaDecay: 0.9 });
    const before = tf.memory().numTensors;
    await tg.restore(saved, ta.steps);
    assert.equal(tf.memory().numTensors - before, 2 * g.names.length, 'restore adds the two Adam moments per parameter and nothing else');
    tf.dispose([...Object.values(saved), ...Object.values(weights)]);
    try {
      // The trunk continues exactly as the old run would have; the head starts moving.
      const la = (await ta.step(() => diffusionLoss(a, 'v', b1))).loss;
      const lg = (await tg.step(() => diffusionLoss(g, 'v', b1))).loss;
      assert.ok(Math.abs(la - lg) < 1e-6, `the first step's loss is the old net's (${la} vs ${lg})`);
      const out = g.params.get('refine.out.w')!;
      assert.ok(tf.tidy(() => tf.max(tf.abs(out)).dataSync()[0]!) > 0, 'the head\'s output conv left zero');
      const st = await tg.state();
      for (const n of g.grown) assert.ok(st[`adam/m/${n}`] && st[`ema/${n}`], `${n} has Adam moments and an EMA`);
      st['adam/iterations']?.dispose();
    } finally {
      tg.dispose();
      g.dispose();
    }
  } finally {
    disposeBatch(b1);
    ta.dispose();
    a.dispose();
  }
});

test('the position code: fixed Fourier features of the cell centres, grown on with the function unchanged, and live', () => {
  const f = positionFeatures(4);
  assert.deepEqual(f.shape, [16, 20]);
  const rows = f.arraySync();
  // Cell (0, 0) has u = v = -0.75; feature 1 is cos(π·0.5·u), feature 3 cos(π·0.5·v).
  assert.ok(Math.abs(rows[0]![1]! - Math.cos(Math.PI * 0.5 * -0.75)) < 1e-6);
  assert.ok(Math.abs(rows[0]![0]! - Math.sin(Math.PI * 0.5 * -0.75)) < 1e-6);
  assert.ok(Math.abs(rows[1]![0]! - Math.sin(Math.PI * 0.5 * -0.25)) < 1e-6, 'the second cell is one step along u (row-major)');
  assert.ok(Math.abs(rows[4]![2]! - Math.sin(Math.PI * 0.5 * -0.25)) < 1e-6, 'the fifth cell is one step along v');
  f.dispose();

  const before = tf.memory().numTensors;
  const old = createDecoderNet(tinyS2d(8), { seed: 2 });
  perturb(old);
  const weights = copy(old.tensors());
  const grown = createDecoderNet(tinyS2d(8, true), { tensors: weights, grow: true });
  tf.dispose(Object.values(weights));
  try {
    assert.deepEqual(grown.grown, ['pos.w'], 'exactly the code\'s matrix is new');
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const t = tf.tensor1d([999, 999], 'int32');
    const emb = tf.randomNormal([2, 16], 0, 1, 'float32', 4) as tf.Tensor2D;
    const y0 = tf.tidy(() => old.apply(x, t, { emb }));
    const y1 = tf.tidy(() => grown.apply(x, t, { emb }));
    assert.equal(maxAbsDiff(y0, y1), 0, 'the zero matrix adds exactly nothing');
    tf.tidy(() => grown.params.get('pos.w')!.assign(tf.randomNormal([20, 8], 0, 1, 'float32', 9)));
    const y2 = tf.tidy(() => grown.apply(x, t, { emb }));
    assert.ok(maxAbsDiff(y0, y2) > 1e-3, 'a trained code changes the output');
    tf.dispose([x, t, emb, y0, y1, y2]);
  } finally {
    old.dispose();
    grown.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
});
