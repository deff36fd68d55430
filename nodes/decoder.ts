// The diffusion decoder (DALL-E 2's second stage): CLIP image embeddings → 32x32 images. Any
// 128-d embedding is accepted: the prior's output, a CLIP image encode (variations), an edited
// or interpolated one, or a text embedding fed straight in (the paper's no-prior ablation).
// Every step streams x_t and the predicted clean image side by side. Linked to an `init` image it
// edits that image instead (image to image, and with a `mask` inpainting: nodes/lib/edit-inputs.ts).
// With `clipPath` (default on) each step also carries the CLIP image embedding of its predicted
// clean image and its point on the corpus map (nodes/lib/clip-path.ts): the decoder's path
// through CLIP space, which the studio draws on the map and as cosines on the card.
import * as tf from '@tensorflow/tfjs-core';
import { rgbBytes } from '../ml/pipeline.js';
import { DECODE_DEFAULTS } from '../ml/decoder/index.js';
import { clipPathStep } from './lib/clip-path.js';
import { checkClip, guidanceParam, imageSampling, samplingParams, spacingParam } from './lib/diffusion.js';
import { disposeEdit, editInputs } from './lib/edit-inputs.js';
import { checkBatch, defineNode, need, NodeFailure } from './types.js';

export const decoderNode = defineNode({
  decl: {
    type: 'decoder',
    version: 1,
    title: 'Diffusion decoder',
    category: 'diffusion',
    description: 'Paints a 32x32 image for each CLIP embedding; `count` draws several per embedding (variations).',
    inputs: [
      { name: 'embedding', title: 'embedding', type: { kind: 'embedding', space: 'any' } },
      { name: 'init', title: 'image to edit', type: { kind: 'image' }, required: false },
      { name: 'mask', title: 'mask (white: redraw)', type: { kind: 'image' }, required: false },
    ],
    outputs: [{ name: 'image', title: 'image 32x32', type: { kind: 'image' } }],
    params: [
      ...samplingParams({ steps: DECODE_DEFAULTS.steps, sampler: DECODE_DEFAULTS.sampler }),
      spacingParam(DECODE_DEFAULTS.spacing),
      guidanceParam(DECODE_DEFAULTS.guidance),
      { name: 'count', title: 'Images per embedding', kind: 'integer', default: 1, min: 1, max: 64, limit: 'batch' },
      { name: 'strength', title: 'Edit strength', kind: 'number', default: 0.6, min: 0.01, max: 1, description: 'with an image to edit: how much noise it gets before denoising (low keeps the layout, 1 keeps nothing outside the mask)' },
      // a param, not a version bump: it changes what the steps carry, never the image (same bytes on or off)
      { name: 'clipPath', title: 'CLIP path', kind: 'boolean', default: true, description: 'embed each step’s predicted image with CLIP: its path on the embedding map, and its cosine to the embedding asked for (and the prompt) on this card' },
    ] as const,
    models: ['clip', 'decoder'],
  },
  async execute(ctx) {
    const emb = need(ctx, 'embedding', 'embedding');
    const { count } = ctx.params;
    const n = emb.count * count;
    checkBatch(ctx, n, 'images (embeddings × count)');
    const decoder = await ctx.models.decoder();
    checkClip('decoder', decoder, ctx);
    if (emb.width !== decoder.dim) throw new NodeFailure('INPUT_MISMATCH', `the decoder takes ${decoder.dim}-d embeddings, got ${emb.width}`, 'embedding');
    // rows: every embedding `count` times, embedding-major (variations of one sit together)
    const rows = new Float32Array(n * emb.width);
    const labels: string[] = [];
    for (let i = 0; i < emb.count; i++) {
      for (let k = 0; k < count; k++) {
        rows.set(emb.data.subarray(i * emb.width, (i + 1) * emb.width), (i * count + k) * emb.width);
        labels.push(count > 1 ? `${emb.labels[i] ?? `#${i}`} · ${k + 1}/${count}` : (emb.labels[i] ?? `#${i}`));
      }
    }
    const clip = ctx.params.clipPath ? await ctx.models.clip() : undefined;
    const edit = editInputs(ctx, { embeddings: emb.count, perEmbedding: count, size: decoder.imageSize });
    const embeddings = tf.tensor2d(rows, [n, emb.width]);
    try {
      const img = await decoder.decode({
        embeddings,
        guidance: ctx.params.guidance,
        edit,
        ...imageSampling(ctx, clip && ((s) => clipPathStep(ctx, clip, s.x0pred))),
      });
      try {
        return { image: { kind: 'image', count: n, size: decoder.imageSize, data: await rgbBytes(img), labels } };
      } finally {
        img.dispose();
      }
    } finally {
      embeddings.dispose();
      disposeEdit(edit);
    }
  },
});
