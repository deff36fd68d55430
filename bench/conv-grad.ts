// Conv-layer throughput on the active backend: forward, input gradient and filter gradient of a
// representative decoder layer (batch 32, 16x16, 64→64 channels, 3x3, stride 1). On wasm the
// gradients come from ml/wasm-conv-grad.ts (installed here if nobody has yet).
import * as tf from '@tensorflow/tfjs-core';
import { installWasmConvGrad } from '../ml/wasm-conv-grad.js';
import { median } from './stats.js';

export interface ConvGradFigures {
  layer: string;
  forward_gflops: number;
  input_grad_gflops: number;
  filter_grad_gflops: number;
  filter_grad_ms: number;
}

export async function benchConvGrad(repeats = 5): Promise<ConvGradFigures> {
  installWasmConvGrad();
  const [n, h, ci, co, k] = [32, 16, 64, 64, 3];
  const x = tf.randomNormal([n, h, h, ci], 0, 1, 'float32', 1) as tf.Tensor4D;
  const dy = tf.randomNormal([n, h, h, co], 0, 1, 'float32', 2) as tf.Tensor4D;
  const w = tf.randomNormal([k, k, ci, co], 0, 0.1, 'float32', 3) as tf.Tensor4D;
  const flops = 2 * n * h * h * k * k * ci * co;
  const time = async (f: () => tf.Tensor): Promise<number> => {
    const ms: number[] = [];
    for (let i = 0; i < repeats + 1; i++) {
      const t0 = performance.now();
      const r = f();
      await r.data();
      r.dispose();
      if (i > 0) ms.push(performance.now() - t0); // the first run warms caches
    }
    return median(ms);
  };
  try {
    const fwd = await time(() => tf.conv2d(x, w, 1, 'same'));
    const dx = await time(() => tf.conv2dTranspose(dy, w, [n, h, h, ci], 1, 'same'));
    const dw = await time(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, ci, co] }) as tf.Tensor);
    const g = (ms: number) => Math.round((flops / (ms * 1e6)) * 10) / 10;
    return { layer: `${n}x${h}x${h}x${ci} -> ${co}, ${k}x${k}`, forward_gflops: g(fwd), input_grad_gflops: g(dx), filter_grad_gflops: g(dw), filter_grad_ms: Math.round(dw) };
  } finally {
    tf.dispose([x, dy, w]);
  }
}
