// Contrastive training of CLIP on the emoji corpus (every style but the held-out one):
//
//   npm run train -- clip [--steps N] [--batch B] [--resume] [--lr X] [--config JSON] ...
//
// A batch holds B DIFFERENT concepts (a shuffled pass over the training concepts, epoch by
// epoch), each with one random training-style icon of it and one caption sampled with
// sampleCaption, so no two rows of a batch are true matches of each other. Augmentation: a random
// shift of up to 2 px with white fill (cheap, done in JS while building the batch). Adam (β₂ 0.98,
// ε 1e-6), warm-up then a cosine decay to a tenth, no clipping; every so often an eval on the
// held-out style (kept in the run state) and a snapshot of the weights.
//
// The loop, checkpoints, --resume and --init-from are the shared ones (ml/training): runs/clip
// holds weights, vocabulary, Adam moments, step, RNG state, epoch position and the loss log, and
// `--resume` continues exactly (same batches, same optimizer state). At the end the weights and
// the vocabulary go to weights/clip with loss.png and retrieval.png (export.ts).
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { z } from 'zod';
import { readCheckpointFile, saveCheckpoint } from '../checkpoint.js';
import { type Corpus, loadCorpus, splitByStyle } from '../data/corpus.js';
import { captionForms, sampleCaption } from '../data/captions.js';
import { terminalBar } from '../progress.js';
import { commonFlags, parseFlags, positive } from '../training/flags.js';
import { TrainingRun } from '../training/loop.js';
import { startRun } from '../training/start.js';
import { EpochOrder } from '../training/state.js';
import { Trainer, Variables } from '../training/trainer.js';
import { evaluateClip } from './eval.js';
import { CLIP_OPTIM, type ClipRunState, exportWeights } from './export.js';
import { Clip, VOCAB_FILE } from './index.js';
import { type ClipConfig, contrastiveLoss, defaultConfig, initParams, logitScale } from './model.js';
import { Tokenizer } from './tokenizer.js';

export { GRID_QUERIES, exportWeights } from './export.js';

export const clipFlags = commonFlags('clip', { steps: 20000, batch: 128, lr: 1e-3, warmup: 400, ema: CLIP_OPTIM.emaDecay }).extend({
  /** Evaluate on the held-out style (and snapshot the weights) every this many minutes. */
  evalEveryMin: positive().default(15),
  /** Overrides of the model config (fresh runs only). */
  config: z.record(z.unknown()).optional(),
});

export type TrainOptions = z.output<typeof clipFlags>;

export function parseTrainArgs(argv: string[]): TrainOptions {
  return parseFlags(clipFlags, argv, 'clip');
}

/** The model as shipped: chosen by measuring step time on this 2-core machine (see the model card). */
export function shippedConfig(vocabSize: number): ClipConfig {
  return { ...defaultConfig(vocabSize, 16), patchSize: 8, imageWidth: 128, imageDepth: 4, imageHeads: 4, textWidth: 128, textDepth: 2, textHeads: 4, mlpRatio: 2, embedDim: 128 };
}

/** Every word the captions can contain: all caption forms plus every tag, group and subgroup. */
export function buildTokenizer(corpus: Corpus, contextLength: number): Tokenizer {
  const texts: string[] = [];
  for (const e of corpus.entries) texts.push(...captionForms(e), ...e.tags, e.group, e.subgroup);
  return Tokenizer.build(texts, { contextLength });
}

const S = 32;
const PX = S * S * 3;

/** Images (float [0, 1]) of `rows`, each shifted by up to 2 px with white fill, drawn from `rand`. */
function shiftedImages(corpus: Corpus, rows: number[], rand: () => number): Float32Array {
  const img = new Float32Array(rows.length * PX).fill(1);
  rows.forEach((r, b) => {
    const dx = Math.floor(rand() * 5) - 2;
    const dy = Math.floor(rand() * 5) - 2;
    const src = corpus.images.subarray(r * PX, (r + 1) * PX);
    for (let y = 0; y < S; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= S) continue;
      for (let x = 0; x < S; x++) {
        const sx = x - dx;
        if (sx < 0 || sx >= S) continue;
        const o1 = b * PX + (y * S + x) * 3;
        const o2 = (sy * S + sx) * 3;
        img[o1] = src[o2]! / 255;
        img[o1 + 1] = src[o2 + 1]! / 255;
        img[o1 + 2] = src[o2 + 2]! / 255;
      }
    }
  });
  return img;
}

export async function trainClip(o: TrainOptions): Promise<void> {
  const log = (s: string) => process.stderr.write(s + '\n');
  if (o.exportOnly) return exportWeights(o.runDir, o.weightsDir);
  const corpus = await loadCorpus({ size: 32, onProgress: terminalBar('corpus') });
  const { train } = splitByStyle(corpus.entries);
  // concept -> its training rows
  const byConcept = new Map<string, number[]>();
  for (const i of train) {
    const c = corpus.entries[i]!.concept;
    (byConcept.get(c) ?? byConcept.set(c, []).get(c)!).push(i);
  }
  const concepts = [...byConcept.keys()].sort();
  log(`[clip] ${train.length} training images of ${concepts.length} concepts`);

  let tokenizer = buildTokenizer(corpus, 16);
  const s = await startRun<ClipConfig>(o, {
    model: 'clip',
    optim: CLIP_OPTIM,
    check: (c) => (typeof c.vocabSize === 'number' && typeof c.imageWidth === 'number' ? null : 'holds no CLIP (its config has no vocabulary size or image width)'),
    fresh: async () => {
      const cfg = { ...shippedConfig(tokenizer.vocabSize), ...((o.config ?? {}) as Partial<ClipConfig>) };
      return { config: cfg, tensors: initParams(cfg, o.seed) };
    },
  }, log);
  // A resumed or fine-tuned model keeps the vocabulary its token embeddings were trained with.
  const vocabFrom = s.how === 'resume' ? o.runDir : s.how === 'init' ? o.initFrom : undefined;
  if (vocabFrom) tokenizer = Tokenizer.fromJSON(readCheckpointFile(vocabFrom, VOCAB_FILE));
  const cfg = s.config;
  const st = s.st as ClipRunState;
  st.evalLog ??= [];
  const net = new Variables(s.init!, 'clip');
  const trainer = await Trainer.forRun(net, s, { beta2: 0.98, epsilon: 1e-6 });
  log(`[clip] ${net.size} parameters; vocab ${tokenizer.vocabSize}; config ${JSON.stringify(cfg)}`);
  const files = { [VOCAB_FILE]: JSON.stringify(tokenizer.toJSON()) };
  const run = new TrainingRun({ model: 'clip', runDir: o.runDir, saveEveryMin: o.saveEveryMin, config: cfg, st, net, trainer, schedule: { kind: 'cosine' }, lossDigits: 4, unit: 'img/s', files, onSignal: ', exporting' });
  const B = st.batch;
  const order = new EpochOrder(concepts, st);

  /** Next batch: B distinct concepts, images (float [0,1], shifted) and caption token ids. */
  const draw = () => {
    const rows: number[] = [];
    while (rows.length < B) {
      // the tail of one epoch and the head of the next could repeat a concept: skip repeats
      const c = order.next();
      const cand = byConcept.get(c)!;
      const r = cand[Math.floor(run.rng.next() * cand.length)]!;
      if (!rows.some((x) => corpus.entries[x]!.concept === c)) rows.push(r);
    }
    const img = shiftedImages(corpus, rows, run.rng.next);
    const toks = rows.map((r) => tokenizer.tokenize(sampleCaption(corpus.entries[r]!, run.rng.next)));
    const T = Math.max(...toks.map((t) => t.eosIndex)) + 1; // cut the padding no row reads
    const ids = new Int32Array(B * T);
    const eos = new Int32Array(B);
    toks.forEach((t, b) => {
      ids.set(t.ids.subarray(0, T), b * T);
      eos[b] = t.eosIndex;
    });
    return { img, ids, eos };
  };

  const runEval = () => {
    const clip = new Clip(cfg, net.record, tokenizer);
    const t0 = Date.now();
    const r = evaluateClip(clip, corpus);
    st.evalLog.push({ step: st.step, imagesSeen: st.seen, trainSeconds: Math.round(st.trainSeconds), ...r });
    log(`[clip] eval at step ${st.step} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${JSON.stringify(r)}`);
    // snapshot of the weights for later comparison
    saveCheckpoint(join(o.runDir, 'snapshots', `step-${String(st.step).padStart(6, '0')}`), { config: cfg, tensors: net.record, files, metadata: { model: 'clip', step: String(st.step) } });
  };

  await run.train({
    draw,
    samples: () => B,
    step: (b) => trainer.step(() => contrastiveLoss(net.record, cfg, tf.tensor4d(b.img, [B, S, S, 3]), b.ids, b.eos)),
    lossExtra: () => [Math.round(tf.tidy(() => logitScale(net.record).dataSync()[0]!) * 100) / 100],
    bar: () => {
      const last = st.lossLog.at(-1);
      return { temp: last?.[2] ? 1 / last[2] : 0, epoch: st.epoch };
    },
    every: [{ minutes: o.evalEveryMin, run: runEval }],
    atEnd: () => {
      if (st.evalLog.at(-1)?.step !== st.step) runEval();
    },
  });
  if (!o.noExport) await exportWeights(o.runDir, o.weightsDir, corpus);
  trainer.dispose();
  net.dispose();
}
