// The layers the U-Net (unet.ts) is assembled from: dense, conv, GroupNorm, LayerNorm, the
// res-block and the attention block, and the fixed features it reads (timestep sinusoid, position
// code). Each layer takes the network's parameter source `p` and a stable name, and asks `p` for
// its weights under `<name>.w`, `<name>.b`, ...: the names in the checkpoint. The layers own no
// state, so the network's one forward pass (UNet.apply) is the only place the architecture is
// written, and creating a network is running that pass once.
// The architecture they make, and what a res-block and an attention block are: unet.ts's header.
import * as tf from '@tensorflow/tfjs-core';

export type Init = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

/** The parameter of that name and shape: created with `init` on first use, the same variable after. */
export type ParamSource = (name: string, shape: number[], init: Init) => tf.Variable;

export function dense(p: ParamSource, name: string, x: tf.Tensor, din: number, dout: number, zero = false): tf.Tensor {
  const lead = x.shape.slice(0, -1);
  const w = p(`${name}.w`, [din, dout], zero ? { kind: 'zeros' } : { kind: 'normal', std: 1 / Math.sqrt(din) });
  const y = tf.add(tf.matMul(tf.reshape(x, [-1, din]), w), p(`${name}.b`, [dout], { kind: 'zeros' })); // [rows, dout]
  return tf.reshape(y, [...lead, dout]); // [..., dout]
}

export function conv(p: ParamSource, name: string, x: tf.Tensor4D, cin: number, cout: number, k = 3, stride = 1, zero = false): tf.Tensor4D {
  const w = p(`${name}.w`, [k, k, cin, cout], zero ? { kind: 'zeros' } : { kind: 'normal', std: Math.sqrt(2 / (k * k * cin)) });
  return tf.add(tf.conv2d(x, w as tf.Tensor4D, stride, 'same'), p(`${name}.b`, [cout], { kind: 'zeros' }));
}

export function groupNorm(p: ParamSource, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const groups = Math.min(8, c / 4);
  const g = tf.reshape(x, [b, h * w, groups, c / groups]); // [B, HW, G, C/G]
  const { mean, variance } = tf.moments(g, [1, 3], true);
  const y = tf.reshape(tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, 1e-5))), [b, h, w, c]); // [B, H, W, C]
  return tf.add(tf.mul(y, p(`${name}.g`, [c], { kind: 'ones' })), p(`${name}.b`, [c], { kind: 'zeros' }));
}

export function layerNorm(p: ParamSource, name: string, x: tf.Tensor, d: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  return tf.add(tf.mul(y, p(`${name}.g`, [d], { kind: 'ones' })), p(`${name}.b`, [d], { kind: 'zeros' }));
}

/** `embS`: [B, tdim] the SiLU of the embedding every res-block reads. */
export function resBlock(p: ParamSource, name: string, x: tf.Tensor4D, cin: number, cout: number, embS: tf.Tensor2D, tdim: number): tf.Tensor4D {
  let h = conv(p, `${name}.c1`, silu(groupNorm(p, `${name}.n1`, x)), cin, cout);
  h = tf.add(h, tf.reshape(dense(p, `${name}.e`, embS, tdim, cout), [-1, 1, 1, cout])); // [B, 1, 1, C] over H, W
  h = conv(p, `${name}.c2`, silu(groupNorm(p, `${name}.n2`, h)), cout, cout, 3, 1, true);
  const skip = cin === cout ? x : conv(p, `${name}.skip`, x, cin, cout, 1);
  return tf.add(skip, h);
}

/** Self-attention over the H·W image tokens, whose keys and values also include the context tokens ([B, n, tdim]). */
export function attnBlock(p: ParamSource, name: string, x: tf.Tensor4D, ctx: tf.Tensor3D | null, heads: number, tdim: number): tf.Tensor4D {
  const [b, hh, ww, c] = x.shape;
  const l = hh * ww;
  const dh = c / heads;
  const tokens = tf.reshape(groupNorm(p, `${name}.n`, x), [b, l, c]); // [B, L, C]
  let k = dense(p, `${name}.k`, tokens, c, c);
  let v = dense(p, `${name}.v`, tokens, c, c);
  const q = dense(p, `${name}.q`, tokens, c, c);
  if (ctx) {
    k = tf.concat([k, dense(p, `${name}.ck`, ctx, tdim, c)], 1); // [B, L + 4, C]
    v = tf.concat([v, dense(p, `${name}.cv`, ctx, tdim, c)], 1);
  }
  const lk = k.shape[1]!;
  // Heads folded into the batch once: [B, len, H, dh] → [B, H, len, dh] → [B·H, len, dh].
  const split = (y: tf.Tensor, len: number) => tf.reshape(tf.transpose(tf.reshape(y, [b, len, heads, dh]), [0, 2, 1, 3]), [b * heads, len, dh]);
  const att = tf.softmax(tf.mul(tf.matMul(split(q, l), split(k, lk), false, true), 1 / Math.sqrt(dh))); // [B·H, L, Lk]
  const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, split(v, lk)), [b, heads, l, dh]), [0, 2, 1, 3]), [b, l, c]); // [B, L, C]
  return tf.add(x, tf.reshape(dense(p, `${name}.o`, o, c, c, true), [b, hh, ww, c])); // tokens back to [B, H, W, C]
}

export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x));
}

/** Frequencies (cycles across the grid) of the position code's Fourier features. */
const POS_FREQS = [0.5, 1, 2, 4, 8];

/**
 * [side², 4·|POS_FREQS|] fixed features of each cell's coordinates (row-major): sin and cos of
 * π·f·u and π·f·v, with u, v the cell centre in (-1, 1). Separable in u and v; the layers after
 * the stem combine them.
 */
export function positionFeatures(side: number): tf.Tensor2D {
  const rows: number[] = [];
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const v = (2 * i + 1) / side - 1;
      const u = (2 * j + 1) / side - 1;
      for (const f of POS_FREQS) rows.push(Math.sin(Math.PI * f * u), Math.cos(Math.PI * f * u), Math.sin(Math.PI * f * v), Math.cos(Math.PI * f * v));
    }
  }
  return tf.tensor2d(rows, [side * side, 4 * POS_FREQS.length]);
}

/** Sinusoidal embedding [B, dim] of integer timesteps [B] (ADM: cos | sin, max period 10000). */
export function sinusoid(t: tf.Tensor1D, dim: number): tf.Tensor2D {
  const half = dim / 2;
  const freqs = tf.exp(tf.mul(-Math.log(10000) / half, tf.range(0, half))); // [half]
  const args = tf.mul(tf.reshape(tf.cast(t, 'float32'), [-1, 1]), tf.reshape(freqs, [1, half])); // [B, half]
  return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D;
}

