// The decoder and upsampler API the graph nodes and `npm run generate` use:
//
//   const dec = await loadDecoder();                       // weights/decoder by default
//   const img = await dec.decode({ embeddings, steps: 25, sampler: 'dpmpp2m', guidance: 3, seed: 7 });
//   // img: [N, 32, 32, 3] in [0, 1]; embeddings [N, D] CLIP image embeddings (any length: normalised inside)
//   const up = await loadUpsampler();                      // weights/upsampler
//   const big = await up.upsample({ images: img, steps: 10, seed: 7 });   // [N, 64, 64, 3] in [0, 1]
//   dec.dispose(); up.dispose();
//
// Both run ml/diffusion's sample() (one diffusion module): same arguments and backend → the same
// output. onStep receives {step, total, t, tNext, xt, x0pred} with xt and x0pred as IMAGES in
// [0, 1] (x_t and the predicted clean image mapped from [-1, 1] and clipped); those tensors are
// valid only during the callback (clone what you keep). An aborted `signal` stops between steps,
// frees every tensor and rejects with an AbortError. The caller owns returned tensors. Call
// initBackend() first.
import * as tf from '@tensorflow/tfjs-core';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { derivedSeed, sample, scheduleFromSpec, withSchedule, type NoiseSchedule, type SamplerName, type Spacing, type StepInfo, type X0Threshold } from '../diffusion/index.js';
import type { Autoencoder } from '../autoencoder/model.js';
import { autoencoderDir, loadAutoencoderFor } from './latent.js';
import { type DecoderConfig, type DecoderCond, createDecoderNet, decoderDenoiser, guidancePair } from './model.js';
import type { UNet } from './unet.js';
import { type UpsamplerConfig, createUpsamplerNet, prepareLowres, residualScale, upsamplerDenoiser } from './upsampler.js';

export type { DecoderConfig } from './model.js';
export type { UpsamplerConfig } from './upsampler.js';
export type { StepInfo, SamplerName, Spacing } from '../diffusion/index.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_DECODER_DIR = join(REPO_ROOT, 'weights', 'decoder');
export const DEFAULT_UPSAMPLER_DIR = join(REPO_ROOT, 'weights', 'upsampler');

/** Sampling defaults (what the generate CLI and the graph nodes use unless told otherwise). */
export const DECODE_DEFAULTS = { steps: 25, spacing: 'linear' as Spacing, sampler: 'dpmpp2m' as SamplerName, guidance: 3, seed: 0 };
export const UPSAMPLE_DEFAULTS = { steps: 10, spacing: 'quadratic' as Spacing, sampler: 'dpmpp2m' as SamplerName, seed: 0 };
/** x₀ of a model that samples pixels is clipped to [-1, 1] by default (not a latent's or a residual's: x0Threshold). */
const PIXEL_THRESHOLD: X0Threshold = 'clip';

export interface ImageStepInfo extends StepInfo {
  /** x_t as an image [N, S, S, 3] in [0, 1]. */
  xt: tf.Tensor;
  /** The predicted clean image [N, S, S, 3] in [0, 1]. */
  x0pred: tf.Tensor;
}

interface CommonOptions {
  steps?: number;
  /** How the steps spread over the schedule (see ml/diffusion's Spacing). */
  spacing?: Spacing;
  sampler?: SamplerName;
  seed?: number;
  /** DDIM η (0: deterministic DDIM). */
  eta?: number;
  /** Bound on the predicted x₀ at every step (default 'clip' to [-1, 1]; Imagen's {dynamic: q} helps at high guidance). A latent decoder takes only 'none': its latents are unbounded. */
  threshold?: X0Threshold;
  signal?: AbortSignal;
  onStep?: (info: ImageStepInfo) => void | Promise<void>;
}

export interface DecodeOptions extends CommonOptions {
  /** [N, D] CLIP image embeddings (or the prior's output, or text embeddings for the no-prior ablation). */
  embeddings: tf.Tensor2D;
  /** Classifier-free guidance scale (1: none, one network call per step; > 1: cond and null rows in one batch). */
  guidance?: number;
  /** Edit existing images instead of drawing from noise (image to image, inpainting: ml/diffusion/edit.ts). */
  edit?: ImageEdit;
}

/**
 * The x₀ bound a sampler runs with. A model whose sampled space is unbounded (`unbounded` says
 * what it samples) takes only 'none': bounding it to [-1, 1] would break its pictures, and
 * ignoring a caller's request silently would hide that.
 */
function x0Threshold(asked: X0Threshold | undefined, pixels: X0Threshold, unbounded: string | null): X0Threshold {
  if (!unbounded) return asked ?? pixels;
  if (asked !== undefined && asked !== 'none') throw new Error(`threshold ${JSON.stringify(asked)} bounds x₀ to [-1, 1], but this ${unbounded}, which has no bound: leave threshold out`);
  return 'none';
}

/** A mask image [N, S, S, 3] in [0, 1] as ImageEdit's mask [N, S, S, 1]: its channels averaged (white: redraw). The caller owns it. */
export function maskFromImages(images: tf.Tensor4D): tf.Tensor4D {
  return tf.mean(images, 3, true) as tf.Tensor4D;
}

/** An edit of existing images. The tensors belong to the caller. */
export interface ImageEdit {
  /** [N, S, S, 3] in [0, 1], at the model's image size. */
  images: tf.Tensor4D;
  /** 0 < strength ≤ 1: how far toward pure noise the images go before denoising (1: nothing of them is left outside the mask). */
  strength: number;
  /** Optional [N, S, S, 1] in [0, 1]: 1 = draw anew, 0 = keep the image. */
  mask?: tf.Tensor4D;
}

export interface UpsampleOptions extends CommonOptions {
  /** [N, lowSize, lowSize, 3] images in [0, 1] (the decoder's output). */
  images: tf.Tensor4D;
  /** Noise-augmentation level applied to the low-res image (default: the config's augLevel). */
  augLevel?: number;
}

/** [-1, 1] → [0, 1], clipped. */
function toImage(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.clipByValue(tf.add(tf.mul(x, 0.5), 0.5), 0, 1));
}

/**
 * Wraps a caller's onStep so it sees images (`pixels` first maps a sample to image space: the
 * residual upsampler's, a latent decoder's; `x0Pixels` the predicted x₀, when it differs); frees
 * them once the callback settles.
 */
function imageSteps(onStep: CommonOptions['onStep'], pixels?: (x: tf.Tensor) => tf.Tensor, x0Pixels = pixels): ((info: StepInfo) => Promise<void>) | undefined {
  if (!onStep) return undefined;
  const show = (x: tf.Tensor, f?: (x: tf.Tensor) => tf.Tensor) => (f ? tf.tidy(() => toImage(f(x))) : toImage(x));
  return async (info) => {
    const xt = show(info.xt, pixels);
    const x0pred = show(info.x0pred, x0Pixels);
    try {
      await onStep({ ...info, xt, x0pred });
    } finally {
      xt.dispose();
      x0pred.dispose();
    }
  };
}

abstract class ImageModel<C extends DecoderConfig | UpsamplerConfig> {
  readonly config: C;
  readonly net: UNet;
  readonly dir: string | null;
  /** The noise schedule, built from config.schedule. */
  readonly schedule: NoiseSchedule;
  private disposed = false;

  constructor(config: C, net: UNet, dir: string | null) {
    this.config = config;
    this.net = net;
    this.dir = dir;
    this.schedule = scheduleFromSpec(config.schedule);
  }

  /** Number of scalar parameters. */
  get paramCount(): number {
    return this.net.size;
  }
  /** Side of the images it makes. */
  get imageSize(): number {
    return this.config.unet.imageSize;
  }

  /** Write this model as a checkpoint folder (weights + config, no training state). */
  save(dir: string, metadata: Record<string, string> = {}): void {
    this.check();
    saveCheckpoint(dir, { config: withSchedule(this.config), tensors: this.net.tensors(), metadata: { model: this.config.kind, ...metadata } });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.net.dispose();
  }

  protected check(): void {
    if (this.disposed) throw new Error(`this ${this.config.kind} was disposed`);
  }
}

export class Decoder extends ImageModel<DecoderConfig> {
  /** A latent decoder's autoencoder (latent.ts): it draws the images from the sampled latents. */
  readonly autoencoder: Autoencoder | null;
  private readonly ownsAutoencoder: boolean;

  constructor(config: DecoderConfig, net: UNet, dir: string | null, ae: { autoencoder: Autoencoder; owned: boolean } | null) {
    super(config, net, dir);
    if (Boolean(config.latent) !== Boolean(ae)) throw new Error(config.latent ? 'a latent decoder needs its autoencoder' : 'a pixel decoder takes no autoencoder');
    this.autoencoder = ae?.autoencoder ?? null;
    this.ownsAutoencoder = ae?.owned ?? false;
  }

  /** Width of the embeddings it takes. */
  get dim(): number {
    return this.config.unet.embDim;
  }

  /** Side of the images it makes (a latent decoder's U-Net works at the latent's side). */
  override get imageSize(): number {
    return this.autoencoder?.config.imageSize ?? this.config.unet.imageSize;
  }

  override dispose(): void {
    super.dispose();
    if (this.ownsAutoencoder) this.autoencoder?.dispose();
  }

  /**
   * null when this decoder learned to invert the embeddings of the CLIP checkpoint of hash
   * `clipHash` (sha-256 as ml/clip-embeddings.ts clipWeightsHash and the studio compute it; or
   * when it does not know), else a sentence saying why its images will not match that CLIP.
   */
  clipMismatch(clipHash: string): string | null {
    if (!this.config.clipHash || this.config.clipHash === clipHash) return null;
    return `the decoder was trained on embeddings of CLIP ${this.config.clipHash.slice(0, 16)}, not ${clipHash.slice(0, 16)}: retrain it (npm run train -- decoder)`;
  }

  /** Images [N, 32, 32, 3] in [0, 1] for CLIP embeddings [N, D]. */
  async decode(o: DecodeOptions): Promise<tf.Tensor4D> {
    this.check();
    const [n, d] = o.embeddings.shape;
    if (d !== this.dim) throw new Error(`decoder takes [N, ${this.dim}] embeddings, got [${o.embeddings.shape}]`);
    if (n < 1) throw new RangeError('decode needs at least one embedding');
    const guidance = o.guidance ?? DECODE_DEFAULTS.guidance;
    const { imageSize: s, outChannels: c } = this.config.unet;
    const ae = this.autoencoder;
    const pair = guidance !== 1 ? guidancePair(o.embeddings) : null;
    // An edited image enters the sampler in the model's space: [-1, 1], and a latent decoder's
    // latent, where the mask is the share of each latent cell's pixels to redraw.
    const editPixels = o.edit ? tf.tidy(() => tf.sub(tf.mul(o.edit!.images, 2), 1) as tf.Tensor4D) : null;
    const editImage = editPixels && ae ? tf.tidy(() => ae.encode(editPixels)) : editPixels;
    const editMask = o.edit?.mask && ae ? tf.tidy(() => tf.avgPool(o.edit!.mask!, this.imageSize / s, this.imageSize / s, 'valid')) : null;
    // A latent decoder's frames and output are the autoencoder's pictures of its latents. Outside
    // an inpainting mask its predicted x₀ and output are the image itself: the autoencoder's copy
    // of it would be a little soft, and a 4x4 latent cell straddling the mask's edge would blur it.
    const pixels = ae ? (l: tf.Tensor) => ae.decode(l as tf.Tensor4D) : undefined;
    const mask = o.edit?.mask;
    const x0Pixels = ae && mask && editPixels ? (l: tf.Tensor) => tf.add(tf.mul(ae.decode(l as tf.Tensor4D), mask), tf.mul(editPixels, tf.sub(1, mask))) : pixels;
    try {
      const x = await sample<DecoderCond>({
        model: decoderDenoiser(this.net),
        prediction: this.config.prediction,
        shape: [n, s, s, c],
        schedule: this.schedule,
        steps: o.steps ?? DECODE_DEFAULTS.steps,
        spacing: o.spacing ?? DECODE_DEFAULTS.spacing,
        sampler: o.sampler ?? DECODE_DEFAULTS.sampler,
        seed: o.seed ?? DECODE_DEFAULTS.seed,
        eta: o.eta,
        guidance,
        cond: { emb: o.embeddings },
        pairCond: pair ?? undefined,
        edit: o.edit && editImage ? { image: editImage, strength: o.edit.strength, mask: editMask ?? o.edit.mask } : undefined,
        // A standardised latent is not bounded by [-1, 1]: only pixels are clipped (at the end).
        threshold: x0Threshold(o.threshold, PIXEL_THRESHOLD, ae ? "decoder samples its autoencoder's latents" : null),
        signal: o.signal,
        onStep: imageSteps(o.onStep, pixels, x0Pixels),
      });
      try {
        return tf.tidy(() => toImage(x0Pixels ? x0Pixels(x) : x)) as tf.Tensor4D;
      } finally {
        x.dispose();
      }
    } finally {
      if (pair) tf.dispose([pair.emb, pair.keep]);
      editPixels?.dispose();
      if (editImage !== editPixels) editImage?.dispose();
      editMask?.dispose();
    }
  }
}

export class Upsampler extends ImageModel<UpsamplerConfig> {
  /** Side of the images it takes. */
  get lowSize(): number {
    return this.config.lowSize;
  }

  /** Images [N, 64, 64, 3] in [0, 1] from images [N, 32, 32, 3] in [0, 1]. */
  async upsample(o: UpsampleOptions): Promise<tf.Tensor4D> {
    this.check();
    const [n, h, w, c] = o.images.shape;
    const s = this.lowSize;
    if (h !== s || w !== s || c !== 3) throw new Error(`upsampler takes [N, ${s}, ${s}, 3] images in [0, 1], got [${o.images.shape}]`);
    if (n < 1) throw new RangeError('upsample needs at least one image');
    const seed = o.seed ?? UPSAMPLE_DEFAULTS.seed;
    const level = o.augLevel ?? this.config.augLevel;
    const maxT = this.schedule.T - 1;
    if (!Number.isInteger(level) || level < 0 || level > maxT) throw new RangeError(`augLevel must be an integer in [0, ${maxT}], got ${level}`);
    const S = this.imageSize;
    const k = residualScale(this.config);
    const { cond, base } = tf.tidy(() => {
      const augT = tf.fill([n], level, 'int32') as tf.Tensor1D;
      const low = tf.sub(tf.mul(o.images, 2), 1) as tf.Tensor4D; // [0, 1] → [-1, 1]
      // The augmentation noise has its own stream of the run's seed (stream 0 is x_T, 1.. the steps).
      const noise = tf.randomNormal([n, s, s, 3], 0, 1, 'float32', derivedSeed(seed, 1_000_003)) as tf.Tensor4D;
      const p = prepareLowres(this.config, low, augT, noise, undefined, this.schedule);
      return { cond: { lowres: p.lowres, augT }, base: p.base };
    });
    // Residual mode samples r = (x₀ − base)·k: the frames and the output show base + r/k.
    const pixels = k ? (r: tf.Tensor) => tf.add(base, tf.div(r, k)) : undefined;
    try {
      const x = await sample({
        model: upsamplerDenoiser(this.net),
        prediction: this.config.prediction,
        shape: [n, S, S, 3],
        schedule: this.schedule,
        steps: o.steps ?? UPSAMPLE_DEFAULTS.steps,
        spacing: o.spacing ?? UPSAMPLE_DEFAULTS.spacing,
        sampler: o.sampler ?? UPSAMPLE_DEFAULTS.sampler,
        seed,
        eta: o.eta,
        cond,
        // A residual is not bounded by [-1, 1]; the image it makes is clipped at the end.
        threshold: x0Threshold(o.threshold, PIXEL_THRESHOLD, k ? 'upsampler samples a residual' : null),
        signal: o.signal,
        onStep: imageSteps(o.onStep, pixels),
      });
      try {
        return tf.tidy(() => toImage(pixels ? pixels(x) : x)) as tf.Tensor4D;
      } finally {
        x.dispose();
      }
    } finally {
      tf.dispose([cond.lowres, cond.augT, base]);
    }
  }
}

/**
 * A decoder from its config and parameter values (the caller still owns `tensors`); fresh seeded
 * weights without them. A latent decoder takes `autoencoder` (the caller keeps owning it), or
 * loads its own from beside `dir` (default weights/decoder).
 */
export function makeDecoder(config: DecoderConfig, tensors?: Record<string, tf.Tensor>, opts: { seed?: number; dir?: string; autoencoder?: Autoencoder } = {}): Decoder {
  const ae = config.latent
    ? opts.autoencoder
      ? { autoencoder: opts.autoencoder, owned: false }
      : { autoencoder: loadAutoencoderFor(config.latent, autoencoderDir(config.latent, opts.dir ?? DEFAULT_DECODER_DIR)), owned: true }
    : null;
  try {
    return new Decoder(config, createDecoderNet(config, { tensors, seed: opts.seed, trainable: false }), opts.dir ?? null, ae);
  } catch (e) {
    if (ae?.owned) ae.autoencoder.dispose();
    throw e;
  }
}

export function makeUpsampler(config: UpsamplerConfig, tensors?: Record<string, tf.Tensor>, opts: { seed?: number; dir?: string } = {}): Upsampler {
  return new Upsampler(config, createUpsamplerNet(config, { tensors, seed: opts.seed, trainable: false }), opts.dir ?? null);
}

function loadFolder<C>(dir: string, kind: string): { config: C; tensors: Record<string, tf.Tensor> } {
  const ck = loadCheckpoint(dir, { withState: false });
  const config = ck.config as { kind?: string };
  if (config?.kind !== kind) {
    tf.dispose(Object.values(ck.tensors));
    throw new Error(`${dir} holds a ${String(config?.kind)} checkpoint, not a ${kind}`);
  }
  return { config: ck.config as C, tensors: ck.tensors };
}

/** Load the decoder from a checkpoint folder (default weights/decoder). */
export async function loadDecoder(dir: string = DEFAULT_DECODER_DIR): Promise<Decoder> {
  const { config, tensors } = loadFolder<DecoderConfig>(dir, 'decoder');
  try {
    return makeDecoder(config, tensors, { dir });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Load the upsampler from a checkpoint folder (default weights/upsampler). */
export async function loadUpsampler(dir: string = DEFAULT_UPSAMPLER_DIR): Promise<Upsampler> {
  const { config, tensors } = loadFolder<UpsamplerConfig>(dir, 'upsampler');
  try {
    return makeUpsampler(config, tensors, { dir });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
