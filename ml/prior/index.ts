// The prior API the graph nodes and `npm run generate` use:
//
//   const prior = await loadPrior();               // weights/prior by default
//   const { embeddings, tokenStates } = clip.encodeText(['red apple']);
//   const img = await prior.samplePrior({ tokenStates, textEmbeddings: embeddings, steps: 25,
//                                         sampler: 'ddim', guidance: 3, seed: 7 });
//   // img: [N, D] L2-normalised CLIP image embeddings (caller owns)
//   prior.dispose();
//
// Sampling runs the shared diffusion module (ml/diffusion) in the prior's scaled space and
// returns embeddings unscaled and re-normalised. Call initBackend() first.
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WEIGHTS_FILE, loadCheckpoint } from '../checkpoint.js';
import { l2normalize } from '../layers.js';
import { type NoiseSchedule, type SamplerName, sample, scheduleFromSpec } from '../diffusion/index.js';
import { type Params, type PrefixCache, type PriorCond, type PriorConfig, disposePrefixCache, prefixCache, priorForward, priorForwardCached } from './model.js';

export type { PriorConfig, PriorCond } from './model.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_PRIOR_DIR = join(REPO_ROOT, 'weights', 'prior');

/** Short content hash of a checkpoint's weights file (cache keys; which CLIP a prior belongs to). */
export function weightsFileHash(dir: string): string {
  return createHash('sha256').update(readFileSync(join(dir, WEIGHTS_FILE))).digest('hex').slice(0, 16);
}

/** Passed to onStep after each diffusion step. Tensors are valid only during the callback. */
export interface PriorStepInfo {
  step: number;
  total: number;
  t: number;
  tNext: number;
  /** The schedule's number of timesteps (t / T: the fraction of the way to pure noise). */
  T: number;
  /** Candidates per prompt (bestOf): rows are candidate-major, row k·N + i = candidate k of prompt i. */
  bestOf: number;
  /** x_t as an embedding: unscaled and L2-normalised, [bestOf·N, D]. */
  xt: tf.Tensor2D;
  /** The predicted clean embedding at this step, unscaled and L2-normalised, [bestOf·N, D]. */
  x0pred: tf.Tensor2D;
}

export interface SamplePriorOptions {
  /** [N, T, Wt] CLIP text token states (Clip.encodeText's tokenStates). Not disposed. */
  tokenStates: tf.Tensor3D;
  /** [N, D] L2-normalised CLIP text embeddings. Not disposed. */
  textEmbeddings: tf.Tensor2D;
  steps?: number;
  sampler?: SamplerName;
  /** Classifier-free guidance scale (1 = none, one model call per step). */
  guidance?: number;
  seed?: number;
  signal?: AbortSignal;
  onStep?: (info: PriorStepInfo) => void | Promise<void>;
  /** Sample this many per prompt and keep the one with the highest dot product with its text embedding (the paper: 2). */
  bestOf?: number;
}

// Guidance 4 (was 2 until prior node v2): the pixel-space judge put the right concept in the top 5
// for 0.708 of images on two seeds against 0.642 at 2 (docs/decoder-pixel.md, sessions 12-13).
export const DEFAULT_PRIOR_SAMPLING = { steps: 25, sampler: 'ddim' as SamplerName, guidance: 4, seed: 0, bestOf: 2 };
/** The prior's guidance default before node v2: graphs saved then keep drawing what they drew. */
export const PRIOR_GUIDANCE_V1 = 2;

export class Prior {
  readonly config: PriorConfig;
  /** Content hash of the weights (for caches); '' when built from tensors in memory. */
  readonly weightsHash: string;
  /** The noise schedule, built from config.schedule. */
  readonly schedule: NoiseSchedule;
  private params: Params;
  private disposed = false;

  constructor(config: PriorConfig, params: Params, weightsHash = '') {
    this.config = config;
    this.params = params;
    this.weightsHash = weightsHash;
    this.schedule = scheduleFromSpec(config.schedule);
  }

  /**
   * null when this prior was trained against the CLIP checkpoint of hash `clipHash` (sha-256 as
   * ml/clip-embeddings.ts clipWeightsHash and the studio compute it), else a sentence saying why
   * its samples are not meaningful for that CLIP.
   */
  clipMismatch(clipHash: string): string | null {
    if (!this.config.clipHash || this.config.clipHash === clipHash) return null;
    return `the prior was trained against CLIP ${this.config.clipHash.slice(0, 16)}, not ${clipHash.slice(0, 16)}: retrain it (npm run train -- prior)`;
  }

  /** Width of the CLIP embedding space the prior works in. */
  get dim(): number {
    return this.config.embedDim;
  }

  /**
   * One denoiser call (for tests and custom samplers): x_t [B, D] in the scaled space, t [B]
   * int32 -> the network's output [B, D] in the scaled space: x0, or v when config.prediction is
   * 'v' (toX0Eps converts). The caller owns the result.
   */
  predict(xt: tf.Tensor2D, t: tf.Tensor1D, cond: PriorCond | null): tf.Tensor2D {
    this.check();
    return tf.tidy(() => priorForward(this.params, this.config, xt, t, cond));
  }

  /**
   * Sample CLIP image embeddings for N captions. Resolves with [N, D] L2-normalised embeddings
   * (caller owns). On abort it frees every tensor it made and rejects with an AbortError.
   */
  async samplePrior(opts: SamplePriorOptions): Promise<tf.Tensor2D> {
    this.check();
    const cfg = this.config;
    const { tokenStates, textEmbeddings } = opts;
    const N = textEmbeddings.shape[0];
    if (tokenStates.shape[0] !== N) throw new Error(`samplePrior: ${tokenStates.shape[0]} token-state rows for ${N} text embeddings`);
    if (N === 0) return tf.zeros([0, cfg.embedDim]) as tf.Tensor2D;
    const steps = opts.steps ?? DEFAULT_PRIOR_SAMPLING.steps;
    const sampler = opts.sampler ?? DEFAULT_PRIOR_SAMPLING.sampler;
    const guidance = opts.guidance ?? DEFAULT_PRIOR_SAMPLING.guidance;
    const seed = opts.seed ?? DEFAULT_PRIOR_SAMPLING.seed;
    const K = Math.max(1, Math.floor(opts.bestOf ?? DEFAULT_PRIOR_SAMPLING.bestOf));
    const B = K * N;
    const scale = cfg.imageScale;

    // Condition for the K·N rows (candidate-major: the N prompts repeated K times). The text
    // prefix's keys/values are computed once here (model.ts: prefixCache), not at every step.
    const caches: PrefixCache[] = [];
    const own: tf.Tensor[] = [];
    try {
      const te = tf.tidy(() => (K === 1 ? tf.clone(textEmbeddings) : (tf.concat(Array<tf.Tensor2D>(K).fill(textEmbeddings), 0) as tf.Tensor2D))); // [B, D]
      own.push(te);
      const ts = K === 1 ? tf.clone(tokenStates) : (tf.concat(Array<tf.Tensor3D>(K).fill(tokenStates), 0) as tf.Tensor3D); // [B, T, Wt]
      own.push(ts);
      let cache: PrefixCache;
      if (guidance === 1) cache = prefixCache(this.params, cfg, B, { tokenStates: ts, textEmbeddings: te });
      else {
        // Guidance: cond rows then null rows, one model call of 2B rows per step.
        const drop = new Float32Array(2 * B);
        drop.fill(1, B);
        const pair = { tokenStates: tf.concat([ts, ts], 0) as tf.Tensor3D, textEmbeddings: tf.concat([te, te], 0) as tf.Tensor2D, drop: tf.tensor1d(drop) }; // 2B rows
        own.push(pair.tokenStates, pair.textEmbeddings, pair.drop);
        cache = prefixCache(this.params, cfg, 2 * B, pair);
      }
      caches.push(cache);
      const toEmbedding = (x: tf.Tensor) => tf.tidy(() => l2normalize(tf.div(x, scale) as tf.Tensor2D));
      const out = await sample<PrefixCache>({
        model: (xt, t, c) => {
          if (c === null) throw new Error('prior: sampled without a prefix cache');
          return priorForwardCached(this.params, cfg, c, xt as tf.Tensor2D, t);
        },
        prediction: cfg.prediction,
        shape: [B, cfg.embedDim],
        schedule: this.schedule,
        steps,
        sampler,
        seed,
        guidance,
        cond: guidance === 1 ? cache : null,
        pairCond: guidance === 1 ? undefined : cache,
        threshold: 'none',
        signal: opts.signal,
        onStep: opts.onStep
          ? async (s) => {
              const xt = toEmbedding(s.xt);
              const x0pred = toEmbedding(s.x0pred);
              try {
                await opts.onStep!({ step: s.step, total: s.total, t: s.t, tNext: s.tNext, T: s.T, bestOf: K, xt, x0pred });
              } finally {
                tf.dispose([xt, x0pred]);
              }
            }
          : undefined,
      });
      const emb = toEmbedding(out); // [B, D]
      out.dispose();
      if (K === 1) return emb;
      // Best of K: per prompt, the candidate with the highest dot product with its text embedding.
      try {
        // read asynchronously: WebGPU under Node cannot read synchronously (dataSync throws)
        const dots = tf.tidy(() => tf.sum(tf.mul(emb, te), 1)); // [B]
        let scores: Float32Array;
        try {
          scores = (await dots.data()) as Float32Array;
        } finally {
          dots.dispose();
        }
        const pick = new Int32Array(N);
        for (let i = 0; i < N; i++) {
          let best = 0;
          for (let k = 1; k < K; k++) if (scores[k * N + i]! > scores[best * N + i]!) best = k;
          pick[i] = best * N + i;
        }
        return tf.tidy(() => tf.gather(emb, tf.tensor1d(pick, 'int32')) as tf.Tensor2D); // [N, D]
      } finally {
        emb.dispose();
      }
    } finally {
      tf.dispose(own);
      caches.forEach(disposePrefixCache);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    tf.dispose(Object.values(this.params));
    this.params = {};
    this.disposed = true;
  }

  private check(): void {
    if (this.disposed) throw new Error('this Prior was disposed');
  }
}

/** Load the prior from a checkpoint folder (default weights/prior). Call initBackend() first. */
export async function loadPrior(dir: string = DEFAULT_PRIOR_DIR): Promise<Prior> {
  const ck = loadCheckpoint(dir, { withState: false });
  return new Prior(ck.config as PriorConfig, ck.tensors, weightsFileHash(dir));
}
