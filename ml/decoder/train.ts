// Training of the decoder (32x32 images from CLIP image embeddings) and the upsampler (32→64):
//
//   npm run train -- decoder   [--steps N] [--batch B] [--resume] [--lr X] ...
//   npm run train -- upsampler [--steps N] [--batch B] [--resume] [--lr X] ...
//
// Data: every style but the held-out one (splitByStyle). No augmentation: a horizontal flip is
// wrong for emoji with text and arrows, and a shift would no longer match the CLIP embedding of
// the unshifted image. The decoder reads the CLIP image embeddings from loadImageEmbeddings
// (computed once per CLIP checkpoint, cached); the upsampler reads the 64x64 renders and the
// 32x32 renders of the same icons.
//
// Each step: a batch of B images from a shuffled pass over the training rows (epoch by epoch),
// uniform timesteps, v-prediction MSE, Adam with linear warm-up then a constant rate, gradient
// norm clipped to 1, an EMA of the weights (what is shipped). Decoder rows have their embedding
// replaced by the learned null embedding with probability condDrop (0.1) for guidance.
//
// Resumable: runs/<model> holds weights, Adam moments, the EMA, step, RNG state, epoch position
// and the loss log, saved every few minutes and on SIGINT/SIGTERM; `--resume` continues exactly.
// `--steps` is the step to train TO, so a resumed run can be extended. At the end the EMA weights
// go to weights/<model> with training.json, loss.png, samples.png (held-out images: originals
// beside samples from their CLIP embeddings; upsampler: 32x32 input, output, real 64x64) and a
// generated model card (README.md; a hand-written "## Notes" section in it is kept).
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { writeCard } from '../model-card.js';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCheckpoint, loadCheckpoint, loadInitialWeights, saveCheckpoint } from '../checkpoint.js';
import { clipWeightsHash, loadImageEmbeddings, type ImageEmbeddings } from '../clip-embeddings.js';
import { DEFAULT_CLIP_DIR } from '../clip/index.js';
import { type Corpus, loadCorpus, splitByStyle } from '../data/corpus.js';
import { imageGridPng, lineChartPng, type GridRow } from '../png.js';
import { terminalBar } from '../progress.js';
import { type Decoder, type Upsampler, makeDecoder, makeUpsampler } from './index.js';
import type { TimestepBand } from '../diffusion/index.js';
import { type DecoderConfig, type DiffusionBatch, createDecoderNet, decoderBatch, decoderConfig, diffusionLoss, disposeBatch } from './model.js';
import { DataParallel } from './data-parallel.js';
import { loadPriorSamples, nearestRowPerCaption } from './prior-samples.js';
import { Trainer } from './trainer.js';
import type { UNet, UNetConfig } from './unet.js';
import { type UpsamplerConfig, createUpsamplerNet, residualScale, upsamplerBatch, upsamplerConfig } from './upsampler.js';
import { Rng, shuffle } from '../rng.js';
import { StopOnSignal } from '../stop-signal.js';
import { ArgvReader, LossMean, Throughput, warmupConstantCooldown } from '../training.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type ImageModelKind = 'decoder' | 'upsampler';

export interface TrainOptions {
  model: ImageModelKind;
  /** Train until this step (a resumed run continues to it). */
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  emaDecay: number;
  seed: number;
  resume: boolean;
  /** Fresh run whose weights and config start from this exported model (e.g. weights/decoder); Adam, EMA, RNG and schedule start afresh. */
  initFrom?: string;
  runDir: string;
  weightsDir: string;
  clipDir: string;
  saveEveryMin: number;
  /** Write a sample grid of the EMA weights to runDir every this many minutes (0: only at the end). */
  gridEveryMin: number;
  /** Only export runDir to weightsDir (no training). */
  exportOnly?: boolean;
  /** Sampling steps for the sample grid at the end. */
  sampleSteps: number;
  /** Overrides of the U-Net config (fresh runs only), e.g. {"channels": [32, 64, 128]}. */
  config?: Partial<UNetConfig>;
  /** Skip weights/ and the figures at the end (smoke runs). */
  noExport?: boolean;
  /** Upsampler: residual scale (0: plain x₀ diffusion). Also switches a resumed plain run to residual (a fine-tune). */
  residual?: number;
  /** Resume even though CLIP's weights changed since the run started (continue on the new embeddings). */
  allowClipChange?: boolean;
  /** Threads sharing each batch (ml/decoder/data-parallel.ts): 1 = this thread only. */
  threads: number;
  /** Decay the learning rate linearly to 0 over the last this many steps before `steps` (0: constant). */
  cooldown: number;
  /** Channels of a full-resolution refinement head (UNetConfig.refine); on a resumed run without one, grows it on. */
  refine?: number;
  /** Add a learned position code to the stem (UNetConfig.pos); on a resumed run without one, grows it on. */
  pos?: boolean;
  /** Fraction of rows whose timestep is drawn from [highTFrom, T) (ml/diffusion drawTimesteps); a resumed run keeps its own unless given. */
  highT?: number;
  highTFrom: number;
  /** Decoder: fraction of rows conditioned on a cached prior sample for their caption (ml/decoder/prior-samples.ts); a resumed run keeps its own unless given. */
  priorCond?: number;
  /** Decoder: what a prior-conditioned row draws: its own image, or its caption's image nearest the sample (nearestRowPerCaption); a resumed run keeps its own unless given. */
  priorTarget?: PriorTarget;
}

export type PriorTarget = 'own' | 'nearest';

interface TrainState {
  step: number;
  totalSteps: number;
  rng: number;
  epoch: number;
  epochPos: number;
  imagesSeen: number;
  trainSeconds: number;
  /** [step, mean loss over the last 10 steps] */
  lossLog: [number, number][];
  batch: number;
  lr: number;
  warmup: number;
  emaDecay: number;
  seed: number;
  /** Decoder: the CLIP checkpoint (sha-256) of the embeddings trained on. */
  clipHash?: string;
  /** Upsampler: the step it switched from plain to residual diffusion (the EMA warms up again from there). */
  residualFrom?: number;
  /** Learning-rate cooldowns run so far: [first step, step the rate reaches 0]. */
  cooldowns?: [number, number][];
  /** The step a full-resolution refinement head was grown on (absent: it had one from the start, or has none). */
  refineFrom?: number;
  /** The step the position code was grown on (absent: it had one from the start, or has none). */
  posFrom?: number;
  /** Timestep bands trained with, from the step each began (absent: uniform t throughout). */
  highT?: ({ step: number } & TimestepBand)[];
  /** The exported model a fine-tuning run started from (repo-relative where inside the repo). */
  initFrom?: string;
  /** Fractions of rows conditioned on prior samples, from the step each began (absent: none). */
  priorCond?: { step: number; fraction: number; target?: PriorTarget }[];
}

type ModelConfig = DecoderConfig | UpsamplerConfig;

export function parseTrainArgs(model: ImageModelKind, argv: string[]): TrainOptions {
  const o: TrainOptions = {
    model,
    steps: 20000,
    batch: model === 'decoder' ? 32 : 24,
    lr: 2e-4,
    warmup: 500,
    emaDecay: 0.999,
    seed: 1,
    resume: false,
    runDir: join(REPO_ROOT, 'runs', model),
    weightsDir: join(REPO_ROOT, 'weights', model),
    clipDir: DEFAULT_CLIP_DIR,
    saveEveryMin: 5,
    gridEveryMin: 60,
    sampleSteps: 25,
    threads: 1,
    cooldown: 0,
    highTFrom: 700,
  };
  const args = new ArgvReader(argv);
  for (const a of args) {
    if (a === '--steps') o.steps = args.number();
    else if (a === '--batch') o.batch = args.number();
    else if (a === '--lr') o.lr = args.number();
    else if (a === '--warmup') o.warmup = args.number();
    else if (a === '--ema') o.emaDecay = args.number();
    else if (a === '--seed') o.seed = args.number();
    else if (a === '--resume') o.resume = true;
    else if (a === '--init-from') o.initFrom = resolve(args.value());
    else if (a === '--run-dir') o.runDir = resolve(args.value());
    else if (a === '--weights-dir') o.weightsDir = resolve(args.value());
    else if (a === '--clip-dir') o.clipDir = resolve(args.value());
    else if (a === '--save-every-min') o.saveEveryMin = args.number();
    else if (a === '--sample-steps') o.sampleSteps = args.number();
    else if (a === '--grid-every-min') o.gridEveryMin = args.number();
    else if (a === '--export-only') o.exportOnly = true;
    else if (a === '--config') o.config = JSON.parse(args.value()) as Partial<UNetConfig>;
    else if (a === '--no-export') o.noExport = true;
    else if (a === '--allow-clip-change') o.allowClipChange = true;
    else if (a === '--threads') o.threads = args.number();
    else if (a === '--cooldown') o.cooldown = args.number();
    else if (a === '--refine') o.refine = args.number();
    else if (a === '--pos') o.pos = true;
    else if (a === '--high-t') o.highT = args.number();
    else if (a === '--high-t-from') o.highTFrom = args.number();
    else if (a === '--prior-cond' && model === 'decoder') o.priorCond = args.number();
    else if (a === '--prior-target' && model === 'decoder') o.priorTarget = args.value() as PriorTarget;
    else if (a === '--residual' && model === 'upsampler') o.residual = args.number();
    else throw new Error(`unknown option ${a} (${model}: --steps N --batch B --lr X --warmup N --ema D --seed N --resume --init-from D --run-dir D --weights-dir D --clip-dir D --save-every-min M --grid-every-min M --sample-steps N --export-only --config JSON --no-export --allow-clip-change --threads N --cooldown N --refine C --pos --high-t F --high-t-from T${model === 'upsampler' ? ' --residual K' : ' --prior-cond F --prior-target own|nearest'})`);
  }
  if (!Number.isInteger(o.batch) || o.batch < 1) throw new Error(`--batch must be a positive integer, got ${o.batch}`);
  if (!Number.isInteger(o.cooldown) || o.cooldown < 0) throw new Error(`--cooldown must be a whole number of steps, got ${o.cooldown}`);
  if (o.highT !== undefined && !(o.highT >= 0 && o.highT <= 1)) throw new Error(`--high-t must be a fraction in [0, 1], got ${o.highT}`);
  if (o.priorCond !== undefined && !(o.priorCond >= 0 && o.priorCond <= 1)) throw new Error(`--prior-cond must be a fraction in [0, 1], got ${o.priorCond}`);
  if (o.priorTarget !== undefined && o.priorTarget !== 'own' && o.priorTarget !== 'nearest') throw new Error(`--prior-target must be own or nearest, got ${o.priorTarget}`);
  if (!Number.isInteger(o.highTFrom) || o.highTFrom < 0 || o.highTFrom > 999) throw new Error(`--high-t-from must be a timestep in 0..999, got ${o.highTFrom}`);
  if (!Number.isInteger(o.threads) || o.threads < 1 || o.threads > o.batch) throw new Error(`--threads must be an integer from 1 to the batch size (${o.batch}), got ${o.threads}`);
  return o;
}

/** The data a model trains on: training rows and a batch builder. */
interface DataSource {
  rows: number[];
  batch: (rows: number[], rand: () => number, noiseSeed: number, band?: TimestepBand) => DiffusionBatch;
}

async function dataFor(cfg: ModelConfig, o: TrainOptions, log: (s: string) => void, priorCond = 0, priorTarget: PriorTarget = 'own'): Promise<{ data: DataSource; corpus32: Corpus; corpus64?: Corpus; emb?: ImageEmbeddings }> {
  const corpus32 = await loadCorpus({ size: 32, onProgress: terminalBar('corpus 32') });
  const { train } = splitByStyle(corpus32.entries);
  const gather = (c: Corpus, rows: number[]) => {
    const p = c.size * c.size * 3;
    const out = new Uint8Array(rows.length * p);
    rows.forEach((r, i) => out.set(c.images.subarray(r * p, (r + 1) * p), i * p));
    return out;
  };
  if (cfg.kind === 'decoder') {
    const emb = await loadImageEmbeddings({ clipDir: o.clipDir, corpus: corpus32, onProgress: terminalBar('clip embeddings') });
    if (emb.dim !== cfg.unet.embDim) throw new Error(`CLIP embeddings are ${emb.dim} wide, the decoder takes ${cfg.unet.embDim}`);
    log(`[decoder] CLIP ${emb.weightsHash.slice(0, 16)}: ${emb.entries.length} image embeddings of width ${emb.dim}`);
    const D = emb.dim;
    const ps = priorCond > 0 ? await loadPriorSamples({ entries: corpus32.entries, rows: train, clipDir: o.clipDir, onProgress: terminalBar('prior samples') }) : undefined;
    if (ps && ps.dim !== D) throw new Error(`the prior samples are ${ps.dim} wide, the CLIP embeddings ${D}`);
    if (ps) log(`[decoder] ${Math.round(priorCond * 100)}% of rows conditioned on a prior sample for their caption (${ps.captions.length} captions, ${ps.dir}), drawing ${priorTarget === 'own' ? 'their own image' : "the caption's image nearest the sample"}`);
    const nearest = ps && priorTarget === 'nearest' ? nearestRowPerCaption(ps, emb.embeddings) : undefined;
    return {
      corpus32,
      emb,
      data: {
        rows: train,
        batch: (rows, rand, seed, band) => {
          const e = new Float32Array(rows.length * D);
          const drawn = rows.map((r, i) => {
            // rand is drawn only when prior samples are on, so runs without them keep their RNG stream.
            const c = ps && rand() < priorCond ? ps.captionOf.get(r)! : -1;
            e.set(c >= 0 ? ps!.samples.subarray(c * D, (c + 1) * D) : emb.embeddings.subarray(r * D, (r + 1) * D), i * D);
            return c >= 0 && nearest ? nearest[c]! : r;
          });
          return decoderBatch(cfg, gather(corpus32, drawn), e, rows.length, rand, seed, band);
        },
      },
    };
  }
  const corpus64 = await loadCorpus({ size: 64, onProgress: terminalBar('corpus 64') });
  if (corpus64.entries.length !== corpus32.entries.length || corpus64.entries.some((e, i) => e.key !== corpus32.entries[i]!.key)) {
    throw new Error('the 32x32 and 64x64 corpora list different icons: rebuild the caches (npm run data)');
  }
  return { corpus32, corpus64, data: { rows: train, batch: (rows, rand, seed, band) => upsamplerBatch(cfg, gather(corpus64, rows), gather(corpus32, rows), rows.length, rand, seed, band) } };
}

export async function trainImageModel(o: TrainOptions): Promise<void> {
  const tag = `[${o.model}]`;
  const log = (s: string) => process.stderr.write(s + '\n');
  if (o.exportOnly) {
    await exportWeights(o.model, o.runDir, o.weightsDir, { sampleSteps: o.sampleSteps, clipDir: o.clipDir });
    return;
  }

  // ---- model and state: fresh or resumed -------------------------------------------------------
  let cfg: ModelConfig;
  let init: Record<string, tf.Tensor> | undefined;
  let saved: Record<string, tf.Tensor> | undefined;
  let st: TrainState;
  // The state a run starts from at step 0 (fresh, or fine-tuning from --init-from).
  const freshState = (): TrainState => ({ step: 0, totalSteps: o.steps, rng: (o.seed * 2654435761) >>> 0, epoch: 0, epochPos: 0, imagesSeen: 0, trainSeconds: 0, lossLog: [], batch: o.batch, lr: o.lr, warmup: o.warmup, emaDecay: o.emaDecay, seed: o.seed });
  if (o.resume && hasCheckpoint(o.runDir)) {
    const ck = loadCheckpoint(o.runDir);
    cfg = ck.config as ModelConfig;
    if (cfg.kind !== o.model) throw new Error(`${o.runDir} holds a ${cfg.kind} run, not ${o.model}`);
    init = ck.tensors;
    st = ck.state!.json as TrainState;
    saved = ck.state!.tensors;
    st.totalSteps = o.steps;
    if (cfg.kind === 'upsampler' && o.residual !== undefined && o.residual !== residualScale(cfg)) {
      log(`${tag} residual scale ${residualScale(cfg)} → ${o.residual} from step ${st.step}: the run now learns (x₀ − bilinear)·${o.residual}`);
      cfg.residual = o.residual;
      st.residualFrom = st.step;
    }
    if (o.refine !== undefined && o.refine !== (cfg.unet.refine ?? 0)) {
      if (cfg.unet.refine) {
        tf.dispose([...Object.values(init), ...Object.values(saved)]);
        throw new Error(`${tag} this run already has a ${cfg.unet.refine}-channel refinement head; it cannot change width`);
      }
      log(`${tag} growing a ${o.refine}-channel full-resolution refinement head onto the run at step ${st.step} (zero-initialised: the function is unchanged until it trains)`);
      cfg.unet.refine = o.refine;
      st.refineFrom = st.step;
    }
    if (o.pos && !cfg.unet.pos) {
      log(`${tag} growing a position code onto the run at step ${st.step} (zero-initialised: the function is unchanged until it trains)`);
      cfg.unet.pos = true;
      st.posFrom = st.step;
    }
    log(`${tag} resumed ${o.runDir} at step ${st.step} (${st.imagesSeen} images seen), training to step ${o.steps}`);
  } else if (o.initFrom) {
    if (o.resume) log(`${tag} --resume: no checkpoint in ${o.runDir}, starting from ${o.initFrom}`);
    if (o.config || o.refine !== undefined || o.pos || o.residual !== undefined) throw new Error(`${tag} --config, --refine, --pos and --residual cannot change a model loaded with --init-from (its config comes with its weights)`);
    ({ config: cfg, tensors: init } = loadInitialWeights<ModelConfig>(o.initFrom, (c) => (c.kind === o.model ? null : `holds a ${c.kind}, not a ${o.model}`)));
    st = { ...freshState(), initFrom: relative(REPO_ROOT, o.initFrom) };
    // The CLIP check below then refuses a decoder made for another CLIP, as it does a resumed run.
    if (cfg.kind === 'decoder' && cfg.clipHash) st.clipHash = cfg.clipHash;
    log(`${tag} fresh run from the weights in ${o.initFrom}, training to step ${o.steps}`);
  } else {
    if (o.resume) log(`${tag} --resume: no checkpoint in ${o.runDir}, starting fresh`);
    cfg = o.model === 'decoder' ? decoderConfig(128, o.config) : upsamplerConfig(o.config);
    if (o.refine) cfg.unet.refine = o.refine;
    if (o.pos) cfg.unet.pos = true;
    if (cfg.kind === 'upsampler' && o.residual !== undefined) cfg.residual = o.residual;
    st = freshState();
  }
  if (cfg.kind === 'decoder') {
    const now = clipWeightsHash(o.clipDir);
    if (st.clipHash && st.clipHash !== now) {
      if (!o.allowClipChange) {
        tf.dispose([...Object.values(init ?? {}), ...Object.values(saved ?? {})]);
        throw new Error(`${tag} this run was trained on the embeddings of CLIP ${st.clipHash.slice(0, 16)}, but ${o.clipDir} now holds ${now.slice(0, 16)}. ` +
          'Start a fresh run (without --resume, or another --run-dir), or pass --allow-clip-change to continue on the new embeddings.');
      }
      log(`${tag} CLIP changed (${st.clipHash.slice(0, 16)} → ${now.slice(0, 16)}): continuing on the new embeddings (--allow-clip-change)`);
    }
    st.clipHash = now;
    cfg.clipHash = now;
  }
  const lastCond = st.priorCond?.at(-1);
  const fraction = o.priorCond ?? lastCond?.fraction ?? 0;
  const target = o.priorTarget ?? lastCond?.target ?? 'own';
  if (fraction !== (lastCond?.fraction ?? 0) || target !== (lastCond?.target ?? 'own')) {
    st.priorCond = [...(st.priorCond ?? []).filter((b) => b.step < st.step), { step: st.step, fraction, ...(target === 'own' ? {} : { target }) }];
  }
  const { data, corpus32, corpus64, emb } = await dataFor(cfg, o, log, fraction, target);
  // A part grown on at this step (the head, the position code) has no parameters in the checkpoint yet.
  const grow = (st.refineFrom === st.step || st.posFrom === st.step) && init !== undefined;
  const net: UNet = cfg.kind === 'decoder' ? createDecoderNet(cfg, { tensors: init, seed: st.seed, grow }) : createUpsamplerNet(cfg, { tensors: init, seed: st.seed, grow });
  if (net.grown.length) log(`${tag} new parameters: ${net.grown.join(', ')}`);
  if (init) tf.dispose(Object.values(init));
  const trainer = new Trainer(net, { lr: st.lr, emaDecay: st.emaDecay });
  if (saved) {
    await trainer.restore(saved, st.step);
    tf.dispose(Object.values(saved));
  }
  // After a change of target the old EMA averages the wrong function: restart it from the raw weights.
  if (st.residualFrom !== undefined) trainer.restartEma(st.residualFrom, st.residualFrom === st.step);
  const parallel = new DataParallel(net, cfg.kind, cfg.prediction, o.threads);
  log(`${tag} ${net.size} parameters; ${data.rows.length} training images; batch ${st.batch} on ${o.threads} thread${o.threads > 1 ? 's' : ''}; config ${JSON.stringify(cfg)}`);
  mkdirSync(o.runDir, { recursive: true });
  // `kill -TERM $(cat runs/<model>/train.pid)` stops it cleanly (saves, exports), whatever wrapper (npm, tsx) started it.
  writeFileSync(join(o.runDir, 'train.pid'), `${process.pid}\n`);

  const rng = new Rng(st.rng);
  const orderFor = (epoch: number) => shuffle(data.rows, new Rng((st.seed * 7919 + epoch) >>> 0));
  let order = orderFor(st.epoch);
  const nextRows = () => {
    const rows: number[] = [];
    while (rows.length < st.batch) {
      if (st.epochPos >= order.length) {
        st.epoch++;
        st.epochPos = 0;
        order = orderFor(st.epoch);
      }
      rows.push(order[st.epochPos++]!);
    }
    return rows;
  };
  // A cooldown that already ended (an earlier session's) is warmed up from; this run's own is not.
  const rewarmFrom = st.cooldowns?.filter(([, end]) => end <= st.step).at(-1)?.[1];
  const lrAt = (step: number) => warmupConstantCooldown(step, { lr: st.lr, warmup: st.warmup, total: st.totalSteps, cooldown: o.cooldown, rewarmFrom });
  if (o.cooldown > 0) {
    const span: [number, number] = [Math.max(st.step, st.totalSteps - o.cooldown), st.totalSteps];
    // A cooldown recorded by an earlier invocation that had not finished is replaced by this one.
    st.cooldowns = [...(st.cooldowns ?? []).filter(([, end]) => end <= st.step), span];
    log(`${tag} learning rate ${st.lr} decays linearly to 0 over steps ${st.totalSteps - o.cooldown}–${st.totalSteps}`);
  }
  if (o.highT !== undefined && (o.highT !== (st.highT?.at(-1)?.fraction ?? 0) || (o.highT > 0 && o.highTFrom !== st.highT?.at(-1)?.from))) {
    // Recorded with the step it starts at, so the model card can say which steps trained how.
    st.highT = [...(st.highT ?? []).filter((b) => b.step < st.step), { step: st.step, fraction: o.highT, from: o.highTFrom }];
  }
  const band = st.highT?.at(-1);
  if (band && band.fraction > 0) log(`${tag} ${Math.round(band.fraction * 100)}% of rows draw their timestep from [${band.from}, 1000) (since step ${band.step}), the rest from [0, 1000)`);
  if (rewarmFrom !== undefined && st.step < rewarmFrom + st.warmup) log(`${tag} warming the learning rate up again after the cooldown that ended at step ${rewarmFrom}`);

  const save = async () => {
    st.rng = rng.state;
    const state = await trainer.state();
    saveCheckpoint(o.runDir, { config: cfg, tensors: net.tensors(), state: { json: st, tensors: state }, metadata: { model: cfg.kind, step: String(st.step) } });
    state['adam/iterations']?.dispose();
  };

  const stop = new StopOnSignal(() =>
    log(`\n${tag} signal: finishing this step, saving${o.noExport ? '' : ', exporting'}`),
  );

  const grid = async () => {
    const w = trainer.shippedWeights();
    const m = cfg.kind === 'decoder' ? makeDecoder(cfg, w) : makeUpsampler(cfg, w);
    const path = join(o.runDir, `samples-step-${String(st.step).padStart(6, '0')}.png`);
    try {
      await writeSampleGrid(m, path, { corpus32, corpus64, emb, sampleSteps: o.sampleSteps });
    } finally {
      m.dispose();
    }
    log(`\n${tag} step ${st.step}: wrote ${path}`);
  };

  const bar = terminalBar(o.model);
  let lastSave = Date.now();
  let lastGrid = Date.now();
  const lossMean = new LossMean(10);
  const throughput = new Throughput();
  let gnorm = 0;
  try {
    while (st.step < st.totalSteps && !stop.stopping) {
      await new Promise((r) => setImmediate(r)); // let SIGINT/SIGTERM handlers run
      const t0 = Date.now();
      const rows = nextRows();
      const batch = data.batch(rows, rng.next, (Math.imul(st.seed, 1000003) + st.step) >>> 0, band);
      trainer.learningRate = lrAt(st.step);
      let r: { loss: number; gradNorm: number };
      try {
        r = await parallel.step(trainer, batch, (b) => diffusionLoss(net, cfg.prediction, b));
      } finally {
        disposeBatch(batch);
      }
      if (!Number.isFinite(r.loss)) throw new Error(`loss is ${r.loss} at step ${st.step}; last checkpoint in ${o.runDir}`);
      st.step++;
      st.imagesSeen += rows.length;
      st.trainSeconds += (Date.now() - t0) / 1000;
      gnorm = r.gradNorm;
      throughput.add(rows.length);
      const mean = lossMean.add(r.loss);
      if (mean !== undefined) st.lossLog.push([st.step, Math.round(mean * 1e5) / 1e5]);
      const now = Date.now();
      if (throughput.elapsedMs(now) > 5000 || throughput.perSecond === 0) throughput.measure(now);
      const last = st.lossLog[st.lossLog.length - 1];
      bar(st.step, st.totalSteps, { loss: last?.[1] ?? r.loss, 'img/s': Math.round(throughput.perSecond * 10) / 10, gnorm: gnorm, epoch: st.epoch });
      if (now - lastSave > o.saveEveryMin * 60_000) {
        await save();
        lastSave = Date.now();
      }
      if (o.gridEveryMin > 0 && now - lastGrid > o.gridEveryMin * 60_000) {
        await grid();
        lastGrid = Date.now();
      }
    }
    await save();
  } finally {
    stop.dispose();
    await parallel.close();
  }
  log(`${tag} saved ${o.runDir} at step ${st.step}; ${st.imagesSeen} images seen in ${(st.trainSeconds / 60).toFixed(1)} min of steps`);
  trainer.dispose();
  net.dispose();
  if (!o.noExport) await exportWeights(o.model, o.runDir, o.weightsDir, { corpus32, corpus64, emb, sampleSteps: o.sampleSteps });
}

/**
 * Copy a run's EMA weights (no optimizer state) into `weightsDir`, with training.json, the loss
 * curve and the sample grid.
 */
export async function exportWeights(
  model: ImageModelKind,
  runDir: string,
  weightsDir: string,
  opts: { corpus32?: Corpus; corpus64?: Corpus; emb?: ImageEmbeddings; sampleSteps?: number; clipDir?: string } = {},
): Promise<void> {
  const ck = loadCheckpoint(runDir);
  const cfg = ck.config as ModelConfig;
  if (cfg.kind !== model) throw new Error(`${runDir} holds a ${cfg.kind} run, not ${model}`);
  const st = ck.state?.json as TrainState | undefined;
  const state = ck.state?.tensors ?? {};
  // The EMA is what ships; the raw weights only when the run kept no EMA.
  const weights: Record<string, tf.Tensor> = {};
  for (const [n, t] of Object.entries(ck.tensors)) weights[n] = state[`ema/${n}`] ?? t;
  mkdirSync(weightsDir, { recursive: true });
  saveCheckpoint(weightsDir, { config: cfg, tensors: weights, metadata: { model, step: String(st?.step ?? ''), weights: state[`ema/${Object.keys(ck.tensors)[0]}`] ? 'ema' : 'raw' } });
  const m = model === 'decoder' ? makeDecoder(cfg as DecoderConfig, weights) : makeUpsampler(cfg as UpsamplerConfig, weights);
  tf.dispose([...Object.values(ck.tensors), ...Object.values(state)]);
  try {
    if (st) {
      writeFileSync(join(weightsDir, 'training.json'), JSON.stringify({ step: st.step, imagesSeen: st.imagesSeen, trainSeconds: Math.round(st.trainSeconds), batch: st.batch, lr: st.lr, warmup: st.warmup, emaDecay: st.emaDecay, seed: st.seed, clipHash: st.clipHash, params: m.paramCount, lossLog: st.lossLog }, null, 1) + '\n');
      await lineChartPng(join(weightsDir, 'loss.png'), [{ name: 'v-prediction MSE (mean of 10 steps)', points: st.lossLog.map(([s, l]) => [s, l]) }], { title: `${model} training loss`, xLabel: 'step', yLabel: 'loss' });
    }
    await writeSampleGrid(m, join(weightsDir, 'samples.png'), opts);
    writeModelCard(join(weightsDir, 'README.md'), cfg, m.paramCount, st);
  } finally {
    m.dispose();
  }
  process.stderr.write(`[${model}] exported weights, training.json, loss.png, samples.png and README.md to ${weightsDir}\n`);
}

/**
 * weights/<model>/README.md, regenerated on every export from the run's figures. A `## Notes`
 * section already in the file (findings written by hand) is kept.
 */
function writeModelCard(path: string, cfg: ModelConfig, params: number, st: TrainState | undefined): void {
  const u = cfg.unet;
  const last = st?.lossLog.slice(-10) ?? [];
  const loss = last.length ? last.reduce((a, [, l]) => a + l, 0) / last.length : NaN;
  const dec = cfg.kind === 'decoder';
  const lines = [
    `# ${dec ? 'Decoder (CLIP image embedding → 32x32 image)' : 'Upsampler (32x32 → 64x64)'} — model card`,
    '',
    `Generated by \`npm run train -- ${cfg.kind}\` on export (ml/decoder/train.ts); see [ml/decoder/README.md](../../ml/decoder/README.md) for the architecture and why.`,
    '',
    `Files: \`model.safetensors\` (EMA weights, float32), \`config.json\`, \`training.json\` (figures and loss log), \`loss.png\`, \`samples.png\`.`,
    '',
    '## Model',
    '',
    `- ${params.toLocaleString('en-US')} parameters; U-Net ${u.stem === 's2d' ? `with a 2x2 space-to-depth stem (${u.imageSize}x${u.imageSize} in, runs at ${u.imageSize / 2}x${u.imageSize / 2})` : `at ${u.imageSize}x${u.imageSize}`}, channels ${u.channels.join('/')}, ${u.blocks} res-block(s) per level, attention at ${u.attnRes.length ? u.attnRes.map((r) => `${r}x${r}`).join(', ') : 'none'}${u.refine ? `; a ${u.refine}-channel full-resolution refinement head${st?.refineFrom !== undefined ? ` (grown on at step ${st.refineFrom.toLocaleString('en-US')})` : ''}` : ''}${u.pos ? `; a learned position code on the stem${st?.posFrom !== undefined ? ` (grown on at step ${st.posFrom.toLocaleString('en-US')})` : ''}` : ''}.`,
    dec
      ? `- Conditioned on the CLIP image embedding (${u.embDim} wide) added to the timestep embedding and as ${u.contextTokens} context tokens every attention layer attends to; embedding dropped for ${Math.round((cfg as DecoderConfig).condDrop * 100)}% of training rows (learned null embedding) for classifier-free guidance. CLIP weights: \`${(cfg as DecoderConfig).clipHash?.slice(0, 16) ?? 'unknown'}\` (sha-256 prefix).`
      : `- Conditioned on the 32x32 image (upsampled, concatenated); trained with blur (${Math.round((cfg as UpsamplerConfig).blurProb * 100)}% of rows) and noise augmentation of it (level 0–${(cfg as UpsamplerConfig).augMax}); inference level ${(cfg as UpsamplerConfig).augLevel}.${(cfg as UpsamplerConfig).residual ? ` Diffuses the residual (x₀ − bilinear enlargement)·${(cfg as UpsamplerConfig).residual} and adds it back${st?.residualFrom !== undefined ? ` (since step ${st.residualFrom.toLocaleString('en-US')}; before it, plain x₀ diffusion)` : ''}.` : ''}`,
    `- Prediction: ${cfg.prediction}; cosine schedule, 1000 steps; sampled with ml/diffusion (DDPM, DDIM, DPM-Solver++(2M)).`,
    '',
    '## Training',
    '',
    st
      ? `- ${st.step} steps at batch ${st.batch} (${st.imagesSeen.toLocaleString('en-US')} images seen, ${st.epoch} full passes), ${(st.trainSeconds / 3600).toFixed(2)} hours of steps on this 2-core CPU (wasm; one thread, or two with \`--threads 2\`); Adam ${st.lr}, warm-up ${st.warmup}, EMA ${st.emaDecay}, seed ${st.seed}${st.cooldowns?.length ? `; learning rate decayed linearly to 0 over steps ${st.cooldowns.map(([a, b]) => `${a.toLocaleString('en-US')}–${b.toLocaleString('en-US')}`).join(', ')}` : ''}${st.highT?.some((b) => b.fraction > 0) ? `; timesteps: ${st.highT.map((b) => (b.fraction > 0 ? `from step ${b.step.toLocaleString('en-US')}, ${Math.round(b.fraction * 100)}% of rows drawn from t ∈ [${b.from}, 1000)` : `from step ${b.step.toLocaleString('en-US')}, uniform`)).join('; ')}${st.highT[0]!.step > 0 ? ' (uniform before)' : ''}` : ''}${st.priorCond?.some((b) => b.fraction > 0) ? `; conditioned on a cached prior sample for the row's caption instead of its own embedding: ${st.priorCond.map((b) => `from step ${b.step.toLocaleString('en-US')}, ${Math.round(b.fraction * 100)}% of rows${b.target === 'nearest' ? ", drawing the caption's image nearest the sample" : ''}`).join('; ')}` : ''}. Final loss (mean of the last 100 steps): ${Number.isFinite(loss) ? loss.toFixed(4) : 'n/a'}.`
      : '- (no training state in the run folder)',
    '',
    '![loss](loss.png)',
    '',
    '![samples](samples.png)',
    '',
    '## Data and licences',
    '',
    'The emoji corpus of ml/data: every style except the held-out twemoji (evaluation only). The sets are Noto Emoji (Apache-2.0, Google), OpenMoji (CC BY-SA 4.0, share-alike), Fluent Emoji Flat (MIT, Microsoft), Emoji One 2.3 (CC BY 4.0), Firefox OS Emoji (Apache-2.0, Mozilla), Streamline Emojis (CC BY 4.0); versions, authors and counts in [ml/data/LICENSES.md](../../ml/data/LICENSES.md).',
    '',
  ];
  writeCard(path, lines);
}

/**
 * The sample grid of held-out images: decoder — original, then decoded from its CLIP embedding
 * with seeds 1-3 at guidance 3 and seed 1 unguided; upsampler — 32x32 input, output, real 64x64.
 */
export async function writeSampleGrid(
  m: Decoder | Upsampler,
  path: string,
  opts: { corpus32?: Corpus; corpus64?: Corpus; emb?: ImageEmbeddings; sampleSteps?: number; clipDir?: string; title?: string } = {},
): Promise<void> {
  const corpus32 = opts.corpus32 ?? (await loadCorpus({ size: 32 }));
  const rows = gridRows(corpus32);
  const steps = opts.sampleSteps ?? 25;
  const px32 = 32 * 32 * 3;
  const pick32 = (r: number) => corpus32.images.slice(r * px32, (r + 1) * px32);
  const toBytes = async (x: tf.Tensor4D) => {
    const v = await x.data();
    return Uint8Array.from(v, (f) => Math.round(f * 255));
  };
  if (m.config.kind === 'decoder') {
    const dec = m as Decoder;
    const emb = opts.emb ?? (await loadImageEmbeddings({ clipDir: opts.clipDir, corpus: corpus32, rows }));
    const mismatch = dec.clipMismatch(emb.weightsHash);
    if (mismatch) process.stderr.write(`[decoder] warning: ${mismatch}; the sample grid uses the current CLIP's embeddings\n`);
    const D = emb.dim;
    const idx = opts.emb ? rows : rows.map((_, i) => i);
    const e = new Float32Array(rows.length * D);
    idx.forEach((r, i) => e.set(emb.embeddings.subarray(r * D, (r + 1) * D), i * D));
    const et = tf.tensor2d(e, [rows.length, D]);
    const cols: Uint8Array[][] = rows.map((r) => [pick32(r)]);
    try {
      for (const [seed, guidance] of [[1, 3], [2, 3], [3, 3], [1, 1]] as const) {
        const img = await dec.decode({ embeddings: et, steps, sampler: 'dpmpp2m', guidance, seed });
        const bytes = await toBytes(img);
        img.dispose();
        rows.forEach((_, i) => cols[i]!.push(bytes.slice(i * px32, (i + 1) * px32)));
      }
    } finally {
      et.dispose();
    }
    const grid: GridRow[] = rows.map((r, i) => ({ label: corpus32.entries[r]!.label, images: cols[i]! }));
    await imageGridPng(path, grid, 32, { scale: 3, title: opts.title ?? `held-out original | decoded: seeds 1-3 guidance 3, seed 1 unguided (${steps} steps)` });
  } else {
    const up = m as Upsampler;
    const corpus64 = opts.corpus64 ?? (await loadCorpus({ size: 64 }));
    const px64 = 64 * 64 * 3;
    const low = new Float32Array(rows.length * px32);
    rows.forEach((r, i) => low.set(Float32Array.from(pick32(r), (b) => b / 255), i * px32));
    const lt = tf.tensor4d(low, [rows.length, 32, 32, 3]);
    let outBytes: Uint8Array;
    try {
      const out = await up.upsample({ images: lt, steps: Math.min(steps, 25), seed: 1 });
      outBytes = await toBytes(out);
      out.dispose();
    } finally {
      lt.dispose();
    }
    const grid: GridRow[] = rows.map((r, i) => ({
      label: corpus32.entries[r]!.label,
      images: [nearest2x(pick32(r), 32), outBytes.slice(i * px64, (i + 1) * px64), corpus64.images.slice(r * px64, (r + 1) * px64)],
    }));
    await imageGridPng(path, grid, 64, { scale: 2, title: opts.title ?? 'held-out: 32x32 input (nearest x2) | upsampled 64x64 | real 64x64 render' });
  }
}

const GRID_LABELS = ['red apple', 'rocket', 'dog face', 'pizza', 'red heart', 'snowman', 'sun', 'automobile', 'guitar', 'birthday cake', 'smiling face with sunglasses', 'flag: japan'];

/** Held-out rows for the sample grid: the listed concepts where the held-out style has them, else the first ones. */
export function gridRows(corpus: Corpus, n = 8): number[] {
  const { heldout } = splitByStyle(corpus.entries);
  const out: number[] = [];
  for (const label of GRID_LABELS) {
    const r = heldout.find((i) => corpus.entries[i]!.label === label && corpus.entries[i]!.tone.length === 0);
    if (r !== undefined && out.length < n) out.push(r);
  }
  for (const r of heldout) {
    if (out.length >= n) break;
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

function nearest2x(img: Uint8Array, s: number): Uint8Array {
  const out = new Uint8Array(4 * s * s * 3);
  for (let y = 0; y < 2 * s; y++) {
    for (let x = 0; x < 2 * s; x++) {
      const src = ((y >> 1) * s + (x >> 1)) * 3;
      const dst = (y * 2 * s + x) * 3;
      out[dst] = img[src]!;
      out[dst + 1] = img[src + 1]!;
      out[dst + 2] = img[src + 2]!;
    }
  }
  return out;
}
