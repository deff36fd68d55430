// Training of the diffusion prior: `npm run train -- prior [--steps N] [--batch B] [--resume]`.
//
// Pairs (caption, CLIP image embedding) from the training styles: each row picks a concept
// uniformly (so skin-tone families do not dominate), one training icon of it, and a caption from
// sampleCaption. The image side comes from ml/clip-embeddings.ts (cached per CLIP checkpoint);
// the text side is encoded by the current CLIP every step: encodeText on a batch costs a few
// percent of the prior's step (see README), and per-step encoding keeps sampleCaption's random
// tag subsets, where a cache of every caption form would not.
//
// x0 = image embedding · imageScale (unit per-dimension variance, measured on the corpus at the
// start of a fresh run and stored in the config), t uniform in [0, 999], x_t = qSample, the
// network predicts x0, loss = MSE; Adam with global-norm gradient clipping (1) and an EMA of the
// weights (0.999) that is what gets exported. Text conditioning is replaced by the null tokens for
// condDropProb (10%) of the rows so classifier-free guidance works.
//
// --suffixes K (K > 1): each caption's prefix runs once and K examples share it (model.ts,
// priorForwardPacked), K images of the caption's concept with stratified timesteps: 2.7x the
// examples per second at K = 4, and the caption -> image-mean mapping sees several images a step.
//
// The prior models ONE CLIP's embedding space: the config stores that CLIP's weights hash and
// --resume refuses a run made against another CLIP. Resumable exactly (weights, Adam moments,
// RNG, step) from runs/prior, saved every few minutes and on SIGINT/SIGTERM. At the end: a
// held-out evaluation (ml/prior/eval.ts), then weights (no optimizer state), config, loss.png,
// retrieval.png, eval.json and training.json go to weights/prior.
//
// The loop, checkpoints, --resume and --init-from are the shared ones (ml/training); this file
// holds the prior's flags, its fresh config (the scales above) and its step. Data: train-data.ts;
// export: export.ts.
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { loadInitialWeights } from '../checkpoint.js';
import { DEFAULT_CLIP_DIR } from '../clip/index.js';
import { Rng } from '../rng.js';
import { commonFlags, folder, parseFlags, positiveWhole } from '../training/flags.js';
import { TrainingRun } from '../training/loop.js';
import { startRun } from '../training/start.js';
import { Trainer, Variables } from '../training/trainer.js';
import { type PriorRunState, exportPrior } from './export.js';
import { type Params, type PriorConfig, defaultPriorConfig, initPriorParams } from './model.js';
import { batchLoss, loadData, nextBatch, perDimStd, trainingData } from './train-data.js';

export { type TrainingData, nextBatch, perDimStd } from './train-data.js';

export const priorFlags = commonFlags('prior', { steps: 10000, batch: 64, lr: 3e-4, warmup: 500, ema: 0.999 }).extend({
  clipDir: folder().default(DEFAULT_CLIP_DIR),
  /** Clip the global gradient norm to this (0: no clipping). */
  clipNorm: z.number().min(0, 'must be 0 or more').default(1),
  /** Held-out concepts in the final evaluation. */
  evalConcepts: positiveWhole().default(200),
  /** Guidance scales the final evaluation samples with. */
  evalGuidance: z.array(z.number().min(0, 'must be guidance scales of 0 or more')).min(1, 'needs a guidance scale').default([1, 3]),
  /** Overrides of the model config (fresh runs only). */
  config: z.record(z.unknown()).optional(),
  /** Diffusion examples (image, t, noise) per caption, sharing its prefix (fresh runs; 1 = one each). */
  suffixes: positiveWhole('a whole number of at least 1').default(1),
});

export type PriorTrainOptions = z.output<typeof priorFlags>;

export function parsePriorArgs(argv: string[]): PriorTrainOptions {
  return parseFlags(priorFlags, argv, 'prior');
}

/** `npm run train -- prior ...` (ml/train.ts routes here). */
export async function runPriorCli(argv: string[]): Promise<void> {
  const o = parsePriorArgs(argv);
  if (o.exportOnly) await exportPrior(o);
  else await trainPrior(o);
}

/** Why a prior cannot start a run for the CLIP of `clipHash` (null: it can). */
const otherClip = (c: PriorConfig, clipHash: string) => (c.clipHash === clipHash ? null : `trained against CLIP ${c.clipHash.slice(0, 16)}, not ${clipHash.slice(0, 16)}: it cannot start a run for this CLIP`);

/**
 * The config and weights of an exported prior (a weights/prior folder; a run folder would give its
 * raw weights, not the EMA) to start a fresh run from, refused when it models another CLIP's space (`clipHash`). Caller owns the tensors.
 */
export function loadInitialPrior(dir: string, clipHash: string): { config: PriorConfig; tensors: Params } {
  return loadInitialWeights<PriorConfig>(dir, (c) => otherClip(c, clipHash));
}

export async function trainPrior(o: PriorTrainOptions): Promise<void> {
  const log = (s: string) => process.stderr.write(s + '\n');
  const { corpus, emb, clip } = await loadData(o.clipDir, log);
  const data = trainingData(corpus, emb);
  const D = emb.dim;
  log(`[prior] ${data.concepts.reduce((n, c) => n + c.length, 0)} training images of ${data.concepts.length} concepts; CLIP ${emb.weightsHash.slice(0, 16)} (D = ${D})`);
  const s = await startRun<PriorConfig>(o, {
    model: 'prior',
    optim: { emaDecay: o.ema, clipNorm: o.clipNorm },
    check: (c, how) =>
      how === 'init'
        ? otherClip(c, emb.weightsHash)
        : c.clipHash === emb.weightsHash
          ? null
          : `was trained against CLIP ${c.clipHash.slice(0, 16)}, but ${o.clipDir} now holds ${emb.weightsHash.slice(0, 16)}: ` +
            `a prior models one CLIP's embedding space. Start a fresh run (no --resume, or another --run-dir), or point --clip-dir at that CLIP.`,
    fresh: async () => {
      // Measure the scales that make diffusion see unit-variance embeddings.
      const trainRows = data.concepts.flat();
      const imgSample = new Float32Array(trainRows.length * D);
      trainRows.forEach((r, i) => imgSample.set(emb.embeddings.subarray(r * D, (r + 1) * D), i * D));
      const imageStd = perDimStd(imgSample, trainRows.length, D);
      const rng0 = new Rng(o.seed ^ 0x51ed);
      const caps = nextBatch(data, 1024, 1, rng0.next).captions;
      const enc = clip.encodeText(caps);
      const textStd = perDimStd(enc.embeddings.dataSync() as Float32Array, caps.length, D);
      tf.dispose([enc.embeddings, enc.tokenStates, enc.ids]);
      const cfg = defaultPriorConfig({ embedDim: D, textWidth: clip.textWidth, contextLength: clip.contextLength }, { ...((o.config ?? {}) as Partial<PriorConfig>), imageScale: 1 / imageStd, textScale: 1 / textStd, clipHash: emb.weightsHash });
      log(`[prior] per-dimension std: image embeddings ${imageStd.toFixed(4)} (1/sqrt(D) = ${(1 / Math.sqrt(D)).toFixed(4)}), text embeddings ${textStd.toFixed(4)}; scales ${cfg.imageScale.toFixed(2)}, ${cfg.textScale.toFixed(2)}`);
      return { config: cfg, tensors: initPriorParams(cfg, o.seed) };
    },
  }, log);
  const cfg = s.config;
  const st = s.st as PriorRunState;
  if (s.how !== 'resume') st.suffixes = o.suffixes;
  const net = new Variables(s.init!, 'prior');
  // The prior's EMA has always counted its warm-up from the step before (emaFrom 1).
  const trainer = await Trainer.forRun(net, s, { beta2: 0.99, emaFrom: 1 });
  log(`[prior] ${net.size} parameters; config ${JSON.stringify(cfg)}`);
  const B = st.batch;
  const K = st.suffixes ?? 1;
  if (K !== o.suffixes) log(`[prior] the run trains with ${K} example(s) per caption (its state), not --suffixes ${o.suffixes}`);
  const run = new TrainingRun({ model: 'prior', runDir: o.runDir, saveEveryMin: o.saveEveryMin, config: cfg, st, net, trainer, schedule: { kind: 'cosine' }, lossDigits: 4, unit: 'samples/s' });
  let stopped: boolean;
  try {
    stopped = await run.train({
      draw: () => {
        const batch = nextBatch(data, B, cfg.imageScale, run.rng.next, K);
        const noiseSeed = ((st.seed * 1000003) ^ (st.step * 2654435761)) >>> 1;
        const enc = clip.encodeText(batch.captions); // frozen CLIP: plain tensors, no gradient
        enc.ids.dispose();
        return { x0: batch.x0, enc, noiseSeed };
      },
      samples: () => B * K,
      step: (b) => trainer.step(() => batchLoss(net.record, cfg, b.enc, b.x0, run.rng.next, b.noiseSeed, K)),
      disposeBatch: (b) => tf.dispose([b.enc.tokenStates, b.enc.embeddings]),
    });
    trainer.dispose();
    net.dispose();
    if (!o.noExport && !stopped) await exportPrior(o, { corpus, emb, clip });
  } finally {
    clip.dispose();
  }
}
