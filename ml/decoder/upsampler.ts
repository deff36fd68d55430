// The upsampler: the second stage of the cascade (DALL-E 2's 64→256, here 32→64), a diffusion
// model of 64x64 images conditioned on the 32x32 image, not on CLIP (the paper's upsamplers see
// only the low-resolution image).
//
// Same U-Net code as the decoder (ml/decoder/unet.ts), configured: a 2x2 stride-2 space-to-depth
// stem so the network runs at 32x32 inside (64x64 in, 64x64 out through a 2x2 transposed conv),
// the low-res image upsampled bilinearly to 64x64 and concatenated to x_t as 3 more input
// channels, no attention (the paper's upsamplers use convolutions only; the task is local).
//
// Conditioning augmentation, as the paper does (and Cascaded Diffusion Models / Imagen): the
// decoder's 32x32 outputs are not the crisp renders the upsampler trains on, so during training
// the low-res image is corrupted first: a 3x3 Gaussian (binomial) blur on half the rows (DALL-E 2:
// "we slightly corrupt the conditioning image with Gaussian blur"), then Gaussian noise at a
// random level t_aug ∈ [0, augMax] of the same cosine schedule, x_aug = q(x_aug | x_low, t_aug).
// The network is told t_aug (an MLP of its sinusoid added to the timestep embedding). At inference
// the low-res image gets noise at a fixed level `augLevel` (seeded) and the same t_aug is passed.
//
// Residual mode (`residual` > 0): the diffusion runs on r = (x₀ − base)·residual, where base is
// the bilinear enlargement of the (blurred or not, un-noised) low-res image, and the output is
// base + r/residual. Measured on the shipped plain upsampler (step 1,282): its x₀ prediction at
// t = 999 had MSE 0.060 against the real 64x64 render, four times the bilinear enlargement's
// 0.015, and its samples were speckled. A residual model that has learnt nothing still returns
// the bilinear image; what it learns is the edges.
import * as tf from '@tensorflow/tfjs-core';
import { toUnit } from '../autoencoder/model.js';
import { cosineSchedule, DEFAULT_SCHEDULE, drawTimesteps, qSample, TRAIN_STEPS, type Denoiser, type NoiseSchedule, type Parameterization, type ScheduleSpec, type TimestepBand } from '../diffusion/index.js';
import type { DiffusionBatch, Uniform } from './model.js';
import { UNet, type UNetConfig } from './unet.js';

export interface UpsamplerConfig {
  kind: 'upsampler';
  version: 1;
  unet: UNetConfig;
  prediction: Parameterization;
  /** Side of the conditioning image (32). */
  lowSize: number;
  /** Training: noise-augmentation level drawn uniformly from [0, augMax] (of 1000 timesteps). */
  augMax: number;
  /** Inference: the noise-augmentation level applied to the low-res image (default for upsample()). */
  augLevel: number;
  /** Training: fraction of rows whose low-res image is blurred. */
  blurProb: number;
  /** Diffuse (x₀ − bilinear base)·residual instead of x₀ (absent or 0: x₀ itself, the first runs). */
  residual?: number;
  /** The noise schedule it was trained with (absent in configs written before it was recorded: the default). */
  schedule?: ScheduleSpec;
}

export function upsamplerConfig(unet: Partial<UNetConfig> = {}): UpsamplerConfig {
  return {
    kind: 'upsampler',
    version: 1,
    unet: {
      imageSize: 64,
      outChannels: 3,
      condChannels: 3,
      stem: 's2d',
      channels: [32, 64, 96],
      blocks: 1,
      upConv: false,
      attnRes: [],
      heads: 4,
      tdim: 128,
      embDim: 0,
      contextTokens: 0,
      augCond: true,
      ...unet,
    },
    prediction: 'v',
    lowSize: 32,
    augMax: 250,
    augLevel: 100,
    blurProb: 0.5,
    residual: 2,
    schedule: { ...DEFAULT_SCHEDULE },
  };
}

/** The same architecture at a width the tests run in milliseconds. */
export function tinyUpsamplerConfig(): UpsamplerConfig {
  return upsamplerConfig({ channels: [8, 16], tdim: 32 });
}

export function createUpsamplerNet(cfg: UpsamplerConfig, opts: { seed?: number; tensors?: Record<string, tf.Tensor>; trainable?: boolean; grow?: boolean } = {}): UNet {
  if (cfg.kind !== 'upsampler') throw new Error(`not an upsampler config (kind ${String(cfg.kind)})`);
  return new UNet(cfg.unet, { ...opts, name: 'upsampler' });
}

/** 3x3 binomial blur ([1 2 1]ᵀ[1 2 1]/16) per channel, edges mirrored (no dark border on white). */
export function blur3(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const c = x.shape[3];
    const k1 = [1 / 4, 2 / 4, 1 / 4];
    const k = new Float32Array(9 * c);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let ch = 0; ch < c; ch++) k[(i * 3 + j) * c + ch] = k1[i]! * k1[j]!;
    const padded = tf.mirrorPad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], 'reflect'); // [B, H+2, W+2, C]
    return tf.depthwiseConv2d(padded, tf.tensor4d(k, [3, 3, c, 1]), 1, 'valid');
  });
}

/**
 * The conditioning input from low-res images [B, s, s, 3] in [-1, 1]: optional blur (rows where
 * `blurRows` is 1), then `lowres` = noise at level augT → bilinear upsample to [B, S, S, 3], and
 * `base` = the bilinear upsample without the noise (what residual mode adds its output to).
 * Returns new tensors.
 */
export function prepareLowres(cfg: UpsamplerConfig, low: tf.Tensor4D, augT: tf.Tensor1D, noise: tf.Tensor4D, blurRows?: tf.Tensor1D, schedule: NoiseSchedule = cosineSchedule()): { lowres: tf.Tensor4D; base: tf.Tensor4D } {
  return tf.tidy(() => {
    let x: tf.Tensor4D = low;
    if (blurRows) {
      const m = tf.reshape(blurRows, [-1, 1, 1, 1]); // [B, 1, 1, 1]
      x = tf.add(tf.mul(m, blur3(low)), tf.mul(tf.sub(1, m), low));
    }
    const S = cfg.unet.imageSize;
    const up = (y: tf.Tensor4D) => tf.image.resizeBilinear(y, [S, S], false, true);
    return { lowres: up(qSample(schedule, x, augT, noise) as tf.Tensor4D), base: up(x) };
  });
}

/** The residual scale of a config (0: plain x₀ diffusion). */
export function residualScale(cfg: UpsamplerConfig): number {
  return cfg.residual ?? 0;
}

/**
 * An upsampler training batch from uint8 64x64 targets and their 32x32 renders: timesteps, noise,
 * augmentation level, blur rows and augmentation noise, all seeded (`rand` in JS, `noiseSeed`
 * for tensor noise).
 */
export function upsamplerBatch(cfg: UpsamplerConfig, hi: Uint8Array, low: Uint8Array, n: number, rand: Uniform, noiseSeed: number, band?: TimestepBand): DiffusionBatch {
  const S = cfg.unet.imageSize;
  const s = cfg.lowSize;
  const ts = drawTimesteps(n, rand, TRAIN_STEPS, band);
  const aug = Int32Array.from({ length: n }, () => Math.min(cfg.augMax, Math.floor(rand() * (cfg.augMax + 1))));
  const blur = Float32Array.from({ length: n }, () => (rand() < cfg.blurProb ? 1 : 0));
  return tf.tidy(() => {
    const augT = tf.tensor1d(aug, 'int32');
    const { lowres, base } = prepareLowres(cfg, toUnit(low, n, s), augT, tf.randomNormal([n, s, s, 3], 0, 1, 'float32', noiseSeed ^ 0x5a5a5a) as tf.Tensor4D, tf.tensor1d(blur));
    const k = residualScale(cfg);
    return {
      x0: k ? (tf.mul(tf.sub(toUnit(hi, n, S), base), k) as tf.Tensor4D) : toUnit(hi, n, S),
      t: tf.tensor1d(ts, 'int32'),
      noise: tf.randomNormal([n, S, S, 3], 0, 1, 'float32', noiseSeed) as tf.Tensor4D,
      cond: { lowres, augT },
    };
  });
}

/** What conditions the upsampler in sample(): the prepared (augmented, upsampled) low-res image and its augmentation level. */
export interface UpsamplerCond {
  lowres: tf.Tensor4D;
  augT: tf.Tensor1D;
}

export function upsamplerDenoiser(net: UNet): Denoiser<UpsamplerCond> {
  return (xt, t, cond) => {
    if (!cond) throw new Error('the upsampler always needs its low-res image');
    return net.apply(xt as tf.Tensor4D, t, { lowres: cond.lowres, augT: cond.augT });
  };
}
