// What a decoder or upsampler run leaves in weights/<model>: the EMA weights, training.json, the
// loss curve, the sample grid of held-out images and a generated model card. Also the sample grid
// the run writes to its folder now and then (ml/decoder/train.ts).
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint.js';
import type { Autoencoder } from '../autoencoder/model.js';
import { type ImageEmbeddings, loadImageEmbeddings } from '../clip-embeddings.js';
import { type Corpus, loadCorpus, splitByStyle } from '../data/corpus.js';
import { type TimestepBand, withSchedule } from '../diffusion/index.js';
import { writeCard } from '../model-card.js';
import { imageGridPng, lineChartPng, type GridRow } from '../png.js';
import { type RunState, readRunState, shippedTensors } from '../training/state.js';
import { type Decoder, type Upsampler, makeDecoder, makeUpsampler } from './index.js';
import type { DecoderConfig } from './model.js';
import type { UpsamplerConfig } from './upsampler.js';

export type ImageModelKind = 'decoder' | 'upsampler';
export type ModelConfig = DecoderConfig | UpsamplerConfig;
export type PriorTarget = 'own' | 'nearest';

/** A decoder or upsampler run's state: the shared run state and what these models add. */
export type ImageRunState = RunState & {
  /** Decoder: the CLIP checkpoint (sha-256) of the embeddings trained on. */
  clipHash?: string;
  /** Upsampler: the step it switched from plain to residual diffusion (the EMA warms up again from there). */
  residualFrom?: number;
  /** The step a full-resolution refinement head was grown on (absent: it had one from the start, or has none). */
  refineFrom?: number;
  /** The step the position code was grown on (absent: it had one from the start, or has none). */
  posFrom?: number;
  /** Timestep bands trained with, from the step each began (absent: uniform t throughout). */
  highT?: ({ step: number } & TimestepBand)[];
  /** Latent decoders: the steps at which training moved onto a retrained autoencoder's latents. */
  autoencoderFrom?: number[];
  /** Fractions of rows conditioned on prior samples, from the step each began (absent: none). */
  priorCond?: { step: number; fraction: number; target?: PriorTarget }[];
};

/** What the image models' optimizer used before runs recorded it: gradient norm clipped to 1. */
export const IMAGE_OPTIM = { clipNorm: 1 };


/**
 * Copy a run's EMA weights (no optimizer state) into `weightsDir`, with training.json, the loss
 * curve and the sample grid.
 */
export async function exportWeights(
  model: ImageModelKind,
  runDir: string,
  weightsDir: string,
  opts: { corpus32?: Corpus; corpus64?: Corpus; emb?: ImageEmbeddings; sampleSteps?: number; clipDir?: string; autoencoder?: Autoencoder; half?: boolean } = {},
): Promise<void> {
  const ck = loadCheckpoint(runDir);
  const cfg = ck.config as ModelConfig;
  if (cfg.kind !== model) throw new Error(`${runDir} holds a ${cfg.kind} run, not ${model}`);
  const st = ck.state ? (readRunState(ck.state.json, runDir, { emaDecay: 0, ...IMAGE_OPTIM }) as ImageRunState) : undefined;
  const state = ck.state?.tensors ?? {};
  // The EMA is what ships; the raw weights only when the run kept no EMA.
  const { tensors: weights, ema } = shippedTensors(ck.tensors, state);
  mkdirSync(weightsDir, { recursive: true });
  saveCheckpoint(weightsDir, { config: withSchedule(cfg), tensors: weights, metadata: { model, step: String(st?.step ?? ''), weights: ema ? 'ema' : 'raw' }, half: opts.half });
  // The sample grid shows the weights as saved (rounded, when half).
  const saved = opts.half ? loadCheckpoint(weightsDir, { withState: false }).tensors : null;
  const m = model === 'decoder' ? makeDecoder(cfg as DecoderConfig, saved ?? weights, { dir: weightsDir, autoencoder: opts.autoencoder }) : makeUpsampler(cfg as UpsamplerConfig, saved ?? weights);
  tf.dispose([...Object.values(ck.tensors), ...Object.values(state), ...Object.values(saved ?? {})]);
  try {
    if (st) {
      writeFileSync(join(weightsDir, 'training.json'), JSON.stringify({ step: st.step, imagesSeen: st.seen, trainSeconds: Math.round(st.trainSeconds), batch: st.batch, lr: st.lr, warmup: st.warmup, emaDecay: st.emaDecay, seed: st.seed, clipHash: st.clipHash, params: m.paramCount, lossLog: st.lossLog }, null, 1) + '\n');
      await lineChartPng(join(weightsDir, 'loss.png'), [{ name: 'v-prediction MSE (mean of 10 steps)', points: st.lossLog.map(([s, l]) => [s, l]) }], { title: `${model} training loss`, xLabel: 'step', yLabel: 'loss' });
    }
    await writeSampleGrid(m, join(weightsDir, 'samples.png'), opts);
    writeModelCard(join(weightsDir, 'README.md'), cfg, m.paramCount, st, !!opts.half);
  } finally {
    m.dispose();
  }
  process.stderr.write(`[${model}] exported weights, training.json, loss.png, samples.png and README.md to ${weightsDir}\n`);
}

/**
 * weights/<model>/README.md, regenerated on every export from the run's figures. A `## Notes`
 * section already in the file (findings written by hand) is kept.
 */
function writeModelCard(path: string, cfg: ModelConfig, params: number, st: ImageRunState | undefined, half: boolean): void {
  const u = cfg.unet;
  const last = st?.lossLog.slice(-10) ?? [];
  const loss = last.length ? last.reduce((a, [, l]) => a + l, 0) / last.length : NaN;
  const dec = cfg.kind === 'decoder';
  const lines = [
    `# ${dec ? 'Decoder (CLIP image embedding → 32x32 image)' : 'Upsampler (32x32 → 64x64)'} — model card`,
    '',
    `Generated by \`npm run train -- ${cfg.kind}\` on export (ml/decoder/train.ts); see [ml/decoder/README.md](../../ml/decoder/README.md) for the architecture and why.`,
    '',
    `Files: \`model.safetensors\` (EMA weights, ${half ? 'float16: half the bytes, loaded as float32' : 'float32'}), \`config.json\`, \`training.json\` (figures and loss log), \`loss.png\`, \`samples.png\`.`,
    '',
    '## Model',
    '',
    ...(dec && (cfg as DecoderConfig).latent
      ? [`- A latent decoder: it diffuses ${u.imageSize}x${u.imageSize}x${u.outChannels} standardised latents of the icon autoencoder in [../${(cfg as DecoderConfig).latent!.autoencoder}](../${(cfg as DecoderConfig).latent!.autoencoder}/README.md) (content hash \`${(cfg as DecoderConfig).latent!.hash.slice(0, 16)}\`; another autoencoder is refused), which draws the 32x32 pictures, the step frames' included ([ml/decoder/latent.ts](../../ml/decoder/latent.ts)).`]
      : []),
    `- ${params.toLocaleString('en-US')} parameters; U-Net ${u.stem === 's2d' ? `with a 2x2 space-to-depth stem (${u.imageSize}x${u.imageSize} in, runs at ${u.imageSize / 2}x${u.imageSize / 2})` : `at ${u.imageSize}x${u.imageSize}`}, channels ${u.channels.join('/')}, ${u.blocks} res-block(s) per level, attention at ${u.attnRes.length ? u.attnRes.map((r) => `${r}x${r}`).join(', ') : 'none'}${u.refine ? `; a ${u.refine}-channel full-resolution refinement head${st?.refineFrom !== undefined ? ` (grown on at step ${st.refineFrom.toLocaleString('en-US')})` : ''}` : ''}${u.pos ? `; a learned position code on the stem${st?.posFrom !== undefined ? ` (grown on at step ${st.posFrom.toLocaleString('en-US')})` : ''}` : ''}.`,
    dec
      ? `- Conditioned on the CLIP image embedding (${u.embDim} wide) added to the timestep embedding and as ${u.contextTokens} context tokens every attention layer attends to; embedding dropped for ${Math.round((cfg as DecoderConfig).condDrop * 100)}% of training rows (learned null embedding) for classifier-free guidance. CLIP weights: \`${(cfg as DecoderConfig).clipHash?.slice(0, 16) ?? 'unknown'}\` (sha-256 prefix).`
      : `- Conditioned on the 32x32 image (upsampled, concatenated); trained with blur (${Math.round((cfg as UpsamplerConfig).blurProb * 100)}% of rows) and noise augmentation of it (level 0–${(cfg as UpsamplerConfig).augMax}); inference level ${(cfg as UpsamplerConfig).augLevel}.${(cfg as UpsamplerConfig).residual ? ` Diffuses the residual (x₀ − bilinear enlargement)·${(cfg as UpsamplerConfig).residual} and adds it back${st?.residualFrom !== undefined ? ` (since step ${st.residualFrom.toLocaleString('en-US')}; before it, plain x₀ diffusion)` : ''}.` : ''}`,
    `- Prediction: ${cfg.prediction}; cosine schedule, 1000 steps; sampled with ml/diffusion (DDPM, DDIM, DPM-Solver++(2M)).`,
    '',
    '## Training',
    '',
    st
      ? `- ${st.step} steps at batch ${st.batch} (${st.seen.toLocaleString('en-US')} images seen, ${st.epoch} full passes), ${(st.trainSeconds / 3600).toFixed(2)} hours of steps on this 2-core CPU (wasm; one thread, or two with \`--threads 2\`); Adam ${st.lr}, warm-up ${st.warmup}, EMA ${st.emaDecay}, seed ${st.seed}${st.cooldowns?.length ? `; learning rate decayed linearly to 0 over steps ${st.cooldowns.map(([a, b]) => `${a.toLocaleString('en-US')}–${b.toLocaleString('en-US')}`).join(', ')}` : ''}${st.highT?.some((b) => b.fraction > 0) ? `; timesteps: ${st.highT.map((b) => (b.fraction > 0 ? `from step ${b.step.toLocaleString('en-US')}, ${Math.round(b.fraction * 100)}% of rows drawn from t ∈ [${b.from}, 1000)` : `from step ${b.step.toLocaleString('en-US')}, uniform`)).join('; ')}${st.highT[0]!.step > 0 ? ' (uniform before)' : ''}` : ''}${st.priorCond?.some((b) => b.fraction > 0) ? `; conditioned on a cached prior sample for the row's caption instead of its own embedding: ${st.priorCond.map((b) => `from step ${b.step.toLocaleString('en-US')}, ${Math.round(b.fraction * 100)}% of rows${b.target === 'nearest' ? ", drawing the caption's image nearest the sample" : ''}`).join('; ')}` : ''}${st.autoencoderFrom?.length ? `; moved onto a retrained autoencoder's latents at step${st.autoencoderFrom.length > 1 ? 's' : ''} ${st.autoencoderFrom.map((x) => x.toLocaleString('en-US')).join(', ')}` : ''}. Final loss (mean of the last 100 steps): ${Number.isFinite(loss) ? loss.toFixed(4) : 'n/a'}.`
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
