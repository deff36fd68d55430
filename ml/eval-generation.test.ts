// The generation eval end to end on the shipped models, at a size a test can afford: 6 held-out
// concepts, 2 decoder steps. Checks the JSON the issue specifies, that its figures are in range and
// consistent with each other, and that the eval leaves no tensor behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './backend.js';
import { evaluateGeneration } from './eval-generation.js';

test('generation eval: R-precision, FD and their spreads for prior and no prior', async () => {
  await initBackend({ log: () => {} });
  const before = tf.memory().numTensors;
  const dir = mkdtempSync(join(tmpdir(), 'judge-grid-'));
  const grid = join(dir, 'grid.png');
  const r = await evaluateGeneration({ n: 6, steps: 2, chunk: 3, fdResamples: 3, judgeN: 5, judgeSeeds: [1, 2], judgeGrid: grid });
  assert.equal(tf.memory().numTensors, before, 'every tensor the eval made is disposed');
  for (const k of ['n', 'rprecision', 'rprecision_no_prior', 'real_rprecision', 'fd_clip', 'fd_clip_no_prior', 'seconds_per_image']) assert.equal(typeof (r as unknown as Record<string, unknown>)[k], 'number', k);
  assert.equal(r.n, 6);
  assert.equal(r.steps, 2);
  assert.equal(r.heldout_style, 'twemoji');
  for (const p of [r.rprecision, r.rprecision_no_prior, r.real_rprecision]) assert.ok(p >= 0 && p <= 1 && Math.abs(p * 6 - Math.round(p * 6)) < 1e-3, `a share of 6: ${p}`);
  // √(p(1−p)/n) of the unrounded share; the JSON rounds both to 4 places.
  const se = (p: number) => Math.sqrt((p * (1 - p)) / 6);
  assert.ok(Math.abs(r.rprecision_se - se(r.rprecision)) < 2e-4, `${r.rprecision_se} vs ${se(r.rprecision)}`);
  assert.ok(Math.abs(r.rprecision_no_prior_se - se(r.rprecision_no_prior)) < 2e-4);
  assert.ok(r.fd_clip > 0 && r.fd_clip_no_prior > 0 && r.fd_clip_real_subset > 0);
  assert.ok(r.fd_clip_sd > 0 && r.fd_clip_no_prior_sd > 0, 'resampling 6 images moves the distance');
  assert.ok(r.seconds_per_image > 0);
  // the independent judge: 5 concepts, 2 seeds, each mode a share of 10 images
  const j = r.judge;
  assert.equal(j.concepts, 5);
  assert.equal(j.images, 10);
  assert.deepEqual(j.seeds, [1, 2]);
  for (const s of [j.prior, j.no_prior]) {
    for (const p of [s.top1, s.top5]) assert.ok(p >= 0 && p <= 1 && Math.abs(p * 10 - Math.round(p * 10)) < 1e-3, `a share of 10: ${p}`);
    assert.ok(s.top5 >= s.top1);
    assert.ok(Math.abs(s.top5_se - Math.sqrt((s.top5 * (1 - s.top5)) / 10)) < 2e-4);
  }
  assert.equal(j.real_heldout.top5, 1, 'among 5 concepts every real icon is in the top 5');
  // the grid: 5 rows (fewer concepts than 16), held-out icon + one image per seed
  const meta = await sharp(grid).metadata();
  assert.ok(meta.width! > 3 * 96 && meta.height! > 5 * 96, `${meta.width}x${meta.height}`);
  rmSync(dir, { recursive: true });
});
