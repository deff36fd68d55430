// Measures the decoder and upsampler as shipped (random weights: the time does not depend on them):
//
//   npx tsx experiments/decoder-bench.ts [--steps 3] [--decoder-batch 32] [--upsampler-batch 24] [--config JSON]
//
// One JSON line on stdout: training images per second (per CPU-second of this process, robust to
// other work on this shared 2-core machine, and per wall second), and sampling milliseconds per
// step for batch 1 (decoder with guidance: one batch-2 network call per step). --config overrides
// the decoder's U-Net config (to compare backbones).
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../ml/backend.js';
import { makeDecoder, makeUpsampler } from '../ml/decoder/index.js';
import { createDecoderNet, decoderBatch, decoderConfig, diffusionLoss, disposeBatch } from '../ml/decoder/model.js';
import { Trainer } from '../ml/training/trainer.js';
import type { UNet, UNetConfig } from '../ml/decoder/unet.js';
import { createUpsamplerNet, upsamplerBatch, upsamplerConfig } from '../ml/decoder/upsampler.js';

const args = process.argv.slice(2);
const opt = (k: string, d: number) => (args.includes(k) ? Number(args[args.indexOf(k) + 1]) : d);
const steps = opt('--steps', 3);
const override = args.includes('--config') ? (JSON.parse(args[args.indexOf('--config') + 1]!) as Partial<UNetConfig>) : {};

await initBackend({ log: (l) => process.stderr.write(l + '\n') });
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
let seed = 1;
const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);

async function trainRate(net: UNet, batch: () => ReturnType<typeof decoderBatch>, B: number) {
  const trainer = new Trainer(net, { lr: 1e-4, emaDecay: 0.999 });
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const b = batch();
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await trainer.step(() => diffusionLoss(net, 'v', b));
    if (i > 0) {
      cpu.push(cpuMs(process.cpuUsage(c0)));
      wall.push(performance.now() - w0);
    }
    disposeBatch(b);
  }
  trainer.dispose();
  return { batch: B, params: net.size, step_cpu_ms: Math.round(med(cpu)), step_wall_ms: Math.round(med(wall)), images_per_cpu_s: Math.round((B / med(cpu)) * 1e4) / 10, images_per_wall_s: Math.round((B / med(wall)) * 1e4) / 10 };
}

const out: Record<string, unknown> = {};
{
  const cfg = decoderConfig(128, override);
  const B = opt('--decoder-batch', 32);
  const net = createDecoderNet(cfg);
  const img = new Uint8Array(B * 32 * 32 * 3).map(() => rand() * 255);
  const emb = Float32Array.from({ length: B * 128 }, () => rand() - 0.5);
  out.decoder_train = await trainRate(net, () => decoderBatch(cfg, img, emb, B, rand, seed), B);
  net.dispose();
}
{
  const cfg = upsamplerConfig();
  const B = opt('--upsampler-batch', 24);
  const net = createUpsamplerNet(cfg);
  const hi = new Uint8Array(B * 64 * 64 * 3).map(() => rand() * 255);
  const lo = new Uint8Array(B * 32 * 32 * 3).map(() => rand() * 255);
  out.upsampler_train = await trainRate(net, () => upsamplerBatch(cfg, hi, lo, B, rand, seed), B);
  net.dispose();
}
{
  const dec = makeDecoder(decoderConfig(128, override));
  const e = tf.randomNormal([1, 128]) as tf.Tensor2D;
  const n = 25;
  const runs: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const y = await dec.decode({ embeddings: e, steps: n, guidance: 3, seed: i });
    y.dispose();
    if (i > 0) {
      runs.push((performance.now() - w0) / n);
      cpu.push(cpuMs(process.cpuUsage(c0)) / n);
    }
  }
  out.decode_b1_guided = { steps: n, ms_per_step_wall: Math.round(med(runs) * 10) / 10, ms_per_step_cpu: Math.round(med(cpu) * 10) / 10 };
  e.dispose();
  dec.dispose();
  const up = makeUpsampler(upsamplerConfig());
  const im = tf.randomUniform([1, 32, 32, 3]) as tf.Tensor4D;
  const ur: number[] = [];
  const uc: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const y = await up.upsample({ images: im, steps: 10, seed: i });
    y.dispose();
    if (i > 0) {
      ur.push((performance.now() - w0) / 10);
      uc.push(cpuMs(process.cpuUsage(c0)) / 10);
    }
  }
  out.upsample_b1 = { steps: 10, ms_per_step_wall: Math.round(med(ur) * 10) / 10, ms_per_step_cpu: Math.round(med(uc) * 10) / 10 };
  im.dispose();
  up.dispose();
}
// The machine right now: a 1024³ matmul in GFLOP/s per CPU-second (about 39 on an idle core).
{
  const a = tf.randomNormal([1024, 1024]);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const c0 = process.cpuUsage();
    const r = tf.matMul(a, a);
    await r.data();
    r.dispose();
    best = Math.min(best, cpuMs(process.cpuUsage(c0)));
  }
  a.dispose();
  out.ref_matmul_gflops_per_cpu_s = Math.round((2 * 1024 ** 3) / best / 1e5) / 10;
}
out.load_avg = (await import('node:os')).loadavg().map((x) => Math.round(x * 10) / 10);
console.log(JSON.stringify(out));
