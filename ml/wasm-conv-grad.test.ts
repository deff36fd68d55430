// The wasm conv-gradient kernels must give the cpu backend's gradients (within 1e-4 of the
// largest entry) for every padding mode, kernel sizes 1 and 3, strides 1 and 2, and leak nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from './backend.js';
import { installWasmConvGrad } from './wasm-conv-grad.js';

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case { x: [number, number, number, number]; k: number; co: number; stride: 1 | 2; pad: Pad }

const cases: Case[] = [
  { x: [2, 8, 8, 3], k: 3, co: 4, stride: 1, pad: 'same' },
  { x: [3, 7, 5, 6], k: 3, co: 5, stride: 1, pad: 'valid' },
  { x: [2, 6, 9, 4], k: 3, co: 2, stride: 1, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { x: [4, 5, 5, 8], k: 1, co: 16, stride: 1, pad: 'same' },
  { x: [2, 6, 4, 3], k: 1, co: 2, stride: 1, pad: [[0, 0], [1, 1], [0, 1], [0, 0]] },
  { x: [2, 8, 8, 4], k: 3, co: 6, stride: 2, pad: 'same' },
  { x: [2, 7, 9, 3], k: 3, co: 4, stride: 2, pad: 'same' },
  { x: [2, 9, 7, 3], k: 3, co: 4, stride: 2, pad: 'valid' },
  { x: [1, 8, 8, 2], k: 1, co: 3, stride: 2, pad: 'valid' },
  { x: [2, 8, 8, 3], k: 3, co: 3, stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { x: [4, 12, 12, 16], k: 3, co: 16, stride: 1, pad: 'same' },
];

async function ready(): Promise<boolean> {
  const choice = await initBackend({ log: () => {} });
  if (choice.name !== 'wasm') return false;
  installWasmConvGrad();
  return true;
}

// Gradients of Σ conv2d(x, W) ⊙ R with respect to x and W, as plain arrays.
function grads(c: Case, xv: Float32Array, wv: Float32Array, rv: Float32Array): { dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(xv, c.x);
    const w = tf.tensor4d(wv, [c.k, c.k, c.x[3], c.co]);
    const f = (a: tf.Tensor, b: tf.Tensor) => {
      const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
      return tf.sum(tf.mul(y, tf.tensor(rv, y.shape)));
    };
    const [dx, dw] = tf.grads(f)([x, w]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

function outShape(c: Case): number[] {
  return tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([c.k, c.k, c.x[3], c.co]) as tf.Tensor4D, c.stride, c.pad).shape);
}

function maxRelErr(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
  }
  return err / (scale || 1);
}

const rand = (n: number, seed: number) => tf.tidy(() => tf.randomUniform([n], -1, 1, 'float32', seed).dataSync() as Float32Array);

for (const c of cases) {
  const name = `conv2d grads x=${c.x} k=${c.k} co=${c.co} stride=${c.stride} pad=${JSON.stringify(c.pad)} equal the cpu backend's`;
  test(name, async (t) => {
    if (!(await ready())) return t.skip('backend is not wasm');
    const xv = rand(c.x.reduce((a, b) => a * b), 1);
    const wv = rand(c.k * c.k * c.x[3] * c.co, 2);
    const rv = rand(outShape(c).reduce((a, b) => a * b), 3);
    const before = tf.memory().numTensors;
    const got = grads(c, xv, wv, rv);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
    await tf.setBackend('cpu');
    try {
      const want = grads(c, xv, wv, rv);
      const ew = maxRelErr(got.dw, want.dw);
      const ex = maxRelErr(got.dx, want.dx);
      assert.ok(ew <= 1e-4, `filter gradient off by ${ew}`);
      assert.ok(ex <= 1e-4, `input gradient off by ${ex}`);
    } finally {
      await tf.setBackend('wasm');
    }
  });
}

test('conv2dTranspose (stride 2) forward equals the cpu backend', async (t) => {
  if (!(await ready())) return t.skip('backend is not wasm');
  const dyv = rand(2 * 4 * 4 * 5, 4);
  const wv = rand(3 * 3 * 3 * 5, 5);
  const run = () => tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(dyv, [2, 4, 4, 5]), tf.tensor4d(wv, [3, 3, 3, 5]), [2, 8, 8, 3], 2, 'same').dataSync() as Float32Array);
  const got = run();
  await tf.setBackend('cpu');
  const want = run();
  await tf.setBackend('wasm');
  assert.ok(maxRelErr(got, want) <= 1e-4);
});

test('tf.gather trains on wasm: UnsortedSegmentSum equals the cpu backend, drops out-of-range ids', async (t) => {
  if (!(await ready())) return t.skip('backend is not wasm');
  const table = rand(10 * 6, 6);
  const idx = [3, 1, 3, 9, 0, 3, 7];
  const run = () => tf.tidy(() => {
    const f = (w: tf.Tensor) => tf.sum(tf.mul(tf.gather(w, tf.tensor1d(idx, 'int32')), tf.range(0, 7 * 6).reshape([7, 6])));
    const g = tf.grad(f)(tf.tensor2d(table, [10, 6]));
    const seg = tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, -1, 1], 'int32'), 3);
    return { g: g.dataSync() as Float32Array, seg: Array.from(seg.dataSync()) };
  });
  const before = tf.memory().numTensors;
  const got = run();
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  await tf.setBackend('cpu');
  const want = run();
  await tf.setBackend('wasm');
  assert.deepEqual(Array.from(got.g), Array.from(want.g));
  assert.deepEqual(got.seg, [0, 0, 6, 8, 0, 0]);
});
