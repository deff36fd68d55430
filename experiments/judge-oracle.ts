// Is it the prior or the decoder that keeps the pictures from being recognised? The decoder is
// handed embeddings of three kinds for the judge's concepts (ml/judge.ts: 120 held-out concepts,
// each 32x32 image ranked by its nearest training-style icon), and each set of images is judged:
//
//   prior       the prior's sample for the concept's label (what generation does; prior guidance 4)
//   heldout     the CLIP image embedding of the concept's held-out twemoji icon: a perfect prior
//               for a style the decoder never saw
//   train-ref   the CLIP image embedding of one of the concept's training-style references: an
//               image the decoder was trained on, so the judge finds its twin among the references
//
// If `heldout` scores near the real icons (top-5 0.94), the prior is what holds generation back;
// if it scores near `prior`, the decoder is.
//
//   npx tsx experiments/judge-oracle.ts [--seed 1] [--weights DIR] [--only prior,heldout,train-ref]
//
// --weights DIR reads clip/, prior/ and decoder/ from DIR (as experiments/judge-sweep.ts does).
//
// One JSON line per source on stdout.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../ml/backend.js';
import { loadImageEmbeddings } from '../ml/clip-embeddings.js';
import { loadCorpus } from '../ml/data/corpus.js';
import { loadDecoder } from '../ml/decoder/index.js';
import { generateInChunks } from '../ml/eval-generation.js';
import { topKScore } from '../ml/judge.js';
import { loadPipeline, rgbBytes } from '../ml/pipeline.js';
import { CHUNK, chunkSeed, decodeRows, judgeSets } from './judge-embeddings.js';

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const seed = Number(flag('--seed') ?? 1);
const only = flag('--only')?.split(',');
const weightsDir = flag('--weights');
const want = (name: string) => !only || only.includes(name);

await initBackend({ log: (l) => process.stderr.write(l + '\n') });
const corpus = await loadCorpus({ size: 32 });
const { judge, truth, rows: sources } = judgeSets(corpus);
const N = judge.labels.length;
const px = judge.size * judge.size * 3;
const report = (source: string, bytes: Uint8Array, ms: number) =>
  console.log(JSON.stringify({ source, seed, concepts: N, ...topKScore(judge.rank(bytes, truth)), msPerImage: Math.round(ms / N) }));

if (want('prior')) {
  const p = await loadPipeline({ weightsDir, upsampler: false });
  try {
    const bytes = new Uint8Array(N * px);
    const ms = await generateInChunks(p, judge.labels, { chunk: CHUNK, seedOf: (s) => chunkSeed(seed, s) }, async (images, s) => bytes.set(await rgbBytes(images), s * px));
    report('prior', bytes, ms);
  } finally {
    p.dispose();
  }
}

const picked = Object.entries(sources).filter(([name]) => want(name));
if (picked.length > 0) {
  const emb = await loadImageEmbeddings({ corpus, clipDir: weightsDir ? join(weightsDir, 'clip') : undefined });
  const decoder = await loadDecoder(weightsDir ? join(weightsDir, 'decoder') : undefined);
  try {
    for (const [name, rows] of picked) {
      const { bytes, ms } = await decodeRows(decoder, emb, rows, seed, px);
      report(name, bytes, ms);
    }
  } finally {
    decoder.dispose();
  }
}
console.error(`[judge-oracle] tensors left: ${tf.memory().numTensors}`);
