// Timing figures for the prior (README): training step at a batch size (wall and process CPU
// seconds: the machine is shared with other training), the share of CLIP text encoding in it,
// and samplePrior for one caption with guidance. A randomly initialised prior of the shipped
// config is timed (the speed does not depend on the weights); CLIP from weights/clip.
//
//   npx tsx experiments/prior-measure.ts [--batch 64] [--steps 5] [--suffixes K] [--config JSON]
//
// --suffixes K: K examples per caption sharing its prefix (train.ts --suffixes); samples = B*K.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../ml/backend.js';
import { loadClip } from '../ml/clip/index.js';
import { loadImageEmbeddings } from '../ml/clip-embeddings.js';
import { loadCorpus } from '../ml/data/corpus.js';
import { mulberry32 } from '../ml/data/captions.js';
import { Prior } from '../ml/prior/index.js';
import { type PriorConfig, countParams, defaultPriorConfig, initPriorParams } from '../ml/prior/model.js';
import { batchLoss, nextBatch, trainingData } from '../ml/prior/train-data.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const B = Number(arg('--batch', '64'));
const steps = Number(arg('--steps', '5'));
const K = Number(arg('--suffixes', '1'));
const over = JSON.parse(arg('--config', '{}')) as Partial<PriorConfig>;

await initBackend({ log: () => {} });
const corpus = await loadCorpus({ size: 32 });
const emb = await loadImageEmbeddings({ corpus });
const clip = await loadClip();
const cfg = defaultPriorConfig({ embedDim: clip.dim, textWidth: clip.textWidth, contextLength: clip.contextLength }, over);
const p0 = initPriorParams(cfg, 1);
const names = Object.keys(p0).sort();
const vars: Record<string, tf.Variable> = {};
for (const n of names) vars[n] = tf.variable(p0[n]!, true, `prior-measure/${n}`);
tf.dispose(Object.values(p0));
const opt = tf.train.adam(1e-4);
const data = trainingData(corpus, emb);
const rng = mulberry32(1);

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
let encWall = 0;
let stepWall = 0;
let stepCpu = 0;
for (let i = 0; i <= steps; i++) {
  const batch = nextBatch(data, B, cfg.imageScale, rng, K);
  const w0 = performance.now();
  const c0 = cpu();
  const enc = clip.encodeText(batch.captions);
  const w1 = performance.now();
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => batchLoss(vars, cfg, enc, batch.x0, rng, i, K), names.map((n) => vars[n]!));
    opt.applyGradients(names.map((n) => ({ name: `prior-measure/${n}`, tensor: grads[`prior-measure/${n}`]! })));
    return value.dataSync()[0]!;
  });
  tf.dispose([enc.embeddings, enc.tokenStates, enc.ids]);
  if (i === 0) continue; // warm-up
  encWall += w1 - w0;
  stepWall += performance.now() - w0;
  stepCpu += cpu() - c0;
}

const prior = new Prior(cfg, Object.fromEntries(names.map((n) => [n, vars[n]!])));
const one = clip.encodeText(['red apple']);
const timeSample = async (guidance: number, bestOf: number) => {
  const ms: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    const out = await prior.samplePrior({ tokenStates: one.tokenStates, textEmbeddings: one.embeddings, steps: 25, sampler: 'ddim', guidance, seed: i, bestOf });
    out.dispose();
    if (i > 0) ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return Math.round(ms[Math.floor(ms.length / 2)]!);
};
const sample_ms_g3_best2 = await timeSample(3, 2);
const sample_ms_g3_best1 = await timeSample(3, 1);
const sample_ms_g1_best1 = await timeSample(1, 1);
console.log(
  JSON.stringify({
    backend: tf.getBackend(),
    params: countParams(vars),
    config: { width: cfg.width, depth: cfg.depth, heads: cfg.heads, mlpRatio: cfg.mlpRatio },
    batch: B,
    suffixes: K,
    train_step_wall_s: Math.round(stepWall / steps) / 1000,
    train_step_cpu_s: Math.round((stepCpu / steps) * 1000) / 1000,
    samples_per_s_wall: Math.round((B * K * steps * 1000 * 10) / stepWall) / 10,
    samples_per_cpu_s: Math.round(((B * K * steps) / stepCpu) * 10) / 10,
    encode_text_share: Math.round((encWall / stepWall) * 1000) / 1000,
    sample_ms_25steps_guidance3_bestof2: sample_ms_g3_best2,
    sample_ms_25steps_guidance3_bestof1: sample_ms_g3_best1,
    sample_ms_25steps_noguidance_bestof1: sample_ms_g1_best1,
  }),
);
tf.dispose([one.embeddings, one.tokenStates, one.ids]);
prior.dispose();
opt.dispose();
clip.dispose();
