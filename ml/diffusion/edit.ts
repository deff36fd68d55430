// Editing an existing sample with the same sampler, no retraining (DALL-E 2's image modifications):
//
// - image to image (SDEdit, Meng et al. 2021): noise the image to the timestep that `strength`
//   names (1: pure noise, nothing of the image left; 0: the image itself) and denoise from there,
//   over the tail of the run's timesteps. Low strength keeps the layout, high strength keeps little.
// - inpainting (RePaint, Lugmayr et al. 2022, without its resampling jumps): after every step, the
//   region the mask keeps (mask 0) is replaced by the original noised to the step's new timestep,
//   so the model only draws the masked region (mask 1) and blends it into what surrounds it.
//
// Randomness: the starting noise is the run's stream 0 as for an unedited run; the noise that
// re-noises the kept region at step i is stream KNOWN_STREAM + i, far from the samplers' streams
// (i + 1), so the same arguments still give the same bytes.
import * as tf from '@tensorflow/tfjs-core';
import { derivedSeed } from './samplers.js';
import type { NoiseSchedule } from './schedule.js';

/** What an edited run starts from. The tensors belong to the caller. */
export interface EditStart {
  /** The clean sample, in the model's space, shaped like the run's sample. */
  image: tf.Tensor;
  /** 0 < strength ≤ 1: how far toward pure noise the image is taken before denoising. */
  strength: number;
  /** Optional, broadcastable to the sample (e.g. [B, H, W, 1]): 1 = draw anew, 0 = keep the image. */
  mask?: tf.Tensor;
}

/** The noise streams of the kept region's re-noising start here (one per step). */
export const KNOWN_STREAM = 1 << 20;

/** Refuses what cannot be an edit of a sample of this shape. */
export function checkEdit(edit: EditStart, shape: number[]): void {
  if (!(edit.strength > 0 && edit.strength <= 1)) throw new RangeError(`strength must be in (0, 1], got ${edit.strength}`);
  if (!tf.util.arraysEqual(edit.image.shape, shape)) throw new RangeError(`edit image shape [${edit.image.shape}] != sample shape [${shape}]`);
  if (edit.mask) {
    const m = edit.mask.shape;
    const fits = m.length === shape.length && m.every((d, i) => d === shape[i] || d === 1);
    if (!fits) throw new RangeError(`mask shape [${m}] does not broadcast to [${shape}]`);
  }
}

/**
 * The part of a run's timesteps (T-1 … 0) an edit of this strength evaluates: those at or below
 * strength·(T-1), and at least the last one. The first of them is the level the image is noised to.
 */
export function editTimesteps(ts: readonly number[], strength: number, T: number): number[] {
  const top = Math.round(strength * (T - 1));
  const kept = ts.filter((t) => t <= top);
  return kept.length ? kept : [ts[ts.length - 1]!];
}

/** q(x_t | x_0) = √ᾱ_t·x_0 + √(1-ᾱ_t)·ε: the image taken to timestep t (t = -1: the image). */
export function noiseTo(image: tf.Tensor, t: number, schedule: NoiseSchedule, noise: tf.Tensor): tf.Tensor {
  if (t < 0) return tf.clone(image);
  const ab = schedule.alphaBar(t);
  return tf.tidy(() => tf.add(tf.mul(Math.sqrt(ab), image), tf.mul(Math.sqrt(1 - ab), noise)));
}

/** Where an edit starts: the image noised to the first evaluated timestep with the run's stream-0 noise. */
export function editStart(edit: EditStart, t: number, schedule: NoiseSchedule, seed: number): tf.Tensor {
  return tf.tidy(() => noiseTo(edit.image, t, schedule, tf.randomNormal(edit.image.shape, 0, 1, 'float32', derivedSeed(seed, 0))));
}

/**
 * After step `index` took the sample to `tNext`: the kept region (mask 0) becomes the image noised to
 * tNext, the masked region stays as sampled. Returns a new tensor; without a mask, a clone.
 */
export function keepKnown(x: tf.Tensor, edit: EditStart, tNext: number, index: number, schedule: NoiseSchedule, seed: number): tf.Tensor {
  const mask = edit.mask;
  if (!mask) return tf.clone(x);
  return tf.tidy(() => {
    const known = noiseTo(edit.image, tNext, schedule, tf.randomNormal(edit.image.shape, 0, 1, 'float32', derivedSeed(seed, KNOWN_STREAM + index)));
    return tf.add(tf.mul(mask, x), tf.mul(tf.sub(1, mask), known));
  });
}
