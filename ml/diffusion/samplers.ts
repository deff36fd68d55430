// The samplers as strategies, in the style of diffusers' schedulers: each one is an object that
// turns (x_t, the step's prediction of x₀ and ε) into x at the next timestep, holding whatever
// state it needs between steps (DPM-Solver++(2M) keeps the previous x₀). sample() owns the loop,
// guidance, thresholding, the per-step callback and cancellation; a sampler owns only its update.
//
// SAMPLER_LIST is the one list of samplers: the nodes' sampler param, the CLI's --sampler and
// the catalogue the studio receives all read it.
import * as tf from '@tensorflow/tfjs-core';
import type { NoiseSchedule } from './schedule.js';

/** What a sampler knows about the run it is sampling (given once, to init). */
export interface SamplerRun {
  schedule: NoiseSchedule;
  /** The timesteps the model is evaluated at, from T-1 down to 0 (samplingTimesteps). */
  timesteps: readonly number[];
  /** [B, ...] shape of the sample. */
  shape: readonly number[];
  /** The run's seed; step i's noise, where a sampler draws any, is stream i + 1 (derivedSeed). */
  seed: number;
}

/** One step's inputs. The tensors belong to the caller: a sampler neither disposes nor keeps them (clone what you keep). */
export interface SamplerStep {
  /** 0-based index of the step in run.timesteps. */
  index: number;
  /** The timestep x_t is at. */
  t: number;
  /** The timestep to step to (≥ 0: the last step, which lands on x₀, is sample()'s own). */
  tNext: number;
  xt: tf.Tensor;
  /** The (guided, thresholded) prediction of the clean sample at t. */
  x0: tf.Tensor;
  /** The noise consistent with x0 at t: (x_t - α·x0)/σ. */
  eps: tf.Tensor;
}

export interface Sampler {
  readonly name: SamplerName;
  /** Starts a run; drops any state of a previous one. */
  init(run: SamplerRun): void;
  /** x at step.tNext: a new tensor the caller owns. */
  step(step: SamplerStep): tf.Tensor;
  /** Frees the sampler's state (it can be init'ed again). Safe to call more than once. */
  dispose(): void;
}

/** Options a sampler may read. */
export interface SamplerOptions {
  /** DDIM stochasticity: 0 = deterministic DDIM (default), 1 = DDPM's posterior variance. Ignored by the others. */
  eta?: number;
}

abstract class BaseSampler implements Sampler {
  abstract readonly name: SamplerName;
  private current: SamplerRun | null = null;

  init(run: SamplerRun): void {
    this.dispose();
    this.current = run;
  }

  abstract step(step: SamplerStep): tf.Tensor;

  dispose(): void {
    this.current = null;
  }

  protected get run(): SamplerRun {
    if (!this.current) throw new Error(`${this.name}: step() before init()`);
    return this.current;
  }

  /** Standard normal noise of step `index`, shaped like the sample. */
  protected noise(index: number): tf.Tensor {
    return tf.randomNormal([...this.run.shape], 0, 1, 'float32', derivedSeed(this.run.seed, index + 1));
  }
}

/** Ancestral sampling: the posterior q(x_{t'} | x_t, x₀) of the respaced chain, t' = tNext. */
class DdpmSampler extends BaseSampler {
  readonly name = 'ddpm';

  step({ index, t, tNext, xt, x0 }: SamplerStep): tf.Tensor {
    const ab = this.run.schedule.alphaBar(t);
    const abNext = this.run.schedule.alphaBar(tNext);
    const aStep = ab / abNext;
    const bStep = 1 - aStep;
    const c0 = (Math.sqrt(abNext) * bStep) / (1 - ab);
    const ct = (Math.sqrt(aStep) * (1 - abNext)) / (1 - ab);
    const std = Math.sqrt((bStep * (1 - abNext)) / (1 - ab));
    return tf.tidy(() => tf.add(tf.add(tf.mul(c0, x0), tf.mul(ct, xt)), tf.mul(std, this.noise(index))));
  }
}

/** DDIM (Song et al. 2021) with η: 0 is deterministic, 1 matches DDPM's posterior variance. */
class DdimSampler extends BaseSampler {
  readonly name = 'ddim';
  constructor(private readonly eta: number) {
    super();
  }

  step({ index, t, tNext, x0, eps }: SamplerStep): tf.Tensor {
    const ab = this.run.schedule.alphaBar(t);
    const abNext = this.run.schedule.alphaBar(tNext);
    const s = this.eta * Math.sqrt((1 - abNext) / (1 - ab)) * Math.sqrt(1 - ab / abNext);
    const dir = Math.sqrt(Math.max(0, 1 - abNext - s * s));
    return tf.tidy(() => {
      const mean = tf.add(tf.mul(Math.sqrt(abNext), x0), tf.mul(dir, eps));
      if (s === 0) return mean;
      return tf.add(mean, tf.mul(s, this.noise(index)));
    });
  }
}

/**
 * Lu et al. 2022, DPM-Solver++(2M), data-prediction form on λ = log(α/σ):
 * x' = (σ'/σ)·x - α'·(e^{-h} - 1)·D, D = x₀ (first step) or the 2-point extrapolation with the
 * previous step's x₀, which is this sampler's state.
 */
class DpmSolverPP2M extends BaseSampler {
  readonly name = 'dpmpp2m';
  private prevX0: tf.Tensor | null = null;
  private prevLambda = 0;

  step({ t, tNext, xt, x0 }: SamplerStep): tf.Tensor {
    const ab = this.run.schedule.alphaBar(t);
    const abNext = this.run.schedule.alphaBar(tNext);
    const [alpha, sigma] = [Math.sqrt(ab), Math.sqrt(1 - ab)];
    const [alphaNext, sigmaNext] = [Math.sqrt(abNext), Math.sqrt(1 - abNext)];
    const lambda = Math.log(alpha / sigma);
    const lambdaNext = Math.log(alphaNext / sigmaNext);
    const h = lambdaNext - lambda;
    const prev = this.prevX0;
    const next = tf.tidy(() => {
      let d: tf.Tensor = x0;
      if (prev) {
        const r = (lambda - this.prevLambda) / h;
        d = tf.sub(tf.mul(1 + 1 / (2 * r), x0), tf.mul(1 / (2 * r), prev));
      }
      return tf.sub(tf.mul(sigmaNext / sigma, xt), tf.mul(alphaNext * Math.expm1(-h), d));
    });
    prev?.dispose();
    this.prevX0 = tf.keep(tf.clone(x0)); // a clone shares x0's data: no copy
    this.prevLambda = lambda;
    return next;
  }

  override dispose(): void {
    this.prevX0?.dispose();
    this.prevX0 = null;
    this.prevLambda = 0;
    super.dispose();
  }
}

/** The samplers, in the order the studio and the CLI list them. */
export const SAMPLER_LIST = [
  { name: 'ddpm', title: 'DDPM', description: 'the ancestral sampler: fresh noise at every step, wants many steps', create: (): Sampler => new DdpmSampler() },
  { name: 'ddim', title: 'DDIM', description: 'deterministic at η = 0; a good default at 25 steps', create: (o: SamplerOptions = {}): Sampler => new DdimSampler(o.eta ?? 0) },
  { name: 'dpmpp2m', title: 'DPM-Solver++(2M)', description: 'second-order multistep; sharpest at few steps', create: (): Sampler => new DpmSolverPP2M() },
] as const;

export type SamplerName = (typeof SAMPLER_LIST)[number]['name'];
export const SAMPLERS: readonly SamplerName[] = SAMPLER_LIST.map((s) => s.name);

/** One line per sampler's name, title and what it is for (the CLI's usage, the node param's help). */
export const SAMPLER_HELP = SAMPLER_LIST.map((s) => `${s.name}: ${s.title}, ${s.description}`).join('; ');

export function isSamplerName(s: string): s is SamplerName {
  return (SAMPLERS as readonly string[]).includes(s);
}

/** A fresh sampler of this name. */
export function createSampler(name: SamplerName, opts: SamplerOptions = {}): Sampler {
  const entry = SAMPLER_LIST.find((s) => s.name === name);
  if (!entry) throw new RangeError(`sampler must be one of ${SAMPLERS.join(', ')}, got ${String(name)}`);
  return entry.create(opts);
}

/** A 31-bit seed for stream `k` of run `seed` (k = 0: initial noise, k = i + 1: noise of step i). */
export function derivedSeed(seed: number, k: number): number {
  let h = Math.imul((seed | 0) ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & 0x7fffffff;
}
