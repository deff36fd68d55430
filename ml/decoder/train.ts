// Training of the decoder (32x32 images from CLIP image embeddings) and the upsampler (32→64):
//
//   npm run train -- decoder   [--steps N] [--batch B] [--resume] [--lr X] ...
//   npm run train -- upsampler [--steps N] [--batch B] [--resume] [--lr X] ...
//
// Each step: a batch of B images from a shuffled pass over the training rows (train-data.ts),
// uniform timesteps (or a share drawn from a high-noise band: --high-t), v-prediction MSE, Adam
// with linear warm-up then a constant rate (and a cooldown at the end: --cooldown), gradient norm
// clipped to 1, an EMA of the weights (what is shipped). Decoder rows have their embedding replaced
// by the learned null embedding with probability condDrop (0.1) for guidance. --threads N shares
// each batch with worker threads (data-parallel.ts).
//
// The loop, checkpoints, --resume and --init-from are the shared ones (ml/training). What is the
// image models' own: a resumed run can grow parts onto the net (--refine, --pos), switch the
// upsampler to residual diffusion (--residual), and change its timestep band or prior-sample share,
// each recorded in the run state with the step it began; the decoder's run records the CLIP it
// was trained on and refuses another unless --allow-clip-change. At the end the EMA weights go to
// weights/<model> (export.ts).
import { join } from 'node:path';
import { z } from 'zod';
import { clipWeightsHash } from '../clip-embeddings.js';
import { DEFAULT_CLIP_DIR } from '../clip/index.js';
import type { Autoencoder, AutoencoderConfig } from '../autoencoder/model.js';
import { readCheckpointConfig } from '../checkpoint.js';
import { REPO_ROOT, commonFlags, folder, fraction, parseFlags, positiveWhole, wholeNumber } from '../training/flags.js';
import { TrainingRun } from '../training/loop.js';
import { type Start, disposeStart, startRun } from '../training/start.js';
import { EpochOrder } from '../training/state.js';
import { Trainer } from '../training/trainer.js';
import { DataParallel } from './data-parallel.js';
import { type ImageModelKind, type ImageRunState, type ModelConfig, IMAGE_OPTIM, exportWeights, writeSampleGrid } from './export.js';
import { makeDecoder, makeUpsampler } from './index.js';
import { latentSpec, loadAutoencoderFor } from './latent.js';
import { createDecoderNet, decoderConfig, diffusionLoss, disposeBatch, latentDecoderConfig } from './model.js';
import { dataFor } from './train-data.js';
import type { UNet, UNetConfig } from './unet.js';
import { createUpsamplerNet, residualScale, upsamplerConfig } from './upsampler.js';

export type { ImageModelKind, PriorTarget } from './export.js';

const timestep = 'a timestep in 0..999';

/** Every image-model flag; each model drops the other's own (decoder: prior samples; upsampler: residual). */
function allFlags(model: ImageModelKind) {
  return commonFlags(model, { steps: 20000, batch: model === 'decoder' ? 32 : 24, lr: 2e-4, warmup: 500, ema: 0.999 }).extend({
    clipDir: folder().default(DEFAULT_CLIP_DIR),
    /** Write a sample grid of the EMA weights to the run folder every this many minutes (0: only at the end). */
    gridEveryMin: z.number().min(0, 'must be a number of minutes').default(60),
    /** Sampling steps of the sample grids. */
    sampleSteps: positiveWhole().default(25),
    /** Overrides of the U-Net config (fresh runs only), e.g. {"channels": [32, 64, 128]}. */
    config: z.record(z.unknown()).optional(),
    /** Resume even though CLIP's weights changed since the run started (continue on the new embeddings). */
    allowClipChange: z.boolean().default(false),
    /** Threads sharing each batch (data-parallel.ts): 1 = this thread only. */
    threads: z.number().default(1),
    /** Decay the learning rate linearly to 0 over the last this many steps before --steps (0: constant). */
    cooldown: wholeNumber('a whole number of steps').default(0),
    /** Channels of a full-resolution refinement head (UNetConfig.refine); on a resumed run without one, grows it on. */
    refine: positiveWhole().optional(),
    /** Add a learned position code to the stem (UNetConfig.pos); on a resumed run without one, grows it on. */
    pos: z.boolean().optional(),
    /** Fraction of rows whose timestep is drawn from [highTFrom, T); a resumed run keeps its own unless given. */
    highT: fraction().optional(),
    highTFrom: z.number().int(`must be ${timestep}`).min(0, `must be ${timestep}`).max(999, `must be ${timestep}`).default(700),
    /** Decoder: fraction of rows conditioned on a cached prior sample for their caption; a resumed run keeps its own unless given. */
    priorCond: fraction().optional(),
    /** Decoder: what a prior-conditioned row draws: its own image, or its caption's image nearest the sample. */
    priorTarget: z.enum(['own', 'nearest'], { errorMap: () => ({ message: 'must be own or nearest' }) }).optional(),
    /** Decoder, fresh runs: diffuse in the latent of the autoencoder in --autoencoder-dir (latent.ts) instead of in pixels. */
    latent: z.boolean().default(false),
    /** Decoder: the autoencoder a latent decoder trains with (its hash must match the one the run recorded). */
    autoencoderDir: folder().default(join(REPO_ROOT, 'weights', 'autoencoder')),
    /** Decoder: resume a latent run (or start from --init-from) although its autoencoder changed, continuing on the new latents. */
    allowAutoencoderChange: z.boolean().default(false),
    /** Export the weights as F16 (half the bytes; check the eval before shipping: ml/checkpoint.ts). */
    fp16: z.boolean().default(false),
    /** Upsampler: residual scale (0: plain x₀ diffusion). Also switches a resumed plain run to residual (a fine-tune). */
    residual: z.number().min(0, 'must be 0 or more').optional(),
  });
}

export type TrainOptions = z.output<ReturnType<typeof allFlags>> & { model: ImageModelKind };

/** The flags of one image model, with the check across flags: --threads shares a batch. */
export function imageFlags(model: ImageModelKind) {
  const all = allFlags(model);
  return model === 'decoder' ? threadsWithinBatch(all.omit({ residual: true })) : threadsWithinBatch(all.omit({ priorCond: true, priorTarget: true, latent: true, autoencoderDir: true, allowAutoencoderChange: true }));
}

function threadsWithinBatch<T extends z.AnyZodObject>(schema: T) {
  return schema.superRefine((v, ctx) => {
    const o = v as { threads: number; batch: number };
    if (!Number.isInteger(o.threads) || o.threads < 1 || o.threads > o.batch) ctx.addIssue({ code: 'custom', path: ['threads'], message: `must be an integer from 1 to the batch size (${o.batch})` });
  });
}

export function parseTrainArgs(model: ImageModelKind, argv: string[]): TrainOptions {
  return { ...(parseFlags(imageFlags(model), argv, model) as Omit<TrainOptions, 'model'>), model };
}

/** Grows, switches and CLIP checks a resumed or fine-tuned run gets from this invocation's flags. */
function adjustRun(s: Start<ModelConfig>, o: TrainOptions, log: (s: string) => void): void {
  const tag = `[${o.model}]`;
  const cfg = s.config;
  const st = s.st as ImageRunState;
  if (s.how === 'init') {
    if (o.refine !== undefined || o.pos || o.residual !== undefined) throw new Error(`${tag} --config, --refine, --pos and --residual cannot change a model loaded with --init-from (its config comes with its weights)`);
    // The CLIP check below then refuses a decoder made for another CLIP, as it does a resumed run.
    if (cfg.kind === 'decoder' && cfg.clipHash) st.clipHash = cfg.clipHash;
  }
  if (s.how === 'resume') {
    if (cfg.kind === 'upsampler' && o.residual !== undefined && o.residual !== residualScale(cfg)) {
      log(`${tag} residual scale ${residualScale(cfg)} → ${o.residual} from step ${st.step}: the run now learns (x₀ − bilinear)·${o.residual}`);
      cfg.residual = o.residual;
      st.residualFrom = st.step;
    }
    if (o.refine !== undefined && o.refine !== (cfg.unet.refine ?? 0)) {
      if (cfg.unet.refine) throw new Error(`${tag} this run already has a ${cfg.unet.refine}-channel refinement head; it cannot change width`);
      log(`${tag} growing a ${o.refine}-channel full-resolution refinement head onto the run at step ${st.step} (zero-initialised: the function is unchanged until it trains)`);
      cfg.unet.refine = o.refine;
      st.refineFrom = st.step;
    }
    if (o.pos && !cfg.unet.pos) {
      log(`${tag} growing a position code onto the run at step ${st.step} (zero-initialised: the function is unchanged until it trains)`);
      cfg.unet.pos = true;
      st.posFrom = st.step;
    }
  }
  if (cfg.kind === 'decoder') {
    const now = clipWeightsHash(o.clipDir);
    if (st.clipHash && st.clipHash !== now) {
      if (!o.allowClipChange) {
        throw new Error(`${tag} this run was trained on the embeddings of CLIP ${st.clipHash.slice(0, 16)}, but ${o.clipDir} now holds ${now.slice(0, 16)}. ` +
          'Start a fresh run (without --resume, or another --run-dir), or pass --allow-clip-change to continue on the new embeddings.');
      }
      log(`${tag} CLIP changed (${st.clipHash.slice(0, 16)} → ${now.slice(0, 16)}): continuing on the new embeddings (--allow-clip-change)`);
    }
    st.clipHash = now;
    cfg.clipHash = now;
    if (cfg.latent) {
      // A decoder diffuses in one autoencoder's latent space; a retrained autoencoder's is a near
      // relative when it continued the same run, so fine-tuning onto it beats starting afresh.
      const spec = latentSpec(o.autoencoderDir);
      if (spec.hash !== cfg.latent.hash) {
        if (!o.allowAutoencoderChange) {
          throw new Error(`${tag} this decoder diffuses in the latent of autoencoder ${cfg.latent.hash.slice(0, 16)}, but ${o.autoencoderDir} holds ${spec.hash.slice(0, 16)}. ` +
            'Point --autoencoder-dir at that autoencoder, or pass --allow-autoencoder-change to continue on the new latents.');
        }
        log(`${tag} autoencoder changed (${cfg.latent.hash.slice(0, 16)} → ${spec.hash.slice(0, 16)}): continuing on its latents (--allow-autoencoder-change)`);
        st.autoencoderFrom = [...(st.autoencoderFrom ?? []), st.step];
      }
      cfg.latent = spec;
    }
  }
  // Bands and prior-sample shares are recorded with the step they start at, so the model card can say which steps trained how.
  const lastCond = st.priorCond?.at(-1);
  const fraction = o.priorCond ?? lastCond?.fraction ?? 0;
  const target = o.priorTarget ?? lastCond?.target ?? 'own';
  if (fraction !== (lastCond?.fraction ?? 0) || target !== (lastCond?.target ?? 'own')) {
    st.priorCond = [...(st.priorCond ?? []).filter((b) => b.step < st.step), { step: st.step, fraction, ...(target === 'own' ? {} : { target }) }];
  }
  if (o.highT !== undefined && (o.highT !== (st.highT?.at(-1)?.fraction ?? 0) || (o.highT > 0 && o.highTFrom !== st.highT?.at(-1)?.from))) {
    st.highT = [...(st.highT ?? []).filter((b) => b.step < st.step), { step: st.step, fraction: o.highT, from: o.highTFrom }];
  }
}

export async function trainImageModel(o: TrainOptions): Promise<void> {
  const tag = `[${o.model}]`;
  const log = (s: string) => process.stderr.write(s + '\n');
  if (o.exportOnly) {
    await exportWeights(o.model, o.runDir, o.weightsDir, { sampleSteps: o.sampleSteps, clipDir: o.clipDir, half: o.fp16 });
    return;
  }
  const s = await startRun<ModelConfig>(o, {
    model: o.model,
    optim: { emaDecay: o.ema, ...IMAGE_OPTIM },
    check: (c) => (c.kind === o.model ? null : `holds a ${c.kind}, not a ${o.model}`),
    fresh: async () => {
      const unet = o.config as Partial<UNetConfig> | undefined;
      const cfg = o.model === 'upsampler' ? upsamplerConfig(unet) : o.latent ? latentDecoderConfig(128, readCheckpointConfig<AutoencoderConfig>(o.autoencoderDir), latentSpec(o.autoencoderDir), unet) : decoderConfig(128, unet);
      if (o.refine) cfg.unet.refine = o.refine;
      if (o.pos) cfg.unet.pos = true;
      if (cfg.kind === 'upsampler' && o.residual !== undefined) cfg.residual = o.residual;
      return { config: cfg };
    },
  }, log);
  try {
    adjustRun(s, o, log);
  } catch (e) {
    disposeStart(s);
    throw e;
  }
  const cfg = s.config;
  const st = s.st as ImageRunState;
  const cond = st.priorCond?.at(-1);
  let ae: Autoencoder | undefined;
  try {
    ae = cfg.kind === 'decoder' && cfg.latent ? loadAutoencoderFor(cfg.latent, o.autoencoderDir) : undefined;
  } catch (e) {
    disposeStart(s);
    throw e;
  }
  if (ae) log(`${tag} diffusing in the ${cfg.unet.imageSize}x${cfg.unet.imageSize}x${cfg.unet.outChannels} latent of the autoencoder in ${o.autoencoderDir}`);
  const { data, corpus32, corpus64, emb } = await dataFor(cfg, o.clipDir, log, cond?.fraction ?? 0, cond?.target ?? 'own', ae);
  // A part grown on at this step (the head, the position code) has no parameters in the checkpoint yet.
  const grow = (st.refineFrom === st.step || st.posFrom === st.step) && s.init !== undefined;
  const net: UNet = cfg.kind === 'decoder' ? createDecoderNet(cfg, { tensors: s.init, seed: st.seed, grow }) : createUpsamplerNet(cfg, { tensors: s.init, seed: st.seed, grow });
  if (net.grown.length) log(`${tag} new parameters: ${net.grown.join(', ')}`);
  const trainer = await Trainer.forRun(net, s);
  // After a change of target the old EMA averages the wrong function: restart it from the raw weights.
  if (st.residualFrom !== undefined) trainer.restartEma(st.residualFrom, st.residualFrom === st.step);
  const parallel = new DataParallel(net, cfg.kind, cfg.prediction, o.threads);
  log(`${tag} ${net.size} parameters; ${data.rows.length} training images; batch ${st.batch} on ${o.threads} thread${o.threads > 1 ? 's' : ''}; config ${JSON.stringify(cfg)}`);
  const run = new TrainingRun({ model: o.model, runDir: o.runDir, saveEveryMin: o.saveEveryMin, config: cfg, st, net, trainer, schedule: { kind: 'constant', cooldown: o.cooldown }, lossDigits: 5, unit: 'img/s', onSignal: o.noExport ? '' : ', exporting' });
  const band = st.highT?.at(-1);
  if (band && band.fraction > 0) log(`${tag} ${Math.round(band.fraction * 100)}% of rows draw their timestep from [${band.from}, 1000) (since step ${band.step}), the rest from [0, 1000)`);
  const order = new EpochOrder(data.rows, st);
  const grid = async () => {
    const w = trainer.shippedWeights();
    const m = cfg.kind === 'decoder' ? makeDecoder(cfg, w, { autoencoder: ae }) : makeUpsampler(cfg, w);
    const path = join(o.runDir, `samples-step-${String(st.step).padStart(6, '0')}.png`);
    try {
      await writeSampleGrid(m, path, { corpus32, corpus64, emb, sampleSteps: o.sampleSteps });
    } finally {
      m.dispose();
    }
    log(`\n${tag} step ${st.step}: wrote ${path}`);
  };
  try {
    await run.train({
      draw: () => {
        const rows = Array.from({ length: st.batch }, () => order.next());
        return data.batch(rows, run.rng.next, (Math.imul(st.seed, 1000003) + st.step) >>> 0, band);
      },
      samples: (b) => b.x0.shape[0],
      step: (b) => parallel.step(trainer, b, (x) => diffusionLoss(net, cfg.prediction, x)),
      disposeBatch,
      bar: (r) => ({ gnorm: r.gradNorm, epoch: st.epoch }),
      every: [{ minutes: o.gridEveryMin, run: grid }],
    });
  } finally {
    await parallel.close();
  }
  trainer.dispose();
  net.dispose();
  try {
    if (!o.noExport) await exportWeights(o.model, o.runDir, o.weightsDir, { corpus32, corpus64, emb, sampleSteps: o.sampleSteps, autoencoder: ae, half: o.fp16 });
  } finally {
    ae?.dispose();
  }
}
