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
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { writeCard } from '../model-card.js';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adamState, hasCheckpoint, loadCheckpoint, loadInitialWeights, restoreAdamState, saveCheckpoint } from '../checkpoint.js';
import { type ImageEmbeddings, clipWeightsHash, loadImageEmbeddings } from '../clip-embeddings.js';
import { type Clip, DEFAULT_CLIP_DIR, loadClip } from '../clip/index.js';
import { gatherImages, heldoutGallery } from '../clip/eval.js';
import { GRID_QUERIES } from '../clip/train.js';
import { type Corpus, loadCorpus, splitByStyle } from '../data/corpus.js';
import { sampleCaption } from '../data/captions.js';
import { coefficients, cosineSchedule, qSample, trainingTarget } from '../diffusion/index.js';
import { imageGridPng, lineChartPng } from '../png.js';
import { terminalBar } from '../progress.js';
import { type PriorEval, evaluatePrior } from './eval.js';
import { Prior, loadPrior } from './index.js';
import { type Params, type PriorConfig, countParams, defaultPriorConfig, initPriorParams, priorLoss } from './model.js';
import { STYLE_WORDS } from '../data/match.js';
import { Rng } from '../rng.js';
import { StopOnSignal } from '../stop-signal.js';
import { ArgvReader, LossMean, Throughput } from '../training.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface PriorTrainOptions {
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  seed: number;
  resume: boolean;
  runDir: string;
  weightsDir: string;
  clipDir: string;
  saveEveryMin: number;
  /** Decay of the exponential moving average of the weights that is shipped (0: ship the raw weights). */
  emaDecay: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  clipNorm: number;
  /** Held-out concepts in the final evaluation. */
  evalConcepts: number;
  /** Guidance scales the final evaluation samples with. */
  evalGuidance: number[];
  /** Overrides of the model config (fresh runs only). */
  config?: Partial<PriorConfig>;
  /** Skip the final evaluation and writing weights/ (smoke runs). */
  noExport?: boolean;
  /** Do not train: evaluate runs/prior and export it to weights/prior. */
  exportOnly?: boolean;
  /** Fresh run whose weights (and config, scales included) start from this exported prior (e.g. weights/prior); Adam, EMA and the schedule start afresh. */
  initFrom?: string;
  /** Diffusion examples (image, t, noise) per caption, sharing its prefix (fresh runs; 1 = one each). */
  suffixes: number;
}

interface TrainState {
  step: number;
  totalSteps: number;
  rng: number;
  samplesSeen: number;
  trainSeconds: number;
  /** [step, mean loss over the last 10 steps] */
  lossLog: [number, number][];
  batch: number;
  lr: number;
  warmup: number;
  seed: number;
  emaDecay?: number;
  clipNorm?: number;
  /** The exported prior a fine-tuning run started from (repo-relative where inside the repo). */
  initFrom?: string;
  /** Examples per caption sharing its prefix (absent in runs before 2026-11-28: 1). */
  suffixes?: number;
}

const USAGE = 'prior: --steps N --batch B --lr X --warmup N --seed N --resume --run-dir D --weights-dir D --clip-dir D --save-every-min M --ema 0.999 --clip-norm 1 --eval-concepts N --eval-guidance 1,3 --config JSON --no-export --export-only --init-from D --suffixes K';

export function parsePriorArgs(argv: string[]): PriorTrainOptions {
  const o: PriorTrainOptions = {
    steps: 10000,
    batch: 64,
    lr: 3e-4,
    warmup: 500,
    seed: 1,
    resume: false,
    runDir: join(REPO_ROOT, 'runs', 'prior'),
    weightsDir: join(REPO_ROOT, 'weights', 'prior'),
    clipDir: DEFAULT_CLIP_DIR,
    saveEveryMin: 5,
    emaDecay: 0.999,
    clipNorm: 1,
    evalConcepts: 200,
    evalGuidance: [1, 3],
    suffixes: 1,
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
    else if (a === '--clip-dir') o.clipDir = resolve(args.value());
    else if (a === '--save-every-min') o.saveEveryMin = Number(args.value());
    else if (a === '--ema') o.emaDecay = Number(args.value());
    else if (a === '--clip-norm') o.clipNorm = Number(args.value());
    else if (a === '--eval-concepts') o.evalConcepts = Number(args.value());
    else if (a === '--eval-guidance') o.evalGuidance = args.value().split(',').map(Number);
    else if (a === '--config') o.config = JSON.parse(args.value()) as Partial<PriorConfig>;
    else if (a === '--no-export') o.noExport = true;
    else if (a === '--export-only') o.exportOnly = true;
    else if (a === '--init-from') o.initFrom = resolve(args.value());
    else if (a === '--suffixes') o.suffixes = Number(args.value());
    else throw new Error(`unknown option ${a} (${USAGE})`);
  }
  for (const [k, x] of Object.entries({ steps: o.steps, batch: o.batch, lr: o.lr })) if (!(x > 0)) throw new Error(`--${k} must be positive, got ${x}`);
  if (!Number.isInteger(o.suffixes) || o.suffixes < 1) throw new Error(`--suffixes must be a whole number of at least 1, got ${o.suffixes}`);
  return o;
}

/** `npm run train -- prior ...` (ml/train.ts routes here). */
export async function runPriorCli(argv: string[]): Promise<void> {
  const o = parsePriorArgs(argv);
  if (o.exportOnly) await exportPrior(o);
  else await trainPrior(o);
}

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
async function loadData(clipDir: string, log: (s: string) => void): Promise<{ corpus: Corpus; emb: ImageEmbeddings; clip: Clip }> {
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
  for (let b = 0; b < B; b++) {
    if (K === 1) tArr[b] = Math.floor(rng() * 1000);
    else for (let k = 0; k < K; k++) tArr[b * K + k] = Math.floor(((k + rng()) / K) * 1000);
    drop[b] = rng() < cfg.condDropProb ? 1 : 0;
  }
  const t = tf.tensor1d(tArr, 'int32');
  const x0 = tf.tensor2d(x0Data, [B * K, D]);
  const noise = tf.randomNormal([B * K, D], 0, 1, 'float32', noiseSeed);
  const schedule = cosineSchedule();
  const xt = qSample(schedule, x0, t, noise) as tf.Tensor2D;
  const { alpha, sigma } = coefficients(schedule, t, 2);
  const target = trainingTarget(cfg.prediction, x0, noise, alpha, sigma) as tf.Tensor2D;
  const cond = { tokenStates: text.tokenStates, textEmbeddings: text.embeddings, drop: tf.tensor1d(drop) };
  return priorLoss(p, cfg, xt, target, t, cond, K);
}

/**
 * The config and weights of an exported prior (a weights/prior folder; a run folder would give its
 * raw weights, not the EMA) to start a fresh run from, refused when it models another CLIP's space (`clipHash`). Caller owns the tensors.
 */
export function loadInitialPrior(dir: string, clipHash: string): { config: PriorConfig; tensors: Params } {
  return loadInitialWeights<PriorConfig>(dir, (c) =>
    c.clipHash === clipHash ? null : `trained against CLIP ${c.clipHash.slice(0, 16)}, not ${clipHash.slice(0, 16)}: it cannot start a run for this CLIP`,
  );
}

export async function trainPrior(o: PriorTrainOptions): Promise<void> {
  const log = (s: string) => process.stderr.write(s + '\n');
  const { corpus, emb, clip } = await loadData(o.clipDir, log);
  const data = trainingData(corpus, emb);
  const D = emb.dim;
  log(`[prior] ${data.concepts.reduce((n, c) => n + c.length, 0)} training images of ${data.concepts.length} concepts; CLIP ${emb.weightsHash.slice(0, 16)} (D = ${D})`);

  // ---- config and parameters: fresh or resumed -----------------------------------------------
  let cfg: PriorConfig;
  let init: Params;
  let st: TrainState;
  let saved: Record<string, tf.Tensor> | undefined;
  // The state a run starts from at step 0 (fresh, or fine-tuning from --init-from).
  const freshState = (): TrainState => ({ step: 0, totalSteps: o.steps, rng: (o.seed * 2654435761) >>> 0, samplesSeen: 0, trainSeconds: 0, lossLog: [], batch: o.batch, lr: o.lr, warmup: o.warmup, seed: o.seed, emaDecay: o.emaDecay, clipNorm: o.clipNorm, suffixes: o.suffixes });
  if (o.resume && hasCheckpoint(o.runDir)) {
    const ck = loadCheckpoint(o.runDir);
    cfg = ck.config as PriorConfig;
    if (cfg.clipHash !== emb.weightsHash) {
      tf.dispose(Object.values(ck.tensors));
      if (ck.state) tf.dispose(Object.values(ck.state.tensors));
      throw new Error(
        `${o.runDir} was trained against CLIP ${cfg.clipHash.slice(0, 16)}, but ${o.clipDir} now holds ${emb.weightsHash.slice(0, 16)}: ` +
          `a prior models one CLIP's embedding space. Start a fresh run (no --resume, or another --run-dir), or point --clip-dir at that CLIP.`,
      );
    }
    init = ck.tensors;
    st = ck.state!.json as TrainState;
    st.totalSteps = o.steps;
    saved = ck.state!.tensors;
    log(`[prior] resumed ${o.runDir} at step ${st.step} (${st.samplesSeen} samples seen), training to step ${o.steps}`);
  } else if (o.initFrom) {
    if (o.resume) log(`[prior] --resume: no checkpoint in ${o.runDir}, starting from ${o.initFrom}`);
    if (o.config) throw new Error('--config cannot change a prior loaded with --init-from (its config comes with its weights)');
    ({ config: cfg, tensors: init } = loadInitialPrior(o.initFrom, emb.weightsHash));
    st = { ...freshState(), initFrom: relative(REPO_ROOT, o.initFrom) };
    log(`[prior] fresh run from the weights in ${o.initFrom}, training to step ${o.steps}`);
  } else {
    if (o.resume) log(`[prior] --resume: no checkpoint in ${o.runDir}, starting fresh`);
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
    cfg = defaultPriorConfig({ embedDim: D, textWidth: clip.textWidth, contextLength: clip.contextLength }, { ...(o.config ?? {}), imageScale: 1 / imageStd, textScale: 1 / textStd, clipHash: emb.weightsHash });
    log(`[prior] per-dimension std: image embeddings ${imageStd.toFixed(4)} (1/sqrt(D) = ${(1 / Math.sqrt(D)).toFixed(4)}), text embeddings ${textStd.toFixed(4)}; scales ${cfg.imageScale.toFixed(2)}, ${cfg.textScale.toFixed(2)}`);
    init = initPriorParams(cfg, o.seed);
    st = freshState();
  }
  const names = Object.keys(init).sort();
  const prefix = `prior-train-${Date.now().toString(36)}/`;
  const vars: Record<string, tf.Variable> = {};
  for (const n of names) vars[n] = tf.variable(init[n]!, true, prefix + n);
  tf.dispose(Object.values(init));
  const varList = names.map((n) => vars[n]!);
  const opt = tf.train.adam(st.lr, 0.9, 0.99, 1e-8);
  // EMA of the weights: what gets shipped (diffusion models sample far better from it than from
  // the raw weights of a small-batch run). Saved in the state as ema/<param>, restored on resume.
  const emaDecay = st.emaDecay ?? o.emaDecay;
  const clipNorm = st.clipNorm ?? o.clipNorm;
  const ema = new Map<string, tf.Variable>();
  if (emaDecay > 0) {
    tf.tidy(() => {
      for (const n of names) ema.set(n, tf.variable(tf.clone(saved?.[`ema/${n}`] ?? vars[n]!), false));
    });
  }
  if (saved) {
    const remapped: Record<string, tf.Tensor> = {};
    if (saved['adam/iterations']) remapped['adam/iterations'] = saved['adam/iterations'];
    for (const n of names) {
      if (saved[`adam/m/${n}`] && saved[`adam/v/${n}`]) {
        remapped[`adam/m/${prefix}${n}`] = saved[`adam/m/${n}`]!;
        remapped[`adam/v/${prefix}${n}`] = saved[`adam/v/${n}`]!;
      }
    }
    await restoreAdamState(opt, names.map((n) => prefix + n), remapped);
    tf.dispose(Object.values(saved));
  }
  log(`[prior] ${countParams(vars)} parameters; config ${JSON.stringify(cfg)}`);
  mkdirSync(o.runDir, { recursive: true });

  const rng = new Rng(st.rng);
  const B = st.batch;
  const K = st.suffixes ?? 1;
  if (K !== o.suffixes) log(`[prior] the run trains with ${K} example(s) per caption (its state), not --suffixes ${o.suffixes}`);
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
    for (const [n, e] of ema) adByParam[`ema/${n}`] = e;
    saveCheckpoint(o.runDir, { config: cfg, tensors: vars, state: { json: st, tensors: adByParam }, metadata: { model: 'prior', step: String(st.step) } });
    ad['adam/iterations']?.dispose(); // the moments are the optimizer's live variables: keep them
  };

  const stop = new StopOnSignal(() =>
    log('\n[prior] signal: finishing this step, saving'),
  );

  const bar = terminalBar('prior');
  let lastSave = Date.now();
  const lossMean = new LossMean(10);
  const throughput = new Throughput();
  while (st.step < st.totalSteps && !stop.stopping) {
    await new Promise((r) => setImmediate(r)); // let signal handlers run
    const t0 = Date.now();
    const batch = nextBatch(data, B, cfg.imageScale, rng.next, K);
    (opt as unknown as { learningRate: number }).learningRate = lrAt(st.step);
    const noiseSeed = ((st.seed * 1000003) ^ (st.step * 2654435761)) >>> 1;
    const enc = clip.encodeText(batch.captions); // frozen CLIP: plain tensors, no gradient
    enc.ids.dispose();
    let loss: number;
    try {
      loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => batchLoss(vars, cfg, enc, batch.x0, rng.next, noiseSeed, K), varList);
        const list = names.map((n) => grads[prefix + n]!);
        let scale: tf.Tensor | null = null;
        if (clipNorm > 0) {
          const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
          scale = tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-6)));
        }
        opt.applyGradients(names.map((n, i) => ({ name: prefix + n, tensor: scale ? tf.mul(list[i]!, scale) : list[i]! })));
        // EMA decay warms up as min(decay, (1 + n)/(10 + n)) so early weights do not linger.
        const d = Math.min(emaDecay, (1 + st.step) / (10 + st.step));
        for (const [n, e] of ema) e.assign(tf.add(tf.mul(e, d), tf.mul(vars[n]!, 1 - d)));
        return value.dataSync()[0]!;
      });
    } finally {
      tf.dispose([enc.tokenStates, enc.embeddings]);
    }
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${st.step}; last checkpoint in ${o.runDir}`);
    st.step++;
    st.samplesSeen += B * K;
    st.trainSeconds += (Date.now() - t0) / 1000;
    throughput.add(B * K);
    const mean = lossMean.add(loss);
    if (mean !== undefined) {
      st.lossLog.push([st.step, Math.round(mean * 1e4) / 1e4]);
      throughput.measure();
    }
    const last = st.lossLog[st.lossLog.length - 1];
    bar(st.step, st.totalSteps, { loss: last?.[1] ?? loss, 'samples/s': Math.round(throughput.perSecond * 10) / 10 });
    if (Date.now() - lastSave > o.saveEveryMin * 60_000) {
      await save();
      lastSave = Date.now();
    }
  }
  await save();
  log(`[prior] saved ${o.runDir} at step ${st.step}; ${st.samplesSeen} samples seen in ${(st.trainSeconds / 60).toFixed(1)} min of steps`);
  tf.dispose(varList);
  for (const e of ema.values()) e.dispose();
  opt.dispose();
  stop.dispose();
  try {
    if (!o.noExport && !stop.stopping) await exportPrior(o, { corpus, emb, clip });
  } finally {
    clip.dispose();
  }
}

/**
 * Evaluate the run's weights on held-out concepts and copy them (no optimizer state) to
 * weightsDir with loss.png, retrieval.png, eval.json and training.json.
 */
export async function exportPrior(o: Pick<PriorTrainOptions, 'runDir' | 'weightsDir' | 'clipDir' | 'evalConcepts' | 'evalGuidance'>, loaded?: { corpus: Corpus; emb: ImageEmbeddings; clip: Clip }): Promise<PriorEval> {
  const log = (s: string) => process.stderr.write(s + '\n');
  const { corpus, emb, clip } = loaded ?? (await loadData(o.clipDir, log));
  try {
    const ck = loadCheckpoint(o.runDir);
    const st = ck.state?.json as TrainState | undefined;
    const cfg = ck.config as PriorConfig;
    // Ship the EMA weights when the run kept them.
    const stT = ck.state?.tensors ?? {};
    const names = Object.keys(ck.tensors);
    const useEma = names.every((n) => stT[`ema/${n}`]);
    const shipped: Record<string, tf.Tensor> = {};
    for (const n of names) shipped[n] = useEma ? stT[`ema/${n}`]! : ck.tensors[n]!;
    if (cfg.clipHash !== emb.weightsHash) {
      tf.dispose([...Object.values(ck.tensors), ...Object.values(stT)]);
      throw new Error(`${o.runDir} was trained against CLIP ${cfg.clipHash.slice(0, 16)}; ${o.clipDir} holds ${emb.weightsHash.slice(0, 16)}`);
    }
    mkdirSync(o.weightsDir, { recursive: true });
    saveCheckpoint(o.weightsDir, { config: cfg, tensors: shipped, metadata: { model: 'prior', step: String(st?.step ?? ''), weights: useEma ? 'ema' : 'raw' } });
    tf.dispose([...Object.values(ck.tensors), ...Object.values(stT)]);
    log(`[prior] exporting the ${useEma ? 'EMA' : 'raw'} weights of step ${st?.step ?? '?'}`);
    const prior = await loadPrior(o.weightsDir);
    try {
      const ev = await evaluatePrior(prior, clip, corpus, emb, { concepts: o.evalConcepts, guidances: o.evalGuidance, onProgress: terminalBar('prior eval') });
      const line = JSON.stringify({ prior_eval: ev });
      process.stdout.write(line + '\n');
      writeFileSync(join(o.weightsDir, 'eval.json'), JSON.stringify(ev, null, 1) + '\n');
      writeFileSync(join(o.runDir, 'eval.json'), JSON.stringify(ev, null, 1) + '\n');
      if (st) {
        writeFileSync(join(o.weightsDir, 'training.json'), JSON.stringify({ step: st.step, samplesSeen: st.samplesSeen, trainSeconds: Math.round(st.trainSeconds), batch: st.batch, lr: st.lr, warmup: st.warmup, seed: st.seed, emaDecay: st.emaDecay ?? 0, clipNorm: st.clipNorm ?? 0, suffixes: st.suffixes ?? 1, initFrom: st.initFrom, weights: useEma ? 'ema' : 'raw', clipHash: cfg.clipHash, lossLog: st.lossLog }, null, 1) + '\n');
        await lineChartPng(join(o.weightsDir, 'loss.png'), [{ name: 'x0 MSE, scaled space (mean of 10 steps)', points: st.lossLog.map(([s, l]) => [s, l]) }], { title: 'Prior training loss', xLabel: 'step', yLabel: 'loss' });
      }
      await retrievalGrid(prior, clip, corpus, emb, join(o.weightsDir, 'retrieval.png'));
      writePriorCard(join(o.weightsDir, 'README.md'), cfg, shippedParams(shipped), st, ev, useEma);
      log(`[prior] exported ${o.weightsDir} (weights, eval.json, training.json, loss.png, retrieval.png, README.md)`);
      return ev;
    } finally {
      prior.dispose();
    }
  } finally {
    if (!loaded) clip.dispose();
  }
}

function shippedParams(t: Record<string, tf.Tensor>): number {
  return Object.values(t).reduce((n, x) => n + x.size, 0);
}

/**
 * weights/prior/README.md, the model card, regenerated on every export from the run's figures. A
 * `## Notes` section already in the file (findings written by hand) is kept.
 */
function writePriorCard(path: string, cfg: PriorConfig, params: number, st: TrainState | undefined, ev: PriorEval, ema: boolean): void {
  const last = st?.lossLog.slice(-10) ?? [];
  const loss = last.length ? last.reduce((a, [, l]) => a + l, 0) / last.length : NaN;
  const f = (x: number) => x.toFixed(3);
  const lines = [
    '# Diffusion prior (CLIP text embedding → CLIP image embedding) — model card',
    '',
    'Generated by `npm run train -- prior` on export (ml/prior/train.ts); see [ml/prior/README.md](../../ml/prior/README.md) for the architecture and why.',
    '',
    `Files: \`model.safetensors\` (${ema ? 'EMA' : 'raw'} weights, float32), \`config.json\`, \`training.json\` (figures and loss log), \`eval.json\`, \`loss.png\`, \`retrieval.png\`.`,
    '',
    '## Model',
    '',
    `- ${params.toLocaleString('en-US')} parameters: a causal pre-norm transformer, width ${cfg.width}, ${cfg.depth} blocks, ${cfg.heads} heads, over the caption's ${cfg.contextLength} CLIP token states, the CLIP text embedding, the timestep, the noised image embedding and a final token that predicts ${cfg.prediction === 'v' ? 'v = α·ε − σ·x0 (the clean embedding is α·x_t − σ·v)' : 'the clean embedding (x0)'}.`,
    `- Embeddings scaled to unit variance per dimension (image × ${cfg.imageScale.toFixed(2)}, text × ${cfg.textScale.toFixed(2)}); text conditioning dropped for ${Math.round(cfg.condDropProb * 100)}% of rows for classifier-free guidance. CLIP weights: \`${cfg.clipHash.slice(0, 16)}\` (sha-256 prefix).`,
    '',
    '## Training',
    '',
    st
      ? `- ${st.initFrom ? `Fine-tuned from \`${st.initFrom}\`: ` : ''}${st.step} steps at batch ${st.batch}${(st.suffixes ?? 1) > 1 ? ` captions × ${st.suffixes} examples each (one shared prefix per caption)` : ''} (${st.samplesSeen.toLocaleString('en-US')} examples seen), ${(st.trainSeconds / 3600).toFixed(2)} hours of steps on one CPU core (wasm), sharing the machine with other trainings; Adam ${st.lr} with cosine decay to step ${st.totalSteps}, warm-up ${st.warmup}, EMA ${st.emaDecay ?? 0}, seed ${st.seed}. Final loss (mean of the last 10 logged points): ${Number.isFinite(loss) ? loss.toFixed(4) : 'n/a'}.`
      : '- (no training state in the run folder)',
    '',
    '![loss](loss.png)',
    '',
    `## Evaluation (held-out ${ev.heldout_style}, ${ev.n_concepts} concepts, ${ev.steps} ${ev.sampler} steps, best of ${ev.bestOf})`,
    '',
    'cos: cosine with the mean of the concept\'s held-out image embeddings; centred: after subtracting the mean gallery embedding; top-1/5: the concept\'s image among all held-out gallery images, by the guess.',
    '',
    '| guess | cos | cos centred | top-1 | top-5 |',
    '|---|---|---|---|---|',
    `| the text embedding (no prior) | ${f(ev.text.cos)} | ${f(ev.text.cos_centered)} | ${f(ev.text.top1)} | ${f(ev.text.top5)} |`,
    ...ev.prior.map((r) => `| prior, guidance ${r.guidance} | ${f(r.cos)} | ${f(r.cos_centered)} | ${f(r.top1)} | ${f(r.top5)} |`),
    '',
    '![nearest held-out images: text embedding vs prior sample](retrieval.png)',
    '',
    '## Data and licences',
    '',
    'Captions and CLIP image embeddings of the emoji corpus of ml/data, every style except the held-out twemoji. Sets and licences: [ml/data/LICENSES.md](../../ml/data/LICENSES.md).',
    '',
  ];
  writeCard(path, lines);
}

/**
 * retrieval.png: per query, the 5 held-out images nearest to the text embedding (top row) and to
 * the prior's sample (bottom row); green = the query's own concept.
 */
export async function retrievalGrid(prior: Prior, clip: Clip, corpus: Corpus, emb: ImageEmbeddings, path: string, guidance = 3): Promise<void> {
  const g = heldoutGallery(corpus);
  const D = emb.dim;
  const gal = new Float32Array(g.rows.length * D);
  g.rows.forEach((r, i) => gal.set(emb.embeddings.subarray(r * D, (r + 1) * D), i * D));
  const queries = GRID_QUERIES.filter((q) => clip.tokenizer.tokenize(q).unknownWords.length === 0);
  const enc = clip.encodeText(queries);
  const galT = tf.tensor2d(gal, [g.rows.length, D]);
  try {
    const sampled = await prior.samplePrior({ tokenStates: enc.tokenStates, textEmbeddings: enc.embeddings, steps: 25, sampler: 'ddim', guidance, seed: 0 });
    const top = (q: tf.Tensor2D) =>
      tf.tidy(() => {
        const { indices } = tf.topk(tf.matMul(q, galT, false, true), 5);
        return indices.arraySync() as number[][];
      });
    const byText = top(enc.embeddings);
    const byPrior = top(sampled);
    sampled.dispose();
    const px = 32 * 32 * 3;
    const row = (label: string, q: string, idx: number[]) => ({
      label,
      images: idx.map((j) => gatherImages(corpus, [g.rows[j]!]).slice(0, px)),
      outline: idx.map((j) => (g.labels[j] === q ? '#2ca02c' : undefined)),
    });
    const rows = queries.flatMap((q, i) => [row(`${q} (text)`, q, byText[i]!), row(`${q} (prior)`, q, byPrior[i]!)]);
    await imageGridPng(path, rows, 32, { scale: 2, labelWidth: 280, title: `nearest held-out images: text embedding vs prior (g ${guidance}); green = right` });
  } finally {
    tf.dispose([enc.embeddings, enc.tokenStates, enc.ids, galT]);
  }
}
