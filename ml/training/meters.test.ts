import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LossMean, Throughput } from './meters.js';
import { warmupConstantCooldown } from './schedule.js';

test('LossMean gives the mean of each full window of steps, and nothing in between', () => {
  const m = new LossMean(3);
  assert.deepEqual([1, 2, 6, 4, 4, 4].map((l) => m.add(l)), [undefined, undefined, 3, undefined, undefined, 4]);
});

test('Throughput: samples per second over the window it closes, then a fresh window', () => {
  const t = new Throughput();
  t.measure(1_000); // close the window the constructor opened; the next starts at 1 s
  t.add(30);
  t.add(20);
  assert.equal(t.elapsedMs(2_000), 1_000);
  assert.equal(t.measure(3_000), 25); // 50 samples in 2 s
  assert.equal(t.perSecond, 25);
  t.add(10);
  assert.equal(t.measure(3_000), 10_000); // a window closed within the same millisecond counts as 1 ms, not 0
});

test('warmupConstantCooldown: linear warm-up, constant, then a linear decay to 0 over the last steps', () => {
  const o = { lr: 1e-3, warmup: 10, total: 100 };
  assert.equal(warmupConstantCooldown(0, o), 1e-4);
  assert.equal(warmupConstantCooldown(9, o), 1e-3);
  assert.equal(warmupConstantCooldown(99, o), 1e-3, 'no cooldown: constant to the end');
  const c = { ...o, cooldown: 20 };
  assert.equal(warmupConstantCooldown(79, c), 1e-3, 'constant until the cooldown starts');
  assert.equal(warmupConstantCooldown(80, c), 1e-3, 'the first cooldown step still has the full rate');
  assert.ok(Math.abs(warmupConstantCooldown(90, c) - 5e-4) < 1e-12, 'halfway down');
  assert.ok(Math.abs(warmupConstantCooldown(99, c) - 5e-5) < 1e-12, 'the last step has 1/cooldown of the rate');
  assert.equal(warmupConstantCooldown(120, c), 0, 'never negative past the end');
  // Resumed after that cooldown (ended at 100), to 300 without one: warm up again from 100.
  const again = { ...o, total: 300, rewarmFrom: 100 };
  assert.equal(warmupConstantCooldown(100, again), 1e-4);
  assert.equal(warmupConstantCooldown(109, again), 1e-3);
  assert.equal(warmupConstantCooldown(150, again), 1e-3);
});

test('warmupCosine: linear warm-up, then a cosine from lr down to lr/10 at the last step', async () => {
  const { warmupCosine } = await import('./schedule.js');
  const o = { lr: 1, warmup: 4, total: 104 };
  assert.deepEqual([0, 1, 3].map((s) => warmupCosine(s, o)), [0.25, 0.5, 1]);
  assert.equal(warmupCosine(4, o), 1);
  assert.ok(Math.abs(warmupCosine(54, o) - 0.55) < 1e-12, 'halfway: the mean of lr and lr/10');
  assert.ok(Math.abs(warmupCosine(104, o) - 0.1) < 1e-12);
  assert.ok(Math.abs(warmupCosine(500, o) - 0.1) < 1e-12, 'held at lr/10 past the end (a run extended with --steps)');
});
