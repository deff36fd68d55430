// Matrix-multiply throughput on the active backend, plain and with each transpose flag: the
// figure that shows whether the wasm transposed-matmul patch (ml/wasm-matmul.ts) is doing its job.
import * as tf from '@tensorflow/tfjs-core';
import { median } from './stats.js';

export interface MatMulFigures {
  size: number;
  nn_gflops: number;
  tn_gflops: number;
  nt_gflops: number;
}

export async function benchMatMul(size = 1024, repeats = 5): Promise<MatMulFigures> {
  const a = tf.randomNormal([size, size], 0, 1, 'float32', 1);
  const b = tf.randomNormal([size, size], 0, 1, 'float32', 2);
  const flops = 2 * size ** 3;
  const run = async (ta: boolean, tb: boolean): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < repeats + 1; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b, ta, tb);
      await c.data();
      c.dispose();
      if (i > 0) times.push(performance.now() - t0); // the first run warms caches
    }
    return round1(flops / (median(times) * 1e6));
  };
  try {
    return { size, nn_gflops: await run(false, false), tn_gflops: await run(true, false), nt_gflops: await run(false, true) };
  } finally {
    a.dispose();
    b.dispose();
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
