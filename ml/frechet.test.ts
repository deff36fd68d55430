import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frechetBootstrapSd, frechetDistance, meanCov, symmetricEigen } from './frechet.js';
import { mulberry32 } from './rng.js';

const gauss = (rand: () => number) => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

test('symmetric eigen: reconstructs the matrix; eigenvalues of a known 2x2', () => {
  const { values } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  assert.deepEqual([...values].map((x) => +x.toFixed(9)).sort(), [1, 3]);
  const n = 6;
  const rand = mulberry32(3);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rand() - 0.5;
  const { values: l, vectors: v } = symmetricEigen(a, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += v[i * n + k]! * l[k]! * v[j * n + k]!;
      assert.ok(Math.abs(s - a[i * n + j]!) < 1e-9);
    }
  }
});

test('Fréchet distance: 0 for one set against itself; the closed form for shifted and scaled Gaussians', () => {
  const d = 4;
  const n = 4000;
  const rand = mulberry32(7);
  const x = new Float32Array(n * d).map(() => gauss(rand));
  assert.ok(Math.abs(frechetDistance(x, n, x, n, d)) < 1e-6);
  // y = 2x + 1: Σy = 4Σx → tr(Σx + 4Σx − 2·2Σx) = tr Σx
  const y = x.map((v) => 2 * v + 1);
  const fd = frechetDistance(x, n, y, n, d);
  const { mean, cov } = meanCov(x, n, d);
  let want = 0;
  for (let i = 0; i < d; i++) want += (mean[i]! + 1) ** 2 + cov[i * d + i]!; // |μx − (2μx + 1)|² + tr Σx
  assert.ok(Math.abs(fd - want) < 1e-5, `fd ${fd}, want ${want}`);
});

test('Fréchet bootstrap sd: positive, seeded, and smaller for a larger sample', () => {
  const d = 4;
  const rand = mulberry32(11);
  const y = new Float32Array(4000 * d).map(() => gauss(rand));
  const sample = (n: number) => new Float32Array(n * d).map(() => gauss(rand) + 0.3);
  const small = sample(50);
  const large = sample(2000);
  const sdSmall = frechetBootstrapSd(small, 50, y, 4000, d, { rand: mulberry32(1) });
  const sdLarge = frechetBootstrapSd(large, 2000, y, 4000, d, { rand: mulberry32(1) });
  assert.ok(sdSmall > 0 && sdLarge > 0);
  assert.ok(sdLarge < sdSmall / 3, `50 rows: ${sdSmall}, 2000 rows: ${sdLarge}`); // ~1/√n: √40 ≈ 6.3
  assert.equal(frechetBootstrapSd(small, 50, y, 4000, d, { rand: mulberry32(1) }), sdSmall, 'same seed, same figure');
  assert.throws(() => frechetBootstrapSd(small, 50, y, 4000, d, { resamples: 1, rand: mulberry32(1) }), /at least 2 resamples/);
});
