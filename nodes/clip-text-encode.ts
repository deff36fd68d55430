// CLIP's text tower: prompts → L2-normalised embeddings in the clip-text space, plus the words it
// read. Words outside the vocabulary are reported in `tokens.unknownWords`, never dropped silently.
// Once the corpus map is fitted for these weights, the rows' 2-D points are streamed as a step.
// With `wordWeights` (default on: one more batched forward pass, ms), which words matter: each
// word's leave-one-out drop in cosine (ml/clip/word-weights.ts), on the tokens output, and each
// row's embedding without each word on the embedding output, for the similarity node.
import * as tf from '@tensorflow/tfjs-core';
import { wordWeights } from '../ml/clip/word-weights.js';
import { mapPoints } from './lib/map-points.js';
import { round5 } from './lib/vec.js';
import { checkBatch, defineNode, need } from './types.js';

export const clipTextEncodeNode = defineNode({
  decl: {
    type: 'clip-text-encode',
    version: 1,
    title: 'CLIP text encode',
    category: 'clip',
    description: 'Embeds prompts with CLIP’s text encoder; lists unknown words.',
    inputs: [{ name: 'text', title: 'text', type: { kind: 'text' } }],
    outputs: [
      { name: 'embedding', title: 'text embedding', type: { kind: 'embedding', space: 'clip-text' } },
      { name: 'tokens', title: 'tokens', type: { kind: 'tokens' } },
    ],
    params: [
      {
        name: 'wordWeights',
        title: 'Word weights',
        kind: 'boolean',
        default: true,
        description: 'Each word’s weight in the embedding: 1 − cosine to the prompt without it (one more batched pass of the text encoder).',
      },
    ],
    models: ['clip'],
  },
  async execute(ctx) {
    const { texts } = need(ctx, 'text', 'text');
    checkBatch(ctx, texts.length, 'prompts');
    const clip = await ctx.models.clip();
    ctx.checkCancelled();
    const enc = clip.encodeText(texts);
    try {
      const data = Float32Array.from((await enc.embeddings.data()) as Float32Array); // [N, D]
      const tokenStates = Float32Array.from((await enc.tokenStates.data()) as Float32Array); // [N, T, W], for the prior
      const [, T, W] = enc.tokenStates.shape;
      mapPoints(ctx, data, texts.length, clip.dim);
      ctx.checkCancelled();
      const weights = ctx.params.wordWeights ? await wordWeights(clip, texts, data) : undefined;
      return {
        embedding: {
          kind: 'embedding', space: 'clip-text', width: clip.dim, count: texts.length, data, labels: [...texts], tokenStates, tokenShape: [T, W],
          ...(weights ? { words: weights.map((w) => ({ pieces: w.pieces, without: w.without })) } : {}),
        },
        tokens: {
          kind: 'tokens', tokens: enc.tokens, unknownWords: enc.unknownWords, truncatedWords: enc.truncatedWords,
          ...(weights ? { words: weights.map((w) => ({ pieces: w.pieces, drops: w.drops.map(round5) })) } : {}),
        },
      };
    } finally {
      tf.dispose([enc.embeddings, enc.tokenStates, enc.ids]);
    }
  },
});
