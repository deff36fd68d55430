// Helpers shared by the decoder tests (not a test file itself).
import * as tf from '@tensorflow/tfjs-core';
import type { UNet } from './unet.js';

/** Fresh nets output exactly 0 (zero-initialised output layers): nudge every weight so outputs depend on inputs. */
export function perturb(net: UNet, std = 0.05, seed = 7): void {
  let s = seed;
  tf.tidy(() => {
    for (const v of net.params.values()) v.assign(tf.add(v, tf.randomNormal(v.shape, 0, std, 'float32', s++)));
  });
}
