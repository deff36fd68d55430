// The diffusion prior (DALL-E 2's first stage): CLIP text embeddings (with the caption's token
// states, which CLIP text encode attaches) → CLIP image embeddings. Each step streams the
// predicted clean embedding of every candidate as points on the corpus map, so the studio can
// draw the trajectory (when the map has been fitted; see nodes/lib/map-points.ts).
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_PRIOR_SAMPLING, PRIOR_GUIDANCE_V1 } from '../ml/prior/index.js';
import { checkClip, guidanceParam, samplingParams, type SamplerParam } from './lib/diffusion.js';
import { pointsOnMap } from './lib/map-points.js';
import { checkBatch, defineNode, need, NodeFailure } from './types.js';

export const priorNode = defineNode({
  decl: {
    type: 'prior',
    version: 2,
    title: 'Diffusion prior',
    category: 'diffusion',
    description: 'Samples a CLIP image embedding for each caption (text embedding → image embedding).',
    inputs: [{ name: 'embedding', title: 'text embedding', type: { kind: 'embedding', space: 'clip-text' } }],
    outputs: [{ name: 'embedding', title: 'image embedding', type: { kind: 'embedding', space: 'clip-image' } }],
    params: [
      ...samplingParams({ steps: DEFAULT_PRIOR_SAMPLING.steps, sampler: DEFAULT_PRIOR_SAMPLING.sampler as SamplerParam }),
      guidanceParam(DEFAULT_PRIOR_SAMPLING.guidance),
      { name: 'bestOf', title: 'Best of', kind: 'integer', default: DEFAULT_PRIOR_SAMPLING.bestOf, min: 1, max: 8, description: 'sample this many per caption, keep the one closest to the text (the paper: 2)' },
    ] as const,
    models: ['clip', 'prior'],
  },
  // v2 raised the guidance default from 2 to 4; a v1 graph that left it at the default keeps 2,
  // so a saved pipeline still gives the bytes it gave.
  migrate(fromVersion, params) {
    if (fromVersion < 2 && params.guidance === undefined) return { ...params, guidance: PRIOR_GUIDANCE_V1 };
    return params;
  },
  async execute(ctx) {
    const text = need(ctx, 'embedding', 'embedding');
    if (!text.tokenStates || !text.tokenShape) {
      throw new NodeFailure('INPUT_MISMATCH', 'the prior reads the caption’s tokens: link it straight to a CLIP text encode (interpolated or edited text embeddings have no tokens)', 'embedding');
    }
    const { bestOf } = ctx.params;
    checkBatch(ctx, text.count * bestOf, 'prior candidates (captions × best of)');
    const prior = await ctx.models.prior();
    checkClip('prior', prior, ctx);
    if (text.width !== prior.dim) throw new NodeFailure('INPUT_MISMATCH', `the prior works on ${prior.dim}-d embeddings, got ${text.width}`, 'embedding');
    const [T, W] = text.tokenShape;
    const tokenStates = tf.tensor3d(text.tokenStates, [text.count, T, W]);
    const textEmbeddings = tf.tensor2d(text.data, [text.count, text.width]);
    try {
      const out = await prior.samplePrior({
        tokenStates,
        textEmbeddings,
        steps: ctx.params.steps,
        sampler: ctx.params.sampler,
        guidance: ctx.params.guidance,
        seed: ctx.params.seed,
        bestOf,
        onStep: async (s) => {
          const x0 = (await s.x0pred.data()) as Float32Array;
          const points = pointsOnMap(ctx, x0, s.x0pred.shape[0], prior.dim);
          const t = s.t / s.T; // the protocol's t is a fraction of the schedule (1 = pure noise)
          ctx.step(points ? { step: s.step, total: s.total, t, points } : { step: s.step, total: s.total, t });
        },
      });
      try {
        const data = Float32Array.from((await out.data()) as Float32Array);
        return { embedding: { kind: 'embedding', space: 'clip-image', width: prior.dim, count: text.count, data, labels: text.labels.map((l) => `prior(${l})`) } };
      } finally {
        out.dispose();
      }
    } finally {
      tf.dispose([tokenStates, textEmbeddings]);
    }
  },
});
