// The prior's training data: (caption, CLIP image embedding) pairs from the training styles. Each
// row picks a concept uniformly (so skin-tone families do not dominate), one training icon of it,
// and a caption from sampleCaption; with K > 1, K images of the caption's concept share its
// prefix. The image side comes from ml/clip-embeddings.ts (cached per CLIP checkpoint); the text
// side is encoded by the current CLIP every step.
import * as tf from '@tensorflow/tfjs-core';
import { type ImageEmbeddings, clipWeightsHash, loadImageEmbeddings } from '../clip-embeddings.js';
import { type Clip, loadClip } from '../clip/index.js';
import { sampleCaption } from '../data/captions.js';
import { type Corpus, loadCorpus, splitByStyle } from '../data/corpus.js';
import { STYLE_WORDS } from '../data/match.js';
import { coefficients, qSample, scheduleFromSpec, trainingTarget } from '../diffusion/index.js';
import { terminalBar } from '../progress.js';
import { type Params, type PriorConfig, priorLoss } from './model.js';

/** Pooled per-dimension standard deviation of n rows of width D: sqrt(mean_d var_d). */
export function perDimStd(x: Float32Array, n: number, D: number): number {
  let v = 0;
  for (let d = 0; d < D; d++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * D + d]!;
    m /= n;
    let s = 0;
    for (let i = 0; i < n; i++) s += (x[i * D + d]! - m) ** 2;
    v += s / n;
  }
  return Math.sqrt(v / D);
}

/**
 * The corpus, its CLIP image embeddings and the CLIP they came from, checked to be the same
 * checkpoint (CLIP may be replaced by its own training at any moment: then load again).
 */
export async function loadData(clipDir: string, log: (s: string) => void): Promise<{ corpus: Corpus; emb: ImageEmbeddings; clip: Clip }> {
  const corpus = await loadCorpus({ size: 32, onProgress: terminalBar('corpus') });
  for (let attempt = 1; ; attempt++) {
    const emb = await loadImageEmbeddings({ corpus, clipDir, onProgress: terminalBar('clip image embeddings') });
    const clip = await loadClip(clipDir);
    if (clipWeightsHash(clipDir) === emb.weightsHash) return { corpus, emb, clip };
    clip.dispose();
    if (attempt >= 3) throw new Error(`${clipDir} keeps changing while loading; try again when CLIP's export is done`);
    log(`[prior] ${clipDir} changed while loading; loading again`);
  }
}

export interface TrainingData {
  /** Training corpus rows grouped by concept. */
  concepts: number[][];
  corpus: Corpus;
  emb: ImageEmbeddings;
}

export function trainingData(corpus: Corpus, emb: ImageEmbeddings): TrainingData {
  const { train } = splitByStyle(corpus.entries);
  const by = new Map<string, number[]>();
  for (const r of train) (by.get(corpus.entries[r]!.concept) ?? by.set(corpus.entries[r]!.concept, []).get(corpus.entries[r]!.concept)!).push(r);
  return { concepts: [...by.keys()].sort().map((c) => by.get(c)!), corpus, emb };
}

/**
 * One batch: B captions and their image embeddings scaled to unit variance ([B*K*D], row-major,
 * row b*K + k for caption b). With K > 1 each caption gets K images drawn from its siblings: the
 * concept's rows with the same skin tone, or only its own row when the caption names the style
 * (those captions are image-specific). K = 1 draws exactly what it always drew.
 */
export function nextBatch(data: TrainingData, B: number, imageScale: number, rng: () => number, K = 1): { captions: string[]; x0: Float32Array } {
  const D = data.emb.dim;
  const captions: string[] = [];
  const x0 = new Float32Array(B * K * D);
  const put = (i: number, r: number) => {
    for (let d = 0; d < D; d++) x0[i * D + d] = data.emb.embeddings[r * D + d]! * imageScale;
  };
  for (let b = 0; b < B; b++) {
    const rows = data.concepts[Math.floor(rng() * data.concepts.length)]!;
    const r = rows[Math.floor(rng() * rows.length)]!;
    const e = data.corpus.entries[r]!;
    const caption = sampleCaption(e, rng);
    captions.push(caption);
    if (K === 1) {
      put(b, r);
      continue;
    }
    const tone = e.tone.join(',');
    const siblings = caption.endsWith(`${STYLE_WORDS[e.style]} style`) ? [r] : rows.filter((q) => data.corpus.entries[q]!.tone.join(',') === tone);
    put(b * K, r);
    for (let k = 1; k < K; k++) put(b * K + k, siblings[Math.floor(rng() * siblings.length)]!);
  }
  return { captions, x0 };
}

/**
 * The loss of one batch given its encoded captions (tokenStates [B, T, Wt], embeddings [B, D])
 * and x0Data [B*K*D]: timesteps and the drop mask come from `rng`, the noise from `noiseSeed`, so
 * a resumed run repeats them. K > 1 shares each caption's prefix among its K rows (priorLoss with K)
 * and stratifies their timesteps (one in each K-th of [0, 1000)); the drop mask is per caption.
 * Call inside tf.tidy (under variableGrads).
 */
export function batchLoss(p: Params, cfg: PriorConfig, text: { tokenStates: tf.Tensor3D; embeddings: tf.Tensor2D }, x0Data: Float32Array, rng: () => number, noiseSeed: number, K = 1): tf.Scalar {
  const B = text.embeddings.shape[0];
  const D = cfg.embedDim;
  const tArr = new Int32Array(B * K);
  const drop = new Float32Array(B);
  const schedule = scheduleFromSpec(cfg.schedule); // the schedule the config records (older configs: the default)
  for (let b = 0; b < B; b++) {
    if (K === 1) tArr[b] = Math.floor(rng() * schedule.T);
    else for (let k = 0; k < K; k++) tArr[b * K + k] = Math.floor(((k + rng()) / K) * schedule.T);
    drop[b] = rng() < cfg.condDropProb ? 1 : 0;
  }
  const t = tf.tensor1d(tArr, 'int32');
  const x0 = tf.tensor2d(x0Data, [B * K, D]);
  const noise = tf.randomNormal([B * K, D], 0, 1, 'float32', noiseSeed);
  const xt = qSample(schedule, x0, t, noise) as tf.Tensor2D;
  const { alpha, sigma } = coefficients(schedule, t, 2);
  const target = trainingTarget(cfg.prediction, x0, noise, alpha, sigma) as tf.Tensor2D;
  const cond = { tokenStates: text.tokenStates, textEmbeddings: text.embeddings, drop: tf.tensor1d(drop) };
  return priorLoss(p, cfg, xt, target, t, cond, K);
}
