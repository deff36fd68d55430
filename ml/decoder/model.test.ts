// The decoder and upsampler networks and their training step, on randomly initialised weights (no
// trained checkpoint needed). Most tests use the tiny configs (same code, narrow layers); the
// shipped configs are built once to check their shapes and parameter counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { createDecoderNet, decoderBatch, decoderConfig, diffusionLoss, disposeBatch, guidancePair, tinyDecoderConfig } from './model.js';
import { Trainer } from '../training/trainer.js';
import { perturb } from './test-util.js';
import { blur3, createUpsamplerNet, tinyUpsamplerConfig, upsamplerBatch, upsamplerConfig } from './upsampler.js';

await initBackend({ log: () => {} });

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

test('shipped configs: output shapes, parameter counts and stable names', () => {
  const before = tf.memory().numTensors;
  const dec = createDecoderNet(decoderConfig(128));
  const up = createUpsamplerNet(upsamplerConfig());
  try {
    assert.ok(dec.size > 1.5e6 && dec.size < 3e6, `decoder has ${dec.size} parameters`);
    assert.ok(up.size > 0.5e6 && up.size < 2e6, `upsampler has ${up.size} parameters`);
    // Both conditioning paths and the null embedding are parameters with fixed names.
    for (const n of ['clip.null', 'clip.emb.w', 'clip.ctx.w', 'clip.ctx.ln.g', 'd2.0.a.ck.w', 'd2.0.a.cv.w', 'mid.a.q.w', 'u2.0.a.o.w', 'temb.1.w', 'out.w']) assert.ok(dec.params.has(n), n);
    for (const n of ['aug.1.w', 'in.w', 'out.w']) assert.ok(up.params.has(n), n);
    assert.ok(![...up.params.keys()].some((n) => n.startsWith('clip.') || n.includes('.a.')), 'the upsampler has no CLIP input and no attention');
    const [y, z] = tf.tidy(() => [
      dec.apply(tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D, tf.tensor1d([0, 999], 'int32'), { emb: tf.randomNormal([2, 128]) as tf.Tensor2D }),
      up.apply(tf.randomNormal([1, 64, 64, 3]) as tf.Tensor4D, tf.tensor1d([10], 'int32'), { lowres: tf.zeros([1, 64, 64, 3]) as tf.Tensor4D, augT: tf.tensor1d([100], 'int32') }),
    ]);
    assert.deepEqual(y!.shape, [2, 32, 32, 3]);
    assert.deepEqual(z!.shape, [1, 64, 64, 3]);
    tf.dispose([y!, z!]);
  } finally {
    dec.dispose();
    up.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'nets free every tensor on dispose');
});

test('the CLIP embedding conditions the decoder through BOTH paths; the null embedding replaces it where keep = 0', () => {
  const net = createDecoderNet(tinyDecoderConfig(16), { seed: 3 });
  perturb(net);
  try {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const t = tf.tensor1d([400, 400], 'int32');
      const ea = tf.randomNormal([2, 16], 0, 1, 'float32', 2) as tf.Tensor2D;
      const eb = tf.randomNormal([2, 16], 0, 1, 'float32', 3) as tf.Tensor2D;
      const out = (emb: tf.Tensor2D | null, keep?: tf.Tensor1D) => net.apply(x, t, { emb, keep });
      assert.ok(maxAbsDiff(out(ea), out(eb)) > 1e-3, 'different embeddings, different outputs');
      // Scale does not matter (normalised inside).
      assert.ok(maxAbsDiff(out(ea), out(tf.mul(ea, 5) as tf.Tensor2D)) < 1e-4);
      // keep = 0 ignores the embedding and equals the all-null path.
      const zero = tf.zeros([2]) as tf.Tensor1D;
      assert.equal(maxAbsDiff(out(ea, zero), out(eb, zero)), 0);
      assert.ok(maxAbsDiff(out(ea, zero), out(null)) < 1e-6);
      assert.ok(maxAbsDiff(out(null), out(ea)) > 1e-3, 'the null embedding is not just another embedding');
      // Mixed rows: row 0 kept, row 1 null.
      const mixed = out(ea, tf.tensor1d([1, 0]));
      assert.ok(maxAbsDiff(tf.slice(mixed, 0, 1), tf.slice(out(ea), 0, 1)) < 1e-6);
      assert.ok(maxAbsDiff(tf.slice(mixed, 1, 1), tf.slice(out(null), 1, 1)) < 1e-6);
      // guidancePair: one batch [cond; uncond] gives the two separate passes.
      const pair = guidancePair(ea);
      const both = net.apply(tf.concat([x, x]) as tf.Tensor4D, tf.concat([t, t]) as tf.Tensor1D, pair);
      assert.ok(maxAbsDiff(tf.slice(both, 0, 2), out(ea)) < 1e-5);
      assert.ok(maxAbsDiff(tf.slice(both, 2, 2), out(null)) < 1e-5);
    });
    // Each path alone still conditions: silence one, the other must carry the embedding.
    for (const off of ['clip.emb.w', 'clip.ctx.w']) {
      const saved = tf.clone(net.params.get(off)!);
      net.params.get(off)!.assign(tf.zerosLike(saved));
      tf.tidy(() => {
        const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
        const t = tf.tensor1d([400], 'int32');
        const d = maxAbsDiff(net.apply(x, t, { emb: tf.randomNormal([1, 16], 0, 1, 'float32', 2) as tf.Tensor2D }), net.apply(x, t, { emb: tf.randomNormal([1, 16], 0, 1, 'float32', 3) as tf.Tensor2D }));
        assert.ok(d > 1e-4, `with ${off} zeroed the embedding still changes the output (${d})`);
      });
      net.params.get(off)!.assign(saved);
      saved.dispose();
    }
  } finally {
    net.dispose();
  }
});

test('the upsampler is conditioned on its low-res image and on the augmentation level', () => {
  const cfg = tinyUpsamplerConfig();
  const net = createUpsamplerNet(cfg, { seed: 5 });
  perturb(net);
  try {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const t = tf.tensor1d([300], 'int32');
      const la = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
      const lb = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
      const a0 = tf.tensor1d([0], 'int32');
      assert.ok(maxAbsDiff(net.apply(x, t, { lowres: la, augT: a0 }), net.apply(x, t, { lowres: lb, augT: a0 })) > 1e-3);
      assert.ok(maxAbsDiff(net.apply(x, t, { lowres: la, augT: a0 }), net.apply(x, t, { lowres: la, augT: tf.tensor1d([200], 'int32') })) > 1e-4);
      // Blur keeps a flat image flat (mirrored edges: no dark border on a white background).
      assert.ok(maxAbsDiff(blur3(tf.ones([1, 8, 8, 3]) as tf.Tensor4D), tf.ones([1, 8, 8, 3])) < 1e-6);
    });
    // A training batch: shapes, and the conditioning image is the upsampled 32x32 one.
    let r = 1;
    const rand = () => ((r = (r * 16807) % 2147483647) / 2147483647);
    const b = upsamplerBatch(cfg, new Uint8Array(2 * 64 * 64 * 3).fill(255), new Uint8Array(2 * 32 * 32 * 3).fill(255), 2, rand, 9);
    assert.deepEqual(b.x0.shape, [2, 64, 64, 3]);
    assert.deepEqual(b.cond.lowres!.shape, [2, 64, 64, 3]);
    assert.deepEqual(b.cond.augT!.shape, [2]);
    // Residual mode learns (x₀ − bilinear base)·k: white on white leaves nothing to learn; the plain mode's x₀ is the image.
    assert.equal(cfg.residual, 2);
    assert.ok(tf.max(tf.abs(b.x0)).dataSync()[0]! < 1e-5);
    disposeBatch(b);
    const plain = upsamplerBatch({ ...cfg, residual: 0 }, new Uint8Array(2 * 64 * 64 * 3).fill(255), new Uint8Array(2 * 32 * 32 * 3).fill(255), 2, rand, 9);
    assert.ok(tf.min(plain.x0).dataSync()[0]! > 1 - 1e-5);
    disposeBatch(plain);
  } finally {
    net.dispose();
  }
});

test('a training step lowers the loss on a tiny fixed batch (20 steps) and leaks no tensors', async () => {
  const cfg = tinyDecoderConfig(16);
  const net = createDecoderNet(cfg, { seed: 11 });
  const trainer = new Trainer(net, { lr: 3e-3, emaDecay: 0.99 });
  // Four fixed "images" (coloured squares on white) and embeddings; fixed t and noise every step.
  const imgs = new Uint8Array(4 * 32 * 32 * 3).fill(255);
  for (let i = 0; i < 4; i++) {
    for (let y = 8; y < 24; y++) for (let x = 8; x < 24; x++) imgs.set([i * 60, 200 - i * 40, 50 + i * 50], ((i * 32 + y) * 32 + x) * 3);
  }
  const emb = Float32Array.from({ length: 4 * 16 }, (_, k) => Math.sin(k * 1.7));
  let r = 5;
  const rand = () => ((r = (r * 16807) % 2147483647) / 2147483647);
  const batch = decoderBatch({ ...cfg, condDrop: 0 }, imgs, emb, 4, rand, 3);
  try {
    const losses: number[] = [];
    let tensorsAfterFirst = 0;
    for (let i = 0; i < 20; i++) {
      losses.push((await trainer.step(() => diffusionLoss(net, cfg.prediction, batch))).loss);
      if (i === 0) tensorsAfterFirst = tf.memory().numTensors; // Adam's moments exist from here on
    }
    assert.equal(tf.memory().numTensors, tensorsAfterFirst, 'steps 2..20 leave no tensors behind');
    const first = losses[0]!;
    const last = Math.min(...losses.slice(-3));
    assert.ok(last < 0.75 * first, `loss went ${first.toFixed(4)} → ${last.toFixed(4)} (${losses.map((l) => l.toFixed(3)).join(' ')})`);
    // The EMA moved away from the initial weights but lags the raw ones.
    const p = 'd0.0.c1.w';
    const dEma = maxAbsDiff(trainer.ema!.get(p)!, net.params.get(p)!);
    assert.ok(dEma > 0, 'EMA differs from the raw weights');
  } finally {
    disposeBatch(batch);
    trainer.dispose();
    net.dispose();
  }
});

test('resume is exact: training state saved and restored continues with the same next step', async () => {
  const cfg = tinyDecoderConfig(16);
  const imgs = new Uint8Array(2 * 32 * 32 * 3).map((_, k) => (k * 37) % 256);
  const emb = Float32Array.from({ length: 2 * 16 }, (_, k) => Math.cos(k));
  const mk = (seed: number) => {
    let r = seed;
    return decoderBatch(cfg, imgs, emb, 2, () => ((r = (r * 16807) % 2147483647) / 2147483647), seed);
  };
  const a = createDecoderNet(cfg, { seed: 1 });
  const ta = new Trainer(a, { lr: 1e-3, emaDecay: 0.9 });
  const b1 = mk(1);
  const b2 = mk(2);
  try {
    // Three steps first: Adam's bias-correction powers must come back as they were, not recomputed.
    for (let i = 0; i < 3; i++) await ta.step(() => diffusionLoss(a, cfg.prediction, b1));
    // "Checkpoint": weights and trainer state as plain copies, as saveCheckpoint/loadCheckpoint would give.
    const state = await ta.state();
    const saved = Object.fromEntries(Object.entries(state).map(([k, t]) => [k, tf.clone(t)]));
    state['adam/iterations']?.dispose();
    const weights = Object.fromEntries(Object.entries(a.tensors()).map(([k, t]) => [k, tf.clone(t)]));
    const b = createDecoderNet(cfg, { tensors: weights });
    const tb = new Trainer(b, { lr: 1e-3, emaDecay: 0.9 });
    await tb.restore(saved, ta.steps);
    tf.dispose([...Object.values(saved), ...Object.values(weights)]);
    const la = (await ta.step(() => diffusionLoss(a, cfg.prediction, b2))).loss;
    const lb = (await tb.step(() => diffusionLoss(b, cfg.prediction, b2))).loss;
    assert.equal(lb, la);
    for (const n of a.names) {
      assert.equal(maxAbsDiff(a.params.get(n)!, b.params.get(n)!), 0, `param ${n}`);
      assert.equal(maxAbsDiff(ta.ema!.get(n)!, tb.ema!.get(n)!), 0, `ema ${n}`);
    }
    tb.dispose();
    b.dispose();
  } finally {
    disposeBatch(b1);
    disposeBatch(b2);
    ta.dispose();
    a.dispose();
  }
});

test('a checkpoint that does not fit the config is refused', () => {
  const cfg = tinyDecoderConfig(16);
  const a = createDecoderNet(cfg);
  const tensors = { ...a.tensors(), 'extra.w': tf.zeros([1]) };
  assert.throws(() => createDecoderNet(cfg, { tensors }), /does not use: extra\.w/);
  const missing = { ...a.tensors() };
  delete missing['clip.null'];
  assert.throws(() => createDecoderNet(cfg, { tensors: missing }), /lacks parameter clip\.null/);
  assert.throws(() => createDecoderNet(tinyDecoderConfig(32), { tensors: a.tensors() }), /shape/);
  tensors['extra.w'].dispose();
  a.dispose();
});
