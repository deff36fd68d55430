// Data-parallel training (ml/decoder/data-parallel.ts): a real worker thread with its own wasm
// backend computes its share of the batch, and the step it makes is the single-threaded step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { DataParallel, packBatch, shares, sliceBatch, unpackBatch } from './data-parallel.js';
import { createDecoderNet, decoderBatch, diffusionLoss, disposeBatch, tinyDecoderConfig } from './model.js';
import { perturb } from './test-util.js';
import { Trainer } from '../training/trainer.js';
import { tinyUpsamplerConfig, upsamplerBatch } from './upsampler.js';

await initBackend({ log: () => {} });

const lcg = (seed: number) => () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const bytes = (n: number, rand: () => number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

test('shares: contiguous, as even as possible, covering every row once', () => {
  assert.deepEqual(shares(32, 2), [[0, 16], [16, 32]]);
  assert.deepEqual(shares(7, 3), [[0, 3], [3, 5], [5, 7]]);
  assert.deepEqual(shares(2, 4), [[0, 1], [1, 2]], 'no empty shares');
  assert.deepEqual(shares(5, 1), [[0, 5]]);
});

test('packBatch/unpackBatch: a share crosses as plain arrays and comes back the same tensors', () => {
  const before = tf.memory().numTensors;
  const up = tinyUpsamplerConfig();
  const rand = lcg(3);
  const b = upsamplerBatch(up, bytes(5 * 64 * 64 * 3, rand), bytes(5 * 32 * 32 * 3, rand), 5, rand, 11);
  const part = sliceBatch(b, 2, 5);
  const back = unpackBatch(packBatch(b, 2, 5));
  try {
    assert.deepEqual(back.x0.shape, [3, 64, 64, 3]);
    assert.equal(back.t.dtype, 'int32');
    assert.deepEqual([...back.t.dataSync()], [...part.t.dataSync()]);
    assert.equal(maxAbsDiff(back.x0, part.x0), 0);
    assert.equal(maxAbsDiff(back.noise, part.noise), 0);
    assert.equal(maxAbsDiff(back.cond.lowres!, part.cond.lowres!), 0);
    assert.deepEqual([...back.cond.augT!.dataSync()], [...part.cond.augT!.dataSync()]);
    assert.equal(back.cond.emb, null, 'the upsampler has no embedding, and none appears');
  } finally {
    for (const x of [b, part, back]) disposeBatch(x);
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.throws(() => unpackBatch([{ key: 'bogus' as never, shape: [1], dtype: 'float32', data: new Float32Array(1) }]), /unknown batch tensor/);
});

test('two threads take the same step as one: loss, gradient norm and every updated weight', async () => {
  const cfg = tinyDecoderConfig(16);
  const rand = lcg(5);
  const n = 6;
  const images = bytes(n * 32 * 32 * 3, rand);
  const emb = Float32Array.from({ length: n * 16 }, () => rand() - 0.5);
  // The same batch for both (same rows, timesteps, noise and dropped rows).
  const batchRand = lcg(9);
  const b = decoderBatch(cfg, images, emb, n, batchRand, 21);
  const nets = [createDecoderNet(cfg, { seed: 4 }), createDecoderNet(cfg, { seed: 4 })];
  nets.forEach((net) => perturb(net));
  const trainers = nets.map((net) => new Trainer(net, { lr: 1e-3, emaDecay: 0.9 }));
  const one = new DataParallel(nets[0]!, 'decoder', 'v', 1);
  const two = new DataParallel(nets[1]!, 'decoder', 'v', 2);
  try {
    const r1 = await one.step(trainers[0]!, b, (x) => diffusionLoss(nets[0]!, 'v', x));
    const r2 = await two.step(trainers[1]!, b, (x) => diffusionLoss(nets[1]!, 'v', x));
    assert.ok(r1.loss > 0 && r1.gradNorm > 0);
    assert.ok(Math.abs(r1.loss - r2.loss) < 1e-5 * r1.loss, `loss ${r1.loss} vs ${r2.loss}`);
    assert.ok(Math.abs(r1.gradNorm - r2.gradNorm) < 1e-4 * r1.gradNorm, `gradient norm ${r1.gradNorm} vs ${r2.gradNorm}`);
    let worst = 0;
    let moved = 0;
    for (const p of nets[0]!.names) {
      worst = Math.max(worst, maxAbsDiff(nets[0]!.params.get(p)!, nets[1]!.params.get(p)!));
      moved = Math.max(moved, maxAbsDiff(nets[0]!.params.get(p)!, trainers[0]!.ema!.get(p)!));
    }
    assert.ok(moved > 1e-5, 'the step changed the weights');
    assert.ok(worst < 1e-5, `weights after the step differ by up to ${worst}`);
    // A second step: the worker sees the updated weights, not the ones it was started with. (The
    // first step created Adam's moments; from here on a step must not add a tensor.)
    const before = tf.memory().numTensors;
    const r3 = await one.step(trainers[0]!, b, (x) => diffusionLoss(nets[0]!, 'v', x));
    const r4 = await two.step(trainers[1]!, b, (x) => diffusionLoss(nets[1]!, 'v', x));
    assert.ok(Math.abs(r3.loss - r4.loss) < 1e-5 * r3.loss, `second step: loss ${r3.loss} vs ${r4.loss}`);
    assert.equal(tf.memory().numTensors, before, 'a data-parallel step leaves no tensor behind');
  } finally {
    await one.close();
    await two.close();
    disposeBatch(b);
    trainers.forEach((t) => t.dispose());
    nets.forEach((net) => net.dispose());
  }
});

test('a step that fails on this thread rejects, and the worker is free for the next step', async () => {
  const cfg = tinyDecoderConfig(16);
  const net = createDecoderNet(cfg, { seed: 1 });
  const dp = new DataParallel(net, 'decoder', 'v', 2);
  const trainer = new Trainer(net, { lr: 1e-3 });
  const rand = lcg(2);
  const img = bytes(4 * 32 * 32 * 3, rand);
  // Embeddings 8 wide for a decoder that takes 16: this thread and the worker both fail. (tfjs
  // keeps the tensors it saved for the backward pass when the forward pass throws, so this path
  // is not leak-free; a training run stops on it.)
  const bad = decoderBatch({ ...cfg, unet: { ...cfg.unet, embDim: 8 } }, img, new Float32Array(4 * 8).fill(0.1), 4, rand, 1);
  const good = decoderBatch(cfg, img, new Float32Array(4 * 16).fill(0.1), 4, rand, 2);
  try {
    await assert.rejects(dp.step(trainer, bad, (x) => diffusionLoss(net, 'v', x)), /embeddings \[2,8\]/);
    assert.equal(trainer.steps, 0, 'no optimiser step was taken');
    const r = await dp.step(trainer, good, (x) => diffusionLoss(net, 'v', x));
    assert.ok(Number.isFinite(r.loss) && (trainer.steps as number) === 1, 'the worker is free again and the next step runs');
  } finally {
    await dp.close();
    disposeBatch(bad);
    disposeBatch(good);
    trainer.dispose();
    net.dispose();
  }
  assert.throws(() => new DataParallel(net, 'decoder', 'v', 0), /positive integer/);
});

test('a step whose worker fails rejects with the worker\'s reason and frees this thread\'s gradients', async () => {
  const cfg = tinyDecoderConfig(16);
  const net = createDecoderNet(cfg, { seed: 1 });
  // The worker is told a parameterisation that does not exist; this thread's loss uses v and works.
  const dp = new DataParallel(net, 'decoder', 'bogus' as never, 2);
  const trainer = new Trainer(net, { lr: 1e-3 });
  const rand = lcg(4);
  const b = decoderBatch(cfg, bytes(4 * 32 * 32 * 3, rand), new Float32Array(4 * 16).fill(0.1), 4, rand, 1);
  const before = tf.memory().numTensors;
  try {
    await assert.rejects(dp.step(trainer, b, (x) => diffusionLoss(net, 'v', x)), /^Error: gradient worker: /);
    assert.equal(tf.memory().numTensors, before, 'this thread\'s gradients were freed');
    assert.equal(trainer.steps, 0);
    // Not stuck "busy": the next step reaches the worker and fails the same way.
    await assert.rejects(dp.step(trainer, b, (x) => diffusionLoss(net, 'v', x)), /^Error: gradient worker: /);
  } finally {
    await dp.close();
    disposeBatch(b);
    trainer.dispose();
    net.dispose();
  }
});
