// A matrix of CLIP scores (cosine similarity) between two sets of embeddings, e.g. prompts (rows)
// against images (columns), shown as a heatmap. Where a side is prompts with word weights
// (clip-text-encode), each cell also says which of the prompt's words drive it: the drop in that
// cell's cosine when the word is left out.
import type { CellWordWeights } from '../protocol/index.js';
import { defineNode, need, NodeFailure, row, type Value } from './types.js';
import { cosine, round5 } from './lib/vec.js';

type Embedding = Extract<Value, { kind: 'embedding' }>;

/** For each row of `side` with word weights: per row of `other`, the cosine's drop without each word. */
function cellWords(side: Embedding, other: Embedding): CellWordWeights[] | undefined {
  if (!side.words || side.words.length !== side.count) return undefined;
  return side.words.map((w, i) => {
    const n = w.without.length / side.width;
    const drops: number[][] = [];
    for (let j = 0; j < other.count; j++) {
      const o = row(other, j);
      const full = cosine(row(side, i), o);
      drops.push(Array.from({ length: n }, (_, k) => round5(full - cosine(w.without.subarray(k * side.width, (k + 1) * side.width), o))));
    }
    return { pieces: w.pieces, drops };
  });
}

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
    const rowWords = cellWords(r, c);
    const colWords = cellWords(c, r);
    const words = rowWords || colWords ? { words: { ...(rowWords ? { rows: rowWords } : {}), ...(colWords ? { cols: colWords } : {}) } } : {};
    return { plot: { kind: 'plot', plot: { type: 'heatmap', metric: 'cosine', rows: [...r.labels], cols: [...c.labels], values, ...words } } };
  },
});
