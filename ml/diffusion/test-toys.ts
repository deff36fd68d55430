// Toy denoisers shared by the diffusion tests (not a test file itself): data whose exact
// denoiser is known in closed form, so a sampler's output can be checked against the truth.
import * as tf from '@tensorflow/tfjs-core';
import { coefficients, cosineSchedule, fromX0Eps, type Denoiser, type Parameterization } from './index.js';

const schedule = cosineSchedule();

// Data x₀ ~ N(μ, s²I). With x_t = α·x₀ + σ·ε: E[x₀ | x_t] = μ + α·s²/(α²s² + σ²)·(x_t - α·μ).
// `cond` (a number) shifts μ, so guidance has something to act on.
export function gaussianDenoiser(mu: number[], s: number, param: Parameterization): Denoiser<number> {
  return (xt, t, cond) => {
    const { alpha, sigma } = coefficients(schedule, t, xt.rank);
    const m = tf.add(tf.tensor1d(mu), cond ?? 0);
    const k = tf.div(tf.mul(alpha, s * s), tf.add(tf.mul(tf.square(alpha), s * s), tf.square(sigma)));
    const x0 = tf.add(m, tf.mul(k, tf.sub(xt, tf.mul(alpha, m))));
    const eps = tf.div(tf.sub(xt, tf.mul(alpha, x0)), sigma);
    return fromX0Eps(param, x0, eps, alpha, sigma);
  };
}

