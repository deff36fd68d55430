// What experiments/judge-oracle.ts and experiments/fp16-weights.ts share: the judge's 120 concepts
// (ml/judge.ts) as CLIP image embeddings a decoder is handed, and the decoding of them one chunk
// at a time with the seeds generation uses (chunk seed = seed · 1000 + its first concept), so
// their figures are comparable with each other and with the eval's.
import { embeddingRows, type ImageEmbeddings } from '../ml/clip-embeddings.js';
import type { Corpus } from '../ml/data/corpus.js';
import { DECODE_DEFAULTS, type Decoder } from '../ml/decoder/index.js';
import { type Judge, makeJudge } from '../ml/judge.js';
import { rgbBytes } from '../ml/pipeline.js';

export const CHUNK = 20;
export const chunkSeed = (seed: number, start: number) => seed * 1000 + start;

export interface JudgeSets {
  judge: Judge;
  /** The concept of each image, in order: 0 … N-1. */
  truth: number[];
  /** Corpus rows whose embeddings stand for each concept: its held-out twemoji icon, or its first training reference. */
  rows: { heldout: number[]; 'train-ref': number[] };
}

export function judgeSets(corpus: Corpus): JudgeSets {
  const judge = makeJudge(corpus);
  const truth = judge.labels.map((_, c) => c);
  return { judge, truth, rows: { heldout: judge.heldoutRows, 'train-ref': truth.map((c) => judge.refRows[judge.refConcept.indexOf(c)]!) } };
}

/** Decode the embeddings of `rows` (one per concept) with the decode defaults: RGB bytes of every image, and the decoding time in ms. */
export async function decodeRows(decoder: Decoder, emb: ImageEmbeddings, rows: number[], seed: number, px: number): Promise<{ bytes: Uint8Array; ms: number }> {
  const bytes = new Uint8Array(rows.length * px);
  const t0 = performance.now();
  for (let s = 0; s < rows.length; s += CHUNK) {
    const embeddings = embeddingRows(emb, rows.slice(s, s + CHUNK));
    try {
      const images = await decoder.decode({ ...DECODE_DEFAULTS, embeddings, seed: chunkSeed(seed, s) });
      try {
        bytes.set(await rgbBytes(images), s * px);
      } finally {
        images.dispose();
      }
    } finally {
      embeddings.dispose();
    }
  }
  return { bytes, ms: performance.now() - t0 };
}
