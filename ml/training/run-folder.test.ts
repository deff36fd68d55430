// The shared loop's run folders: a run stopped and resumed ends bit for bit where a straight run
// ends; run folders written before the shared loop (their state.json as the old trainers wrote it)
// resume; what cannot be resumed is refused with the reason; the shipped weights start a run
// with --init-from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, STATE_JSON_FILE } from '../checkpoint.js';
import { createDecoderNet, decoderBatch, diffusionLoss, disposeBatch, tinyDecoderConfig } from '../decoder/model.js';
import { REPO_ROOT, commonFlags, parseFlags } from './flags.js';
import { TrainingRun } from './loop.js';
import { disposeStart, startRun } from './start.js';
import { Trainer, Variables } from './trainer.js';

await initBackend({ log: () => {} });

const tmp = () => mkdtempSync(join(tmpdir(), 'run-folder-test-'));
const quiet = () => {};
const toyFlags = commonFlags('toy', { steps: 6, batch: 8, lr: 0.05, warmup: 2, ema: 0.9 });
const TRUE_W = tf.tensor2d([1, -2, 3, 0.5], [4, 1]);

/** A linear model trained by the shared loop on batches drawn from the run's RNG (so resuming must restore it). */
async function trainToy(argv: string[]): Promise<void> {
  const o = parseFlags(toyFlags, [...argv, '--save-every-min', '60']);
  const s = await startRun<{ width: number }>(o, { model: 'toy', optim: { emaDecay: o.ema, clipNorm: 0.5 }, fresh: async () => ({ config: { width: 4 }, tensors: { w: tf.zeros([4, 1]), b: tf.zeros([1]) } }) }, quiet);
  const net = new Variables(s.init!, 'toy');
  const trainer = await Trainer.forRun(net, s);
  const run = new TrainingRun({ model: 'toy', runDir: o.runDir, saveEveryMin: o.saveEveryMin, config: s.config, st: s.st, net, trainer, schedule: { kind: 'cosine' }, lossDigits: 5, unit: 'samples/s' });
  await run.train({
    draw: () => Float32Array.from({ length: s.st.batch * 4 }, () => run.rng.next() * 2 - 1),
    samples: () => s.st.batch,
    step: (x) =>
      trainer.step(() => {
        const X = tf.tensor2d(x, [s.st.batch, 4]);
        return tf.losses.meanSquaredError(tf.matMul(X, TRUE_W), tf.add(tf.matMul(X, net.record.w!), net.record.b!)) as tf.Scalar;
      }),
  });
  trainer.dispose();
  net.dispose();
}

/** Every tensor and the JSON state of a run folder, as plain data. */
function folderContents(dir: string): { tensors: Record<string, number[]>; state: unknown } {
  const ck = loadCheckpoint(dir);
  const tensors: Record<string, number[]> = {};
  for (const [k, t] of Object.entries({ ...ck.tensors, ...(ck.state?.tensors ?? {}) })) tensors[k] = Array.from(t.dataSync());
  tf.dispose([...Object.values(ck.tensors), ...Object.values(ck.state?.tensors ?? {})]);
  const state = { ...(ck.state?.json as Record<string, unknown>), trainSeconds: 0 };
  return { tensors, state };
}

test('the shared loop: 3 steps, stop, --resume to 6 equals 6 straight steps in every weight, moment, EMA value and the state', async () => {
  const a = tmp();
  const b = tmp();
  const before = tf.memory().numTensors;
  try {
    await trainToy(['--run-dir', a, '--steps', '6']);
    await trainToy(['--run-dir', b, '--steps', '3']);
    await trainToy(['--run-dir', b, '--steps', '6', '--resume']);
    const x = folderContents(a);
    const y = folderContents(b);
    assert.deepEqual(Object.keys(y.tensors).sort(), Object.keys(x.tensors).sort());
    assert.ok(x.tensors['ema/w'] && x.tensors['adam/m/w'] && x.tensors['adam/accBeta1'], 'the state holds the EMA, the moments and Adam\'s powers');
    for (const k of Object.keys(x.tensors)) assert.deepEqual(y.tensors[k], x.tensors[k], k);
    assert.deepEqual(y.state, x.state);
    assert.equal((x.state as { step: number; seen: number }).seen, 48);
    assert.equal(tf.memory().numTensors, before, 'the runs leave no tensors behind');
    assert.equal(readFileSync(join(a, 'train.pid'), 'utf8'), `${process.pid}\n`);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

/**
 * A decoder run folder exactly as the trainer before the shared loop saved it (ml/decoder/train.ts
 * of 2026-12-05): its state.json fields (imagesSeen, no format, no clipping norm) and its state
 * tensors under parameter names, here at the tiny config after 3 steps.
 */
async function oldDecoderRun(dir: string): Promise<{ next: number[] }> {
  const cfg = tinyDecoderConfig(16);
  const net = createDecoderNet(cfg, { seed: 3 });
  const trainer = new Trainer(net, { lr: 1e-3, emaDecay: 0.99 });
  const imgs = new Uint8Array(2 * 32 * 32 * 3).map((_, k) => (k * 37) % 256);
  const emb = Float32Array.from({ length: 2 * 16 }, (_, k) => Math.cos(k));
  let r = 9;
  const batch = decoderBatch(cfg, imgs, emb, 2, () => ((r = (r * 16807) % 2147483647) / 2147483647), 4);
  try {
    for (let i = 0; i < 3; i++) await trainer.step(() => diffusionLoss(net, cfg.prediction, batch));
    const state = await trainer.state();
    const old = { step: 3, totalSteps: 10, rng: 12345, epoch: 0, epochPos: 6, imagesSeen: 6, trainSeconds: 1.5, lossLog: [], batch: 2, lr: 1e-3, warmup: 500, emaDecay: 0.99, seed: 1, clipHash: 'c'.repeat(64), highT: [{ step: 0, fraction: 0.5, from: 700 }] };
    saveCheckpoint(dir, { config: cfg, tensors: net.tensors(), state: { json: old, tensors: state }, metadata: { model: 'decoder', step: '3' } });
    state['adam/iterations']?.dispose();
    // What the old run's next step gives: the resumed run must give the same.
    await trainer.step(() => diffusionLoss(net, cfg.prediction, batch));
    return { next: Array.from(net.params.get('out.w')!.dataSync()) };
  } finally {
    disposeBatch(batch);
    trainer.dispose();
    net.dispose();
  }
}

test('a decoder run folder saved before the shared loop resumes: its state read as it was, its next step the one it would have taken', async () => {
  const dir = tmp();
  try {
    const { next } = await oldDecoderRun(dir);
    const o = parseFlags(commonFlags('decoder', { steps: 10, batch: 32, lr: 2e-4, warmup: 500, ema: 0.999 }), ['--resume', '--run-dir', dir]);
    const s = await startRun(o, { model: 'decoder', optim: { emaDecay: o.ema, clipNorm: 1 }, fresh: () => assert.fail('must resume') }, quiet);
    assert.equal(s.how, 'resume');
    const st = s.st as typeof s.st & { highT: unknown[]; clipHash: string };
    assert.deepEqual([st.step, st.seen, st.epochPos, st.batch, st.lr, st.emaDecay, st.clipNorm, st.rng], [3, 6, 6, 2, 1e-3, 0.99, 1, 12345], 'imagesSeen became seen; the old fixed clipping norm 1 filled in');
    assert.equal(st.highT.length, 1, 'the model\'s own fields ride along');
    assert.equal(st.clipHash, 'c'.repeat(64));
    const cfg = tinyDecoderConfig(16);
    const net = createDecoderNet(cfg, { tensors: s.init });
    const trainer = await Trainer.forRun(net, s);
    const imgs = new Uint8Array(2 * 32 * 32 * 3).map((_, k) => (k * 37) % 256);
    const emb = Float32Array.from({ length: 2 * 16 }, (_, k) => Math.cos(k));
    let r = 9;
    const batch = decoderBatch(cfg, imgs, emb, 2, () => ((r = (r * 16807) % 2147483647) / 2147483647), 4);
    try {
      await trainer.step(() => diffusionLoss(net, cfg.prediction, batch));
      assert.deepEqual(Array.from(net.params.get('out.w')!.dataSync()), next, 'bit for bit the step the old run would have taken');
    } finally {
      disposeBatch(batch);
      trainer.dispose();
      net.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an old prior run folder (samplesSeen, no epoch; EMA and clipping from before they were recorded) resumes with the flags\' values', async () => {
  const dir = tmp();
  try {
    const w = { 'a.w': tf.ones([2, 2]) };
    saveCheckpoint(dir, { config: { clipHash: 'x' }, tensors: w, state: { json: { step: 5, totalSteps: 9, rng: 7, samplesSeen: 320, trainSeconds: 2, lossLog: [[5, 0.5]], batch: 64, lr: 3e-4, warmup: 500, seed: 1 }, tensors: {} }, metadata: { model: 'prior' } });
    tf.dispose(Object.values(w));
    const o = parseFlags(commonFlags('prior', { steps: 20, batch: 64, lr: 3e-4, warmup: 500, ema: 0.999 }), ['--resume', '--run-dir', dir]);
    const s = await startRun(o, { model: 'prior', optim: { emaDecay: o.ema, clipNorm: 1 }, fresh: () => assert.fail('must resume') }, quiet);
    assert.deepEqual([s.st.step, s.st.seen, s.st.epoch, s.st.emaDecay, s.st.clipNorm, s.st.totalSteps], [5, 320, 0, 0.999, 1, 20]);
    disposeStart(s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run folders that cannot be resumed are refused with the reason, and free what they loaded', async () => {
  const dir = tmp();
  const o = parseFlags(toyFlags, ['--resume', '--run-dir', dir]);
  const spec = { model: 'toy', optim: { emaDecay: 0, clipNorm: 0 }, fresh: () => assert.fail('must not start fresh') };
  const before = tf.memory().numTensors;
  try {
    const w = { w: tf.ones([2]) };
    saveCheckpoint(dir, { config: {}, tensors: w, metadata: { model: 'toy' } });
    await assert.rejects(startRun(o, spec, quiet), /holds weights but no training state \(state\.json\), so it cannot be resumed: start a fresh run from its weights with --init-from/);
    saveCheckpoint(dir, { config: {}, tensors: w, state: { json: { format: 3, step: 1 } }, metadata: { model: 'toy' } });
    await assert.rejects(startRun(o, spec, quiet), /saved in training-state format 3; this trainer reads format 2 and the older unnumbered one/);
    saveCheckpoint(dir, { config: {}, tensors: w, state: { json: { totalSteps: 4, rng: 1, imagesSeen: 0, trainSeconds: 0, lossLog: [], batch: 2, lr: 0.1, warmup: 0, seed: 1 } }, metadata: { model: 'toy' } });
    await assert.rejects(startRun(o, spec, quiet), /its training state cannot be resumed: step required/);
    saveCheckpoint(dir, { config: {}, tensors: w, state: { json: {} }, metadata: { model: 'prior' } });
    await assert.rejects(startRun(o, spec, quiet), /holds a prior run, not toy/);
    // state.json from another save than the weights (a crash between two renames)
    const sj = JSON.parse(readFileSync(join(dir, STATE_JSON_FILE), 'utf8')) as { checkpoint_id: string };
    writeFileSync(join(dir, STATE_JSON_FILE), JSON.stringify({ ...sj, checkpoint_id: 'other' }));
    await assert.rejects(startRun(o, spec, quiet), /come from different saves/);
    tf.dispose(Object.values(w));
    assert.equal(tf.memory().numTensors, before, 'refused starts leave no tensors behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const model of ['clip', 'prior', 'autoencoder', 'decoder', 'upsampler']) {
  const dir = join(REPO_ROOT, 'weights', model);
  test(`--init-from weights/${model}: the shipped config and weights start a fresh run`, { skip: hasCheckpoint(dir) ? false : `weights/${model} absent` }, async () => {
    const o = parseFlags(commonFlags(model, { steps: 10, batch: 2, lr: 1e-4, warmup: 1, ema: 0.5 }), ['--init-from', dir]);
    const s = await startRun<{ kind?: string }>(o, { model, optim: { emaDecay: 0, clipNorm: 1 }, check: (c) => (c.kind === undefined || c.kind === model ? null : `holds a ${c.kind}`), fresh: () => assert.fail('must load') }, quiet);
    try {
      assert.equal(s.how, 'init');
      assert.equal(s.st.initFrom, `weights/${model}`);
      assert.deepEqual([s.st.step, s.st.emaDecay, s.saved], [0, 0.5, undefined], 'optimizer, EMA and schedule start afresh');
      assert.ok(Object.keys(s.init!).length > 10, 'the weights came with it');
      const net = new Variables(s.init!, model);
      assert.ok(net.size > 1e5, `${net.size} parameters`);
      net.dispose();
    } finally {
      disposeStart(s);
    }
  });
}
