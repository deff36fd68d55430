// The upsampler (DALL-E 2's super-resolution stage): 32x32 images → 64x64, a diffusion model
// conditioned on the low-resolution image. Streams x_t and the predicted clean image per step.
import { rgbBytes } from '../ml/pipeline.js';
import { UPSAMPLE_DEFAULTS } from '../ml/decoder/index.js';
import { imageSampling, samplingParams, spacingParam } from './lib/diffusion.js';
import { imageTensor } from './lib/images.js';
import { checkBatch, defineNode, need, NodeFailure } from './types.js';

export const upsampleNode = defineNode({
  decl: {
    type: 'upsample',
    version: 1,
    title: 'Upsample 32→64',
    category: 'diffusion',
    description: 'Diffusion super-resolution: each 32x32 image to 64x64.',
    inputs: [{ name: 'image', title: 'image 32x32', type: { kind: 'image' } }],
    outputs: [{ name: 'image', title: 'image 64x64', type: { kind: 'image' } }],
    params: [...samplingParams({ steps: UPSAMPLE_DEFAULTS.steps, sampler: UPSAMPLE_DEFAULTS.sampler }), spacingParam(UPSAMPLE_DEFAULTS.spacing)],
    models: ['upsampler'],
  },
  async execute(ctx) {
    const low = need(ctx, 'image', 'image');
    checkBatch(ctx, low.count, 'images');
    const up = await ctx.models.upsampler();
    if (low.size !== up.lowSize) throw new NodeFailure('INPUT_MISMATCH', `the upsampler takes ${up.lowSize}x${up.lowSize} images, got ${low.size}x${low.size}`, 'image');
    const images = imageTensor(low);
    try {
      const img = await up.upsample({
        images,
        ...imageSampling(ctx),
      });
      try {
        return { image: { kind: 'image', count: low.count, size: up.imageSize, data: await rgbBytes(img), labels: [...low.labels] } };
      } finally {
        img.dispose();
      }
    } finally {
      images.dispose();
    }
  },
});
