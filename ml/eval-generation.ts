// `npm run eval -- --only generation`: text → image on held-out concepts, judged by the shipped
// CLIP, with and without the prior (the paper's ablation).
//
// Concepts: `n` evenly spaced held-out (twemoji) gallery concepts (ml/clip/eval.ts), prompt = the
// concept's label. Per concept one image with the prior and one without (the text embedding fed
// to the decoder), seed = the concept's index, decoder defaults (steps, sampler, guidance).
//   rprecision          the generated image's own label ranks first among 100 labels (its own and
//                       99 other held-out labels drawn with a fixed seed) by CLIP score
//   real_rprecision     the same protocol, same distractors, on the concept's real held-out image
//   fd_clip             Fréchet distance between the CLIP image embeddings of the generated images
//                       and of all held-out real images (lower is closer)
//   *_se, *_sd          how much a figure moves with the sample: rprecision's binomial standard
//                       error √(p(1−p)/n); fd's standard deviation over 20 bootstrap resamples of
//                       the generated set. Two checkpoints differ only by more than these.
//   seconds_per_image   wall time of generation (prior + decoder) per image
// Images are judged at 32x32, the decoder's output and CLIP's input size (the upsampler makes a
// 64x64 version for people; CLIP would only shrink it back).
import * as tf from '@tensorflow/tfjs-core';
import { loadImageEmbeddings } from './clip-embeddings.js';
import { gatherImages, heldoutGallery } from './clip/eval.js';
import { mulberry32 } from './data/captions.js';
import { HELDOUT_STYLE, loadCorpus, splitByStyle } from './data/corpus.js';
import { DECODE_DEFAULTS, type SamplerName } from './decoder/index.js';
import { frechetBootstrapSd, frechetDistance } from './frechet.js';
import { generate, loadPipeline, type Pipeline } from './pipeline.js';
import { terminalBar, type ProgressFn } from './progress.js';

export interface GenerationEval {
  heldout_style: string;
  n: number;
  steps: number;
  sampler: SamplerName;
  rprecision: number;
  rprecision_no_prior: number;
  real_rprecision: number;
  fd_clip: number;
  fd_clip_no_prior: number;
  /** Binomial standard error of rprecision (and of rprecision_no_prior, near it): √(p(1−p)/n). */
  rprecision_se: number;
  rprecision_no_prior_se: number;
  /** Bootstrap standard deviation of fd_clip and fd_clip_no_prior over resampled generated sets. */
  fd_clip_sd: number;
  fd_clip_no_prior_sd: number;
  /** The real gallery images of the same concepts against all held-out images: the floor FD can reach with n images. */
  fd_clip_real_subset: number;
  seconds_per_image: number;
}

export interface GenerationEvalOptions {
  n?: number;
  /** Decoder steps (default: the decoder's default). */
  steps?: number;
  /** Decoder sampler (default: the decoder's default). */
  sampler?: SamplerName;
  /** Prompts per generate() call. */
  chunk?: number;
  weightsDir?: string;
  /** Bootstrap resamples behind fd_clip_sd (default 20; each is a 128-d Fréchet distance, about a second). */
  fdResamples?: number;
  onProgress?: ProgressFn;
}

/** Share of rows whose own label (column `truth[i]`) beats 99 distractor labels; sims [n, L]. */
function rPrecision(sims: Float32Array, n: number, L: number, truth: number[], distractors: number[][]): number {
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const own = sims[i * L + truth[i]!]!;
    if (distractors[i]!.every((j) => sims[i * L + j]! < own)) hit++;
  }
  return hit / n;
}

export async function evaluateGeneration(opts: GenerationEvalOptions = {}): Promise<GenerationEval> {
  const corpus = await loadCorpus({ size: 32, onProgress: terminalBar('corpus') });
  const { heldout } = splitByStyle(corpus.entries);
  // Only the held-out rows: FD's reference set (a fresh clone computes these ~2,000, not all 18,575).
  const emb = await loadImageEmbeddings({ corpus, rows: heldout });
  const p: Pipeline = await loadPipeline({ weightsDir: opts.weightsDir, upsampler: false });
  try {
    const D = p.clip.dim;
    const g = heldoutGallery(corpus);
    const L = g.labels.length;
    const n = Math.min(opts.n ?? 200, L);
    const pick = Array.from({ length: n }, (_, i) => Math.floor((i * L) / n));
    const rng = mulberry32(1234);
    const distractors = pick.map((own) => {
      const s = new Set<number>();
      while (s.size < Math.min(99, L - 1)) {
        const j = Math.floor(rng() * L);
        if (j !== own) s.add(j);
      }
      return [...s];
    });
    const labelEmb = p.clip.encodeText(g.labels);
    const chunk = opts.chunk ?? 20;
    const progress = opts.onProgress ?? (() => {});
    try {
      const judge = (imageEmb: Float32Array) => {
        const sims = tf.tidy(() => tf.matMul(tf.tensor2d(imageEmb, [n, D]), labelEmb.embeddings, false, true).dataSync() as Float32Array);
        return rPrecision(sims, n, L, pick, distractors);
      };
      // real images of the picked concepts
      const realEmb = p.clip.encodeImageBytes(gatherImages(corpus, pick.map((i) => g.rows[i]!)), n);
      const real = Float32Array.from(realEmb.dataSync());
      realEmb.dispose();
      const allReal = emb.embeddings; // [heldout.length, D], in heldout order

      let genMs = 0;
      const run = async (noPrior: boolean, done0: number) => {
        const out = new Float32Array(n * D);
        for (let s = 0; s < n; s += chunk) {
          const idx = pick.slice(s, s + chunk);
          const t0 = performance.now();
          // one seed per chunk: rows get their own noise streams from it, so results are fixed
          const gen = await generate(p, { prompts: idx.map((i) => g.labels[i]!), seed: s, steps: opts.steps, sampler: opts.sampler, noPrior, noUpsample: true });
          genMs += performance.now() - t0;
          const e = p.clip.encodeImage(gen.images);
          out.set(e.dataSync(), s * D);
          tf.dispose([e, gen.images, gen.embeddings]);
          progress(done0 + Math.min(s + chunk, n), 2 * n, { mode: noPrior ? 'no prior' : 'prior' });
        }
        return out;
      };
      const withPrior = await run(false, 0);
      const noPrior = await run(true, n);
      const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
      const fd = (x: Float32Array) => r4(frechetDistance(x, n, allReal, heldout.length, D));
      const fdSd = (x: Float32Array) => r4(frechetBootstrapSd(x, n, allReal, heldout.length, D, { resamples: opts.fdResamples ?? 20, rand: mulberry32(99) }));
      const se = (p: number) => r4(Math.sqrt((p * (1 - p)) / n));
      const rp = judge(withPrior);
      const rpNone = judge(noPrior);
      return {
        heldout_style: HELDOUT_STYLE,
        n,
        steps: opts.steps ?? DECODE_DEFAULTS.steps,
        sampler: opts.sampler ?? DECODE_DEFAULTS.sampler,
        rprecision: r4(rp),
        rprecision_no_prior: r4(rpNone),
        real_rprecision: r4(judge(real)),
        fd_clip: fd(withPrior),
        fd_clip_no_prior: fd(noPrior),
        fd_clip_real_subset: fd(real),
        rprecision_se: se(rp),
        rprecision_no_prior_se: se(rpNone),
        fd_clip_sd: fdSd(withPrior),
        fd_clip_no_prior_sd: fdSd(noPrior),
        seconds_per_image: r4(genMs / 1000 / (2 * n)),
      };
    } finally {
      tf.dispose([labelEmb.embeddings, labelEmb.tokenStates, labelEmb.ids]);
    }
  } finally {
    p.dispose();
  }
}
