import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgvReader } from './argv.js';
import { LossMean, Throughput } from './meters.js';
import { warmupConstantCooldown } from './schedule.js';

test('ArgvReader: each option reads its own value; a missing value or a non-number is an error naming the option', () => {
  const seen: [string, unknown][] = [];
  const args = new ArgvReader(['--steps', '30', '--resume', '--run-dir', 'x']);
  for (const a of args) {
    if (a === '--steps') seen.push([a, args.number()]);
    else if (a === '--run-dir') seen.push([a, args.value()]);
    else seen.push([a, true]);
  }
  assert.deepEqual(seen, [['--steps', 30], ['--resume', true], ['--run-dir', 'x']]);
  const missing = new ArgvReader(['--lr']);
  assert.throws(() => { for (const _ of missing) missing.value(); }, /--lr needs a value/);
  const nan = new ArgvReader(['--lr', 'fast']);
  assert.throws(() => { for (const _ of nan) nan.number(); }, /--lr needs a number/);
});

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
