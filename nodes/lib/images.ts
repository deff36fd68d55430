// Image values (uint8 RGB rows, as nodes pass them) to tensors and back to the ports' rules: the one
// conversion the CLIP image encoder, the upsampler and the decoder's edits share.
import * as tf from '@tensorflow/tfjs-core';
import { imagesFromBytes } from '../../ml/pipeline.js';
import type { Value } from '../types.js';

export type ImageValue = Extract<Value, { kind: 'image' }>;

/** [count, S, S, 3] float in [0, 1]; resized (bilinear, corners aligned) when `size` differs. The caller owns it. */
export function imageTensor(img: ImageValue, size: number = img.size): tf.Tensor4D {
  return tf.tidy(() => {
    const t = imagesFromBytes(img.data, img.count, img.size);
    return img.size === size ? t : (tf.image.resizeBilinear(t, [size, size], true) as tf.Tensor4D);
  });
}
