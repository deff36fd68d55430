// End-to-end check of the decoder pipeline (corpus, CLIP embeddings, v-prediction training,
// guided sampling) in a few minutes: the shipped config trained on 8 real icons only, then decoded
// from their embeddings, and from the NEXT row's embedding (the image must follow the embedding).
//
//   npx tsx experiments/decoder-overfit-check.ts [steps=200]     → runs/overfit8.png
//
// After 200 steps (7 min wall on the loaded machine) the colours already follow the embedding
// (red apple/heart/car, yellow pizza/sun), also when embeddings are swapped: experiments/decoder-overfit-check.png.
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync } from 'node:fs';
import { initBackend } from '../ml/backend.js';
import { loadCorpus, splitByStyle } from '../ml/data/corpus.js';
import { loadImageEmbeddings } from '../ml/clip-embeddings.js';
import { createDecoderNet, decoderBatch, decoderConfig, diffusionLoss, disposeBatch } from '../ml/decoder/model.js';
import { Trainer } from '../ml/training/trainer.js';
import { makeDecoder } from '../ml/decoder/index.js';
import { imageGridPng } from '../ml/png.js';
await initBackend({ log: () => {} });
const steps = Number(process.argv[2] ?? 200);
mkdirSync('runs', { recursive: true });
const corpus = await loadCorpus({ size: 32 });
const emb = await loadImageEmbeddings({ corpus });
const { train } = splitByStyle(corpus.entries);
const want = ['red apple', 'rocket', 'dog face', 'pizza', 'red heart', 'snowman', 'sun', 'automobile'];
const rows = want.map((l) => train.find((i) => corpus.entries[i]!.label === l && corpus.entries[i]!.style === 'noto')!);
const px = 32 * 32 * 3;
const imgs = new Uint8Array(8 * px);
rows.forEach((r, i) => imgs.set(corpus.images.subarray(r * px, (r + 1) * px), i * px));
const e = new Float32Array(8 * 128);
rows.forEach((r, i) => e.set(emb.embeddings.subarray(r * 128, (r + 1) * 128), i * 128));
const cfg = decoderConfig(128);
const net = createDecoderNet(cfg);
const tr = new Trainer(net, { lr: 1e-3, emaDecay: 0 });
let s = 1;
const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
const t0 = Date.now();
for (let i = 0; i < steps; i++) {
  tr.learningRate = i < 20 ? (1e-3 * (i + 1)) / 20 : 1e-3;
  const b = decoderBatch(cfg, imgs, e, 8, rand, i);
  const r = await tr.step(() => diffusionLoss(net, 'v', b));
  disposeBatch(b);
  if (i % 20 === 0 || i === steps - 1) console.error(`step ${i} loss ${r.loss.toFixed(4)} gnorm ${r.gradNorm.toFixed(2)} ${((Date.now() - t0) / 1000).toFixed(0)}s`);
}
const dec = makeDecoder(cfg, net.tensors());
const et = tf.tensor2d(e, [8, 128]);
const cols: Uint8Array[][] = rows.map((_, i) => [imgs.slice(i * px, (i + 1) * px)]);
for (const g of [1, 3]) {
  const out = await dec.decode({ embeddings: et, steps: 20, guidance: g, seed: 1 });
  const v = await out.data();
  out.dispose();
  rows.forEach((_, i) => cols[i]!.push(Uint8Array.from(v.subarray(i * px, (i + 1) * px), (f) => Math.round(f * 255))));
}
// Swapped embeddings: row i decoded from row (i+1)'s embedding — the image must follow the embedding.
const sw = tf.tidy(() => tf.concat([tf.slice(et, 1, 7), tf.slice(et, 0, 1)]) as tf.Tensor2D);
const out = await dec.decode({ embeddings: sw, steps: 20, guidance: 3, seed: 1 });
const v = await out.data();
rows.forEach((_, i) => cols[i]!.push(Uint8Array.from(v.subarray(i * px, (i + 1) * px), (f) => Math.round(f * 255))));
await imageGridPng('runs/overfit8.png', rows.map((r, i) => ({ label: corpus.entries[r]!.label, images: cols[i]! })), 32, { scale: 3, title: `${steps} steps on 8 icons: original | g1 | g3 | g3 from next row's embedding` });
tf.dispose([et, sw, out]);
dec.dispose();
tr.dispose();
net.dispose();
console.error('wrote runs/overfit8.png');
