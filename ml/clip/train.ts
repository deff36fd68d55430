// Contrastive training of CLIP on the emoji corpus (every style but the held-out one).
//
// A batch holds B DIFFERENT concepts (a shuffled pass over the training concepts, epoch by
// epoch), each with one random training-style icon of it and one caption sampled with
// sampleCaption, so no two rows of a batch are true matches of each other. Augmentation: a random
// shift of up to 2 px with white fill (cheap, done in JS while building the batch).
//
// Resumable: runs/clip holds weights, Adam moments, step, RNG state, epoch position and the loss
// log, saved every few minutes and on SIGINT/SIGTERM. `--resume` continues from there exactly
// (same batches, same optimizer state). At the end the weights (without training state) and the
// vocabulary go to weights/clip with loss.png and retrieval.png.
import * as tf from '@tensorflow/tfjs-core';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adamState, hasCheckpoint, loadCheckpoint, readCheckpointFile, restoreAdamState, saveCheckpoint } from '../checkpoint.js';
import { type Corpus, loadCorpus, splitByStyle } from '../data/corpus.js';
import { captionForms, sampleCaption } from '../data/captions.js';
import { imageGridPng, lineChartPng } from '../png.js';
import { terminalBar } from '../progress.js';
import { Clip, VOCAB_FILE } from './index.js';
import { type ClipConfig, type Params, contrastiveLoss, countParams, defaultConfig, initParams, logitScale } from './model.js';
import { Tokenizer } from './tokenizer.js';
import { type ClipEval, evaluateClip, gatherImages, heldoutGallery, retrieve } from './eval.js';
import { Rng, shuffle } from '../rng.js';
import { StopOnSignal } from '../stop-signal.js';
import { ArgvReader, LossMean, Throughput } from '../training.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface TrainOptions {
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  seed: number;
  resume: boolean;
  runDir: string;
  weightsDir: string;
  saveEveryMin: number;
  evalEveryMin: number;
  /** Overrides of the model config (fresh runs only). */
  config?: Partial<ClipConfig>;
  /** Skip writing weights/ and figures at the end (smoke runs). */
  noExport?: boolean;
}

interface TrainState {
  step: number;
  totalSteps: number;
  rng: number;
  epoch: number;
  epochPos: number;
  imagesSeen: number;
  trainSeconds: number;
  /** [step, mean loss over the last 10 steps, logit scale] */
  lossLog: [number, number, number][];
  evalLog: ({ step: number; imagesSeen: number; trainSeconds: number } & ClipEval)[];
  batch: number;
  lr: number;
  warmup: number;
  seed: number;
}

export function parseTrainArgs(argv: string[]): TrainOptions {
  const o: TrainOptions = {
    steps: 20000,
    batch: 128,
    lr: 1e-3,
    warmup: 400,
    seed: 1,
    resume: false,
    runDir: join(REPO_ROOT, 'runs', 'clip'),
    weightsDir: join(REPO_ROOT, 'weights', 'clip'),
    saveEveryMin: 5,
    evalEveryMin: 15,
  };
  const args = new ArgvReader(argv);
  for (const a of args) {
    if (a === '--steps') o.steps = Number(args.value());
    else if (a === '--batch') o.batch = Number(args.value());
    else if (a === '--lr') o.lr = Number(args.value());
    else if (a === '--warmup') o.warmup = Number(args.value());
    else if (a === '--seed') o.seed = Number(args.value());
    else if (a === '--resume') o.resume = true;
    else if (a === '--run-dir') o.runDir = resolve(args.value());
    else if (a === '--weights-dir') o.weightsDir = resolve(args.value());
    else if (a === '--save-every-min') o.saveEveryMin = Number(args.value());
    else if (a === '--eval-every-min') o.evalEveryMin = Number(args.value());
    else if (a === '--config') o.config = JSON.parse(args.value()) as Partial<ClipConfig>;
    else if (a === '--no-export') o.noExport = true;
    else throw new Error(`unknown option ${a} (clip: --steps N --batch B --lr X --resume --run-dir D --weights-dir D --config JSON --no-export)`);
  }
  return o;
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

export async function trainClip(o: TrainOptions): Promise<void> {
  const log = (s: string) => process.stderr.write(s + '\n');
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

  // ---- model, tokenizer, optimizer: fresh or resumed -----------------------------------------
  let cfg: ClipConfig;
  let tokenizer: Tokenizer;
  let init: Params;
  let st: TrainState;
  let saved: Record<string, tf.Tensor> | undefined;
  if (o.resume && hasCheckpoint(o.runDir)) {
    const ck = loadCheckpoint(o.runDir);
    cfg = ck.config as ClipConfig;
    tokenizer = Tokenizer.fromJSON(readCheckpointFile(o.runDir, VOCAB_FILE));
    init = ck.tensors;
    st = ck.state!.json as TrainState;
    st.totalSteps = o.steps;
    saved = ck.state!.tensors;
    log(`[clip] resumed ${o.runDir} at step ${st.step} (${st.imagesSeen} images seen), training to step ${o.steps}`);
  } else {
    if (o.resume) log(`[clip] --resume: no checkpoint in ${o.runDir}, starting fresh`);
    tokenizer = buildTokenizer(corpus, 16);
    cfg = { ...shippedConfig(tokenizer.vocabSize), ...(o.config ?? {}) };
    init = initParams(cfg, o.seed);
    st = { step: 0, totalSteps: o.steps, rng: (o.seed * 2654435761) >>> 0, epoch: 0, epochPos: 0, imagesSeen: 0, trainSeconds: 0, lossLog: [], evalLog: [], batch: o.batch, lr: o.lr, warmup: o.warmup, seed: o.seed };
  }
  const names = Object.keys(init).sort();
  // Variable names carry a per-process prefix so two models in one process never collide.
  const prefix = `clip-train-${Date.now().toString(36)}/`;
  const vars: Record<string, tf.Variable> = {};
  for (const n of names) vars[n] = tf.variable(init[n]!, true, prefix + n);
  tf.dispose(Object.values(init));
  const varList = names.map((n) => vars[n]!);
  const opt = tf.train.adam(st.lr, 0.9, 0.98, 1e-6);
  if (saved) {
    await restoreAdamState(opt, names.map((n) => prefix + n), remapAdam(saved, names, prefix));
    tf.dispose(Object.values(saved));
  }
  log(`[clip] ${countParams(vars)} parameters; vocab ${tokenizer.vocabSize}; config ${JSON.stringify(cfg)}`);
  mkdirSync(o.runDir, { recursive: true });

  const rng = new Rng(st.rng);
  let order = shuffle(concepts, new Rng((st.seed * 7919 + st.epoch) >>> 0));
  const B = st.batch;
  const S = 32;
  const px = S * S * 3;

  /** Next batch: B distinct concepts, images (float [0,1], shifted) and caption token ids. */
  const nextBatch = () => {
    const rows: number[] = [];
    while (rows.length < B) {
      if (st.epochPos >= order.length) {
        st.epoch++;
        st.epochPos = 0;
        order = shuffle(concepts, new Rng((st.seed * 7919 + st.epoch) >>> 0));
      }
      // the tail of one epoch and the head of the next could repeat a concept: skip repeats
      const c = order[st.epochPos++]!;
      const cand = byConcept.get(c)!;
      const r = cand[Math.floor(rng.next() * cand.length)]!;
      if (!rows.some((x) => corpus.entries[x]!.concept === c)) rows.push(r);
    }
    const img = new Float32Array(B * px).fill(1);
    rows.forEach((r, b) => {
      const dx = Math.floor(rng.next() * 5) - 2;
      const dy = Math.floor(rng.next() * 5) - 2;
      const src = corpus.images.subarray(r * px, (r + 1) * px);
      for (let y = 0; y < S; y++) {
        const sy = y - dy;
        if (sy < 0 || sy >= S) continue;
        for (let x = 0; x < S; x++) {
          const sx = x - dx;
          if (sx < 0 || sx >= S) continue;
          const o1 = b * px + (y * S + x) * 3;
          const o2 = (sy * S + sx) * 3;
          img[o1] = src[o2]! / 255;
          img[o1 + 1] = src[o2 + 1]! / 255;
          img[o1 + 2] = src[o2 + 2]! / 255;
        }
      }
    });
    const toks = rows.map((r) => tokenizer.tokenize(sampleCaption(corpus.entries[r]!, rng.next)));
    const T = Math.max(...toks.map((t) => t.eosIndex)) + 1; // cut the padding no row reads
    const ids = new Int32Array(B * T);
    const eos = new Int32Array(B);
    toks.forEach((t, b) => {
      ids.set(t.ids.subarray(0, T), b * T);
      eos[b] = t.eosIndex;
    });
    return { img, ids, eos };
  };

  const lrAt = (step: number) => {
    if (step < st.warmup) return (st.lr * (step + 1)) / st.warmup;
    const p = Math.min(1, (step - st.warmup) / Math.max(1, st.totalSteps - st.warmup));
    return st.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
  };

  const save = async () => {
    st.rng = rng.state;
    const ad = await adamState(opt, names.map((n) => prefix + n));
    const adByParam: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(ad)) adByParam[k.replace(prefix, '')] = t;
    saveCheckpoint(o.runDir, {
      config: cfg,
      tensors: vars,
      state: { json: st, tensors: adByParam },
      files: { [VOCAB_FILE]: JSON.stringify(tokenizer.toJSON()) },
      metadata: { model: 'clip', step: String(st.step) },
    });
    ad['adam/iterations']?.dispose(); // the moments are the optimizer's live variables: keep them
  };

  const runEval = () => {
    const clip = new Clip(cfg, vars, tokenizer);
    const t0 = Date.now();
    const r = evaluateClip(clip, corpus);
    st.evalLog.push({ step: st.step, imagesSeen: st.imagesSeen, trainSeconds: Math.round(st.trainSeconds), ...r });
    log(`[clip] eval at step ${st.step} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${JSON.stringify(r)}`);
    // snapshot of the weights for later comparison
    saveCheckpoint(join(o.runDir, 'snapshots', `step-${String(st.step).padStart(6, '0')}`), {
      config: cfg,
      tensors: vars,
      files: { [VOCAB_FILE]: JSON.stringify(tokenizer.toJSON()) },
      metadata: { model: 'clip', step: String(st.step) },
    });
  };

  const stop = new StopOnSignal(() =>
    log('\n[clip] signal: finishing this step, saving, exporting'),
  );

  const bar = terminalBar('clip');
  let lastSave = Date.now();
  let lastEval = Date.now();
  const lossMean = new LossMean(10);
  const throughput = new Throughput();
  while (st.step < st.totalSteps && !stop.stopping) {
    // Yield to the event loop once a step, or a SIGINT/SIGTERM handler would never run.
    await new Promise((r) => setImmediate(r));
    const t0 = Date.now();
    const { img, ids, eos } = nextBatch();
    (opt as unknown as { learningRate: number }).learningRate = lrAt(st.step);
    const loss = tf.tidy(() => {
      const images = tf.tensor4d(img, [B, S, S, 3]);
      const { value, grads } = tf.variableGrads(() => contrastiveLoss(vars, cfg, images, ids, eos), varList);
      opt.applyGradients(names.map((n) => ({ name: prefix + n, tensor: grads[prefix + n]! })));
      return value.dataSync()[0]!;
    });
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${st.step}; last checkpoint in ${o.runDir}`);
    st.step++;
    st.imagesSeen += B;
    st.trainSeconds += (Date.now() - t0) / 1000;
    throughput.add(B);
    const mean = lossMean.add(loss);
    if (mean !== undefined) {
      const scale = tf.tidy(() => logitScale(vars).dataSync()[0]!);
      st.lossLog.push([st.step, Math.round(mean * 1e4) / 1e4, Math.round(scale * 100) / 100]);
      throughput.measure();
    }
    const last = st.lossLog[st.lossLog.length - 1];
    bar(st.step, st.totalSteps, { loss: last?.[1] ?? loss, 'img/s': Math.round(throughput.perSecond), temp: last ? 1 / last[2] : 0, epoch: st.epoch });
    if (Date.now() - lastEval > o.evalEveryMin * 60_000) {
      runEval();
      lastEval = Date.now();
    }
    if (Date.now() - lastSave > o.saveEveryMin * 60_000) {
      await save();
      lastSave = Date.now();
    }
  }
  if (st.evalLog[st.evalLog.length - 1]?.step !== st.step) runEval();
  await save();
  log(`[clip] saved ${o.runDir} at step ${st.step}; ${st.imagesSeen} images seen in ${(st.trainSeconds / 60).toFixed(1)} min of steps`);
  if (!o.noExport) await exportWeights(o.runDir, o.weightsDir, corpus);
  tf.dispose(varList);
  opt.dispose();
}

/** Adam state saved under parameter names -> names of this process's variables. */
function remapAdam(saved: Record<string, tf.Tensor>, names: string[], prefix: string): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  if (saved['adam/iterations']) out['adam/iterations'] = saved['adam/iterations'];
  for (const n of names) {
    const m = saved[`adam/m/${n}`];
    const v = saved[`adam/v/${n}`];
    if (m && v) {
      out[`adam/m/${prefix}${n}`] = m;
      out[`adam/v/${prefix}${n}`] = v;
    }
  }
  return out;
}

/**
 * Copy a training checkpoint's weights (no optimizer state) into `weightsDir` and draw the loss
 * curve and the retrieval grid there.
 */
export async function exportWeights(runDir: string, weightsDir: string, corpus?: Corpus): Promise<void> {
  const ck = loadCheckpoint(runDir);
  const st = ck.state?.json as TrainState | undefined;
  mkdirSync(weightsDir, { recursive: true });
  saveCheckpoint(weightsDir, {
    config: ck.config,
    tensors: ck.tensors,
    files: { [VOCAB_FILE]: readCheckpointFile(runDir, VOCAB_FILE) },
    metadata: { model: 'clip', step: String(st?.step ?? '') },
  });
  tf.dispose(Object.values(ck.tensors));
  if (ck.state) tf.dispose(Object.values(ck.state.tensors));
  if (st) {
    writeFileSync(join(weightsDir, 'training.json'), JSON.stringify({ step: st.step, imagesSeen: st.imagesSeen, trainSeconds: Math.round(st.trainSeconds), batch: st.batch, lr: st.lr, warmup: st.warmup, seed: st.seed, evalLog: st.evalLog, lossLog: st.lossLog }, null, 1) + '\n');
    await lineChartPng(join(weightsDir, 'loss.png'), [{ name: 'contrastive loss (mean of 10 steps)', points: st.lossLog.map(([s, l]) => [s, l]) }], {
      title: 'CLIP training loss',
      xLabel: 'step',
      yLabel: 'loss',
    });
  }
  await retrievalGrid(weightsDir, corpus);
  process.stderr.write(`[clip] exported weights, loss.png and retrieval.png to ${weightsDir}\n`);
}

export const GRID_QUERIES = ['red apple', 'rocket', 'dog face', 'pizza', 'red heart', 'smiling face with sunglasses', 'flag japan', 'snowman', 'sun', 'automobile', 'guitar', 'birthday cake'];

/** retrieval.png: for held-out text queries, the top-5 held-out images (green = the right concept). */
export async function retrievalGrid(weightsDir: string, corpus?: Corpus): Promise<void> {
  const { loadClip } = await import('./index.js');
  const c = corpus ?? (await loadCorpus({ size: 32 }));
  const clip = await loadClip(weightsDir);
  try {
    const g = heldoutGallery(c);
    const galleryEmb = clip.encodeImageBytes(gatherImages(c, g.rows), g.rows.length);
    const queries = GRID_QUERIES.filter((q) => clip.tokenizer.tokenize(q).unknownWords.length === 0);
    const top = retrieve(clip, queries, galleryEmb, 5);
    galleryEmb.dispose();
    const px = 32 * 32 * 3;
    const rows = queries.map((q, i) => {
      const idx = top[i]!;
      return {
        label: q,
        images: idx.map((j) => c.images.slice(g.rows[j]! * px, (g.rows[j]! + 1) * px)),
        outline: idx.map((j) => (g.labels[j] === q ? '#2ca02c' : undefined)),
      };
    });
    await imageGridPng(join(weightsDir, 'retrieval.png'), rows, 32, { scale: 3, title: `top-5 held-out (${g.entries[0]?.style ?? ''}) images per text query; green = exact concept` });
  } finally {
    clip.dispose();
  }
}

export function copyCheckpoint(from: string, to: string): void {
  if (!existsSync(from)) throw new Error(`no ${from}`);
  cpSync(from, to, { recursive: true });
}
