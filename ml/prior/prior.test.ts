// Prior tests on a tiny randomly initialised model (no trained prior weights needed): the token
// layout and causal mask, shapes, the null-conditioning path, checkpoint round trip, seeded
// determinism, cancellation, leaks, that training overfits a tiny fixed batch, and v prediction.
// The last test feeds the prior real CLIP text encodings when weights/clip exists (skipped otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../backend.js';
import { hasCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { coefficients, cosineSchedule, qSample, trainingTarget } from '../diffusion/index.js';
import { Prior, loadPrior } from './index.js';
import { type TrainingData, loadInitialPrior, nextBatch, parsePriorArgs, perDimStd } from './train.js';
import type { CorpusEntry } from '../data/corpus.js';
import { mulberry32 } from '../rng.js';
import { type PriorCond, type PriorConfig, defaultPriorConfig, disposePrefixCache, initPriorParams, positions, prefixCache, priorForward, priorForwardCached, priorForwardPacked, priorLoss, priorStates, sequenceLength } from './model.js';

await initBackend({ log: () => {} });

const cfg: PriorConfig = defaultPriorConfig({ embedDim: 16, textWidth: 12, contextLength: 6 }, { width: 32, depth: 2, heads: 2, mlpRatio: 2 });
const D = cfg.embedDim;
const T = cfg.contextLength;

function randomCond(B: number, seed: number) {
  return tf.tidy(() => {
    const te = tf.randomNormal([B, D], 0, 1, 'float32', seed);
    return {
      tokenStates: tf.randomNormal([B, T, cfg.textWidth], 0, 1, 'float32', seed + 1) as tf.Tensor3D,
      textEmbeddings: tf.div(te, tf.norm(te, 2, 1, true)) as tf.Tensor2D,
    };
  });
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

test('token layout: causal mask means a later token never changes an earlier position', () => {
  const p = initPriorParams(cfg, 2);
  const B = 2;
  const cond = randomCond(B, 10);
  const pos = positions(cfg);
  assert.deepEqual(pos, { textEmb: T, time: T + 1, noised: T + 2, final: T + 3 });
  tf.tidy(() => {
    const xt = tf.randomNormal([B, D], 0, 1, 'float32', 3) as tf.Tensor2D;
    const t = tf.tensor1d([10, 900], 'int32');
    const base = priorStates(p, cfg, xt, t, cond); // [B, L, W]
    assert.deepEqual(base.shape, [B, sequenceLength(cfg), cfg.width]);
    const upTo = (s: tf.Tensor3D, n: number) => tf.slice(s, [0, 0, 0], [B, n, cfg.width]);
    const at = (s: tf.Tensor3D, i: number) => tf.slice(s, [0, i, 0], [B, 1, cfg.width]);
    // change x_t: positions before the noised token are identical, the final token differs
    const s1 = priorStates(p, cfg, tf.add(xt, 1) as tf.Tensor2D, t, cond);
    assert.equal(maxDiff(upTo(base, pos.noised), upTo(s1, pos.noised)), 0);
    assert.ok(maxDiff(at(base, pos.final), at(s1, pos.final)) > 1e-4, 'x_t must reach the final token');
    // change t: everything before the timestep token is identical
    const s2 = priorStates(p, cfg, xt, tf.tensor1d([500, 20], 'int32'), cond);
    assert.equal(maxDiff(upTo(base, pos.time), upTo(s2, pos.time)), 0);
    assert.ok(maxDiff(at(base, pos.final), at(s2, pos.final)) > 1e-4, 't must reach the final token');
    // change the text embedding: the caption token positions are identical
    const s3 = priorStates(p, cfg, xt, t, { tokenStates: cond.tokenStates, textEmbeddings: tf.neg(cond.textEmbeddings) as tf.Tensor2D });
    assert.equal(maxDiff(upTo(base, pos.textEmb), upTo(s3, pos.textEmb)), 0);
    assert.ok(maxDiff(at(base, pos.final), at(s3, pos.final)) > 1e-4, 'the text embedding must reach the final token');
    // change the last caption token: earlier caption tokens identical
    const ts4 = tf.concat([tf.slice(cond.tokenStates, [0, 0, 0], [B, T - 1, cfg.textWidth]), tf.ones([B, 1, cfg.textWidth])], 1) as tf.Tensor3D;
    const s4 = priorStates(p, cfg, xt, t, { tokenStates: ts4, textEmbeddings: cond.textEmbeddings });
    assert.equal(maxDiff(upTo(base, T - 1), upTo(s4, T - 1)), 0);
    // the denoiser output has the embedding's shape
    assert.deepEqual(priorForward(p, cfg, xt, t, cond).shape, [B, D]);
  });
  tf.dispose([cond.tokenStates, cond.textEmbeddings, ...Object.values(p)]);
});

test('null conditioning: drop = 1 ignores the text and equals cond = null; drop = 0 equals no drop', () => {
  const p = initPriorParams(cfg, 3);
  const B = 3;
  const a = randomCond(B, 20);
  const b = randomCond(B, 30);
  tf.tidy(() => {
    const xt = tf.randomNormal([B, D], 0, 1, 'float32', 4) as tf.Tensor2D;
    const t = tf.tensor1d([5, 400, 999], 'int32');
    const ones = tf.ones([B]) as tf.Tensor1D;
    const none = priorForward(p, cfg, xt, t, null);
    const dropA = priorForward(p, cfg, xt, t, { ...a, drop: ones });
    const dropB = priorForward(p, cfg, xt, t, { ...b, drop: ones });
    assert.ok(maxDiff(none, dropA) < 1e-5, 'drop = 1 must equal the null condition');
    assert.ok(maxDiff(dropA, dropB) < 1e-5, 'a dropped row must not depend on its text');
    const keepA = priorForward(p, cfg, xt, t, { ...a, drop: tf.zeros([B]) as tf.Tensor1D });
    assert.ok(maxDiff(keepA, priorForward(p, cfg, xt, t, a)) < 1e-5);
    assert.ok(maxDiff(keepA, none) > 1e-4, 'the text must matter when kept');
    // mixed: row 1 dropped, rows 0 and 2 kept
    const mixed = priorForward(p, cfg, xt, t, { ...a, drop: tf.tensor1d([0, 1, 0]) });
    assert.ok(maxDiff(tf.slice(mixed, [1, 0], [1, D]), tf.slice(none, [1, 0], [1, D])) < 1e-5);
    assert.ok(maxDiff(tf.slice(mixed, [0, 0], [1, D]), tf.slice(keepA, [0, 0], [1, D])) < 1e-5);
  });
  tf.dispose([a.tokenStates, a.textEmbeddings, b.tokenStates, b.textEmbeddings, ...Object.values(p)]);
});

test('sampling path: the cached text prefix gives the same x0 as the full sequence (cond, dropped rows, null)', () => {
  const p = initPriorParams(cfg, 8);
  const B = 3;
  const a = randomCond(B, 70);
  const xt = tf.randomNormal([B, D], 0, 1, 'float32', 71) as tf.Tensor2D;
  const t = tf.tensor1d([3, 333, 998], 'int32');
  const before = tf.memory().numTensors;
  const conds: (PriorCond | null)[] = [a, { ...a, drop: tf.tensor1d([0, 1, 0]) }, null];
  for (const cond of conds) {
    const cache = prefixCache(p, cfg, B, cond);
    tf.tidy(() => {
      const full = priorForward(p, cfg, xt, t, cond);
      const cached = priorForwardCached(p, cfg, cache, xt, t);
      assert.ok(maxDiff(full, cached) < 1e-4, `cached prefix differs by ${maxDiff(full, cached)}`);
    });
    disposePrefixCache(cache);
    if (cond?.drop) cond.drop.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'prefix cache leaks');
  tf.dispose([xt, t, a.tokenStates, a.textEmbeddings, ...Object.values(p)]);
});

test('shared-prefix training: K packed suffixes per caption give priorForward\'s output and gradients, no leak', () => {
  const p = initPriorParams(cfg, 9);
  const B = 2;
  const K = 3;
  const a = randomCond(B, 80);
  const xt = tf.randomNormal([B * K, D], 0, 1, 'float32', 81) as tf.Tensor2D;
  const target = tf.randomNormal([B * K, D], 0, 1, 'float32', 82) as tf.Tensor2D;
  const t = tf.tensor1d([0, 400, 999, 12, 500, 750], 'int32');
  const drop = tf.tensor1d([0, 1]);
  // The same rows the plain way: each caption's condition repeated K times.
  const rep = <R extends tf.Rank>(x: tf.Tensor<R>) => tf.gather(x, [0, 0, 0, 1, 1, 1]) as tf.Tensor<R>;
  const aRep = { tokenStates: rep(a.tokenStates), textEmbeddings: rep(a.textEmbeddings), drop: rep(drop) };
  const names = Object.keys(p).sort();
  const vars: Record<string, tf.Variable> = {};
  for (const n of names) vars[n] = tf.variable(p[n]!, true, `packed-test/${n}`);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    for (const cond of [{ ...a, drop }, null]) {
      const full = priorForward(vars, cfg, xt, t, cond && aRep);
      const packed = priorForwardPacked(vars, cfg, xt, t, cond, K);
      assert.ok(maxDiff(full, packed) < 1e-4, `packed suffixes differ by ${maxDiff(full, packed)}`);
    }
    const list = names.map((n) => vars[n]!);
    const g1 = tf.variableGrads(() => priorLoss(vars, cfg, xt, target, t, aRep), list).grads;
    const g2 = tf.variableGrads(() => priorLoss(vars, cfg, xt, target, t, { ...a, drop }, K), list).grads;
    for (const n of names) assert.ok(maxDiff(g1[`packed-test/${n}`]!, g2[`packed-test/${n}`]!) < 1e-5, `gradient of ${n} differs`);
  });
  assert.equal(tf.memory().numTensors, before, 'shared-prefix loss leaks');
  tf.dispose([xt, target, t, drop, a.tokenStates, a.textEmbeddings, aRep.tokenStates, aRep.textEmbeddings, aRep.drop, ...Object.values(vars), ...Object.values(p)]);
});

test('shared-prefix batches: a caption\'s K images are its concept\'s rows of the same skin tone, or its own row when it names the style', () => {
  const entry = (style: CorpusEntry['style'], concept: string, label: string, tone: number[]): CorpusEntry =>
    ({ key: `${style}:${label}${tone.join('')}`, style, iconName: label, concept, label, tags: ['fruit', 'red', 'food'], group: 'food & drink', subgroup: 'food fruit', hexcode: concept, tone });
  const entries = [
    entry('noto', '1F34E', 'red apple', []),
    entry('openmoji', '1F34E', 'red apple', []),
    entry('emojione', '1F34E', 'red apple', []),
    entry('noto', '1F44D', 'thumbs up', []),
    entry('noto', '1F44D', 'thumbs up', [5]),
    entry('openmoji', '1F44D', 'thumbs up', [5]),
  ];
  // Row r's embedding is r in every dimension, so x0 names the row it came from.
  const dim = 2;
  const data: TrainingData = {
    concepts: [[0, 1, 2], [3, 4, 5]],
    corpus: { entries, size: 32, images: new Uint8Array(0) },
    emb: { entries, embeddings: Float32Array.from(entries.flatMap((_, r) => [r, r])), dim, weightsHash: '' },
  };
  const K = 4;
  const { captions, x0 } = nextBatch(data, 200, 1, mulberry32(3), K);
  let styled = 0;
  let mixed = 0;
  captions.forEach((c, b) => {
    const rows = Array.from({ length: K }, (_, k) => x0[(b * K + k) * dim]!);
    const first = entries[rows[0]!]!;
    if (c.endsWith(' style')) {
      styled++;
      assert.ok(rows.every((r) => r === rows[0]), `"${c}" is image-specific but drew rows ${rows}`);
      return;
    }
    for (const r of rows) {
      assert.equal(entries[r]!.concept, first.concept, `"${c}": row ${r} is another concept`);
      assert.deepEqual(entries[r]!.tone, first.tone, `"${c}": row ${r} has another skin tone`);
    }
    if (new Set(rows).size > 1) mixed++;
  });
  assert.ok(styled > 0 && mixed > 0, `both kinds of caption drawn (${styled} styled, ${mixed} with several images)`);
  // K = 1 draws what the trainer always drew.
  assert.deepEqual(nextBatch(data, 50, 2, mulberry32(4), 1), nextBatch(data, 50, 2, mulberry32(4)));
  assert.equal(parsePriorArgs(['--suffixes', '8']).suffixes, 8);
  assert.throws(() => parsePriorArgs(['--suffixes', '0']), /--suffixes must be a whole number/);
  assert.throws(() => parsePriorArgs(['--suffixes', '2.5']), /--suffixes must be a whole number/);
});

test('checkpoint round trip reproduces outputs bit for bit; samplePrior is seeded, unit-norm, [N, D]', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prior-test-'));
  const p = initPriorParams(cfg, 4);
  const cond = randomCond(2, 40);
  try {
    saveCheckpoint(dir, { config: cfg, tensors: p, metadata: { model: 'prior' } });
    assert.ok(hasCheckpoint(dir));
    const mem = new Prior(cfg, p);
    const disk = await loadPrior(dir);
    assert.match(disk.weightsHash, /^[0-9a-f]{16}$/);
    const xt = tf.randomNormal([2, D], 0, 1, 'float32', 5) as tf.Tensor2D;
    const t = tf.tensor1d([100, 700], 'int32');
    const o1 = mem.predict(xt, t, cond);
    const o2 = disk.predict(xt, t, cond);
    assert.deepEqual(Array.from(o1.dataSync()), Array.from(o2.dataSync()), 'loaded prior differs from the saved one');
    tf.dispose([xt, t, o1, o2]);

    const run = (seed: number) => disk.samplePrior({ ...cond, steps: 4, sampler: 'ddim', guidance: 3, seed, bestOf: 2 });
    const s1 = await run(7);
    const s2 = await run(7);
    const s3 = await run(8);
    assert.deepEqual(s1.shape, [2, D]);
    assert.deepEqual(Array.from(s1.dataSync()), Array.from(s2.dataSync()), 'same seed must give identical samples');
    assert.ok(maxDiff(s1, s3) > 1e-4, 'a different seed must give a different sample');
    for (const n of tf.tidy(() => tf.norm(s1, 2, 1).dataSync())) assert.ok(Math.abs(n - 1) < 1e-4);
    tf.dispose([s1, s2, s3]);
    disk.dispose();
    mem.dispose(); // disposes p
  } finally {
    tf.dispose([cond.tokenStates, cond.textEmbeddings]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--init-from: a fine-tuning run starts from an exported prior\'s config and weights; another CLIP\'s prior is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prior-init-'));
  const own = { ...cfg, clipHash: 'a'.repeat(64), imageScale: 11.5 };
  const p = initPriorParams(own, 6);
  const before = tf.memory().numTensors;
  try {
    saveCheckpoint(dir, { config: own, tensors: p, metadata: { model: 'prior' } });
    assert.equal(parsePriorArgs(['--init-from', dir]).initFrom, dir);
    const { config, tensors } = loadInitialPrior(dir, 'a'.repeat(64));
    assert.deepEqual(config, own, 'the config (scales, CLIP hash) comes with the weights');
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(p).sort());
    for (const n of Object.keys(p)) assert.deepEqual(Array.from(tensors[n]!.dataSync()), Array.from(p[n]!.dataSync()), n);
    tf.dispose(Object.values(tensors));
    assert.throws(() => loadInitialPrior(dir, 'b'.repeat(64)), /trained against CLIP aaaaaaaaaaaaaaaa, not bbbbbbbbbbbbbbbb/);
    assert.equal(tf.memory().numTensors, before, 'a refused prior leaves no tensors behind');
  } finally {
    tf.dispose(Object.values(p));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('samplePrior: no leaks (guidance, bestOf, onStep with embeddings), abort frees every tensor', async () => {
  const prior = new Prior(cfg, initPriorParams(cfg, 5));
  const cond = randomCond(3, 50);
  const warm = await prior.samplePrior({ ...cond, steps: 2, seed: 1 });
  warm.dispose();
  const before = tf.memory().numTensors;
  const seen: { step: number; shape: number[]; norm: number }[] = [];
  for (const sampler of ['ddim', 'ddpm', 'dpmpp2m'] as const) {
    for (const [guidance, bestOf] of [[1, 1], [3, 2]] as const) {
      seen.length = 0;
      const out = await prior.samplePrior({
        ...cond,
        steps: 3,
        sampler,
        guidance,
        bestOf,
        seed: 2,
        onStep: (s) => {
          seen.push({ step: s.step, shape: s.xt.shape, norm: tf.tidy(() => tf.norm(s.x0pred, 2, 1).dataSync()[0]!) });
        },
      });
      assert.deepEqual(out.shape, [3, D]);
      out.dispose();
      assert.deepEqual(seen.map((s) => s.step), [1, 2, 3]);
      assert.deepEqual(seen[0]!.shape, [3 * bestOf, D]);
      assert.ok(Math.abs(seen[0]!.norm - 1) < 1e-4, 'x0pred is given as a unit embedding');
      assert.equal(tf.memory().numTensors, before, `samplePrior leaks (${sampler}, guidance ${guidance}, bestOf ${bestOf})`);
    }
  }
  const ac = new AbortController();
  await assert.rejects(
    prior.samplePrior({ ...cond, steps: 10, guidance: 3, seed: 3, signal: ac.signal, onStep: (s) => void (s.step === 2 && ac.abort()) }),
    (e: Error) => e.name === 'AbortError',
  );
  assert.equal(tf.memory().numTensors, before, 'an aborted samplePrior leaks');
  tf.dispose([cond.tokenStates, cond.textEmbeddings]);
  prior.dispose();
});

test('training: ~20 Adam steps on a tiny fixed batch lower the loss, and a step leaks nothing', () => {
  const p0 = initPriorParams(cfg, 6);
  const names = Object.keys(p0).sort();
  const vars: Record<string, tf.Variable> = {};
  for (const n of names) vars[n] = tf.variable(p0[n]!, true, `prior-test/${n}`);
  tf.dispose(Object.values(p0));
  const B = 8;
  const cond = randomCond(B, 60);
  const schedule = cosineSchedule();
  const x0 = tf.tidy(() => tf.mul(cond.textEmbeddings, cfg.imageScale) as tf.Tensor2D); // a fixed target per row
  const t = tf.tensor1d([0, 50, 100, 200, 300, 500, 700, 900], 'int32');
  const noise = tf.randomNormal([B, D], 0, 1, 'float32', 61);
  const xt = qSample(schedule, x0, t, noise) as tf.Tensor2D;
  const drop = tf.tensor1d([0, 0, 0, 0, 0, 0, 0, 1]);
  const opt = tf.train.adam(3e-3);
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => priorLoss(vars, cfg, xt, x0, t, { ...cond, drop }), names.map((n) => vars[n]!));
      opt.applyGradients(names.map((n) => ({ name: `prior-test/${n}`, tensor: grads[`prior-test/${n}`]! })));
      return value.dataSync()[0]!;
    });
  const first = step();
  const before = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 20; i++) last = step();
  assert.equal(tf.memory().numTensors, before, 'training step leaks');
  assert.ok(Number.isFinite(last));
  assert.ok(last < 0.5 * first, `loss should fall on a fixed batch: ${first} -> ${last}`);
  tf.dispose([x0, t, noise, xt, drop, cond.tokenStates, cond.textEmbeddings, ...Object.values(vars)]);
  opt.dispose();
});

test('v prediction: trained on one embedding, the sampler turns its v outputs back into it; the config says which', async () => {
  assert.throws(() => defaultPriorConfig({ embedDim: D, textWidth: 12, contextLength: T }, { prediction: 'eps' as never }), /prediction must be 'x0' or 'v', got "eps"/);
  const vcfg: PriorConfig = { ...cfg, prediction: 'v' };
  const p0 = initPriorParams(vcfg, 11);
  const names = Object.keys(p0).sort();
  const vars: Record<string, tf.Variable> = {};
  for (const n of names) vars[n] = tf.variable(p0[n]!, true, `prior-v-test/${n}`);
  tf.dispose(Object.values(p0));
  const B = 32;
  const one = randomCond(1, 70);
  const cond = tf.tidy(() => ({ tokenStates: tf.tile(one.tokenStates, [B, 1, 1]) as tf.Tensor3D, textEmbeddings: tf.tile(one.textEmbeddings, [B, 1]) as tf.Tensor2D }));
  const target = tf.tidy(() => {
    const r = tf.randomNormal([1, D], 0, 1, 'float32', 71);
    return tf.div(r, tf.norm(r)) as tf.Tensor2D;
  });
  const schedule = cosineSchedule();
  const opt = tf.train.adam(3e-3);
  for (let i = 0; i < 500; i++) {
    tf.tidy(() => {
      const x0 = tf.tile(tf.mul(target, vcfg.imageScale), [B, 1]) as tf.Tensor2D;
      const t = tf.randomUniform([B], 0, 1000, 'int32', 100 + i) as tf.Tensor1D;
      const noise = tf.randomNormal([B, D], 0, 1, 'float32', 1000 + i);
      const xt = qSample(schedule, x0, t, noise) as tf.Tensor2D;
      const { alpha, sigma } = coefficients(schedule, t, 2);
      const v = trainingTarget('v', x0, noise, alpha, sigma) as tf.Tensor2D;
      const { grads } = tf.variableGrads(() => priorLoss(vars, vcfg, xt, v, t, cond), names.map((n) => vars[n]!));
      opt.applyGradients(names.map((n) => ({ name: `prior-v-test/${n}`, tensor: grads[`prior-v-test/${n}`]! })));
    });
  }
  const cosTo = async (prediction: PriorConfig['prediction']) => {
    const s = await new Prior({ ...vcfg, prediction }, vars).samplePrior({ ...one, steps: 20, guidance: 1, bestOf: 1, seed: 3 });
    const c = tf.tidy(() => tf.sum(tf.mul(s, target)).dataSync()[0]!);
    s.dispose();
    return c;
  };
  const asV = await cosTo('v');
  const asX0 = await cosTo('x0');
  assert.ok(asV > 0.95, `the v prior's sample should be the embedding it was trained on: cosine ${asV}`);
  assert.ok(asX0 < asV - 0.1, `read as x0 predictions the same outputs should not sample it (cosine ${asX0} vs ${asV})`);
  tf.dispose([target, one.tokenStates, one.textEmbeddings, cond.tokenStates, cond.textEmbeddings, ...Object.values(vars)]);
  opt.dispose();
});

test('scale measurement: random unit vectors have per-dimension std 1/sqrt(D); the CLIP check', () => {
  const n = 4000;
  const dim = 64;
  const x = tf.tidy(() => {
    const r = tf.randomNormal([n, dim], 0, 1, 'float32', 80);
    return tf.div(r, tf.norm(r, 2, 1, true)).dataSync() as Float32Array;
  });
  const s = perDimStd(x, n, dim);
  assert.ok(Math.abs(s * Math.sqrt(dim) - 1) < 0.03, `std ${s} vs ${1 / Math.sqrt(dim)}`);
  const prior = new Prior({ ...cfg, clipHash: 'ab'.repeat(32) }, initPriorParams(cfg, 9));
  assert.equal(prior.clipMismatch('ab'.repeat(32)), null);
  assert.match(prior.clipMismatch('cd'.repeat(32)) ?? '', /trained against CLIP abab/);
  prior.dispose();
});

const CLIP_DIR = join(import.meta.dirname, '..', '..', 'weights', 'clip');
test('with the shipped CLIP: real text encodings go through a random prior of matching widths', { skip: hasCheckpoint(CLIP_DIR) ? false : 'weights/clip absent: no CLIP to encode captions with' }, async () => {
  const { loadClip } = await import('../clip/index.js');
  const clip = await loadClip(CLIP_DIR);
  const c = defaultPriorConfig({ embedDim: clip.dim, textWidth: clip.textWidth, contextLength: clip.contextLength }, { width: 32, depth: 1, heads: 2 });
  const prior = new Prior(c, initPriorParams(c, 7));
  const enc = clip.encodeText(['red apple', 'rocket']);
  const before = tf.memory().numTensors;
  const out = await prior.samplePrior({ tokenStates: enc.tokenStates, textEmbeddings: enc.embeddings, steps: 3, guidance: 2, seed: 1 });
  assert.deepEqual(out.shape, [2, clip.dim]);
  out.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([enc.embeddings, enc.tokenStates, enc.ids]);
  prior.dispose();
  clip.dispose();
});

test('the noise schedule comes from the config: absent (priors saved before it was recorded) is the default, bit for bit; a recorded T is used', async () => {
  const { schedule: _recorded, ...old } = cfg;
  const p = initPriorParams(cfg, 5);
  const params = () => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, tf.clone(v)]));
  const now = new Prior(cfg, params());
  const before = new Prior(old as PriorConfig, params());
  const short = new Prior({ ...cfg, schedule: { kind: 'cosine', T: 300, s: 0.008, maxBeta: 0.999 } }, params());
  tf.dispose(Object.values(p));
  const cond = randomCond(2, 11);
  try {
    assert.equal(before.schedule, cosineSchedule(), 'a config without a schedule gets the default');
    const a = await now.samplePrior({ ...cond, steps: 3, seed: 2 });
    const b = await before.samplePrior({ ...cond, steps: 3, seed: 2 });
    assert.equal(maxDiff(a, b), 0);
    const seen: Array<[number, number]> = [];
    const c = await short.samplePrior({ ...cond, steps: 3, seed: 2, onStep: (s) => void seen.push([s.t, s.T]) });
    assert.deepEqual(seen, [[299, 300], [150, 300], [0, 300]]);
    tf.dispose([a, b, c]);
  } finally {
    tf.dispose([cond.tokenStates, cond.textEmbeddings]);
    [now, before, short].forEach((m) => m.dispose());
  }
});
