// The 32x32 decoder: a diffusion model of emoji images conditioned on a CLIP image embedding (the
// modified GLIDE of DALL-E 2). The network is ml/decoder/unet.ts in its "unet-lite" shape (32/64/128
// channels, one res-block per level, GroupNorm, attention at 8x8 with the 4 CLIP context tokens;
// the CLIP embedding also added to the timestep embedding).
//
// Prediction: v (Salimans & Ho 2022), v = α·ε - σ·x₀. With the cosine schedule the two ends are
// where ε-prediction is ill-conditioned: near t = T-1 (α → 0) x₀ = (x_t - σ·ε)/α amplifies any
// error in ε without bound, and the few-step samplers we ship (DDIM, DPM-Solver++ at 10-25 steps)
// take their first, largest step exactly there. v keeps the implied x₀ = α·x_t - σ·v bounded at
// every t, its MSE weights timesteps by (1 + SNR) (between ε's and x₀'s), and guidance is affine in
// it like any parameterisation.
//
// Guidance: during training the embedding of `condDrop` (10%) of the rows is replaced by a learned
// null embedding; sampling runs cond and null rows in one batch (pairCond) and mixes them.
import * as tf from '@tensorflow/tfjs-core';
import { coefficients, cosineSchedule, DEFAULT_SCHEDULE, drawTimesteps, qSample, trainingTarget, TRAIN_STEPS, type Denoiser, type TimestepBand, type NoiseSchedule, type Parameterization, type ScheduleSpec } from '../diffusion/index.js';
import { type AutoencoderConfig, toUnit } from '../autoencoder/model.js';
import { type LatentSpec, latentShape } from './latent.js';
import { UNet, type UNetCond, type UNetConfig } from './unet.js';

export interface DecoderConfig {
  kind: 'decoder';
  version: 1;
  unet: UNetConfig;
  prediction: Parameterization;
  /** Fraction of training rows whose embedding is dropped (replaced by the null embedding). */
  condDrop: number;
  /** sha-256 of the CLIP checkpoint whose image embeddings it learned to invert (set by training). */
  clipHash?: string;
  /** The noise schedule it was trained with (absent in configs written before it was recorded: the default). */
  schedule?: ScheduleSpec;
  /** Diffuses in the latent of this autoencoder (latent.ts); absent: in pixels. */
  latent?: LatentSpec;
}

/** The decoder as trained: unet-lite per experiments/unet-probe.ts, conditioned on a `embDim`-wide CLIP embedding. */
export function decoderConfig(embDim = 128, unet: Partial<UNetConfig> = {}): DecoderConfig {
  return {
    kind: 'decoder',
    version: 1,
    unet: {
      imageSize: 32,
      outChannels: 3,
      condChannels: 0,
      stem: 'conv',
      channels: [32, 64, 128],
      blocks: 1,
      upConv: false,
      attnRes: [8],
      heads: 4,
      tdim: 128,
      embDim,
      contextTokens: 4,
      augCond: false,
      ...unet,
    },
    prediction: 'v',
    condDrop: 0.1,
    schedule: { ...DEFAULT_SCHEDULE },
  };
}

/**
 * A latent decoder for the autoencoder `ae` (recorded as `spec`): the U-Net at the latent's side and
 * channels, three levels (8/4/2 for an 8x8 latent) with attention at the two smaller, where the
 * CLIP context tokens are read. Measured on this CPU (one core, batch 32): 50 training images a
 * second, against 44 with attention at 8x8 too and 16–26 for wider nets; the pixel decoder trains
 * at about 18.
 */
export function latentDecoderConfig(embDim: number, ae: AutoencoderConfig, spec: LatentSpec, unet: Partial<UNetConfig> = {}): DecoderConfig {
  return { ...decoderConfig(embDim, { ...latentShape(ae), stem: 'conv', channels: [64, 128, 128], attnRes: [4, 2], pos: true, ...unet }), latent: spec };
}

/** The same architecture at a width the tests run in milliseconds. */
export function tinyDecoderConfig(embDim = 16): DecoderConfig {
  return decoderConfig(embDim, { channels: [8, 16, 32], heads: 2, tdim: 32 });
}

export function createDecoderNet(cfg: DecoderConfig, opts: { seed?: number; tensors?: Record<string, tf.Tensor>; trainable?: boolean; grow?: boolean } = {}): UNet {
  if (cfg.kind !== 'decoder') throw new Error(`not a decoder config (kind ${String(cfg.kind)})`);
  return new UNet(cfg.unet, { ...opts, name: 'decoder' });
}

/** What conditions the decoder in sample(): embeddings and, optionally, which rows use them (1) or the null embedding (0). */
export interface DecoderCond {
  emb: tf.Tensor2D;
  keep?: tf.Tensor1D;
}

/** The decoder network as ml/diffusion's Denoiser (cond null → the null embedding for every row). */
export function decoderDenoiser(net: UNet): Denoiser<DecoderCond> {
  return (xt, t, cond) => net.apply(xt as tf.Tensor4D, t, cond ? { emb: cond.emb, keep: cond.keep ?? null } : { emb: null });
}

/**
 * Cond and uncond stacked for one guided forward pass: embeddings [emb; emb], keep [1…1, 0…0]
 * (the second half uses the null embedding). The caller disposes both tensors.
 */
export function guidancePair(emb: tf.Tensor2D): Required<DecoderCond> {
  const n = emb.shape[0];
  return tf.tidy(() => ({
    emb: tf.concat([emb, emb], 0) as tf.Tensor2D, // [2N, D]
    keep: tf.concat([tf.ones([n]), tf.zeros([n])]) as tf.Tensor1D, // [2N]
  }));
}

/** One training batch of any of the image models: clean images (or latents) and what conditions them. */
export interface DiffusionBatch {
  /** [B, S, S, C] clean images in [-1, 1] (C = 3), or a latent decoder's standardised latents. */
  x0: tf.Tensor4D;
  /** [B] int32 timesteps. */
  t: tf.Tensor1D;
  /** [B, S, S, C] the noise that makes x_t. */
  noise: tf.Tensor4D;
  cond: UNetCond;
}

/**
 * Mean squared error of the network's output against its target (v, ε or x₀) on x_t = q(x_t|x₀).
 * Synchronous; use inside tf.tidy / an optimizer's minimize.
 */
export function diffusionLoss(net: UNet, prediction: Parameterization, b: DiffusionBatch, schedule: NoiseSchedule = cosineSchedule()): tf.Scalar {
  const xt = qSample(schedule, b.x0, b.t, b.noise) as tf.Tensor4D;
  const { alpha, sigma } = coefficients(schedule, b.t, 4); // [B, 1, 1, 1] each
  const target = trainingTarget(prediction, b.x0, b.noise, alpha, sigma);
  return tf.mean(tf.square(tf.sub(net.apply(xt, b.t, b.cond), target)));
}

/** Uniform random integers in [0, n) from a seeded uniform source (training batches draw in JS). */
export type Uniform = () => number;

/**
 * A decoder training batch from uint8 images [B, 32, 32, 3] (a latent decoder: float32 standardised
 * latents [B, s, s, C]) and their CLIP embeddings [B, D]:
 * timesteps (uniform, or weighted toward a high-noise `band`), Gaussian noise, and `condDrop` of
 * the rows' embeddings dropped. All randomness comes from `rand` (JS, resumable) and `noiseSeed`
 * (tensor noise).
 */
export function decoderBatch(cfg: DecoderConfig, images: Uint8Array | Float32Array, emb: Float32Array, n: number, rand: Uniform, noiseSeed: number, band?: TimestepBand): DiffusionBatch {
  const S = cfg.unet.imageSize;
  const C = cfg.unet.outChannels;
  const D = cfg.unet.embDim;
  if ((images instanceof Float32Array) !== Boolean(cfg.latent)) throw new Error(cfg.latent ? 'a latent decoder trains on float32 latents' : 'a pixel decoder trains on uint8 images');
  const ts = drawTimesteps(n, rand, TRAIN_STEPS, band);
  const keep = Float32Array.from({ length: n }, () => (rand() < cfg.condDrop ? 0 : 1));
  return tf.tidy(() => ({
    x0: images instanceof Float32Array ? tf.tensor4d(images, [n, S, S, C]) : toUnit(images, n, S),
    t: tf.tensor1d(ts, 'int32'),
    noise: tf.randomNormal([n, S, S, C], 0, 1, 'float32', noiseSeed) as tf.Tensor4D,
    cond: { emb: tf.tensor2d(emb, [n, D]), keep: tf.tensor1d(keep) },
  }));
}

export function disposeBatch(b: DiffusionBatch): void {
  tf.dispose([b.x0, b.t, b.noise]);
  const c = b.cond;
  for (const x of [c.emb, c.keep, c.lowres, c.augT]) x?.dispose();
}
