// Building blocks shared by the transformer models (CLIP, prior): parameters live in a flat
// Record named like "blocks.0.attn.qkv.w" (tf.Variables while training), so a checkpoint is just
// that record. Written for the wasm backend's strengths (DESIGN.md section 2): every dense layer
// is a plain 2-D matMul, and the backward pass never asks wasm for a transposed product.
import * as tf from '@tensorflow/tfjs-core';

export type Params = Record<string, tf.Tensor>;

export function countParams(p: Params): number {
  return Object.values(p).reduce((n, t) => n + t.size, 0);
}

/** p[name], or an error naming the model (`owner`) whose checkpoint lacks it. */
export function param(p: Params, name: string, owner: string): tf.Tensor {
  const t = p[name];
  if (!t) throw new Error(`${owner} parameter ${name} missing`);
  return t;
}

/**
 * Transpose a matrix [R, C] -> [C, R]. The wasm Transpose kernel is cache-unfriendly on large
 * rank-2 inputs; two rank-3 transposes over blocks of `blk` rows are 2-3x faster here.
 */
export function transpose2d(x: tf.Tensor2D, blk = 16): tf.Tensor2D {
  const [R, C] = x.shape;
  if (R % blk !== 0 || R * C < 65536) return tf.transpose(x);
  // [R/blk, blk, C] -> [R/blk, C, blk] -> [C, R/blk, blk] -> [C, R]
  return tf.reshape(tf.transpose(tf.transpose(tf.reshape(x, [R / blk, blk, C]), [0, 2, 1]), [1, 0, 2]), [C, R]);
}

export type GradFn = Parameters<typeof tf.customGrad>[0];

/**
 * y = x [R, in] · w [in, out] + b, with a hand-written gradient so each backward product is a
 * plain (untransposed) matMul on operands transposed by transpose2d.
 */
const denseOp = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  const value = tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b });
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
    const dx = tf.matMul(dy as tf.Tensor2D, transpose2d(ws)); // [R, in]
    const dw = tf.matMul(transpose2d(xs), dy as tf.Tensor2D); // [in, out]
    const db = tf.sum(dy, 0); // [out]
    return [dx, dw, db];
  };
  return { value, gradFunc };
}) as unknown as GradFn);

/** Dense layer `${prefix}.w` [in, out], `${prefix}.b` [out] on x [R, in]. */
export function dense(w: tf.Tensor, b: tf.Tensor, x: tf.Tensor2D): tf.Tensor2D {
  return denseOp(x, w, b) as tf.Tensor2D;
}

export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps = 1e-5): tf.Tensor {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const xc = tf.sub(x, mean);
  const variance = tf.mean(tf.square(xc), axis, true);
  return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, eps))), g), b);
}

/** "Quick GELU" x·σ(1.702x), the activation of OpenAI's CLIP; fewer ops than the tanh form. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
}

/** [T, T] additive causal mask (0 on and below the diagonal, -1e9 above); made per call, tiny. */
export function causalMask(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
  return tf.tensor2d(m, [T, T]);
}

export function l2normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D;
}
