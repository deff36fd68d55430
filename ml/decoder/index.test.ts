// The decoder/upsampler API (loadDecoder/decode, loadUpsampler/upsample) on randomly initialised
// models saved to a temporary folder: no trained weights needed. What is checked: output shapes
// and range, the per-step callback's images, seeded determinism, a checkpoint round-trip that
// reproduces outputs bit for bit, cancellation that frees every tensor, and no tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { cosineSchedule } from '../diffusion/index.js';
import { loadDecoder, loadUpsampler, makeDecoder, makeUpsampler, type ImageStepInfo } from './index.js';
import { decoderConfig, tinyDecoderConfig } from './model.js';
import { perturb } from './test-util.js';
import { tinyUpsamplerConfig } from './upsampler.js';

await initBackend({ log: () => {} });

const root = mkdtempSync(join(tmpdir(), 'decoder-api-test-'));
const decDir = join(root, 'decoder');
const upDir = join(root, 'upsampler');
{
  // Random weights, nudged so the zero-initialised output layers do not make every output 0.
  const d = makeDecoder(tinyDecoderConfig(16), undefined, { seed: 2 });
  perturb(d.net, 0.05, 1);
  d.save(decDir);
  d.dispose();
  const u = makeUpsampler(tinyUpsamplerConfig(), undefined, { seed: 3 });
  perturb(u.net, 0.05, 2);
  u.save(upDir);
  u.dispose();
}
test.after(() => rmSync(root, { recursive: true, force: true }));

const emb = () => tf.randomNormal([2, 16], 0, 1, 'float32', 42) as tf.Tensor2D;
const same = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!) === 0;

test('decode: [N, 32, 32, 3] in [0, 1], same seed → identical, other seed → different, no leaks', async () => {
  const dec = await loadDecoder(decDir);
  const e = emb();
  const before = tf.memory().numTensors;
  try {
    const a = await dec.decode({ embeddings: e, steps: 4, sampler: 'dpmpp2m', guidance: 3, seed: 7 });
    const b = await dec.decode({ embeddings: e, steps: 4, sampler: 'dpmpp2m', guidance: 3, seed: 7 });
    const c = await dec.decode({ embeddings: e, steps: 4, sampler: 'dpmpp2m', guidance: 3, seed: 8 });
    assert.deepEqual(a.shape, [2, 32, 32, 3]);
    const v = await a.data();
    assert.ok(v.every((x) => x >= 0 && x <= 1), 'values in [0, 1]');
    assert.ok(same(a, b), 'same seed, same images');
    assert.ok(!same(a, c), 'another seed, other images');
    // Guidance changes the result; guidance 1 runs the unguided path.
    const g1 = await dec.decode({ embeddings: e, steps: 4, sampler: 'ddim', guidance: 1, seed: 7 });
    const g3 = await dec.decode({ embeddings: e, steps: 4, sampler: 'ddim', guidance: 3, seed: 7 });
    assert.ok(!same(g1, g3));
    const p = await dec.decode({ embeddings: e, steps: 3, sampler: 'ddpm', seed: 1 });
    tf.dispose([a, b, c, g1, g3, p]);
    assert.equal(tf.memory().numTensors, before, 'decode leaves only its outputs (now disposed)');
  } finally {
    e.dispose();
    dec.dispose();
  }
});

test('a checkpoint round-trip reproduces decode bit for bit', async () => {
  const dec = await loadDecoder(decDir);
  const dir2 = join(root, 'decoder-copy');
  dec.save(dir2);
  const dec2 = await loadDecoder(dir2);
  const e = emb();
  try {
    const a = await dec.decode({ embeddings: e, steps: 3, seed: 5 });
    const b = await dec2.decode({ embeddings: e, steps: 3, seed: 5 });
    assert.ok(same(a, b));
    tf.dispose([a, b]);
  } finally {
    e.dispose();
    dec.dispose();
    dec2.dispose();
  }
});

test('onStep sees every step with x_t and the predicted x0 as images in [0, 1]', async () => {
  const dec = await loadDecoder(decDir);
  const e = emb();
  const seen: Array<{ step: number; total: number; t: number; xt: number[]; x0: number[]; lo: number; hi: number }> = [];
  try {
    const out = await dec.decode({
      embeddings: e,
      steps: 5,
      seed: 1,
      onStep: (s: ImageStepInfo) => {
        const v = [...(s.xt.dataSync() as Float32Array), ...(s.x0pred.dataSync() as Float32Array)];
        seen.push({ step: s.step, total: s.total, t: s.t, xt: s.xt.shape, x0: s.x0pred.shape, lo: Math.min(...v), hi: Math.max(...v) });
      },
    });
    assert.deepEqual(seen.map((s) => s.step), [1, 2, 3, 4, 5]);
    assert.ok(seen.every((s) => s.total === 5 && s.lo >= 0 && s.hi <= 1));
    assert.deepEqual(seen[0]!.xt, [2, 32, 32, 3]);
    assert.deepEqual(seen[0]!.x0, [2, 32, 32, 3]);
    assert.equal(seen[0]!.t, 999);
    // After the last step x_t is the output.
    out.dispose();
  } finally {
    e.dispose();
    dec.dispose();
  }
});

test('aborting decode and upsample mid-way rejects with AbortError and frees every tensor', async () => {
  const dec = await loadDecoder(decDir);
  const up = await loadUpsampler(upDir);
  const e = emb();
  const imgs = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  try {
    const ac = new AbortController();
    await assert.rejects(dec.decode({ embeddings: e, steps: 6, guidance: 2, signal: ac.signal, onStep: (s) => void (s.step === 2 && ac.abort()) }), { name: 'AbortError' });
    assert.equal(tf.memory().numTensors, before);
    const ac2 = new AbortController();
    await assert.rejects(up.upsample({ images: imgs, steps: 4, signal: ac2.signal, onStep: (s) => void (s.step === 1 && ac2.abort()) }), { name: 'AbortError' });
    assert.equal(tf.memory().numTensors, before);
    const ac3 = new AbortController();
    ac3.abort();
    await assert.rejects(dec.decode({ embeddings: e, steps: 3, signal: ac3.signal }), { name: 'AbortError' });
    assert.equal(tf.memory().numTensors, before);
  } finally {
    tf.dispose([e, imgs]);
    dec.dispose();
    up.dispose();
  }
});

test('upsample: [N, 64, 64, 3] in [0, 1], deterministic per seed, no leaks; wrong inputs are refused', async () => {
  const up = await loadUpsampler(upDir);
  const imgs = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  try {
    const a = await up.upsample({ images: imgs, steps: 3, seed: 4 });
    const b = await up.upsample({ images: imgs, steps: 3, seed: 4 });
    const c = await up.upsample({ images: imgs, steps: 3, seed: 4, augLevel: 0 });
    assert.deepEqual(a.shape, [2, 64, 64, 3]);
    assert.ok((await a.data()).every((x) => x >= 0 && x <= 1));
    assert.ok(same(a, b));
    assert.ok(!same(a, c), 'the augmentation level matters');
    tf.dispose([a, b, c]);
    assert.equal(tf.memory().numTensors, before);
    const small = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    await assert.rejects(up.upsample({ images: small, steps: 2 }), /takes \[N, 32, 32, 3\]/);
    small.dispose();
  } finally {
    imgs.dispose();
    up.dispose();
  }
  await assert.rejects(loadUpsampler(decDir), /not a upsampler/);
  await assert.rejects(loadDecoder(upDir), /not a decoder/);
});

test('the shipped decoder config decodes through the API (batch 1, guidance, 2 steps)', async () => {
  const d = makeDecoder(decoderConfig(128), undefined, { seed: 9 });
  const dir = join(root, 'full');
  d.save(dir);
  d.dispose();
  const dec = await loadDecoder(dir);
  const e = tf.randomNormal([1, 128]) as tf.Tensor2D;
  try {
    const before = tf.memory().numTensors;
    const out = await dec.decode({ embeddings: e, steps: 2, guidance: 3, seed: 1 });
    assert.deepEqual(out.shape, [1, 32, 32, 3]);
    out.dispose();
    assert.equal(tf.memory().numTensors, before);
    const narrow = tf.zeros([1, 64]) as tf.Tensor2D;
    await assert.rejects(dec.decode({ embeddings: narrow }), /takes \[N, 128\]/);
    narrow.dispose();
    assert.equal(dec.clipMismatch('abc'), null, 'a decoder without a recorded CLIP hash never complains');
    const trained = makeDecoder({ ...tinyDecoderConfig(16), clipHash: 'a'.repeat(64) });
    assert.equal(trained.clipMismatch('a'.repeat(64)), null);
    assert.match(trained.clipMismatch('b'.repeat(64)) ?? '', /trained on embeddings of CLIP aaaa/);
    trained.dispose();
  } finally {
    e.dispose();
    dec.dispose();
  }
});

/** A copy of checkpoint folder `dir` whose config's schedule is replaced (undefined: removed, as before it was recorded). */
function withSchedule(dir: string, name: string, schedule: unknown): string {
  const copy = join(root, name);
  cpSync(dir, copy, { recursive: true });
  const file = join(copy, 'config.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { config: { schedule?: unknown } };
  if (schedule === undefined) delete json.config.schedule;
  else json.config.schedule = schedule;
  writeFileSync(file, JSON.stringify(json, null, 2));
  return copy;
}

test('the noise schedule comes from the config: absent (older checkpoints) is the default, bit for bit; a recorded T is used', async () => {
  const e = emb();
  const dec = await loadDecoder(decDir);
  const old = await loadDecoder(withSchedule(decDir, 'decoder-old', undefined));
  const short = await loadDecoder(withSchedule(decDir, 'decoder-t500', { kind: 'cosine', T: 500 }));
  const up = await loadUpsampler(withSchedule(upDir, 'upsampler-t500', { kind: 'cosine', T: 500 }));
  const imgs = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  try {
    assert.equal(dec.schedule, cosineSchedule());
    assert.equal(old.schedule, cosineSchedule(), 'a config without a schedule gets the default');
    const a = await dec.decode({ embeddings: e, steps: 3, seed: 5 });
    const b = await old.decode({ embeddings: e, steps: 3, seed: 5 });
    assert.ok(same(a, b), 'same images as with the recorded default');
    const seen: Array<[number, number]> = [];
    const c = await short.decode({ embeddings: e, steps: 3, seed: 5, onStep: (s) => void seen.push([s.t, s.T]) });
    assert.deepEqual(seen, [[499, 500], [250, 500], [0, 500]], 'steps span the recorded T and report it');
    old.save(join(root, 'decoder-resaved'));
    const resaved = JSON.parse(readFileSync(join(root, 'decoder-resaved', 'config.json'), 'utf8')) as { config: { schedule?: unknown } };
    assert.deepEqual(resaved.config.schedule, { kind: 'cosine', T: 1000, s: 0.008, maxBeta: 0.999 }, 'an export writes the schedule out');
    assert.ok(!same(a, c));
    await assert.rejects(short.decode({ embeddings: e, steps: 501 }), /steps must be an integer in \[1, 500\]/);
    await assert.rejects(up.upsample({ images: imgs, steps: 2, augLevel: 500 }), /augLevel must be an integer in \[0, 499\]/);
    tf.dispose([a, b, c]);
  } finally {
    tf.dispose([e, imgs]);
    [dec, old, short, up].forEach((m) => m.dispose());
  }
});
