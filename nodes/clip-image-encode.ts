// CLIP's image tower: images → L2-normalised embeddings in the clip-image space. Once the corpus
// map is fitted for these weights, the rows' 2-D points are streamed as a step.
import type * as tf from '@tensorflow/tfjs-core';
import { imageTensor } from './lib/images.js';
import { mapPoints } from './lib/map-points.js';
import { checkBatch, defineNode, need } from './types.js';

export const clipImageEncodeNode = defineNode({
  decl: {
    type: 'clip-image-encode',
    version: 1,
    title: 'CLIP image encode',
    category: 'clip',
    description: 'Embeds images with CLIP’s image encoder.',
    inputs: [{ name: 'image', title: 'image', type: { kind: 'image' } }],
    outputs: [{ name: 'embedding', title: 'image embedding', type: { kind: 'embedding', space: 'clip-image' } }],
    params: [],
    models: ['clip'],
  },
  async execute(ctx) {
    const img = need(ctx, 'image', 'image');
    checkBatch(ctx, img.count, 'images');
    const clip = await ctx.models.clip();
    ctx.checkCancelled();
    const S = clip.config.imageSize;
    // [N, size, size, 3] uint8 → [N, S, S, 3] float in [0, 1] (resized when another stage made them larger)
    const x = imageTensor(img, S);
    let emb: tf.Tensor2D | undefined;
    try {
      emb = clip.encodeImage(x); // [N, D]
      const data = Float32Array.from((await emb.data()) as Float32Array);
      mapPoints(ctx, data, img.count, clip.dim);
      return { embedding: { kind: 'embedding', space: 'clip-image', width: clip.dim, count: img.count, data, labels: [...img.labels] } };
    } finally {
      x.dispose();
      emb?.dispose();
    }
  },
});
