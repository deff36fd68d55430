// The decoder's path through CLIP space: at each step the predicted clean image x0 is embedded
// with CLIP's image encoder and streamed with the step (its 128 floats per row, and its point on
// the corpus map once the map is fitted), so the studio can draw where the picture is heading
// and how close it is, step by step, to the embedding it was asked to draw. Reads x0 only: the
// sampler's tensors and RNG are untouched, so the decoder's output bytes do not change.
import * as tf from '@tensorflow/tfjs-core';
import type { Clip } from '../../ml/clip/index.js';
import { FRAME_ROWS } from '../../ml/pipeline.js';
import type { ExecContext, StepInfo } from '../types.js';
import { pointsOnMap } from './map-points.js';

/** Streamed values keep 4 decimals: cosines to 1e-4 are plenty, and the step log stays small. */
const round = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * x0 [N, S, S, 3] in [0, 1] → the step's `embeddings` and map `points`, for the images the step's
 * frame shows (the first FRAME_ROWS): a batch of 64 costs no more per step, nor in the run's log.
 */
export async function clipPathStep(ctx: ExecContext, clip: Clip, x0: tf.Tensor): Promise<Pick<StepInfo, 'embeddings' | 'points'>> {
  const S = clip.config.imageSize;
  const emb = tf.tidy(() => {
    const x = (x0 as tf.Tensor4D).slice(0, Math.min(x0.shape[0]!, FRAME_ROWS));
    return clip.encodeImage(x.shape[1] === S && x.shape[2] === S ? x : tf.image.resizeBilinear(x, [S, S], true));
  });
  try {
    const data = (await emb.data()) as Float32Array;
    const [n, d] = emb.shape;
    const embeddings = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d), round));
    const points = pointsOnMap(ctx, data, n, d);
    return points ? { embeddings, points } : { embeddings };
  } finally {
    emb.dispose();
  }
}
