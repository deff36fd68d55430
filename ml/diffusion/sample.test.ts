// Samplers on toy data whose exact denoiser is known in closed form: each must recover the data
// distribution; plus guidance, determinism, cancellation and leak checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { gaussianDenoiser } from './test-toys.js';
import { coefficients, cosineSchedule, fromX0Eps, guide, sample, samplingTimesteps, thresholdX0, type Denoiser, type Parameterization, type SamplerName, type SampleOptions } from './index.js';

const schedule = cosineSchedule();
const N = 4000; // samples per run

// Two equally likely clusters N(m_k, s²I) in 2-D: responsibilities r_k ∝ N(x_t; α·m_k, (α²s² + σ²)I),
// E[x₀ | x_t] = Σ_k r_k (m_k + α·s²/(α²s² + σ²)·(x_t - α·m_k)).
const M1 = [-2, 0];
const M2 = [2, 1];
function mixtureDenoiser(s: number, param: Parameterization): Denoiser<null> {
  return (xt, t) => {
    const { alpha, sigma } = coefficients(schedule, t, xt.rank); // [B, 1]
    const v = tf.add(tf.mul(tf.square(alpha), s * s), tf.square(sigma));
    const k = tf.div(tf.mul(alpha, s * s), v);
    const means = [tf.tensor1d(M1), tf.tensor1d(M2)];
    const logits = tf.concat(means.map((m) => tf.neg(tf.div(tf.sum(tf.square(tf.sub(xt, tf.mul(alpha, m))), 1, true), tf.mul(2, v)))), 1); // [B, 2]
    const r = tf.softmax(logits); // [B, 2]
    const post = means.map((m) => tf.add(m, tf.mul(k, tf.sub(xt, tf.mul(alpha, m))))); // each [B, 2]
    const x0 = tf.add(tf.mul(tf.slice(r, [0, 0], [-1, 1]), post[0]!), tf.mul(tf.slice(r, [0, 1], [-1, 1]), post[1]!));
    const eps = tf.div(tf.sub(xt, tf.mul(alpha, x0)), sigma);
    return fromX0Eps(param, x0, eps, alpha, sigma);
  };
}

async function stats(x: tf.Tensor): Promise<{ mean: number[]; std: number[] }> {
  const { mean, variance } = tf.tidy(() => tf.moments(x, 0));
  const m = Array.from(await mean.data());
  const v = Array.from(await variance.data());
  mean.dispose();
  variance.dispose();
  return { mean: m, std: v.map(Math.sqrt) };
}

// DDPM (and DDIM with η = 1, the same chain) uses the posterior variance β̃ of q(x_{t'} | x_t, x₀),
// which leaves out the uncertainty of x₀ given x_t; with few steps it under-disperses. On Gaussian
// data every step is linear, so the std it must produce is exact: Var' = (c₀k + c_t)²·Var + β̃.
function ancestralStd(s: number, steps: number): number {
  const ts = samplingTimesteps(steps, 1000);
  let v = 1;
  for (let i = 0; i < ts.length; i++) {
    const ab = schedule.alphaBar(ts[i]!);
    const abn = schedule.alphaBar(ts[i + 1] ?? -1);
    const k = (Math.sqrt(ab) * s * s) / (ab * s * s + 1 - ab);
    const aStep = ab / abn;
    const c0 = (Math.sqrt(abn) * (1 - aStep)) / (1 - ab);
    const ct = (Math.sqrt(aStep) * (1 - abn)) / (1 - ab);
    v = (c0 * k + ct) ** 2 * v + ((1 - aStep) * (1 - abn)) / (1 - ab);
  }
  return Math.sqrt(v);
}
const expectedStd = (c: { sampler: SamplerName; eta?: number }, s: number, steps: number) =>
  c.sampler === 'ddpm' || (c.sampler === 'ddim' && c.eta === 1) ? ancestralStd(s, steps) : s;

const configs: Array<{ sampler: SamplerName; eta?: number }> = [{ sampler: 'ddpm' }, { sampler: 'ddim' }, { sampler: 'ddim', eta: 1 }, { sampler: 'dpmpp2m' }];
const label = (c: { sampler: SamplerName; eta?: number }) => (c.eta !== undefined ? `${c.sampler} η=${c.eta}` : c.sampler);

for (const c of configs) {
  for (const param of ['eps', 'x0', 'v'] as Parameterization[]) {
    test(`${label(c)}, 50 steps, ${param}-prediction: recovers N(μ, s²) (mean, std) from the exact denoiser, leaks nothing`, async () => {
      await initBackend({ log: () => {} });
      const mu = [0.5, -1];
      const s = 0.4;
      const before = tf.memory().numTensors;
      const x = await sample({ model: gaussianDenoiser(mu, s, param), prediction: param, shape: [N, 2], steps: 50, seed: 1, ...c });
      const { mean, std } = await stats(x);
      x.dispose();
      assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
      for (let d = 0; d < 2; d++) {
        assert.ok(Math.abs(mean[d]! - mu[d]!) < 0.03, `mean[${d}] ${mean[d]} vs ${mu[d]}`);
        const want = expectedStd(c, s, 50);
        assert.ok(Math.abs(std[d]! / want - 1) < 0.05, `std[${d}] ${std[d]} vs ${want}`);
      }
    });
  }
}

for (const c of configs) {
  test(`${label(c)}, 50 steps: recovers a two-point mixture (weights, cluster means and spreads)`, async () => {
    await initBackend({ log: () => {} });
    const s = 0.15;
    const x = await sample({ model: mixtureDenoiser(s, 'x0'), prediction: 'x0', shape: [N / 2, 2], steps: 50, seed: 2, ...c });
    const v = (await x.array()) as number[][];
    x.dispose();
    const left = v.filter((p) => p[0]! < 0);
    const right = v.filter((p) => p[0]! >= 0);
    const frac = left.length / v.length;
    assert.ok(Math.abs(frac - 0.5) < 0.04, `left cluster holds ${frac}`);
    for (const [pts, m] of [[left, M1], [right, M2]] as const) {
      for (let d = 0; d < 2; d++) {
        const mean = pts.reduce((a, p) => a + p[d]!, 0) / pts.length;
        const sd = Math.sqrt(pts.reduce((a, p) => a + (p[d]! - mean) ** 2, 0) / pts.length);
        assert.ok(Math.abs(mean - m[d]!) < 0.03, `cluster mean ${mean} vs ${m[d]}`);
        const want = expectedStd(c, s, 50);
        assert.ok(Math.abs(sd / want - 1) < 0.12, `cluster std ${sd} vs ${want}`);
      }
    }
  });
}

test('ddpm converges to the data std as steps grow (250 steps: within 4%), as the analytic recursion says', async () => {
  await initBackend({ log: () => {} });
  assert.ok(ancestralStd(0.4, 50) < 0.38 && Math.abs(ancestralStd(0.4, 1000) / 0.4 - 1) < 0.01);
  const x = await sample({ model: gaussianDenoiser([0.5, -1], 0.4, 'eps'), prediction: 'eps', shape: [N / 2, 2], steps: 250, seed: 3, sampler: 'ddpm' });
  const { std } = await stats(x);
  x.dispose();
  for (const sd of std) assert.ok(Math.abs(sd / 0.4 - 1) < 0.04, `std ${sd}`);
});

test('samplingTimesteps: evenly spaced from T-1 to 0, distinct', () => {
  const ts = samplingTimesteps(50, 1000);
  assert.equal(ts.length, 50);
  assert.equal(ts[0], 999);
  assert.equal(ts[49], 0);
  assert.equal(new Set(ts).size, 50);
  assert.deepEqual(samplingTimesteps(1, 1000), [999]);
  assert.deepEqual(samplingTimesteps(4, 1000), [999, 666, 333, 0]);
  assert.equal(new Set(samplingTimesteps(1000, 1000)).size, 1000);
  assert.throws(() => samplingTimesteps(0, 1000), RangeError);
});

test('samplingTimesteps: quadratic spacing is denser near 0, still from T-1 to 0 and distinct', () => {
  const ts = samplingTimesteps(10, 1000, 'quadratic');
  assert.equal(ts[0], 999);
  assert.equal(ts[9], 0);
  assert.equal(ts[8], 12); // 999·(1/9)²; linear spacing's last step before 0 is 111
  assert.equal(samplingTimesteps(10, 1000)[8], 111);
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! < ts[i - 1]!, `not decreasing at ${i}: ${ts}`);
  // Rounding collides near 0 at many steps: still 1000 distinct timesteps.
  assert.equal(new Set(samplingTimesteps(1000, 1000, 'quadratic')).size, 1000);
  assert.equal(new Set(samplingTimesteps(300, 1000, 'quadratic')).size, 300);
  assert.throws(() => samplingTimesteps(10, 1000, 'cubic' as never), RangeError);
});

const base = (extra: Partial<SampleOptions<number>> = {}): SampleOptions<number> => ({
  model: gaussianDenoiser([0.5, -1], 0.4, 'eps'),
  prediction: 'eps',
  shape: [64, 2],
  steps: 12,
  sampler: 'ddpm',
  seed: 7,
  ...extra,
});

async function run(opts: SampleOptions<number>): Promise<Float32Array> {
  const x = await sample(opts);
  const v = (await x.data()) as Float32Array;
  x.dispose();
  return v;
}

test('guidance: scale 1 equals no guidance; batched [cond; uncond] equals two calls; scale > 1 extrapolates', async () => {
  await initBackend({ log: () => {} });
  const before = tf.memory().numTensors;
  const diff = tf.tidy(() => {
    const c = tf.randomNormal([5, 3], 0, 1, 'float32', 1);
    const u = tf.randomNormal([5, 3], 0, 1, 'float32', 2);
    return tf.max(tf.abs(tf.sub(guide(c, u, 1), c))).dataSync()[0]!;
  });
  assert.ok(diff < 1e-6, `guide(c, u, 1) - c = ${diff}`);
  const plain = await run(base({ cond: 1 }));
  assert.deepEqual(await run(base({ cond: 1, guidance: 1, uncond: 0 })), plain, 'scale 1 is no guidance');
  // The model reads a batched condition as one number for all rows only if it is a tensor; here
  // the pair form is a per-row shift, so wrap the model to accept both.
  const mu = [0.5, -1];
  const pairModel: Denoiser<number | tf.Tensor> = (xt, t, cond) => {
    const shift = cond instanceof tf.Tensor ? tf.reshape(cond, [-1, 1]) : (cond ?? 0);
    const { alpha, sigma } = coefficients(schedule, t, xt.rank);
    const m = tf.add(tf.tensor1d(mu), shift);
    const k = tf.div(tf.mul(alpha, 0.16), tf.add(tf.mul(tf.square(alpha), 0.16), tf.square(sigma)));
    const x0 = tf.add(m, tf.mul(k, tf.sub(xt, tf.mul(alpha, m))));
    return tf.div(tf.sub(xt, tf.mul(alpha, x0)), sigma);
  };
  const pair = tf.tidy(() => tf.concat([tf.fill([64], 1), tf.fill([64], 0)]));
  const opts = { ...base(), model: pairModel, cond: 1, uncond: 0, guidance: 3 } as SampleOptions<number | tf.Tensor>;
  const twoCalls = await sample(opts);
  const oneCall = await sample({ ...opts, pairCond: pair });
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(twoCalls, oneCall))).dataSync()[0]!);
  assert.ok(gap < 1e-5, `batched guidance differs by ${gap}`);
  const { mean } = await stats(twoCalls);
  // cond shifts μ by +1, uncond by 0: guidance 3 lands well past the conditional mean.
  assert.ok(mean[0]! > 0.5 + 1.5, `guided mean ${mean[0]}`);
  tf.dispose([twoCalls, oneCall, pair]);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
});

test('determinism: same seed gives identical bytes, another seed differs (every sampler)', async () => {
  await initBackend({ log: () => {} });
  for (const c of configs) {
    const a = await run(base({ ...c, seed: 11 }));
    const b = await run(base({ ...c, seed: 11 }));
    const d = await run(base({ ...c, seed: 12 }));
    assert.deepEqual(Buffer.from(a.buffer), Buffer.from(b.buffer), `${label(c)}: same seed`);
    assert.notDeepEqual(Array.from(a), Array.from(d), `${label(c)}: different seed`);
  }
});

test('onStep: called once per step with step/total/t, may be async, sees the final sample last', async () => {
  await initBackend({ log: () => {} });
  const seen: Array<{ step: number; total: number; t: number; tNext: number }> = [];
  let last: number[] = [];
  const x = await sample(
    base({
      sampler: 'dpmpp2m',
      threshold: 'clip',
      onStep: async (s) => {
        await new Promise((r) => setTimeout(r, 1));
        seen.push({ step: s.step, total: s.total, t: s.t, tNext: s.tNext });
        assert.deepEqual(s.xt.shape, [64, 2]);
        const x0 = await s.x0pred.data();
        assert.ok(x0.every((v) => v >= -1 && v <= 1), 'clipped x0pred');
        last = Array.from(await s.xt.data());
      },
    }),
  );
  assert.deepEqual(seen.map((s) => s.step), [...Array(12).keys()].map((i) => i + 1));
  assert.ok(seen.every((s) => s.total === 12));
  assert.deepEqual(seen.map((s) => s.t), samplingTimesteps(12, 1000));
  assert.equal(seen[11]!.tNext, -1);
  assert.deepEqual(Array.from(await x.data()), last);
  x.dispose();
});

test('cancellation: abort inside onStep at step 3 rejects with AbortError, frees everything, next run works', async () => {
  await initBackend({ log: () => {} });
  for (const c of configs) {
    const before = tf.memory().numTensors;
    const ctl = new AbortController();
    let steps = 0;
    await assert.rejects(
      sample(base({ ...c, guidance: 2, uncond: 0, cond: 1, signal: ctl.signal, onStep: (s) => { steps = s.step; if (s.step === 3) ctl.abort(); } })),
      (e: Error) => e.name === 'AbortError',
    );
    assert.equal(steps, 3, 'no step after the abort');
    assert.equal(tf.memory().numTensors, before, `${label(c)}: no tensor leaked after abort`);
    const ok = await run(base(c));
    assert.equal(ok.length, 128);
    assert.equal(tf.memory().numTensors, before);
  }
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(sample(base({ signal: pre.signal })), (e: Error) => e.name === 'AbortError');
});

test('a model that throws mid-run: the error propagates and nothing leaks', async () => {
  await initBackend({ log: () => {} });
  const before = tf.memory().numTensors;
  let calls = 0;
  const inner = gaussianDenoiser([0, 0], 1, 'eps');
  const model: Denoiser<number> = (xt, t, c) => {
    if (++calls === 4) throw new Error('boom');
    return inner(xt, t, c);
  };
  await assert.rejects(sample(base({ model, sampler: 'dpmpp2m' })), /boom/);
  await assert.rejects(sample(base({ model: (xt) => tf.zeros([1, ...xt.shape]) })), /model returned shape/);
  assert.equal(tf.memory().numTensors, before);
});

test('no leaks across every sampler with guidance (both paths) and every threshold', async () => {
  await initBackend({ log: () => {} });
  const before = tf.memory().numTensors;
  for (const c of configs) {
    for (const threshold of ['none', 'clip', { dynamic: 0.9 }] as const) {
      await run(base({ ...c, threshold, guidance: 2, cond: 1, uncond: 0 }));
    }
  }
  assert.equal(tf.memory().numTensors, before);
});

test('dynamic thresholding: per-sample quantile scale, identity when |x₀| ≤ 1', async () => {
  await initBackend({ log: () => {} });
  const [small, big] = tf.tidy(() => {
    const x = tf.tensor2d([[0.5, -0.2, 0.9, 0.1], [4, -2, 1, 0.5]]);
    const y = thresholdX0(x, { dynamic: 0.75 }).arraySync() as number[][];
    return [y[0]!, y[1]!];
  });
  assert.deepEqual(small.map((v) => Math.round(v * 1e6) / 1e6), [0.5, -0.2, 0.9, 0.1]);
  // 0.75-quantile of |[4, 2, 1, 0.5]| is the top-1 value 4: divide by 4.
  assert.deepEqual(big, [1, -0.5, 0.25, 0.125]);
});
