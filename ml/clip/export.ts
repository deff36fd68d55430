// What a CLIP run leaves in weights/clip: its weights (the EMA when the run kept one) and
// vocabulary, training.json, the loss curve and the retrieval grid of held-out images.
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, readCheckpointFile, saveCheckpoint } from '../checkpoint.js';
import { type Corpus, loadCorpus } from '../data/corpus.js';
import { imageGridPng, lineChartPng } from '../png.js';
import { type RunState, readRunState, shippedTensors } from '../training/state.js';
import { type ClipEval, gatherImages, heldoutGallery, retrieve } from './eval.js';
import { VOCAB_FILE, loadClip } from './index.js';

/** A CLIP run's state: the shared run state (loss-log points carry the logit scale) and the evals along the way. */
export type ClipRunState = RunState & { evalLog: ({ step: number; imagesSeen: number; trainSeconds: number } & ClipEval)[] };

/** CLIP's optimizer before runs recorded it: no EMA, no clipping. */
export const CLIP_OPTIM = { emaDecay: 0, clipNorm: 0 };

/**
 * Copy a training checkpoint's weights (no optimizer state) into `weightsDir` and draw the loss
 * curve and the retrieval grid there.
 */
export async function exportWeights(runDir: string, weightsDir: string, corpus?: Corpus): Promise<void> {
  const ck = loadCheckpoint(runDir);
  const st = ck.state ? (readRunState(ck.state.json, runDir, CLIP_OPTIM) as ClipRunState) : undefined;
  const { tensors, ema } = shippedTensors(ck.tensors, ck.state?.tensors ?? {});
  mkdirSync(weightsDir, { recursive: true });
  saveCheckpoint(weightsDir, {
    config: ck.config,
    tensors,
    files: { [VOCAB_FILE]: readCheckpointFile(runDir, VOCAB_FILE) },
    metadata: { model: 'clip', step: String(st?.step ?? ''), weights: ema ? 'ema' : 'raw' },
  });
  tf.dispose(Object.values(ck.tensors));
  if (ck.state) tf.dispose(Object.values(ck.state.tensors));
  if (st) {
    writeFileSync(join(weightsDir, 'training.json'), JSON.stringify({ step: st.step, imagesSeen: st.seen, trainSeconds: Math.round(st.trainSeconds), batch: st.batch, lr: st.lr, warmup: st.warmup, seed: st.seed, evalLog: st.evalLog, lossLog: st.lossLog }, null, 1) + '\n');
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
