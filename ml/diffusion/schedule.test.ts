// The forward process: the cosine schedule against its closed form, q(x_t | x_0) statistics, and
// the ε / x₀ / v conversions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { readFileSync } from 'node:fs';
import { cosineAlphaBar, cosineSchedule, coefficients, DEFAULT_SCHEDULE, defaultSchedule, drawTimesteps, fromX0Eps, qSample, scheduleFromSpec, scheduleSpec, toX0Eps, trainingTarget, type Parameterization } from './index.js';

test('cosine schedule: ᾱ_t equals the closed form cos² formula, β is clipped at 0.999 only at the end', () => {
  const s = cosineSchedule();
  assert.equal(s.T, 1000);
  // ᾱ(u) = f(u)/f(0), f(u) = cos²((u + 0.008)/1.008 · π/2), with ᾱ_t = ᾱ((t + 1)/T).
  const closed = (u: number) => Math.cos(((u + 0.008) / 1.008) * (Math.PI / 2)) ** 2 / Math.cos((0.008 / 1.008) * (Math.PI / 2)) ** 2;
  for (const t of [0, 1, 10, 100, 250, 500, 750, 900, 990, 998]) {
    const want = closed((t + 1) / 1000);
    assert.ok(Math.abs(s.alphasCumprod[t]! - want) <= 1e-9 * Math.max(want, 1e-6), `t=${t}: ${s.alphasCumprod[t]} vs ${want}`);
    assert.ok(Math.abs(cosineAlphaBar((t + 1) / 1000) - want) < 1e-12);
  }
  assert.ok(s.alphaBar(0) > 0.9999 && s.alphaBar(0) < 1);
  assert.equal(s.alphaBar(-1), 1);
  assert.equal(s.betas[999], 0.999, 'the last β hits the clip');
  assert.ok(s.betas.slice(0, 999).every((b) => b < 0.999), 'no earlier β is clipped');
  assert.ok(s.alphaBar(999) > 0 && s.alphaBar(999) < 1e-8);
  for (let t = 1; t < 1000; t++) assert.ok(s.alphasCumprod[t]! < s.alphasCumprod[t - 1]!, 'ᾱ decreases');
  assert.throws(() => s.alphaBar(1000), RangeError);
  assert.equal(cosineSchedule(), s, 'memoised');
});

test('qSample: x_t = √ᾱ·x₀ + √(1-ᾱ)·ε has the right mean and std per sample timestep', async () => {
  await initBackend({ log: () => {} });
  const s = cosineSchedule();
  const before = tf.memory().numTensors;
  const n = 20000;
  const [m0, m1, sd0, sd1] = tf.tidy(() => {
    const x0 = tf.fill([2, n], 0.7);
    const noise = tf.randomNormal([2, n], 0, 1, 'float32', 5);
    const xt = qSample(s, x0, [200, 800], noise); // one timestep per row
    const { mean, variance } = tf.moments(xt, 1);
    const m = mean.arraySync() as number[];
    const v = variance.arraySync() as number[];
    return [m[0]!, m[1]!, Math.sqrt(v[0]!), Math.sqrt(v[1]!)];
  });
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  const tol = 4 / Math.sqrt(n);
  assert.ok(Math.abs(m0 - 0.7 * Math.sqrt(s.alphaBar(200))) < tol, `mean at t=200: ${m0}`);
  assert.ok(Math.abs(m1 - 0.7 * Math.sqrt(s.alphaBar(800))) < tol, `mean at t=800: ${m1}`);
  assert.ok(Math.abs(sd0 - Math.sqrt(1 - s.alphaBar(200))) < tol, `std at t=200: ${sd0}`);
  assert.ok(Math.abs(sd1 - Math.sqrt(1 - s.alphaBar(800))) < tol, `std at t=800: ${sd1}`);
});

test('ε / x₀ / v: training targets and the conversions back to (x₀, ε) round-trip', async () => {
  await initBackend({ log: () => {} });
  const s = cosineSchedule();
  const before = tf.memory().numTensors;
  for (const param of ['eps', 'x0', 'v'] as Parameterization[]) {
    const err = tf.tidy(() => {
      const x0 = tf.randomNormal([3, 4], 0, 1, 'float32', 1);
      const eps = tf.randomNormal([3, 4], 0, 1, 'float32', 2);
      const t = [10, 500, 990];
      const { alpha, sigma } = coefficients(s, t, 2);
      const xt = qSample(s, x0, t, eps);
      const out = trainingTarget(param, x0, eps, alpha, sigma);
      const back = toX0Eps(param, out, xt, alpha, sigma);
      const again = fromX0Eps(param, back.x0, back.eps, alpha, sigma);
      return Math.max(
        tf.max(tf.abs(tf.sub(back.x0, x0))).dataSync()[0]!,
        tf.max(tf.abs(tf.sub(back.eps, eps))).dataSync()[0]!,
        tf.max(tf.abs(tf.sub(again, out))).dataSync()[0]!,
      );
    });
    // x₀ from ε at t=10 divides by α≈1 and ε from x₀ at t=990 by σ≈1; float32 rounding only.
    assert.ok(err < 1e-3, `${param}: round trip off by ${err}`);
  }
  assert.equal(tf.memory().numTensors, before);
});

test('drawTimesteps: uniform by default draw for draw, and a high-noise band gets its share', () => {
  const lcg = (seed: number) => () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const n = 40000;
  // No band and a zero fraction are the uniform draw earlier runs used, so their resumes stay bit-exact.
  const a = lcg(5);
  const uniform = Array.from({ length: n }, () => Math.min(999, Math.floor(a() * 1000)));
  assert.deepEqual(Array.from(drawTimesteps(n, lcg(5))), uniform);
  assert.deepEqual(Array.from(drawTimesteps(n, lcg(5), 1000, { fraction: 0, from: 700 })), uniform);

  const ts = drawTimesteps(n, lcg(9), 1000, { fraction: 0.5, from: 700 });
  assert.ok(ts.every((t) => Number.isInteger(t) && t >= 0 && t <= 999));
  const inBand = ts.filter((t) => t >= 700).length / n;
  // Half the rows from the band, and the uniform half lands there 30% of the time: 0.5 + 0.5·0.3.
  assert.ok(Math.abs(inBand - 0.65) < 0.01, `share in [700, 1000): ${inBand}`);
  const low = ts.filter((t) => t < 700);
  assert.ok(Math.abs(low.reduce((s, t) => s + t, 0) / low.length - 349.5) < 6, 'below the band it stays uniform');
  const hist = new Array(10).fill(0);
  for (const t of ts) hist[Math.floor(t / 100)]++;
  assert.ok(hist.slice(7).every((c) => Math.abs(c / n - 0.05 - 0.5 / 3) < 0.01), `each 100-step bin of the band: ${hist.slice(7)}`);
  assert.ok(drawTimesteps(1000, lcg(3), 1000, { fraction: 1, from: 900 }).every((t) => t >= 900), 'fraction 1: only the band');

  assert.throws(() => drawTimesteps(4, lcg(1), 1000, { fraction: 1.5, from: 700 }), /fraction must be in \[0, 1\]/);
  assert.throws(() => drawTimesteps(4, lcg(1), 1000, { fraction: 0.5, from: 1000 }), /band must start at a timestep in \[0, 1000\)/);
});

test('a recorded schedule: missing spec or fields mean the default (older checkpoints), the rest is checked', () => {
  assert.deepEqual(scheduleSpec(undefined), DEFAULT_SCHEDULE);
  assert.deepEqual(scheduleSpec({}), DEFAULT_SCHEDULE);
  assert.deepEqual(scheduleSpec({ T: 500 }), { ...DEFAULT_SCHEDULE, T: 500 });
  // The default spec builds the very schedule sampling used before it was recorded.
  assert.equal(scheduleFromSpec(undefined), cosineSchedule());
  assert.equal(defaultSchedule(), cosineSchedule());
  const short = scheduleFromSpec({ kind: 'cosine', T: 200, s: 0.008, maxBeta: 0.999 });
  assert.equal(short.T, 200);
  assert.equal(short.alphaBar(99), cosineSchedule(200).alphaBar(99));
  assert.throws(() => scheduleSpec({ kind: 'linear' }), /kind must be 'cosine'/);
  assert.throws(() => scheduleSpec({ T: 10.5 }), /T must be an integer/);
  assert.throws(() => scheduleSpec({ s: -1 }), /s must be a positive number/);
  assert.throws(() => scheduleSpec({ maxBeta: 1 }), /maxBeta must be in \(0, 1\)/);
  assert.throws(() => scheduleSpec('cosine'), /must be an object/);
});

test('every shipped diffusion checkpoint records its schedule: the default', () => {
  for (const model of ['prior', 'decoder', 'upsampler']) {
    const cfg = JSON.parse(readFileSync(new URL(`../../weights/${model}/config.json`, import.meta.url), 'utf8')) as { config: { schedule?: unknown } };
    assert.deepEqual(cfg.config.schedule, DEFAULT_SCHEDULE, `weights/${model}/config.json`);
  }
});
