// The forward (noising) process shared by the prior and the decoder: the cosine schedule of
// Nichol & Dhariwal (2021), q(x_t | x_0), and the conversions between the three things a network
// can be trained to predict (noise ε, clean sample x₀, or velocity v).
//
// Conventions: timesteps are integers t ∈ [0, T-1] (T = 1000 for training); ᾱ_t is the signal
// fraction after step t, so ᾱ_0 ≈ 1 (almost clean) and ᾱ_{T-1} ≈ 0 (pure noise). ᾱ_{-1} = 1 is
// "clean", used by samplers for their last step. α_t = √ᾱ_t scales the signal, σ_t = √(1-ᾱ_t)
// the noise: x_t = α_t·x₀ + σ_t·ε.
import * as tf from '@tensorflow/tfjs-core';

export const TRAIN_STEPS = 1000;

/** What a denoiser outputs. DALL-E 2's prior predicts x₀; image decoders usually ε or v. */
export type Parameterization = 'eps' | 'x0' | 'v';

export interface NoiseSchedule {
  /** Number of training timesteps. */
  readonly T: number;
  /** β_t, clipped at `maxBeta` (only the last step or two reach the clip). */
  readonly betas: Float64Array;
  /** ᾱ_t = Π_{s≤t} (1 - β_s). */
  readonly alphasCumprod: Float64Array;
  /** ᾱ at timestep t, with ᾱ_{-1} = 1 (the clean end). */
  alphaBar(t: number): number;
}

/** Closed-form cosine ᾱ(u) = f(u)/f(0), f(u) = cos²((u + s)/(1 + s) · π/2), u ∈ [0, 1]. */
export function cosineAlphaBar(u: number, s = 0.008): number {
  const f = (v: number) => Math.cos(((v + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  return f(u) / f(0);
}

const cache = new Map<string, NoiseSchedule>();

/**
 * The cosine schedule: β_t = min(1 - ᾱ((t+1)/T) / ᾱ(t/T), maxBeta), ᾱ_t = Π (1 - β). Without the
 * clip ᾱ_t equals cosineAlphaBar((t+1)/T) exactly; the clip only bites where ᾱ is ~0 (t = T-1),
 * where it keeps ᾱ_{T-1} > 0 so every conversion stays finite. Memoised per (T, s, maxBeta).
 */
export function cosineSchedule(T = TRAIN_STEPS, opts: { s?: number; maxBeta?: number } = {}): NoiseSchedule {
  const s = opts.s ?? 0.008;
  const maxBeta = opts.maxBeta ?? 0.999;
  const key = `${T}:${s}:${maxBeta}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const betas = new Float64Array(T);
  const alphasCumprod = new Float64Array(T);
  let prod = 1;
  for (let t = 0; t < T; t++) {
    betas[t] = Math.min(1 - cosineAlphaBar((t + 1) / T, s) / cosineAlphaBar(t / T, s), maxBeta);
    prod *= 1 - betas[t]!;
    alphasCumprod[t] = prod;
  }
  const schedule: NoiseSchedule = {
    T,
    betas,
    alphasCumprod,
    alphaBar(t: number): number {
      if (t === -1) return 1;
      if (!Number.isInteger(t) || t < 0 || t >= T) throw new RangeError(`timestep ${t} outside [-1, ${T - 1}]`);
      return alphasCumprod[t]!;
    },
  };
  cache.set(key, schedule);
  return schedule;
}

/**
 * A noise schedule as a checkpoint records it (`schedule` in its config.json): the kind and its
 * parameters. Models build their schedule from it at load (scheduleFromSpec).
 */
export interface ScheduleSpec {
  kind: 'cosine';
  /** Number of training timesteps. */
  T: number;
  /** The cosine schedule's offset s. */
  s: number;
  /** β is clipped at this. */
  maxBeta: number;
}

/** The schedule every model so far was trained with; what a config without `schedule` means. */
export const DEFAULT_SCHEDULE: Readonly<ScheduleSpec> = Object.freeze({ kind: 'cosine', T: TRAIN_STEPS, s: 0.008, maxBeta: 0.999 });

/**
 * The schedule a config records, checked; a missing spec or field takes DEFAULT_SCHEDULE's value,
 * so checkpoints and run folders written before the schedule was recorded load as before.
 */
export function scheduleSpec(raw: unknown = {}): ScheduleSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TypeError(`schedule must be an object, got ${JSON.stringify(raw)}`);
  const spec = { ...DEFAULT_SCHEDULE, ...(raw as Partial<ScheduleSpec>) };
  if (spec.kind !== 'cosine') throw new RangeError(`schedule kind must be 'cosine', got ${JSON.stringify(spec.kind)}`);
  if (!Number.isInteger(spec.T) || spec.T < 2) throw new RangeError(`schedule T must be an integer ≥ 2, got ${JSON.stringify(spec.T)}`);
  if (!(typeof spec.s === 'number' && spec.s > 0 && Number.isFinite(spec.s))) throw new RangeError(`schedule s must be a positive number, got ${JSON.stringify(spec.s)}`);
  if (!(typeof spec.maxBeta === 'number' && spec.maxBeta > 0 && spec.maxBeta < 1)) throw new RangeError(`schedule maxBeta must be in (0, 1), got ${JSON.stringify(spec.maxBeta)}`);
  return { kind: spec.kind, T: spec.T, s: spec.s, maxBeta: spec.maxBeta };
}

/** The schedule a config's `schedule` field describes (absent: the default). Memoised like cosineSchedule. */
export function scheduleFromSpec(raw?: unknown): NoiseSchedule {
  const spec = scheduleSpec(raw);
  return cosineSchedule(spec.T, { s: spec.s, maxBeta: spec.maxBeta });
}

/**
 * A model config with its schedule written out (the default where it had none): what an export
 * writes, so every exported config.json records the schedule, also after resuming an older run.
 */
export function withSchedule<C extends { schedule?: ScheduleSpec }>(config: C): C & { schedule: ScheduleSpec } {
  return { ...config, schedule: scheduleSpec(config.schedule) };
}

/** The schedule of DEFAULT_SCHEDULE. */
export function defaultSchedule(): NoiseSchedule {
  return scheduleFromSpec(DEFAULT_SCHEDULE);
}

/**
 * Per-sample √ᾱ_t and √(1-ᾱ_t) as tensors shaped [B, 1, ..., 1] to broadcast against x [B, ...].
 * `t` holds one integer timestep per sample.
 */
export function coefficients(schedule: NoiseSchedule, t: tf.Tensor1D | number[], rank: number): { alpha: tf.Tensor; sigma: tf.Tensor } {
  return tf.tidy(() => {
    const ts = Array.isArray(t) ? tf.tensor1d(t, 'int32') : t;
    const ab = tf.gather(tf.tensor1d(Float32Array.from(schedule.alphasCumprod)), ts);
    const shape = [ts.shape[0], ...Array<number>(rank - 1).fill(1)];
    return { alpha: tf.reshape(tf.sqrt(ab), shape), sigma: tf.reshape(tf.sqrt(tf.sub(1, ab)), shape) };
  });
}

/** q(x_t | x_0): x_t = √ᾱ_t·x₀ + √(1-ᾱ_t)·noise, per-sample t ([B] integers). */
export function qSample(schedule: NoiseSchedule, x0: tf.Tensor, t: tf.Tensor1D | number[], noise: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { alpha, sigma } = coefficients(schedule, t, x0.rank);
    return tf.add(tf.mul(alpha, x0), tf.mul(sigma, noise));
  });
}

/** Scalar or broadcastable per-sample coefficient. */
type Coef = number | tf.Tensor;

/**
 * What a network of parameterisation `param` should output for (x₀, noise) at the noise level
 * (α = √ᾱ, σ = √(1-ᾱ)): ε → noise, x0 → x₀, v → α·noise - σ·x₀ (Salimans & Ho 2022).
 */
export function trainingTarget(param: Parameterization, x0: tf.Tensor, noise: tf.Tensor, alpha: Coef, sigma: Coef): tf.Tensor {
  switch (param) {
    case 'eps':
      return tf.clone(noise);
    case 'x0':
      return tf.clone(x0);
    case 'v':
      return tf.tidy(() => tf.sub(tf.mul(alpha, noise), tf.mul(sigma, x0)));
  }
}

/**
 * Turns a network output into both x₀ and ε at x_t (α = √ᾱ, σ = √(1-ᾱ), α² + σ² = 1):
 *   eps: x₀ = (x_t - σ·ε)/α          x0: ε = (x_t - α·x₀)/σ          v: x₀ = α·x_t - σ·v, ε = σ·x_t + α·v
 * Both returned tensors are new (the caller disposes them).
 */
export function toX0Eps(param: Parameterization, out: tf.Tensor, xt: tf.Tensor, alpha: Coef, sigma: Coef): { x0: tf.Tensor; eps: tf.Tensor } {
  return tf.tidy(() => {
    switch (param) {
      case 'eps':
        return { x0: tf.div(tf.sub(xt, tf.mul(sigma, out)), alpha), eps: tf.clone(out) };
      case 'x0':
        return { x0: tf.clone(out), eps: tf.div(tf.sub(xt, tf.mul(alpha, out)), sigma) };
      case 'v':
        return { x0: tf.sub(tf.mul(alpha, xt), tf.mul(sigma, out)), eps: tf.add(tf.mul(sigma, xt), tf.mul(alpha, out)) };
    }
  });
}

/** The output a network of parameterisation `param` would give for this (x₀, ε) pair: the inverse of toX0Eps. */
export function fromX0Eps(param: Parameterization, x0: tf.Tensor, eps: tf.Tensor, alpha: Coef, sigma: Coef): tf.Tensor {
  return trainingTarget(param, x0, eps, alpha, sigma);
}

/**
 * Where training spends its timesteps: `fraction` of the rows are drawn uniformly from the high-noise
 * band [from, T), the rest uniformly from [0, T). Why a band: generating an image decides its
 * layout at t ≳ 800 (sampling from a real image noised to t = 800 keeps its shape; from t = 900
 * it is lost), and uniform t gives that band only a fifth of the training.
 */
export interface TimestepBand {
  fraction: number;
  from: number;
}

/**
 * n training timesteps from one uniform draw per row (`rand` in [0, 1)), so that no band (or a
 * fraction of 0) gives exactly the uniform timesteps of earlier runs, draw for draw.
 */
export function drawTimesteps(n: number, rand: () => number, T = TRAIN_STEPS, band?: TimestepBand): Int32Array {
  const f = band?.fraction ?? 0;
  if (f < 0 || f > 1) throw new RangeError(`the high-t fraction must be in [0, 1], got ${f}`);
  if (band && (!Number.isInteger(band.from) || band.from < 0 || band.from >= T)) throw new RangeError(`the high-t band must start at a timestep in [0, ${T}), got ${band.from}`);
  const from = band?.from ?? 0;
  return Int32Array.from({ length: n }, () => {
    const u = rand();
    const t = u < f ? from + Math.floor((u / f) * (T - from)) : Math.floor(((u - f) / (1 - f)) * T);
    return Math.min(T - 1, t);
  });
}
