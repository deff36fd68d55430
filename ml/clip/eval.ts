// Held-out evaluation of CLIP: retrieval on the style never seen in training (twemoji).
//
// Gallery: one image per held-out concept (the base, no-skin-tone icon where there is one), so
// chance is exactly 1 / n_concepts. Query text for a concept = its label as the captions write
// it ("flag: japan" -> "flag japan").
//   top1 / top5           text -> image: the concept's image is ranked 1st / in the first 5
//                         among all held-out images.
//   image_to_text_top1    image -> text: the image's own label ranks first among all labels.
//   real_rprecision       per image, its label against 99 other labels drawn at random (fixed
//                         seed): the share where its own label ranks first (CLIP R-precision on
//                         real images; the generated-image version will use the same protocol).
// Ties count against the model (a rank is 1 + the number of candidates scoring >= the truth,
// other than the truth itself).
import * as tf from '@tensorflow/tfjs-core';
import type { Corpus, CorpusEntry } from '../data/corpus.js';
import { HELDOUT_STYLE, splitByStyle } from '../data/corpus.js';
import { cleanLabel, mulberry32 } from '../data/captions.js';
import type { ProgressFn } from '../progress.js';
import type { Clip } from './index.js';

export interface ClipEval {
  heldout_style: string;
  n_concepts: number;
  chance_top1: number;
  top1: number;
  top5: number;
  image_to_text_top1: number;
  real_rprecision: number;
}

export interface HeldoutGallery {
  /** Corpus row of each gallery image (one per concept). */
  rows: number[];
  entries: CorpusEntry[];
  labels: string[];
}

/** One image per held-out concept (base icon preferred), in corpus order. */
export function heldoutGallery(corpus: Corpus): HeldoutGallery {
  const { heldout } = splitByStyle(corpus.entries);
  const byConcept = new Map<string, number>();
  for (const i of heldout) {
    const e = corpus.entries[i]!;
    const prev = byConcept.get(e.concept);
    if (prev === undefined || (corpus.entries[prev]!.tone.length > 0 && e.tone.length === 0)) byConcept.set(e.concept, i);
  }
  const rows = [...byConcept.values()].sort((a, b) => a - b);
  const entries = rows.map((i) => corpus.entries[i]!);
  return { rows, entries, labels: entries.map((e) => cleanLabel(e.label)) };
}

/** Gather corpus rows into a uint8 [n, S, S, 3] buffer. */
export function gatherImages(corpus: Corpus, rows: number[]): Uint8Array {
  const px = corpus.size * corpus.size * 3;
  const out = new Uint8Array(rows.length * px);
  rows.forEach((r, i) => out.set(corpus.images.subarray(r * px, (r + 1) * px), i * px));
  return out;
}

/** Similarities [nText, nImage] (row-major) of the held-out labels against the gallery images. */
export function heldoutSimilarities(clip: Clip, corpus: Corpus, g: HeldoutGallery, onProgress?: ProgressFn): Float32Array {
  const n = g.rows.length;
  onProgress?.(0, 3, { stage: 'images' });
  const img = clip.encodeImageBytes(gatherImages(corpus, g.rows), n);
  onProgress?.(1, 3, { stage: 'texts' });
  const txt = clip.encodeText(g.labels);
  onProgress?.(2, 3, { stage: 'similarities' });
  try {
    return tf.tidy(() => tf.matMul(txt.embeddings, img, false, true).dataSync() as Float32Array);
  } finally {
    tf.dispose([img, txt.embeddings, txt.tokenStates, txt.ids]);
    onProgress?.(3, 3, { stage: 'done' });
  }
}

export function evaluateClip(clip: Clip, corpus: Corpus, opts: { seed?: number; onProgress?: ProgressFn } = {}): ClipEval {
  const g = heldoutGallery(corpus);
  const n = g.rows.length;
  const sims = heldoutSimilarities(clip, corpus, g, opts.onProgress);
  return metricsFromSimilarities(sims, n, opts.seed ?? 1234);
}

/** The figures from a square similarity matrix sims[text i][image j], truth on the diagonal. */
export function metricsFromSimilarities(sims: Float32Array, n: number, seed = 1234): ClipEval {
  let t1 = 0;
  let t5 = 0;
  let i2t = 0;
  for (let i = 0; i < n; i++) {
    const truth = sims[i * n + i]!;
    let above = 0;
    for (let j = 0; j < n; j++) if (j !== i && sims[i * n + j]! >= truth) above++;
    if (above === 0) t1++;
    if (above < 5) t5++;
    let aboveCol = 0;
    for (let k = 0; k < n; k++) if (k !== i && sims[k * n + i]! >= truth) aboveCol++;
    if (aboveCol === 0) i2t++;
  }
  // R-precision: image i against its own label and 99 others drawn without replacement.
  const rng = mulberry32(seed);
  const k = Math.min(99, n - 1);
  let rp = 0;
  for (let i = 0; i < n; i++) {
    const truth = sims[i * n + i]!;
    const picked = new Set<number>();
    while (picked.size < k) {
      const j = Math.floor(rng() * n);
      if (j !== i) picked.add(j);
    }
    let beaten = false;
    for (const j of picked) if (sims[j * n + i]! >= truth) beaten = true;
    if (!beaten) rp++;
  }
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  return {
    heldout_style: HELDOUT_STYLE,
    n_concepts: n,
    chance_top1: r4(1 / n),
    top1: r4(t1 / n),
    top5: r4(t5 / n),
    image_to_text_top1: r4(i2t / n),
    real_rprecision: r4(rp / n),
  };
}

/** Top-k gallery indices per text query (for the retrieval grid). */
export function retrieve(clip: Clip, queryTexts: string[], galleryEmb: tf.Tensor2D, k: number): number[][] {
  const t = clip.encodeText(queryTexts);
  try {
    const sims = tf.tidy(() => tf.matMul(t.embeddings, galleryEmb, false, true));
    const { indices, values } = tf.topk(sims, k);
    const idx = indices.arraySync() as number[][];
    tf.dispose([sims, indices, values]);
    return idx;
  } finally {
    tf.dispose([t.embeddings, t.tokenStates, t.ids]);
  }
}
