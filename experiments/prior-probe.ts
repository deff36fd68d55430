// How well the prior fits its own training pairs, as one JSON line:
//
//   npx tsx experiments/prior-probe.ts [--weights-dir weights/prior] [--captions 512] [--guidance 4] [--steps 25]
//
// The decoder draws what the prior hands it, so a prior whose samples sit between a caption's
// images (and near none of them) makes the decoder draw their average. Three views of that, on
// training captions (every 8th distinct caption head of the training styles, sorted):
//
// - `samples`: generation's sampling (DDIM, best of 2, seed 1 per 128 captions) with --guidance and
//   --steps; `nearest_cos` = mean cosine of a sample to its nearest training image embedding,
//   `nearest_is_caption` = how often that image has the sample's caption.
// - `one_step`: one training row per 29 (256 rows) noised to t with its own image embedding; the
//   prediction of x0 from x_t: cosine to the truth and the same two figures, beside x_t's own
//   cosine to the truth (`xt_cos`): at low t a denoiser should do no worse than x_t itself.
// - `judge`: for the eval judge's 120 held-out concepts (ml/judge.ts), the concept ranked among
//   them by each one's nearest training image embedding (cosine), as the judge ranks pictures by
//   their nearest reference in pixel space. For the prior's samples of the concepts' labels, the
//   text embeddings themselves (no prior) and the held-out icons' own embeddings: a decoder that
//   drew exactly the embedding it is handed could reach about this top-1 through each.
// - `path`: along one sampling run of 8 fixed prompts, the mean nearest cosine of x0pred per step:
//   a prior that commits to an image climbs towards 1 as t falls; one that stays at its first
//   prediction draws the caption's mean.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../ml/backend.js';
import { embeddingRows, loadImageEmbeddings } from '../ml/clip-embeddings.js';
import { loadClip } from '../ml/clip/index.js';
import { captionHead } from '../ml/data/captions.js';
import { loadCorpus, splitByStyle } from '../ml/data/corpus.js';
import { coefficients, cosineSchedule, qSample, toX0Eps } from '../ml/diffusion/index.js';
import { l2normalize } from '../ml/layers.js';
import { imageEmbeddingsForTexts } from '../ml/pipeline.js';
import { z } from 'zod';
import { parseFlags, positiveWhole } from '../ml/training/flags.js';
import { DEFAULT_PRIOR_DIR, DEFAULT_PRIOR_SAMPLING, loadPrior } from '../ml/prior/index.js';
import { conceptDistances, conceptRanks, judgeConcepts, type JudgeScore, topKScore } from '../ml/judge.js';

const o = parseFlags(
  z.object({
    weightsDir: z.string().default(DEFAULT_PRIOR_DIR),
    captions: positiveWhole().default(512),
    guidance: z.number().min(0, 'must be 0 or more').default(DEFAULT_PRIOR_SAMPLING.guidance),
    steps: positiveWhole().default(DEFAULT_PRIOR_SAMPLING.steps),
  }),
  process.argv.slice(2),
  'prior-probe',
);

await initBackend({ log: () => {} });
const corpus = await loadCorpus({ size: 32 });
const emb = await loadImageEmbeddings({ corpus });
const { train } = splitByStyle(corpus.entries);
const caption = (r: number) => captionHead(corpus.entries[r]!);
const clip = await loadClip();
const prior = await loadPrior(o.weightsDir);
const why = prior.clipMismatch(emb.weightsHash);
if (why) throw new Error(why);
const gallery = tf.tidy(() => l2normalize(embeddingRows(emb, train)));
const round = (x: number) => Number(x.toFixed(4));

/** Mean nearest-image cosine of unit rows x, and how often the nearest image has captions[i]. */
function nearest(x: tf.Tensor2D, captions?: string[]): { nearest_cos: number; nearest_is_caption?: number } {
  const { values, indices } = tf.tidy(() => tf.topk(tf.matMul(x, gallery, false, true), 1));
  const v = values.dataSync();
  const ix = indices.dataSync();
  tf.dispose([values, indices]);
  const out: { nearest_cos: number; nearest_is_caption?: number } = { nearest_cos: round(Array.from(v).reduce((a, b) => a + b, 0) / v.length) };
  if (captions) out.nearest_is_caption = round(captions.filter((c, i) => caption(train[ix[i]!]!) === c).length / captions.length);
  return out;
}

// Samples for training captions.
const heads = [...new Set(train.map(caption))].sort();
const picked = heads.filter((_, i) => i % 8 === 0).slice(0, o.captions);
const parts: { nearest_cos: number; nearest_is_caption?: number; n: number }[] = [];
for (let k = 0; k < picked.length; k += 128) {
  const part = picked.slice(k, k + 128);
  const { embeddings } = await imageEmbeddingsForTexts({ clip, prior }, part, { seed: 1 + k, guidance: o.guidance, steps: o.steps });
  parts.push({ ...nearest(embeddings, part), n: part.length });
  embeddings.dispose();
}
const n = parts.reduce((s, p) => s + p.n, 0);
const samples = {
  n,
  nearest_cos: round(parts.reduce((s, p) => s + p.nearest_cos * p.n, 0) / n),
  nearest_is_caption: round(parts.reduce((s, p) => s + p.nearest_is_caption! * p.n, 0) / n),
};

// The judge's concepts, ranked by their nearest training image in CLIP space.
const jc = judgeConcepts(corpus);
const conceptOf = new Map(jc.concepts.map((c, i) => [c, i]));
const refRows = train.filter((r) => conceptOf.has(corpus.entries[r]!.concept));
const refConcept = refRows.map((r) => conceptOf.get(corpus.entries[r]!.concept)!);
const unitRows = (x: () => tf.Tensor2D) => tf.tidy(() => l2normalize(x()).dataSync() as Float32Array);
const refs = unitRows(() => embeddingRows(emb, refRows));
// The judge's own ranking (ml/judge.ts) over unit embeddings: squared L2 = 2 − 2·cosine, same order.
const judgeScore = (x: tf.Tensor2D) =>
  topKScore(conceptRanks(conceptDistances(unitRows(() => x), x.shape[0], refs, refConcept, jc.concepts.length), jc.concepts.length, jc.concepts.map((_, c) => c)));
const judgeOut: Record<string, JudgeScore> = {};
{
  const sampled = await imageEmbeddingsForTexts({ clip, prior }, jc.labels, { seed: 1, guidance: o.guidance, steps: o.steps, bestOf: DEFAULT_PRIOR_SAMPLING.bestOf });
  const text = clip.encodeText(jc.labels);
  const held = embeddingRows(emb, jc.heldoutRows);
  judgeOut.prior = judgeScore(sampled.embeddings);
  judgeOut.no_prior = judgeScore(text.embeddings);
  judgeOut.heldout = judgeScore(held);
  tf.dispose([sampled.embeddings, text.embeddings, text.tokenStates, text.ids, held]);
}

// One-step x0 from a training row noised to t.
const rows = train.filter((_, i) => i % 29 === 0).slice(0, 256);
const rowCaptions = rows.map(caption);
const enc = clip.encodeText(rowCaptions);
const schedule = cosineSchedule();
const truth = tf.tidy(() => l2normalize(embeddingRows(emb, rows)));
const meanCos = (a: tf.Tensor2D) => round(tf.tidy(() => tf.mean(tf.sum(tf.mul(a, truth), 1)).dataSync()[0]!));
const oneStep: Record<number, { xt_cos: number; cos_true: number; nearest_cos: number; nearest_is_caption?: number }> = {};
for (const T of [50, 200, 400, 600, 800, 950]) {
  const [xtUnit, x0pred] = tf.tidy(() => {
    const x0 = tf.mul(truth, prior.config.imageScale);
    const t = tf.fill([rows.length], T, 'int32') as tf.Tensor1D;
    const xt = qSample(schedule, x0, t, tf.randomNormal(x0.shape, 0, 1, 'float32', 7)) as tf.Tensor2D;
    const out = prior.predict(xt, t, { tokenStates: enc.tokenStates, textEmbeddings: enc.embeddings });
    const { alpha, sigma } = coefficients(schedule, t, 2);
    return [l2normalize(xt), l2normalize(toX0Eps(prior.config.prediction, out, xt, alpha, sigma).x0 as tf.Tensor2D)];
  });
  oneStep[T] = { xt_cos: meanCos(xtUnit), cos_true: meanCos(x0pred), ...nearest(x0pred, rowCaptions) };
  tf.dispose([xtUnit, x0pred]);
}
truth.dispose();
tf.dispose([enc.embeddings, enc.tokenStates, enc.ids]);

// x0pred along one sampling run.
const prompts = ['red apple', 'red heart', 'rocket', 'pizza', 'banana', 'tree', 'cat face', 'sun'];
const penc = clip.encodeText(prompts);
const path: [number, number][] = [];
const last = await prior.samplePrior({
  tokenStates: penc.tokenStates,
  textEmbeddings: penc.embeddings,
  steps: o.steps,
  guidance: o.guidance,
  bestOf: 1,
  seed: 1,
  onStep: (s) => void path.push([s.t, nearest(s.x0pred).nearest_cos]),
});
tf.dispose([last, penc.embeddings, penc.tokenStates, penc.ids, gallery]);
clip.dispose();
prior.dispose();
console.log(JSON.stringify({ prior_probe: { weights: o.weightsDir, prediction: prior.config.prediction, guidance: o.guidance, steps: o.steps, samples, judge: judgeOut, one_step: oneStep, path } }));
