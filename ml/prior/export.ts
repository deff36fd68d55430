// What a prior run leaves in weights/prior: its EMA weights evaluated on held-out concepts
// (eval.ts), with eval.json, training.json, the loss curve, the retrieval grid and a generated
// model card.
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { withSchedule } from '../diffusion/index.js';
import type { ImageEmbeddings } from '../clip-embeddings.js';
import { type Clip } from '../clip/index.js';
import { gatherImages, heldoutGallery } from '../clip/eval.js';
import { GRID_QUERIES } from '../clip/export.js';
import type { Corpus } from '../data/corpus.js';
import { writeCard } from '../model-card.js';
import { imageGridPng, lineChartPng } from '../png.js';
import { terminalBar } from '../progress.js';
import { type RunState, readRunState, shippedTensors } from '../training/state.js';
import { type PriorEval, evaluatePrior } from './eval.js';
import { Prior, loadPrior } from './index.js';
import type { PriorConfig } from './model.js';
import { loadData } from './train-data.js';

/** A prior run's state: the shared run state and its examples per caption. */
export type PriorRunState = RunState & {
  /** Examples per caption sharing its prefix (absent in runs before 2026-11-28: 1). */
  suffixes?: number;
};

/** Where a run is and what its export reports. */
export interface PriorExportOptions {
  runDir: string;
  weightsDir: string;
  clipDir: string;
  /** Held-out concepts in the evaluation. */
  evalConcepts: number;
  /** Guidance scales the evaluation samples with. */
  evalGuidance: number[];
}

/**
 * Evaluate the run's weights on held-out concepts and copy them (no optimizer state) to
 * weightsDir with loss.png, retrieval.png, eval.json and training.json.
 */
export async function exportPrior(o: PriorExportOptions, loaded?: { corpus: Corpus; emb: ImageEmbeddings; clip: Clip }): Promise<PriorEval> {
  const log = (s: string) => process.stderr.write(s + '\n');
  const { corpus, emb, clip } = loaded ?? (await loadData(o.clipDir, log));
  try {
    const ck = loadCheckpoint(o.runDir);
    // Runs from before EMA and clipping were recorded had neither.
    const st = ck.state ? (readRunState(ck.state.json, o.runDir, { emaDecay: 0, clipNorm: 0 }) as PriorRunState) : undefined;
    const cfg = ck.config as PriorConfig;
    // Ship the EMA weights when the run kept them.
    const stT = ck.state?.tensors ?? {};
    const { tensors: shipped, ema: useEma } = shippedTensors(ck.tensors, stT);
    if (cfg.clipHash !== emb.weightsHash) {
      tf.dispose([...Object.values(ck.tensors), ...Object.values(stT)]);
      throw new Error(`${o.runDir} was trained against CLIP ${cfg.clipHash.slice(0, 16)}; ${o.clipDir} holds ${emb.weightsHash.slice(0, 16)}`);
    }
    mkdirSync(o.weightsDir, { recursive: true });
    saveCheckpoint(o.weightsDir, { config: withSchedule(cfg), tensors: shipped, metadata: { model: 'prior', step: String(st?.step ?? ''), weights: useEma ? 'ema' : 'raw' } });
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
        writeFileSync(join(o.weightsDir, 'training.json'), JSON.stringify({ step: st.step, samplesSeen: st.seen, trainSeconds: Math.round(st.trainSeconds), batch: st.batch, lr: st.lr, warmup: st.warmup, seed: st.seed, emaDecay: st.emaDecay, clipNorm: st.clipNorm, suffixes: st.suffixes ?? 1, initFrom: st.initFrom, weights: useEma ? 'ema' : 'raw', clipHash: cfg.clipHash, lossLog: st.lossLog }, null, 1) + '\n');
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
function writePriorCard(path: string, cfg: PriorConfig, params: number, st: PriorRunState | undefined, ev: PriorEval, ema: boolean): void {
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
      ? `- ${st.initFrom ? `Fine-tuned from \`${st.initFrom}\`: ` : ''}${st.step} steps at batch ${st.batch}${(st.suffixes ?? 1) > 1 ? ` captions × ${st.suffixes} examples each (one shared prefix per caption)` : ''} (${st.seen.toLocaleString('en-US')} examples seen), ${(st.trainSeconds / 3600).toFixed(2)} hours of steps on one CPU core (wasm), sharing the machine with other trainings; Adam ${st.lr} with cosine decay to step ${st.totalSteps}, warm-up ${st.warmup}, EMA ${st.emaDecay}, seed ${st.seed}. Final loss (mean of the last 10 logged points): ${Number.isFinite(loss) ? loss.toFixed(4) : 'n/a'}.`
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

