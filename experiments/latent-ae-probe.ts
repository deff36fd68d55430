// Would a latent decoder have room to draw recognisable icons (issue 20)? A latent decoder diffuses
// in the latent of a small autoencoder, so its pictures can be no better than the autoencoder's
// reconstructions. This trains one (32x32 icons → a latent grid → 32x32) on the training styles for
// a few minutes of this CPU and judges its reconstructions of the held-out twemoji icons with the
// CLIP-free judge (ml/judge.ts), against the real icons' own scores (top-5 0.942 / top-1 0.783).
//
//   npx tsx experiments/latent-ae-probe.ts [--minutes 20] [--down 2] [--latent 4] [--batch 32]
//
// --down: stride-2 stages (2: 8x8 latent, 1: 16x16); --latent: channels per latent cell. It prints
// progress to stderr and one JSON line on stdout: the held-out reconstruction error and the judge's
// figures for the reconstructions, and the images per second it trained at.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../ml/backend.js';
import { gatherImages } from '../ml/clip/eval.js';
import { loadCorpus, splitByStyle } from '../ml/data/corpus.js';
import { conv, groupNorm, silu, type Init, type ParamSource } from '../ml/decoder/unet-blocks.js';
import { makeJudge, topKScore } from '../ml/judge.js';
import { Rng } from '../ml/rng.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const minutes = flag('--minutes', 20);
const down = flag('--down', 2);
const latent = flag('--latent', 4);
const batch = flag('--batch', 32);
const width = [32, 64, 128];

await initBackend({ log: (l) => process.stderr.write(l + '\n') });
const corpus = await loadCorpus({ size: 32 });
const { train, heldout } = splitByStyle(corpus.entries);
const judge = makeJudge(corpus);
const S = corpus.size;
const px = S * S * 3;

const vars = new Map<string, tf.Variable>();
const rng = new Rng(1);
const normal = (n: number, std: number) => {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next())) * std;
    const a = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
};
const p: ParamSource = (name: string, shape: number[], init: Init) => {
  let v = vars.get(name);
  if (!v) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = init.kind === 'normal' ? normal(n, init.std) : new Float32Array(n).fill(init.kind === 'ones' ? 1 : 0);
    vars.set(name, (v = tf.variable(tf.tensor(data, shape), true, name)));
  }
  return v;
};

/** [B, 32, 32, 3] in [-1, 1] → [B, 32 / 2^down, 32 / 2^down, latent] */
function encode(x: tf.Tensor4D): tf.Tensor4D {
  let h = silu(conv(p, 'e.in', x, 3, width[0]!));
  for (let i = 0; i < down; i++) {
    h = silu(groupNorm(p, `e.${i}.n`, conv(p, `e.${i}.down`, h, width[i]!, width[i + 1]!, 3, 2)));
    h = silu(conv(p, `e.${i}.c`, h, width[i + 1]!, width[i + 1]!));
  }
  return conv(p, 'e.out', h, width[down]!, latent, 1);
}

/** latent → [B, 32, 32, 3] in [-1, 1] (tanh) */
function decode(z: tf.Tensor4D): tf.Tensor4D {
  let h = silu(conv(p, 'd.in', z, latent, width[down]!));
  for (let i = down; i > 0; i--) {
    h = silu(groupNorm(p, `d.${i}.n`, conv(p, `d.${i}.c`, h, width[i]!, width[i]!)));
    const [, hh, ww] = h.shape;
    h = tf.image.resizeNearestNeighbor(h, [hh * 2, ww * 2]);
    h = silu(conv(p, `d.${i}.up`, h, width[i]!, width[i - 1]!));
  }
  return tf.tanh(conv(p, 'd.out', h, width[0]!, 3));
}

const toInput = (bytes: Uint8Array, n: number) => tf.tidy(() => tf.sub(tf.div(tf.tensor4d(bytes, [n, S, S, 3], 'float32'), 127.5), 1) as tf.Tensor4D);
const lossOf = (x: tf.Tensor4D) => {
  const y = decode(encode(x));
  const d = tf.sub(y, x);
  return tf.add(tf.mean(tf.abs(d)), tf.mean(tf.square(d))) as tf.Scalar;
};

// create the variables with one forward pass
tf.tidy(() => void lossOf(toInput(gatherImages(corpus, train.slice(0, 2)), 2)));
const optimizer = tf.train.adam(1e-3);
const t0 = performance.now();
let step = 0;
let seen = 0;
let ema = 0;
while (performance.now() - t0 < minutes * 60_000) {
  const rows = Array.from({ length: batch }, () => train[Math.floor(rng.next() * train.length)]!);
  const x = toInput(gatherImages(corpus, rows), batch);
  const loss = optimizer.minimize(() => lossOf(x), true, [...vars.values()])!;
  const l = (await loss.data())[0]!;
  tf.dispose([x, loss]);
  ema = step === 0 ? l : 0.98 * ema + 0.02 * l;
  step++;
  seen += batch;
  if (step % 50 === 0) process.stderr.write(`[latent-ae] step ${step}, ${((performance.now() - t0) / 60_000).toFixed(1)} min, loss ${ema.toFixed(4)}, ${(seen / ((performance.now() - t0) / 1000)).toFixed(1)} img/s\n`);
}
const imgPerSec = seen / ((performance.now() - t0) / 1000);

/** Reconstruct rows in chunks: RGB bytes, and the mean squared error in [-1, 1]. */
async function reconstruct(rows: number[]): Promise<{ bytes: Uint8Array; mse: number }> {
  const bytes = new Uint8Array(rows.length * px);
  let se = 0;
  for (let s = 0; s < rows.length; s += 128) {
    const chunk = rows.slice(s, s + 128);
    const x = toInput(gatherImages(corpus, chunk), chunk.length);
    const [y, err] = tf.tidy(() => {
      const r = decode(encode(x));
      return [tf.clipByValue(tf.round(tf.mul(tf.add(r, 1), 127.5)), 0, 255), tf.sum(tf.square(tf.sub(r, x)))];
    });
    bytes.set(Uint8Array.from(await y.data()), s * px);
    se += (await err.data())[0]!;
    tf.dispose([x, y, err]);
  }
  return { bytes, mse: se / (rows.length * px) };
}

const held = await reconstruct(heldout);
const judged = await reconstruct(judge.heldoutRows);
const score = topKScore(judge.rank(judged.bytes, judge.heldoutRows.map((_, c) => c)));
console.log(
  JSON.stringify({
    down,
    latent,
    latentShape: [S >> down, S >> down, latent],
    compression: +(px / ((S >> down) ** 2 * latent)).toFixed(1),
    params: [...vars.values()].reduce((n, v) => n + v.size, 0),
    minutes,
    steps: step,
    imgPerSec: +imgPerSec.toFixed(1),
    trainLoss: +ema.toFixed(4),
    heldoutMse: +held.mse.toFixed(5),
    judgeOfReconstructions: score,
  }),
);
tf.dispose([...vars.values()]);
optimizer.dispose();
