// The decoder's optional edit inputs (issue 25): an `init` image to start from (image to image) and
// a `mask` image saying where to draw anew (white) and what to keep (black), with `strength`. Checked
// here with codes on the right port, then handed to ml/decoder's ImageEdit.
import * as tf from '@tensorflow/tfjs-core';
import { maskFromImages, type ImageEdit } from '../../ml/decoder/index.js';
import { NodeFailure, optional, type ExecContext } from '../types.js';
import { imageTensor, type ImageValue } from './images.js';

/**
 * The edit for `rows` sample rows made from `embeddings` embeddings × `perEmbedding` (embedding-major),
 * or undefined without an `init` image. One init (or mask) image serves every row; else one per
 * embedding. The caller owns the tensors (disposeEdit).
 */
export function editInputs(ctx: ExecContext<{ strength: number }>, o: { embeddings: number; perEmbedding: number; size: number }): ImageEdit | undefined {
  const init = optional(ctx, 'init', 'image');
  const mask = optional(ctx, 'mask', 'image');
  if (!init) {
    if (mask) throw new NodeFailure('MISSING_INPUT', 'a mask says where to redraw an image: link the image to edit to `init` too', 'init');
    return undefined;
  }
  const perRow = (img: ImageValue, port: string) => {
    if (img.count !== 1 && img.count !== o.embeddings) {
      throw new NodeFailure('INPUT_MISMATCH', `${port} has ${img.count} images: give 1 (for every embedding) or ${o.embeddings} (one per embedding)`, port);
    }
    // row r = embedding ⌊r / perEmbedding⌋
    const rows = o.embeddings * o.perEmbedding;
    return Array.from({ length: rows }, (_, r) => (img.count === 1 ? 0 : Math.floor(r / o.perEmbedding)));
  };
  const initRows = perRow(init, 'init');
  let maskRows: number[] | undefined;
  if (mask) {
    maskRows = perRow(mask, 'mask');
    if (mask.size !== init.size) throw new NodeFailure('INPUT_MISMATCH', `the mask is ${mask.size}x${mask.size}, the image ${init.size}x${init.size}: they must match`, 'mask');
    if (!mask.data.some((v) => v >= 128)) throw new NodeFailure('INPUT_MISMATCH', 'the mask is empty: paint (white) where the decoder should draw anew', 'mask');
  }
  return tf.tidy(() => {
    const images = tf.gather(imageTensor(init, o.size), initRows) as tf.Tensor4D;
    const m = mask && maskRows ? (tf.gather(maskFromImages(imageTensor(mask, o.size)), maskRows) as tf.Tensor4D) : undefined;
    return m ? { images, strength: ctx.params.strength, mask: m } : { images, strength: ctx.params.strength };
  });
}

export function disposeEdit(edit: ImageEdit | undefined): void {
  if (edit) tf.dispose([edit.images, ...(edit.mask ? [edit.mask] : [])]);
}
