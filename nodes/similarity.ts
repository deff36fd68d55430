// A matrix of CLIP scores (cosine similarity) between two sets of embeddings, e.g. prompts (rows)
// against images (columns), shown as a heatmap.
import { defineNode, need, NodeFailure, row } from './types.js';
import { cosine } from './lib/vec.js';

export const similarityNode = defineNode({
  decl: {
    type: 'similarity',
    version: 1,
    title: 'Similarity',
    category: 'view',
    description: 'Cosine similarity (CLIP score) of every row of one embedding set with every row of another.',
    inputs: [
      { name: 'rows', title: 'rows', type: { kind: 'embedding', space: 'any' } },
      { name: 'cols', title: 'columns', type: { kind: 'embedding', space: 'any' } },
    ],
    outputs: [{ name: 'plot', title: 'heatmap', type: { kind: 'plot' } }],
    params: [],
    models: [],
  },
  async execute(ctx) {
    const r = need(ctx, 'rows', 'embedding');
    const c = need(ctx, 'cols', 'embedding');
    if (r.width !== c.width) throw new NodeFailure('INPUT_MISMATCH', `rows have width ${r.width}, columns ${c.width}`, 'cols');
    const values: number[][] = [];
    for (let i = 0; i < r.count; i++) {
      const line: number[] = [];
      for (let j = 0; j < c.count; j++) line.push(cosine(row(r, i), row(c, j)));
      values.push(line);
    }
    return { plot: { kind: 'plot', plot: { type: 'heatmap', metric: 'cosine', rows: [...r.labels], cols: [...c.labels], values } } };
  },
});
