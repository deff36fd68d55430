// The reverse-process loop shared by the prior and the decoder: over any number of steps, with
// classifier-free guidance, x₀ thresholding, deterministic seeds, a per-step callback and
// cancellation. The update from one timestep to the next is the sampler's (samplers.ts: DDPM,
// DDIM with η, DPM-Solver++(2M)).
//
// The model is a plain function (see `Denoiser`); what conditions it (`C`) is opaque here: the
// prior and the decoder each define their own and pass it through. Guidance calls the model with
// the condition and with the null condition and combines the outputs as
// uncond + s·(cond - uncond), in whatever the model predicts (ε, x₀ or v: all are affine in the
// output at fixed x_t, so the choice does not matter).
import * as tf from '@tensorflow/tfjs-core';
import { checkEdit, editStart, editTimesteps, keepKnown, type EditStart } from './edit.js';
import { createSampler, derivedSeed, type Sampler, type SamplerName } from './samplers.js';
import { defaultSchedule, toX0Eps, type NoiseSchedule, type Parameterization } from './schedule.js';

/**
 * A denoising network. `xt` is [B, ...]; `t` is [B] int32 timesteps in [0, T-1]; `cond` is the
 * caller's condition (or null for "no condition": the model substitutes its null embedding).
 * Returns a new tensor shaped like `xt` holding the prediction in the model's parameterisation.
 * Called inside tf.tidy: it must be synchronous and may create intermediate tensors freely.
 */
export type Denoiser<C> = (xt: tf.Tensor, t: tf.Tensor1D, cond: C | null) => tf.Tensor;

/**
 * How the predicted x₀ is bounded at every step: 'none' (embeddings), 'clip' to [-1, 1] (images),
 * or Imagen's dynamic thresholding: per sample, s = max(1, the `dynamic` quantile of |x₀|), then
 * clip to [-s, s] and divide by s.
 */
export type X0Threshold = 'none' | 'clip' | { dynamic: number };

/** Passed to onStep after each step. The tensors belong to the sampler: valid only until the
 * callback returns (or its promise settles); do not dispose them, clone what you keep. */
export interface StepInfo {
  /** 1-based index of the step just taken. */
  step: number;
  /** Number of steps in this run. */
  total: number;
  /** The timestep the model was evaluated at in this step. */
  t: number;
  /** The timestep `xt` is now at (-1: clean, after the last step). */
  tNext: number;
  /** The schedule's number of timesteps: t / T is the fraction of the way to pure noise. */
  T: number;
  /** The sample after this step, [B, ...]. After the last step it is the output. */
  xt: tf.Tensor;
  /** The (guided, thresholded) prediction of the clean sample made at `t`, [B, ...]. */
  x0pred: tf.Tensor;
}

export interface SampleOptions<C> {
  model: Denoiser<C>;
  /** What `model` predicts. */
  prediction: Parameterization;
  /** [B, ...] shape of the sample. */
  shape: number[];
  /** Number of model evaluations: a sub-sequence of the T training steps, from T-1 down to 0. */
  steps: number;
  /** How those steps are spread (default 'linear'). */
  spacing?: Spacing;
  /** A sampler by name, or a strategy object (sample() calls its init and, on the way out, dispose). */
  sampler: SamplerName | Sampler;
  /** All randomness (initial noise and, for DDPM/DDIM with η > 0, per-step noise) derives from it. */
  seed: number;
  /** DDIM stochasticity: 0 = deterministic DDIM (default), 1 = DDPM's posterior variance. Ignored by the others and by a sampler object (createSampler takes it). */
  eta?: number;
  /** The condition passed to the model. */
  cond?: C | null;
  /** Classifier-free guidance scale s; 1 (the default) means no guidance (one model call per step). */
  guidance?: number;
  /** The null condition for guidance (default null: the model's own null embedding). */
  uncond?: C | null;
  /**
   * Optional: `cond` and `uncond` already stacked along the batch (cond first, uncond second, so
   * 2B rows). With it, guidance runs the model once per step on [x; x] instead of twice.
   */
  pairCond?: C;
  threshold?: X0Threshold;
  /** Default: the default schedule (schedule.ts: DEFAULT_SCHEDULE, the cosine schedule with 1000 steps). */
  schedule?: NoiseSchedule;
  /** Start from this x_T instead of seeded noise (not disposed: the caller owns it). */
  init?: tf.Tensor;
  /** Edit an existing sample instead (image to image, inpainting: edit.ts); not with `init`. */
  edit?: EditStart;
  /** Aborting stops sampling between steps; sample() then frees its tensors and rejects with an AbortError. */
  signal?: AbortSignal;
  onStep?: (info: StepInfo) => void | Promise<void>;
}

/**
 * How a run's timesteps are spread over [0, T-1]: 'linear' evenly; 'quadratic' (the DDIM paper's
 * CIFAR spacing) denser near t = 0, so the last steps remove the small noise a coarse linear
 * spacing leaves in (10 linear steps evaluate at t = 111 last; 10 quadratic ones at t = 12).
 */
export type Spacing = 'linear' | 'quadratic';
export const SPACINGS: readonly Spacing[] = ['linear', 'quadratic'];

/** The timesteps a run of `steps` steps evaluates the model at, from T-1 down to 0, distinct. */
export function samplingTimesteps(steps: number, T: number, spacing: Spacing = 'linear'): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > T) throw new RangeError(`steps must be an integer in [1, ${T}], got ${steps}`);
  if (!SPACINGS.includes(spacing)) throw new RangeError(`spacing must be one of ${SPACINGS.join(', ')}, got ${String(spacing)}`);
  if (steps === 1) return [T - 1];
  const p = spacing === 'quadratic' ? 2 : 1;
  const ts = Array.from({ length: steps }, (_, i) => Math.round((T - 1) * ((steps - 1 - i) / (steps - 1)) ** p));
  // Quadratic spacing rounds neighbouring low steps onto the same t: push each one above the next.
  for (let i = steps - 2; i >= 0; i--) ts[i] = Math.max(ts[i]!, ts[i + 1]! + 1);
  return ts;
}

/**
 * Combines conditional and unconditional outputs: uncond + s·(cond - uncond). Exported for the
 * tests and for callers that run the model themselves.
 */
export function guide(cond: tf.Tensor, uncond: tf.Tensor, scale: number): tf.Tensor {
  return tf.tidy(() => tf.add(uncond, tf.mul(scale, tf.sub(cond, uncond))));
}

/** Applies an X0Threshold to x₀ [B, ...]. Returns a new tensor. */
export function thresholdX0(x0: tf.Tensor, threshold: X0Threshold): tf.Tensor {
  if (threshold === 'none') return tf.clone(x0);
  if (threshold === 'clip') return tf.clipByValue(x0, -1, 1);
  const q = threshold.dynamic;
  if (!(q > 0 && q <= 1)) throw new RangeError(`dynamic threshold quantile must be in (0, 1], got ${q}`);
  return tf.tidy(() => {
    const b = x0.shape[0]!;
    const flat = tf.reshape(tf.abs(x0), [b, -1]); // [B, D]
    const d = flat.shape[1]!;
    const k = Math.max(1, Math.ceil((1 - q) * d)); // the k-th largest |x₀| is the q-quantile
    const top = tf.topk(flat, k).values; // [B, k]
    const s = tf.maximum(tf.slice(top, [0, k - 1], [b, 1]), 1); // [B, 1]
    const sb = tf.reshape(s, [b, ...Array<number>(x0.rank - 1).fill(1)]);
    return tf.div(tf.minimum(tf.maximum(x0, tf.neg(sb)), sb), sb);
  });
}

function abortError(signal: AbortSignal): Error {
  const err = new DOMException('sampling aborted', 'AbortError');
  if (signal.reason !== undefined) (err as { cause?: unknown }).cause = signal.reason;
  return err;
}

/**
 * Runs the reverse process and resolves with the final sample [shape] (the caller owns it). On
 * abort or error every tensor it made is freed before it rejects.
 */
export async function sample<C>(opts: SampleOptions<C>): Promise<tf.Tensor> {
  const schedule = opts.schedule ?? defaultSchedule();
  const full = samplingTimesteps(opts.steps, schedule.T, opts.spacing);
  const edit = opts.edit;
  // an edit runs the tail of the same timesteps, from the level its strength names
  const ts = edit ? editTimesteps(full, edit.strength, schedule.T) : full;
  const scale = opts.guidance ?? 1;
  const threshold = opts.threshold ?? 'none';
  const batch = opts.shape[0];
  if (batch === undefined || batch < 1) throw new RangeError(`shape needs a batch dimension, got [${opts.shape}]`);
  if (opts.init && !tf.util.arraysEqual(opts.init.shape, opts.shape)) throw new RangeError(`init shape [${opts.init.shape}] != [${opts.shape}]`);
  if (edit) {
    if (opts.init) throw new RangeError('give init or edit, not both');
    checkEdit(edit, opts.shape);
  }
  const signal = opts.signal;
  if (signal?.aborted) throw abortError(signal);

  // Model output at (x, t), guided: [B, ...] in the model's parameterisation.
  const predict = (x: tf.Tensor, t: number): tf.Tensor => {
    const cond = opts.cond ?? null;
    const check = (out: tf.Tensor, rows: number) => {
      if (out.shape[0] !== rows || !tf.util.arraysEqual(out.shape.slice(1), opts.shape.slice(1))) {
        throw new Error(`model returned shape [${out.shape}], expected [${rows},${opts.shape.slice(1)}]`);
      }
      return out;
    };
    if (scale === 1) return check(opts.model(x, tf.fill([batch], t, 'int32') as tf.Tensor1D, cond), batch);
    if (opts.pairCond !== undefined) {
      const both = check(opts.model(tf.concat([x, x], 0), tf.fill([2 * batch], t, 'int32') as tf.Tensor1D, opts.pairCond), 2 * batch);
      const [c, u] = tf.split(both, 2, 0);
      return guide(c!, u!, scale);
    }
    const tt = tf.fill([batch], t, 'int32') as tf.Tensor1D;
    return guide(check(opts.model(x, tt, cond), batch), check(opts.model(x, tt, opts.uncond ?? null), batch), scale);
  };

  const sampler = typeof opts.sampler === 'string' ? createSampler(opts.sampler, { eta: opts.eta }) : opts.sampler;
  let x: tf.Tensor | null = null;
  let x0: tf.Tensor | null = null;
  try {
    sampler.init({ schedule, timesteps: ts, shape: opts.shape, seed: opts.seed });
    x = edit ? editStart(edit, ts[0]!, schedule, opts.seed) : opts.init ? tf.clone(opts.init) : tf.randomNormal(opts.shape, 0, 1, 'float32', derivedSeed(opts.seed, 0));
    for (let i = 0; i < ts.length; i++) {
      if (signal?.aborted) throw abortError(signal);
      const t = ts[i]!;
      const tNext = ts[i + 1] ?? -1;
      const ab = schedule.alphaBar(t);
      const [alpha, sigma] = [Math.sqrt(ab), Math.sqrt(1 - ab)];
      const xt: tf.Tensor = x;
      const stepX0 = tf.tidy(() => {
        const { x0: raw, eps } = toX0Eps(opts.prediction, predict(xt, t), xt, alpha, sigma);
        const pred = thresholdX0(raw, threshold);
        // ε consistent with the (possibly thresholded) x₀, as improved-diffusion does.
        const e = threshold === 'none' ? eps : tf.div(tf.sub(xt, tf.mul(alpha, pred)), sigma);
        return { pred, e };
      });
      x0 = stepX0.pred;
      let next: tf.Tensor;
      try {
        // The last step lands on the prediction, whatever the sampler.
        next = tNext === -1 ? tf.clone(x0) : sampler.step({ index: i, t, tNext, xt, x0, eps: stepX0.e });
      } finally {
        stepX0.e.dispose();
      }
      if (edit?.mask) {
        const sampled = next;
        next = keepKnown(sampled, edit, tNext, i, schedule, opts.seed);
        sampled.dispose();
      }
      x = next;
      xt.dispose();
      if (opts.onStep) await opts.onStep({ step: i + 1, total: ts.length, t, tNext, T: schedule.T, xt: x, x0pred: x0 });
      x0.dispose();
      x0 = null;
    }
    if (signal?.aborted) throw abortError(signal);
    const out = x;
    x = null;
    return out;
  } finally {
    x?.dispose();
    x0?.dispose();
    sampler.dispose();
  }
}
