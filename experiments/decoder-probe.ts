// What the decoder does at each noise level, as a picture:
//
//   npx tsx experiments/decoder-probe.ts [--labels "red apple,rocket"] [--styles twemoji,noto] [--ts 200,400,600,800]
//                               [--weights-dir weights/decoder] [--out probe.png] [--seed 1]
//   npx tsx experiments/decoder-probe.ts --mse [--ts 200,600,800,900,999] [--weights-dir D]
//
// One row per corpus image: the original; then for each t, the image noised to t (x_t) and the
// decoder's one-step prediction of the clean image from it (x₀), given that image's CLIP
// embedding; last, a sample generated from pure noise with the same embedding (the defaults of
// `npm run generate`: 25 DPM-Solver++ steps, guidance 3). Denoising a real noisy image and
// generating from nothing are different skills: a decoder can do the first well at every t and
// still generate blobs, if at high t it predicts the blurred mean whatever x_t holds (then every
// seed starts from the same blob).
//
// --mse prints, instead of the picture, the one-step x₀ error at each t as one JSON line: mean
// squared error (images in [-1, 1]) over 64 training and 64 held-out images, given each image's own
// CLIP embedding, the null embedding, another image's embedding, and a sample of the shipped prior
// for the image's caption (prior-samples.ts rowCaption; generation's prior settings, seed --seed):
// what `npm run generate` would hand the decoder for that caption. How far the own embedding beats
// the null one is how much the decoder uses it at that noise level; how far the prior sample trails
// the own embedding is what the decoder loses on the way it is used. prior_nearest scores the same
// sample against the image `--prior-target nearest` trains it to draw: of the split's images with
// the row's caption, the one nearest the sample (nearestRowPerCaption), noised and predicted in
// place of the row's own. Held out, the twemoji image is its caption's only one, so it equals prior.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../ml/backend.js';
import { embeddingRows, loadImageEmbeddings } from '../ml/clip-embeddings.js';
import { gatherImages } from '../ml/clip/eval.js';
import { loadCorpus, splitByStyle } from '../ml/data/corpus.js';
import { coefficients, cosineSchedule, qSample, toX0Eps } from '../ml/diffusion/index.js';
import { imageGridPng, type GridRow } from '../ml/png.js';
import { z } from 'zod';
import { parseFlags } from '../ml/training/flags.js';
import { loadClip } from '../ml/clip/index.js';
import { loadPrior } from '../ml/prior/index.js';
import { DEFAULT_DECODER_DIR, loadDecoder } from '../ml/decoder/index.js';
import { nearestRowPerCaption, rowCaption } from '../ml/decoder/prior-samples.js';
import { imageEmbeddingsForTexts } from '../ml/pipeline.js';

const timestep = z.number().int('wants whole timesteps in 0..999').min(0, 'wants whole timesteps in 0..999').max(999, 'wants whole timesteps in 0..999');
const o = parseFlags(
  z.object({
    labels: z.array(z.string()).default(['red apple', 'red heart', 'rocket', 'pizza']),
    styles: z.array(z.string()).default(['twemoji', 'noto']),
    ts: z.array(timestep).min(1, 'wants a timestep').default([200, 400, 600, 800]),
    weightsDir: z.string().default(DEFAULT_DECODER_DIR),
    out: z.string().default('decoder-probe.png'),
    seed: z.number().int('must be a whole number').default(1),
    mse: z.boolean().default(false),
  }),
  process.argv.slice(2),
  'decoder-probe',
);

await initBackend({ log: () => {} });
const corpus = await loadCorpus({ size: 32 });
const emb = await loadImageEmbeddings({ corpus });
const dec = await loadDecoder(o.weightsDir);
const P = 32 * 32 * 3;
const D = emb.dim;
const schedule = cosineSchedule();

if (o.mse) {
  // Every 97th image of each split (64 each): a spread of concepts and styles, the same every run.
  const { train, heldout } = splitByStyle(corpus.entries);
  const pick = (rows: number[]) => rows.filter((i) => i % 97 === 0).slice(0, 64);
  const result: Record<string, Record<number, { own: number; null: number; other: number; prior: number; prior_nearest: number }>> = {};
  const [clip, prior] = await Promise.all([loadClip(), loadPrior()]);
  const priorSamples = async (rows: number[]) =>
    (await imageEmbeddingsForTexts({ clip, prior }, rows.map((r) => rowCaption(corpus.entries[r]!)), { seed: o.seed })).embeddings;
  // For each picked row, the row of `rows` with its caption whose embedding is nearest its sample.
  const nearestImages = (rows: number[], idx: number[], samples: Float32Array) => {
    const byCaption = new Map<string, number[]>();
    for (const c of rows) {
      const key = rowCaption(corpus.entries[c]!);
      (byCaption.get(key) ?? byCaption.set(key, []).get(key)!).push(c);
    }
    return idx.map((r, k) => {
      const caption = rowCaption(corpus.entries[r]!);
      const one = { captions: [caption], samples: samples.subarray(k * D, (k + 1) * D), dim: D, captionOf: new Map(byCaption.get(caption)!.map((c) => [c, 0])), dir: '' };
      return nearestRowPerCaption(one, emb.embeddings)[0]!;
    });
  };
  for (const [split, rows] of [['train', train], ['held_out', heldout]] as const) {
    const idx = pick(rows);
    const n = idx.length;
    const pixels = gatherImages(corpus, idx);
    const own = embeddingRows(emb, idx);
    const other = embeddingRows(emb, idx.map((_, k) => idx[(k + 7) % n]!)); // another concept's embedding
    const sampled = await priorSamples(idx);
    const nearest = nearestImages(rows, idx, (await sampled.data()) as Float32Array);
    const nearestPixels = gatherImages(corpus, nearest);
    result[split] = {};
    for (const T of o.ts) {
      const mse = (e: tf.Tensor2D, keep: number, target = pixels) => tf.tidy(() => {
        const x0 = tf.sub(tf.div(tf.tensor4d(target, [n, 32, 32, 3], 'float32'), 127.5), 1);
        const t = tf.fill([n], T, 'int32') as tf.Tensor1D;
        const xt = qSample(schedule, x0, t, tf.randomNormal([n, 32, 32, 3], 0, 1, 'float32', o.seed));
        const { alpha, sigma } = coefficients(schedule, t, 4);
        const out = dec.net.apply(xt as tf.Tensor4D, t, { emb: e, keep: tf.fill([n], keep) as tf.Tensor1D });
        return Number(tf.mean(tf.square(tf.sub(toX0Eps(dec.config.prediction, out, xt, alpha, sigma).x0, x0))).dataSync()[0]!.toFixed(4));
      });
      result[split]![T] = { own: mse(own, 1), null: mse(own, 0), other: mse(other, 1), prior: mse(sampled, 1), prior_nearest: mse(sampled, 1, nearestPixels) };
    }
    tf.dispose([own, other, sampled]);
  }
  dec.dispose();
  clip.dispose();
  prior.dispose();
  console.log(JSON.stringify({ x0_mse: result }));
  process.exit(0);
}

const rows: number[] = [];
const missing: string[] = [];
for (const label of o.labels) {
  for (const style of o.styles) {
    const i = corpus.entries.findIndex((e) => e.label === label && e.style === style);
    if (i >= 0) rows.push(i);
    else missing.push(`${style}:${label}`);
  }
}
if (missing.length) process.stderr.write(`not in the corpus (skipped): ${missing.join(', ')}\n`);
if (!rows.length) throw new Error('none of the labels is in the corpus in those styles');

const bytes = (x: tf.Tensor) => tf.tidy(() => Uint8Array.from(tf.clipByValue(tf.round(tf.mul(tf.add(x, 1), 127.5)), 0, 255).dataSync()));
const grid: GridRow[] = [];
try {
  for (const r of rows) {
    const e = tf.tensor2d(emb.embeddings.slice(r * D, (r + 1) * D), [1, D]);
    try {
      const images: Uint8Array[] = [corpus.images.slice(r * P, (r + 1) * P)];
      for (const T of o.ts) {
        const [xt, x0] = tf.tidy(() => {
          const clean = tf.sub(tf.div(tf.tensor4d(corpus.images.subarray(r * P, (r + 1) * P), [1, 32, 32, 3], 'float32'), 127.5), 1);
          const t = tf.tensor1d([T], 'int32');
          const noisy = qSample(schedule, clean, t, tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', o.seed));
          const { alpha, sigma } = coefficients(schedule, t, 4);
          const out = dec.net.apply(noisy as tf.Tensor4D, t, { emb: e });
          return [bytes(noisy), bytes(toX0Eps(dec.config.prediction, out, noisy, alpha, sigma).x0)];
        });
        images.push(xt!, x0!);
      }
      const gen = await dec.decode({ embeddings: e, seed: o.seed });
      images.push(tf.tidy(() => Uint8Array.from(tf.round(tf.mul(gen, 255)).dataSync())));
      gen.dispose();
      grid.push({ label: corpus.entries[r]!.key, images });
    } finally {
      e.dispose();
    }
  }
} finally {
  dec.dispose();
}
await imageGridPng(o.out, grid, 32, { scale: 3, labelWidth: 190, title: `original | x_t and one-step x₀ at t = ${o.ts.join(', ')} | generated from noise (seed ${o.seed})` });
process.stderr.write(`wrote ${o.out}\n`);
