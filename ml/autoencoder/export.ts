// What an autoencoder run leaves in weights/autoencoder: the EMA weights with the latent
// standardisation measured on the training icons, training.json, the loss curve, a grid of held-out
// icons over their reconstructions, and a model card with the figures that say whether it is good
// enough to diffuse in: the held-out reconstruction error and the CLIP-free judge's ranks of the
// reconstructions beside the real icons' own (a latent decoder can draw no better than these).
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { gatherImages } from '../clip/eval.js';
import { type Corpus, loadCorpus, splitByStyle } from '../data/corpus.js';
import { type JudgeScore, makeJudge, topKScore } from '../judge.js';
import { writeCard } from '../model-card.js';
import { imageGridPng, lineChartPng } from '../png.js';
import { readRunState, shippedTensors } from '../training/state.js';
import { encodeRows } from './encode-rows.js';
import { Autoencoder, type AutoencoderConfig, latentSide, toUnit } from './model.js';

const CHUNK = 128;

/** Per-channel mean and 1/std of the raw latents of `rows`. */
export async function measureStandardisation(ae: Autoencoder, corpus: Corpus, rows: number[]): Promise<{ shift: number[]; scale: number[] }> {
  const C = ae.config.latentChannels;
  const sum = new Float64Array(C);
  const sq = new Float64Array(C);
  let n = 0;
  await encodeRows(ae, corpus, rows, {
    raw: true,
    chunk: CHUNK,
    onChunk: (v) => {
      for (let i = 0; i < v.length; i++) {
        sum[i % C]! += v[i]!;
        sq[i % C]! += v[i]! * v[i]!;
      }
      n += v.length / C;
    },
  });
  const shift = Array.from(sum, (x) => x / n);
  const scale = Array.from(sq, (x, c) => 1 / Math.sqrt(Math.max(x / n - shift[c]! ** 2, 1e-12)));
  return { shift, scale };
}

/** Reconstructions of `rows` through the standardised latent (RGB bytes) and their mean squared error in [-1, 1]. */
export async function reconstruct(ae: Autoencoder, corpus: Corpus, rows: number[]): Promise<{ bytes: Uint8Array; mse: number }> {
  const S = corpus.size;
  const px = S * S * 3;
  const bytes = new Uint8Array(rows.length * px);
  let se = 0;
  for (let s = 0; s < rows.length; s += CHUNK) {
    const chunk = rows.slice(s, s + CHUNK);
    const [y, err] = tf.tidy(() => {
      const x = toUnit(gatherImages(corpus, chunk), chunk.length, S);
      const r = ae.decode(ae.encode(x));
      return [tf.clipByValue(tf.round(tf.mul(tf.add(r, 1), 127.5)), 0, 255), tf.sum(tf.square(tf.sub(r, x)))];
    });
    bytes.set(Uint8Array.from(await y.data()), s * px);
    se += (await err.data())[0]!;
    tf.dispose([y, err]);
  }
  return { bytes, mse: se / (rows.length * px) };
}

export interface AutoencoderEval {
  heldoutMse: number;
  judgeOfReconstructions: JudgeScore;
  judgeOfRealIcons: JudgeScore;
}

export async function exportAutoencoder(runDir: string, weightsDir: string): Promise<AutoencoderEval> {
  const ck = loadCheckpoint(runDir);
  const st = ck.state ? readRunState(ck.state.json, runDir, { emaDecay: 0, clipNorm: 1 }) : undefined;
  const { tensors, ema } = shippedTensors(ck.tensors, ck.state?.tensors ?? {});
  const corpus = await loadCorpus({ size: 32 });
  const { train, heldout } = splitByStyle(corpus.entries);
  let ae = new Autoencoder(ck.config as AutoencoderConfig, { tensors, trainable: false });
  const std = await measureStandardisation(ae, corpus, train);
  ae.dispose();
  const cfg: AutoencoderConfig = { ...(ck.config as AutoencoderConfig), ...std };
  ae = new Autoencoder(cfg, { tensors, trainable: false });
  mkdirSync(weightsDir, { recursive: true });
  saveCheckpoint(weightsDir, { config: cfg, tensors, metadata: { model: 'autoencoder', step: String(st?.step ?? ''), weights: ema ? 'ema' : 'raw' } });
  tf.dispose([...Object.values(ck.tensors), ...Object.values(ck.state?.tensors ?? {})]);
  try {
    const judge = makeJudge(corpus);
    const held = await reconstruct(ae, corpus, heldout);
    const judged = await reconstruct(ae, corpus, judge.heldoutRows);
    const result: AutoencoderEval = {
      heldoutMse: Math.round(held.mse * 1e5) / 1e5,
      judgeOfReconstructions: topKScore(judge.rank(judged.bytes, judge.heldoutRows.map((_, c) => c))),
      judgeOfRealIcons: topKScore(judge.heldoutRanks()),
    };
    const px = corpus.size * corpus.size * 3;
    const shown = judge.heldoutRows.slice(0, 16);
    const cut = (b: Uint8Array, i: number) => b.slice(i * px, (i + 1) * px);
    const real = gatherImages(corpus, shown);
    await imageGridPng(join(weightsDir, 'reconstructions.png'), [
      { label: 'held-out icon', images: shown.map((_, i) => cut(real, i)) },
      { label: 'reconstruction', images: shown.map((_, i) => cut(judged.bytes, i)) },
    ], corpus.size, { scale: 3, labelWidth: 130, title: `autoencoder: 32x32x3 → ${latentSide(cfg)}x${latentSide(cfg)}x${cfg.latentChannels} → 32x32x3 (held-out twemoji)` });
    if (st) {
      await lineChartPng(join(weightsDir, 'loss.png'), [{ name: 'L1 + MSE (mean of 10 steps)', points: st.lossLog.map(([s, l]) => [s, l]) }], { title: 'autoencoder training loss', xLabel: 'step', yLabel: 'loss' });
      writeFileSync(join(weightsDir, 'training.json'), JSON.stringify({ step: st.step, imagesSeen: st.seen, trainSeconds: Math.round(st.trainSeconds), batch: st.batch, lr: st.lr, emaDecay: st.emaDecay, seed: st.seed, params: ae.store.size, ...result, lossLog: st.lossLog }, null, 1) + '\n');
    }
    writeModelCard(join(weightsDir, 'README.md'), cfg, ae.store.size, st, result);
    process.stderr.write(`[autoencoder] exported to ${weightsDir}: ${JSON.stringify(result)}\n`);
    return result;
  } finally {
    ae.dispose();
  }
}

function writeModelCard(path: string, cfg: AutoencoderConfig, params: number, st: ReturnType<typeof readRunState> | undefined, r: AutoencoderEval): void {
  const s = latentSide(cfg);
  const j = (x: JudgeScore) => `top-5 ${x.top5.toFixed(3)} ± ${x.top5_se.toFixed(3)}, top-1 ${x.top1.toFixed(3)} ± ${x.top1_se.toFixed(3)}`;
  writeCard(path, [
    '# Icon autoencoder (32x32x3 ⇄ latent) — model card',
    '',
    'Generated by `npm run train -- autoencoder` on export (ml/autoencoder/). The latent decoder diffuses in its latent; see [ml/autoencoder/model.ts](../../ml/autoencoder/model.ts) for the architecture and why.',
    '',
    'Files: `model.safetensors` (EMA weights, float32), `config.json` (with the latent standardisation), `training.json`, `loss.png`, `reconstructions.png`.',
    '',
    '## Model',
    '',
    `- ${params.toLocaleString('en-US')} parameters; 32x32x3 → ${s}x${s}x${cfg.latentChannels} (${((cfg.imageSize ** 2 * 3) / (s * s * cfg.latentChannels)).toFixed(0)}x fewer numbers), convolutions of ${cfg.channels.join('/')} channels; trained with latent noise ${cfg.latentNoise} of the latent's spread.`,
    `- Latent standardisation (per channel, measured on the training icons at export): shift ${cfg.shift!.map((x) => x.toFixed(3)).join(', ')}; scale ${cfg.scale!.map((x) => x.toFixed(3)).join(', ')}.`,
    '',
    '## Training',
    '',
    st ? `- ${st.step.toLocaleString('en-US')} steps at batch ${st.batch} (${st.seen.toLocaleString('en-US')} images seen), ${(st.trainSeconds / 60).toFixed(0)} minutes of steps on one core of this 2-core CPU (wasm); Adam ${st.lr} with a cosine schedule, EMA ${st.emaDecay}, seed ${st.seed}.` : '- (no training state in the run folder)',
    '',
    '## Evaluation (held-out twemoji, never trained on)',
    '',
    `- Reconstruction error (MSE in [-1, 1]): ${r.heldoutMse}.`,
    `- The CLIP-free judge (ml/judge.ts) on the reconstructions: ${j(r.judgeOfReconstructions)}; on the real icons: ${j(r.judgeOfRealIcons)}. A latent decoder's pictures can be no more recognisable than the reconstructions.`,
    '',
    '![reconstructions](reconstructions.png)',
    '',
    '![loss](loss.png)',
    '',
    '## Data and licences',
    '',
    'The emoji corpus of ml/data: every style except the held-out twemoji (evaluation only); sets, versions, authors and licences in [ml/data/LICENSES.md](../../ml/data/LICENSES.md).',
    '',
  ]);
}
