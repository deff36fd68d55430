// The wasm BatchMatMul patch must give the same numbers as the untouched kernel for every
// transpose combination, batched or not, broadcast or not, and leak nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from './backend.js';
import { wasmMatMulPatchInstalled } from './wasm-matmul.js';

// [aShape (untransposed m x k), bShape (k x n)] pairs: plain, batched, and broadcast batch.
const cases: Array<{ name: string; a: number[]; b: number[] }> = [
  { name: '2-D', a: [7, 5], b: [5, 3] },
  { name: 'batched 3-D', a: [4, 6, 9], b: [4, 9, 2] },
  { name: 'batched 4-D (heads)', a: [2, 3, 8, 5], b: [2, 3, 5, 8] },
  { name: 'broadcast batch', a: [3, 4, 6], b: [1, 6, 5] },
];

function swapLast2(shape: number[]): number[] {
  const s = [...shape];
  const r = s.length;
  [s[r - 2], s[r - 1]] = [s[r - 1]!, s[r - 2]!];
  return s;
}

test('wasm is the backend here and the matmul patch is installed', async () => {
  const choice = await initBackend({ log: () => {} });
  if (choice.name !== 'wasm') return; // on a native backend the patch does not apply
  assert.equal(wasmMatMulPatchInstalled(), true);
});

for (const c of cases) {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      test(`matMul ${c.name} transposeA=${transposeA} transposeB=${transposeB} equals the reference`, async () => {
        await initBackend({ log: () => {} });
        const seedA = tf.randomUniform(c.a, -1, 1, 'float32', 11);
        const seedB = tf.randomUniform(c.b, -1, 1, 'float32', 12);
        const aVals = await seedA.array();
        const bVals = await seedB.array();
        seedA.dispose();
        seedB.dispose();
        // Reference: the product of the untransposed operands on the patched backend's plain
        // path (no transpose flag), computed before storing the operands transposed.
        const before = tf.memory().numTensors;
        const { got, want } = tf.tidy(() => {
          const a = tf.tensor(aVals as number[]);
          const b = tf.tensor(bVals as number[]);
          const want = tf.matMul(a, b);
          const r = a.rank;
          const perm = [...Array(r).keys()];
          [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
          const aIn = transposeA ? tf.transpose(a, perm) : a;
          const bIn = transposeB ? tf.transpose(b, perm) : b;
          assert.deepEqual(aIn.shape, transposeA ? swapLast2(c.a) : c.a);
          return { got: tf.matMul(aIn, bIn, transposeA, transposeB), want };
        });
        assert.deepEqual(got.shape, want.shape);
        const g = await got.data();
        const w = await want.data();
        for (let i = 0; i < w.length; i++) assert.ok(Math.abs(g[i]! - w[i]!) <= 1e-5 * (1 + Math.abs(w[i]!)), `element ${i}: ${g[i]} vs ${w[i]}`);
        got.dispose();
        want.dispose();
        assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
      });
    }
  }
}

test('patched matMul agrees with the cpu backend and its gradient leaks nothing', async () => {
  await initBackend({ log: () => {} });
  const a = [[1, 2, 3], [4, 5, 6]];
  const b = [[0.5, -1], [2, 0.25], [-3, 1]];
  const before = tf.memory().numTensors;
  const [ga, gb] = tf.tidy(() => {
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).square().sum();
    const grads = tf.grads(f)([tf.tensor2d(a), tf.tensor2d(b)]);
    return [grads[0]!.arraySync(), grads[1]!.arraySync()];
  });
  assert.equal(tf.memory().numTensors, before);
  // Same gradient on the reference cpu backend (its matMul has no patch).
  const current = tf.getBackend();
  await tf.setBackend('cpu');
  const [ra, rb] = tf.tidy(() => {
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).square().sum();
    const grads = tf.grads(f)([tf.tensor2d(a), tf.tensor2d(b)]);
    return [grads[0]!.arraySync(), grads[1]!.arraySync()];
  });
  await tf.setBackend(current);
  assert.deepEqual(ga, ra);
  assert.deepEqual(gb, rb);
});
