// The icon autoencoder the latent decoder diffuses in (issue 20): 32x32x3 icons ⇄ an 8x8x4 latent
// grid, 12x fewer numbers. Flat colours and hard edges compress well, and the measurement that
// chose it (experiments/latent-ae-probe.ts) found its reconstructions of held-out icons as
// recognisable to the CLIP-free judge as the icons themselves. A decoder that diffuses here places
// 256 numbers instead of 3,072, so each CPU hour of training buys many more epochs, and this
// network's decoder, not the diffusion, draws the edges.
//
//   encoder  3x3 conv → per level: stride-2 conv → GroupNorm → SiLU → 3x3 conv → SiLU → 1x1 conv to the latent
//   decoder  3x3 conv → per level: 3x3 conv → GroupNorm → SiLU → nearest x2 → 3x3 conv → SiLU,
//            one more 3x3 conv at full resolution, 3x3 conv → tanh
//
// The latent the diffusion sees is standardised per channel: (z − shift) · scale, measured on the
// training icons when the autoencoder is exported (config `shift`, `scale`), so the diffusion's
// unit-variance noise means the same in every channel. Training decodes z plus Gaussian noise of
// `latentNoise` times z's own spread (relative, so the encoder cannot shrink it away by growing z):
// a diffusion sample lands near, not on, the latents of real icons, and the decoder must draw
// those as cleanly as it draws the real ones.
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, type ParamStoreOptions } from '../decoder/param-store.js';
import { conv, groupNorm, silu, type ParamSource } from '../decoder/unet-blocks.js';

export interface AutoencoderConfig {
  kind: 'autoencoder';
  version: 1;
  /** Side of the icons it encodes and draws (32). */
  imageSize: number;
  /** Channels at full resolution and after each stride-2 stage; the latent side is imageSize / 2^(length − 1). */
  channels: number[];
  /** Channels per latent cell. */
  latentChannels: number;
  /** Training noise on the latent, relative to its standard deviation. */
  latentNoise: number;
  /** Per-channel mean and 1/std of the training icons' latents (absent until measured at export). */
  shift?: number[];
  scale?: number[];
}

export function defaultAutoencoderConfig(over: Partial<AutoencoderConfig> = {}): AutoencoderConfig {
  return { kind: 'autoencoder', version: 1, imageSize: 32, channels: [32, 64, 128], latentChannels: 4, latentNoise: 0.05, ...over };
}

/** uint8 RGB icons [n, S, S, 3] as the [-1, 1] tensor the models read: the autoencoder, and the pixel decoder's and upsampler's training batches (the caller owns it). */
export const toUnit = (bytes: Uint8Array, n: number, S: number) => tf.tidy(() => tf.sub(tf.div(tf.tensor4d(bytes, [n, S, S, 3], 'float32'), 127.5), 1) as tf.Tensor4D);

/** Side of the latent grid. */
export const latentSide = (c: AutoencoderConfig) => c.imageSize >> (c.channels.length - 1);

export class Autoencoder {
  readonly config: AutoencoderConfig;
  readonly store: ParamStore;
  private readonly p: ParamSource;

  /** A fresh network (seeded) or one holding `tensors` (copied; the caller still owns them). */
  constructor(config: AutoencoderConfig, opts: ParamStoreOptions = {}) {
    if (config.kind !== 'autoencoder') throw new Error(`not an autoencoder config: ${String(config.kind)}`);
    if (config.imageSize % 2 ** (config.channels.length - 1) !== 0) throw new Error(`imageSize ${config.imageSize} does not halve ${config.channels.length - 1} times`);
    this.config = config;
    this.store = new ParamStore({ ...opts, name: opts.name ?? 'autoencoder' });
    this.p = this.store.p;
    const S = config.imageSize;
    this.store.create(() => void this.decodeRaw(this.encodeRaw(tf.zeros([1, S, S, 3]) as tf.Tensor4D)));
  }

  dispose(): void {
    this.store.dispose();
  }

  /** [B, S, S, 3] in [-1, 1] → the raw latent [B, s, s, latentChannels]. Synchronous: call inside tidy. */
  encodeRaw(x: tf.Tensor4D): tf.Tensor4D {
    const { channels: w, latentChannels } = this.config;
    const p = this.p;
    let h = silu(conv(p, 'e.in', x, 3, w[0]!));
    for (let i = 0; i + 1 < w.length; i++) {
      h = silu(groupNorm(p, `e.${i}.n`, conv(p, `e.${i}.down`, h, w[i]!, w[i + 1]!, 3, 2)));
      h = silu(conv(p, `e.${i}.c`, h, w[i + 1]!, w[i + 1]!));
    }
    return conv(p, 'e.out', h, w.at(-1)!, latentChannels, 1);
  }

  /** The raw latent → [B, S, S, 3] in [-1, 1]. Synchronous: call inside tidy. */
  decodeRaw(z: tf.Tensor4D): tf.Tensor4D {
    const { channels: w, latentChannels } = this.config;
    const p = this.p;
    const top = w.length - 1;
    let h = silu(conv(p, 'd.in', z, latentChannels, w[top]!));
    for (let i = top; i > 0; i--) {
      h = silu(groupNorm(p, `d.${i}.n`, conv(p, `d.${i}.c`, h, w[i]!, w[i]!)));
      const [, hh, ww] = h.shape;
      h = tf.image.resizeNearestNeighbor(h, [hh * 2, ww * 2]);
      h = silu(conv(p, `d.${i}.up`, h, w[i]!, w[i - 1]!));
    }
    h = silu(conv(p, 'd.0.c', h, w[0]!, w[0]!));
    return tf.tanh(conv(p, 'd.out', h, w[0]!, 3));
  }

  /** Training loss on x [B, S, S, 3] in [-1, 1]: L1 + MSE of the reconstruction through a noised latent. */
  loss(x: tf.Tensor4D, noiseSeed: number): tf.Scalar {
    const z = this.encodeRaw(x);
    const { variance } = tf.moments(z);
    const noisy = tf.add(z, tf.mul(tf.randomNormal(z.shape, 0, this.config.latentNoise, 'float32', noiseSeed), tf.sqrt(tf.add(variance, 1e-8)))) as tf.Tensor4D;
    const d = tf.sub(this.decodeRaw(noisy), x);
    return tf.add(tf.mean(tf.abs(d)), tf.mean(tf.square(d))) as tf.Scalar;
  }

  /** The standardised latent the diffusion sees: (z − shift) · scale. Synchronous: call inside tidy. */
  encode(x: tf.Tensor4D): tf.Tensor4D {
    const { shift, scale } = this.standardisation();
    return tf.mul(tf.sub(this.encodeRaw(x), shift), scale) as tf.Tensor4D;
  }

  /** A standardised latent → image in [-1, 1]. Synchronous: call inside tidy. */
  decode(l: tf.Tensor4D): tf.Tensor4D {
    const { shift, scale } = this.standardisation();
    return this.decodeRaw(tf.add(tf.div(l, scale), shift) as tf.Tensor4D);
  }

  private standardisation(): { shift: tf.Tensor1D; scale: tf.Tensor1D } {
    const { shift, scale, latentChannels } = this.config;
    if (!shift || !scale) throw new Error('this autoencoder has no latent standardisation yet (it is measured when it is exported)');
    if (shift.length !== latentChannels || scale.length !== latentChannels) throw new Error(`the latent standardisation has ${shift.length}/${scale.length} channels, the latent ${latentChannels}`);
    return { shift: tf.tensor1d(shift), scale: tf.tensor1d(scale) };
  }
}
