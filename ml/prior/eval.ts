// Held-out evaluation of the prior: does text -> prior land nearer the concept's real image
// embeddings than the text embedding itself does? (The reason a prior exists: CLIP's text and
// image embeddings occupy different regions of the shared space, the "modality gap".)
//
// Concepts: an evenly spaced subset of the held-out style's concepts (one gallery image each, as
// ml/clip/eval.ts), query text = the concept's label. For each concept:
//   cos      cosine of the query's embedding with the MEAN of the concept's held-out image
//            embeddings, i.e. the average cosine with its held-out images (all unit vectors)
//   cos_centered  the same after subtracting the mean gallery image embedding from both: whether
//            the guess points at THIS concept rather than at images in general (predicting the
//            mean image embedding alone already lifts `cos`, not this)
//   top1/5   the concept's gallery image ranks 1st / in the first 5 among all held-out gallery
//            images by dot product with the query's embedding
// for the text embedding (the no-prior baseline) and for prior samples at each guidance scale.
import * as tf from '@tensorflow/tfjs-core';
import type { ImageEmbeddings } from '../clip-embeddings.js';
import type { Clip } from '../clip/index.js';
import { heldoutGallery } from '../clip/eval.js';
import { HELDOUT_STYLE, type Corpus, splitByStyle } from '../data/corpus.js';
import type { SamplerName } from '../diffusion/index.js';
import type { ProgressFn } from '../progress.js';
import type { Prior } from './index.js';

export interface PriorEvalRow {
  guidance: number;
  cos: number;
  cos_centered: number;
  top1: number;
  top5: number;
}

export interface PriorEval {
  heldout_style: string;
  n_concepts: number;
  gallery: number;
  steps: number;
  sampler: SamplerName;
  bestOf: number;
  seed: number;
  /** The text embedding itself as the guess (no prior). */
  text: { cos: number; cos_centered: number; top1: number; top5: number };
  /** Prior samples, one row per guidance scale. */
  prior: PriorEvalRow[];
  seconds: number;
}

export interface PriorEvalOptions {
  concepts?: number;
  guidances?: number[];
  steps?: number;
  sampler?: SamplerName;
  bestOf?: number;
  seed?: number;
  /** Prompts per samplePrior call (bounds memory). */
  chunk?: number;
  onProgress?: ProgressFn;
}

/** `emb` must be loadImageEmbeddings for this corpus (rows in corpus order). */
export async function evaluatePrior(prior: Prior, clip: Clip, corpus: Corpus, emb: ImageEmbeddings, opts: PriorEvalOptions = {}): Promise<PriorEval> {
  const t0 = Date.now();
  const D = emb.dim;
  if (emb.entries.length !== corpus.entries.length) throw new Error('evaluatePrior: embeddings do not cover the corpus row for row');
  const g = heldoutGallery(corpus);
  const G = g.rows.length;
  const n = Math.min(opts.concepts ?? 200, G);
  const pick = Array.from({ length: n }, (_, i) => Math.floor((i * G) / n)); // gallery indices
  const steps = opts.steps ?? 25;
  const sampler = opts.sampler ?? 'ddim';
  const bestOf = opts.bestOf ?? 2;
  const seed = opts.seed ?? 0;
  const guidances = opts.guidances ?? [1, 3];
  const chunk = opts.chunk ?? 50;

  // Mean held-out image embedding per picked concept, and the gallery matrix.
  const { heldout } = splitByStyle(corpus.entries);
  const byConcept = new Map<string, number[]>();
  for (const r of heldout) (byConcept.get(corpus.entries[r]!.concept) ?? byConcept.set(corpus.entries[r]!.concept, []).get(corpus.entries[r]!.concept)!).push(r);
  const centroid = new Float32Array(n * D);
  pick.forEach((gi, i) => {
    const rows = byConcept.get(g.entries[gi]!.concept)!;
    for (const r of rows) for (let d = 0; d < D; d++) centroid[i * D + d]! += emb.embeddings[r * D + d]! / rows.length;
  });
  const gallery = new Float32Array(G * D);
  g.rows.forEach((r, i) => gallery.set(emb.embeddings.subarray(r * D, (r + 1) * D), i * D));
  const mu = new Float32Array(D);
  for (let j = 0; j < G; j++) for (let d = 0; d < D; d++) mu[d]! += gallery[j * D + d]! / G;
  const centeredCos = (a: Float32Array, b: Float32Array) => {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let d = 0; d < D; d++) {
      const x = a[d]! - mu[d]!;
      const y = b[d]! - mu[d]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    return ab / Math.sqrt(aa * bb + 1e-20);
  };

  /** Figures for query embeddings q [n, D] (unit rows). */
  const score = (q: Float32Array) => {
    let cos = 0;
    let cosC = 0;
    let top1 = 0;
    let top5 = 0;
    for (let i = 0; i < n; i++) {
      const qi = q.subarray(i * D, (i + 1) * D);
      let c = 0;
      for (let d = 0; d < D; d++) c += qi[d]! * centroid[i * D + d]!;
      cos += c;
      cosC += centeredCos(qi, centroid.subarray(i * D, (i + 1) * D));
      const sims = new Float32Array(G);
      for (let j = 0; j < G; j++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += qi[d]! * gallery[j * D + d]!;
        sims[j] = s;
      }
      const truth = sims[pick[i]!]!;
      let above = 0;
      for (let j = 0; j < G; j++) if (j !== pick[i] && sims[j]! >= truth) above++;
      if (above === 0) top1++;
      if (above < 5) top5++;
    }
    const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
    return { cos: r4(cos / n), cos_centered: r4(cosC / n), top1: r4(top1 / n), top5: r4(top5 / n) };
  };

  const labels = pick.map((gi) => g.labels[gi]!);
  const textQ = new Float32Array(n * D);
  const priorQ = guidances.map(() => new Float32Array(n * D));
  const total = Math.ceil(n / chunk) * guidances.length;
  let done = 0;
  for (let s = 0; s < n; s += chunk) {
    const enc = clip.encodeText(labels.slice(s, s + chunk));
    try {
      textQ.set(enc.embeddings.dataSync() as Float32Array, s * D);
      for (const [k, guidance] of guidances.entries()) {
        const out = await prior.samplePrior({ tokenStates: enc.tokenStates, textEmbeddings: enc.embeddings, steps, sampler, guidance, seed: seed + s, bestOf });
        priorQ[k]!.set(out.dataSync() as Float32Array, s * D);
        out.dispose();
        opts.onProgress?.(++done, total, { guidance });
      }
    } finally {
      tf.dispose([enc.embeddings, enc.tokenStates, enc.ids]);
    }
  }
  return {
    heldout_style: HELDOUT_STYLE,
    n_concepts: n,
    gallery: G,
    steps,
    sampler,
    bestOf,
    seed,
    text: score(textQ),
    prior: guidances.map((guidance, k) => ({ guidance, ...score(priorQ[k]!) })),
    seconds: Math.round((Date.now() - t0) / 100) / 10,
  };
}
