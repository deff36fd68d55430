// Text → image, the whole unCLIP chain in one place (used by `npm run generate`, the generation
// eval and the bench; the graph runs the same models node by node):
//
//   caption → CLIP text encoder → prior → CLIP image embedding → decoder (32x32) → upsampler (64x64)
//
// `noPrior` feeds the CLIP text embedding straight to the decoder (the paper's ablation).
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { DEFAULT_CLIP_DIR, loadClip, type Clip } from './clip/index.js';
import { DECODE_DEFAULTS, loadDecoder, loadUpsampler, UPSAMPLE_DEFAULTS, type Decoder, type ImageEdit, type ImageStepInfo, type SamplerName, type Spacing, type Upsampler } from './decoder/index.js';
import { DEFAULT_PRIOR_SAMPLING, loadPrior, type Prior, type SamplePriorOptions } from './prior/index.js';
import { clipWeightsHash } from './clip-embeddings.js';

export interface Pipeline {
  clip: Clip;
  prior: Prior;
  decoder: Decoder;
  /** null: stop at 32x32. */
  upsampler: Upsampler | null;
  dispose(): void;
}

/** Load the shipped models from `weightsDir` (default weights/), refusing a prior or decoder made for another CLIP. */
export async function loadPipeline(opts: { weightsDir?: string; upsampler?: boolean } = {}): Promise<Pipeline> {
  const dir = (m: string) => (opts.weightsDir ? join(opts.weightsDir, m) : undefined);
  const clipDir = dir('clip') ?? DEFAULT_CLIP_DIR;
  const clip = await loadClip(clipDir);
  const prior = await loadPrior(dir('prior'));
  const decoder = await loadDecoder(dir('decoder'));
  const upsampler = opts.upsampler === false ? null : await loadUpsampler(dir('upsampler'));
  const p: Pipeline = {
    clip,
    prior,
    decoder,
    upsampler,
    dispose() {
      clip.dispose();
      prior.dispose();
      decoder.dispose();
      upsampler?.dispose();
    },
  };
  const hash = clipWeightsHash(clipDir);
  const why = prior.clipMismatch(hash) ?? decoder.clipMismatch(hash);
  if (why) {
    p.dispose();
    throw new Error(why);
  }
  return p;
}

export interface TextEmbeddingOptions extends Omit<SamplePriorOptions, 'tokenStates' | 'textEmbeddings'> {
  /** Return the CLIP text embeddings themselves (the paper's no-prior ablation). */
  noPrior?: boolean;
}

export interface TextImageEmbeddings {
  /** [N, D] the prior's image embeddings for the texts (or, noPrior, their text embeddings). Caller owns. */
  embeddings: tf.Tensor2D;
  unknownWords: string[][];
  ms: { clip: number; prior: number };
}

/**
 * Texts → the image embeddings the decoder is given: CLIP's text encoder, then a prior sample per
 * text, the text encoding freed. generate, the decoder's prior-sample cache and the decoder probe
 * go through here; the prior's own eval and retrieval grid encode for themselves, because they
 * also compare against the text embeddings.
 */
export async function imageEmbeddingsForTexts(p: Pick<Pipeline, 'clip' | 'prior'>, texts: string[], o: TextEmbeddingOptions = {}): Promise<TextImageEmbeddings> {
  const { noPrior, ...sampling } = o;
  const t0 = performance.now();
  const enc = p.clip.encodeText(texts);
  const t1 = performance.now();
  try {
    const embeddings = noPrior
      ? (tf.clone(enc.embeddings) as tf.Tensor2D)
      : await p.prior.samplePrior({ ...sampling, tokenStates: enc.tokenStates, textEmbeddings: enc.embeddings });
    return { embeddings, unknownWords: enc.unknownWords, ms: { clip: t1 - t0, prior: performance.now() - t1 } };
  } finally {
    tf.dispose([enc.embeddings, enc.tokenStates, enc.ids]);
  }
}

export interface GenerateOptions {
  prompts: string[];
  seed?: number;
  /** Decoder steps (the prior and upsampler keep their own defaults unless given). */
  steps?: number;
  sampler?: SamplerName;
  /** Decoder step spacing (the upsampler keeps its default). */
  spacing?: Spacing;
  guidance?: number;
  priorSteps?: number;
  priorGuidance?: number;
  /** Prior candidates per prompt, the one nearest the text kept (default DEFAULT_PRIOR_SAMPLING.bestOf). */
  priorBestOf?: number;
  upsampleSteps?: number;
  noPrior?: boolean;
  /** Stop at the decoder's 32x32 even when an upsampler is loaded. */
  noUpsample?: boolean;
  onDecoderStep?: (s: ImageStepInfo) => void | Promise<void>;
  signal?: AbortSignal;
  /** Edit these images instead of drawing from noise (one row per prompt; the caller owns the tensors). */
  edit?: ImageEdit;
}

export interface Generated {
  /** [N, S, S, 3] in [0, 1]: 64x64 after the upsampler, else 32x32. Caller owns. */
  images: tf.Tensor4D;
  /** [N, D] the embeddings the decoder was given (prior output, or the text embeddings). Caller owns. */
  embeddings: tf.Tensor2D;
  unknownWords: string[][];
  /** Milliseconds per stage. */
  ms: { clip: number; prior: number; decoder: number; upsampler: number };
}

export async function generate(p: Pipeline, o: GenerateOptions): Promise<Generated> {
  const seed = o.seed ?? 0;
  const { embeddings, unknownWords, ms: textMs } = await imageEmbeddingsForTexts(p, o.prompts, {
    noPrior: o.noPrior,
    steps: o.priorSteps ?? DEFAULT_PRIOR_SAMPLING.steps,
    guidance: o.priorGuidance ?? DEFAULT_PRIOR_SAMPLING.guidance,
    bestOf: o.priorBestOf ?? DEFAULT_PRIOR_SAMPLING.bestOf,
    seed,
    signal: o.signal,
  });
  const ms = { ...textMs, decoder: 0, upsampler: 0 };
  let t = performance.now();
  const lap = () => {
    const now = performance.now();
    const d = now - t;
    t = now;
    return d;
  };
  let low: tf.Tensor4D;
  try {
    low = await p.decoder.decode({
      embeddings,
      steps: o.steps ?? DECODE_DEFAULTS.steps,
      sampler: o.sampler ?? DECODE_DEFAULTS.sampler,
      spacing: o.spacing ?? DECODE_DEFAULTS.spacing,
      guidance: o.guidance ?? DECODE_DEFAULTS.guidance,
      seed,
      signal: o.signal,
      onStep: o.onDecoderStep,
      edit: o.edit,
    });
  } catch (e) {
    embeddings.dispose();
    throw e;
  }
  ms.decoder = lap();
  if (!p.upsampler || o.noUpsample) return { images: low, embeddings, unknownWords, ms };
  try {
    const images = await p.upsampler.upsample({ images: low, steps: o.upsampleSteps ?? UPSAMPLE_DEFAULTS.steps, seed, signal: o.signal });
    ms.upsampler = lap();
    return { images, embeddings, unknownWords, ms };
  } catch (e) {
    embeddings.dispose();
    throw e;
  } finally {
    low.dispose();
  }
}

/** [N, S, S, 3] in [0, 1] → RGB bytes, same layout. */
/** RGB bytes of `count` square images → [count, size, size, 3] in [0, 1] (the inverse of rgbBytes). The caller owns it. */
export function imagesFromBytes(data: Uint8Array, count: number, size: number): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.tensor4d(Float32Array.from(data), [count, size, size, 3]), 255) as tf.Tensor4D);
}

export async function rgbBytes(images: tf.Tensor): Promise<Uint8Array> {
  const x = tf.tidy(() => tf.round(tf.mul(images, 255)).toInt());
  try {
    return Uint8Array.from((await x.data()) as Int32Array);
  } finally {
    x.dispose();
  }
}

/** Rows shown in a step frame (a batch of 64 would make frames no one can read). */
export const FRAME_ROWS = 8;

/**
 * x_t and the predicted x0 ([N, S, S, 3] in [0, 1]) as one RGB frame of height rows·S and width
 * 2S: each of the first FRAME_ROWS images on its own row, x_t left, x0 right. The graph nodes
 * stream it; `npm run generate --frames` writes it.
 */
export function sideBySide(xt: tf.Tensor, x0: tf.Tensor): { height: number; width: number; data: Uint8Array } {
  const [n, s] = xt.shape as [number, number, number, number];
  const rows = Math.min(n, FRAME_ROWS);
  const data = tf.tidy(() => {
    const pair = tf.concat([xt.slice(0, rows), x0.slice(0, rows)], 2); // [rows, S, 2S, 3]
    return tf.round(tf.mul(pair, 255)).toInt().dataSync();
  });
  return { height: rows * s, width: 2 * s, data: Uint8Array.from(data) };
}
