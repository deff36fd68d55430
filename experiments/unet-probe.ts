// PROBE, not a model: times one decoder training step (forward + backward + Adam, fp32) of two
// candidate backbones for the 32x32 decoder, so issue 4's backbone choice rests on figures.
//
//   npx tsx experiments/unet-probe.ts unet|unet-nonorm|unet-lite|unet-s2d|vit|vit-small [--batch 32] [--steps 3] [--profile]
//
// Prints one JSON object (last stdout line): params, CPU and wall ms per step, images per
// CPU-second (robust to other work on this shared machine) and per wall second and, with --profile,
// the top kernels of one step from tf.profile. Both networks take the same conditioning as the
// real decoder will (a timestep, and a CLIP image embedding added to the timestep embedding and
// projected into 4 context tokens), and train on ε-prediction with MSE on random images: the
// data does not change the time of a step.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../ml/backend.js';
import { installWasmConvGrad } from '../ml/wasm-conv-grad.js';
import { cosineSchedule, qSample } from '../ml/diffusion/index.js';

type Params = Map<string, tf.Variable>;
// Forward multiply-add FLOPs of convs, dense layers and attention products, counted on one pass.
const flops = { on: false, n: 0 };
const count = (f: number) => {
  if (flops.on) flops.n += f;
};
const EMB = 128; // CLIP embedding width (ml/clip: embedDim 128)

function makeParams(seed: number) {
  const params: Params = new Map();
  let n = seed;
  const normal = (name: string, shape: number[], std: number) => {
    if (!params.has(name)) params.set(name, tf.variable(tf.randomNormal(shape, 0, std, 'float32', n++), true, name));
    return params.get(name)!;
  };
  const zeros = (name: string, shape: number[]) => {
    if (!params.has(name)) params.set(name, tf.variable(tf.zeros(shape), true, name));
    return params.get(name)!;
  };
  const ones = (name: string, shape: number[]) => {
    if (!params.has(name)) params.set(name, tf.variable(tf.ones(shape), true, name));
    return params.get(name)!;
  };
  return { params, normal, zeros, ones };
}
type P = ReturnType<typeof makeParams>;

function dense(p: P, name: string, x: tf.Tensor, din: number, dout: number): tf.Tensor {
  const lead = x.shape.slice(0, -1);
  count(2 * (x.size / din) * din * dout);
  const y = tf.add(tf.matMul(tf.reshape(x, [-1, din]), p.normal(`${name}.w`, [din, dout], 1 / Math.sqrt(din))), p.zeros(`${name}.b`, [dout]));
  return tf.reshape(y, [...lead, dout]);
}
function conv(p: P, name: string, x: tf.Tensor4D, cin: number, cout: number, k = 3, stride = 1, zero = false): tf.Tensor4D {
  const [b, h, wd] = x.shape;
  count(2 * b * Math.ceil(h / stride) * Math.ceil(wd / stride) * k * k * cin * cout);
  const w = zero ? p.zeros(`${name}.w`, [k, k, cin, cout]) : p.normal(`${name}.w`, [k, k, cin, cout], Math.sqrt(2 / (k * k * cin)));
  return tf.add(tf.conv2d(x, w as tf.Tensor4D, stride, 'same'), p.zeros(`${name}.b`, [cout]));
}
const silu = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x));
function groupNorm(p: P, name: string, x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const g = tf.reshape(x, [b, h * w, groups, c / groups]); // [B, HW, G, C/G]
  const { mean, variance } = tf.moments(g, [1, 3], true);
  const y = tf.reshape(tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, 1e-5))), [b, h, w, c]);
  return tf.add(tf.mul(y, p.ones(`${name}.g`, [c])), p.zeros(`${name}.b`, [c])) as tf.Tensor4D;
}
function layerNorm(p: P, name: string, x: tf.Tensor, d: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), p.ones(`${name}.g`, [d])), p.zeros(`${name}.b`, [d]));
}
function timestepEmbedding(t: tf.Tensor1D, dim: number): tf.Tensor2D {
  const half = dim / 2;
  const freqs = tf.exp(tf.mul(-Math.log(10000) / half, tf.range(0, half)));
  const args = tf.mul(tf.reshape(tf.cast(t, 'float32'), [-1, 1]), tf.reshape(freqs, [1, half]));
  return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D;
}
// Multi-head attention of queries x [B, L, D] over keys/values kv [B, Lk, D]; heads folded into
// the batch once (rank-4 transposes only).
function attention(p: P, name: string, x: tf.Tensor, kv: tf.Tensor, d: number, heads: number): tf.Tensor {
  const [b, l] = x.shape as [number, number, number];
  const lk = kv.shape[1]!;
  const dh = d / heads;
  const split = (y: tf.Tensor, len: number) => tf.reshape(tf.transpose(tf.reshape(y, [b, len, heads, dh]), [0, 2, 1, 3]), [b * heads, len, dh]);
  const q = split(dense(p, `${name}.q`, x, d, d), l);
  const k = split(dense(p, `${name}.k`, kv, d, d), lk);
  const v = split(dense(p, `${name}.v`, kv, d, d), lk);
  count(2 * 2 * b * l * lk * d);
  const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh))); // [B·H, L, Lk]
  const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, v), [b, heads, l, dh]), [0, 2, 1, 3]), [b, l, d]);
  return dense(p, `${name}.o`, o, d, d);
}

interface UNetCfg {
  ch: number[];
  blocks: number;
  norm: boolean;
  heads: number;
  tdim: number;
  upConv: boolean;
  /** 's2d': a 2x2 stride-2 patch stem (32x32x3 → 16x16) and a 2x2 transposed conv back, so the U-Net runs from 16x16. */
  stem?: 's2d';
}

// ADM-style U-Net: res-blocks (norm, SiLU, conv; + timestep/CLIP embedding; norm, SiLU, conv),
// stride-2 conv down, nearest-neighbour up + conv, skip concatenation, self-attention (with the 4
// CLIP context tokens as extra keys) at the lowest resolution only.
function unet(p: P, cfg: UNetCfg, x: tf.Tensor4D, t: tf.Tensor1D, clip: tf.Tensor2D): tf.Tensor4D {
  const norm = (name: string, h: tf.Tensor4D) => (cfg.norm ? groupNorm(p, name, h, Math.min(8, h.shape[3] / 4)) : h);
  const temb0 = timestepEmbedding(t, cfg.ch[0]!);
  let emb = dense(p, 'temb.2', silu(dense(p, 'temb.1', temb0, cfg.ch[0]!, cfg.tdim)), cfg.tdim, cfg.tdim);
  emb = tf.add(emb, dense(p, 'clip.emb', clip, EMB, cfg.tdim)); // the seed's first way: added to the timestep embedding
  const embS = silu(emb);
  const top = cfg.ch[cfg.ch.length - 1]!;
  const ctx = tf.reshape(dense(p, 'clip.ctx', clip, EMB, 4 * top), [-1, 4, top]); // the second way: 4 context tokens
  const res = (name: string, h: tf.Tensor4D, cin: number, cout: number): tf.Tensor4D => {
    let y = conv(p, `${name}.c1`, silu(norm(`${name}.n1`, h)) as tf.Tensor4D, cin, cout);
    y = tf.add(y, tf.reshape(dense(p, `${name}.e`, embS, cfg.tdim, cout), [-1, 1, 1, cout])) as tf.Tensor4D;
    y = conv(p, `${name}.c2`, silu(norm(`${name}.n2`, y)) as tf.Tensor4D, cout, cout, 3, 1, true);
    const skip = cin === cout ? h : conv(p, `${name}.skip`, h, cin, cout, 1);
    return tf.add(skip, y) as tf.Tensor4D;
  };
  const attn = (name: string, h: tf.Tensor4D): tf.Tensor4D => {
    const [b, hh, ww, c] = h.shape;
    const tokens = tf.reshape(norm(`${name}.n`, h), [b, hh * ww, c]);
    const o = attention(p, name, tokens, tf.concat([tokens, ctx], 1), c, cfg.heads);
    return tf.add(h, tf.reshape(o, [b, hh, ww, c])) as tf.Tensor4D;
  };
  const last = cfg.ch.length - 1;
  let h = cfg.stem === 's2d' ? conv(p, 'in', x, 3, cfg.ch[0]!, 2, 2) : conv(p, 'in', x, 3, cfg.ch[0]!);
  const skips: tf.Tensor4D[] = [];
  let c = cfg.ch[0]!;
  cfg.ch.forEach((co, lvl) => {
    for (let i = 0; i < cfg.blocks; i++) {
      h = res(`d${lvl}.${i}`, h, c, co);
      c = co;
      if (lvl === last) h = attn(`d${lvl}.${i}.a`, h);
    }
    skips.push(h);
    if (lvl < last) h = conv(p, `d${lvl}.down`, h, c, c, 3, 2);
  });
  h = res('mid.1', h, c, c);
  h = attn('mid.a', h);
  h = res('mid.2', h, c, c);
  for (let lvl = last; lvl >= 0; lvl--) {
    const co = cfg.ch[lvl]!;
    const s = skips[lvl]!;
    h = tf.concat([h, s], 3) as tf.Tensor4D;
    c = c + s.shape[3];
    for (let i = 0; i < cfg.blocks; i++) {
      h = res(`u${lvl}.${i}`, h, c, co);
      c = co;
      if (lvl === last) h = attn(`u${lvl}.${i}.a`, h);
    }
    if (lvl > 0) {
      const [, hh, ww] = h.shape;
      h = conv(p, `u${lvl}.up`, tf.image.resizeNearestNeighbor(h, [hh * 2, ww * 2]), c, c);
    }
  }
  const final = silu(norm('out.n', h)) as tf.Tensor4D;
  if (cfg.stem !== 's2d') return conv(p, 'out', final, c, 3, 3, 1, true);
  const [b] = x.shape;
  count(2 * b * 32 * 32 * 3 * c);
  const w = p.zeros('out.w', [2, 2, 3, c]) as tf.Tensor4D;
  return tf.add(tf.conv2dTranspose(final, w, [b, 32, 32, 3], 2, 'valid'), p.zeros('out.b', [3])) as tf.Tensor4D;
}

interface VitCfg { d: number; depth: number; heads: number; patch: number }

// Patch transformer: 4x4 patch embedding as a stride-4 conv, learned positions, [time, 4 CLIP
// context tokens, 64 patch tokens], pre-LN blocks, and a stride-4 transposed conv back to pixels.
function vit(p: P, cfg: VitCfg, x: tf.Tensor4D, t: tf.Tensor1D, clip: tf.Tensor2D): tf.Tensor4D {
  const { d, patch } = cfg;
  const [b, hh, ww] = x.shape;
  const g = hh / patch;
  const n = g * (ww / patch);
  let tok = tf.reshape(conv(p, 'patch', x, 3, d, patch, patch), [b, n, d]);
  tok = tf.add(tok, p.normal('pos', [1, n, d], 0.02));
  const temb = dense(p, 'temb.2', silu(dense(p, 'temb.1', timestepEmbedding(t, d), d, d)), d, d);
  const tvec = tf.add(temb, dense(p, 'clip.emb', clip, EMB, d));
  const ctx = tf.reshape(dense(p, 'clip.ctx', clip, EMB, 4 * d), [b, 4, d]);
  let h = tf.concat([tf.reshape(tvec, [b, 1, d]), ctx, tok], 1); // [B, 5 + n, D]
  for (let i = 0; i < cfg.depth; i++) {
    const a = layerNorm(p, `b${i}.ln1`, h, d);
    h = tf.add(h, attention(p, `b${i}.att`, a, a, d, cfg.heads));
    const m = layerNorm(p, `b${i}.ln2`, h, d);
    h = tf.add(h, dense(p, `b${i}.fc2`, silu(dense(p, `b${i}.fc1`, m, d, 4 * d)), 4 * d, d));
  }
  const img = tf.reshape(tf.slice(layerNorm(p, 'lnf', h, d), [0, 5, 0], [b, n, d]), [b, g, g, d]) as tf.Tensor4D;
  count(2 * b * hh * ww * 3 * d); // the transposed conv back to pixels
  const wOut = p.zeros('unpatch.w', [patch, patch, 3, d]) as tf.Tensor4D;
  return tf.conv2dTranspose(img, wOut, [b, hh, ww, 3], patch, 'valid');
}

const CONFIGS: Record<string, { kind: 'unet'; cfg: UNetCfg } | { kind: 'vit'; cfg: VitCfg }> = {
  unet: { kind: 'unet', cfg: { ch: [32, 64, 128], blocks: 2, norm: true, heads: 4, tdim: 128, upConv: true } },
  'unet-nonorm': { kind: 'unet', cfg: { ch: [32, 64, 128], blocks: 2, norm: false, heads: 4, tdim: 128, upConv: true } },
  // One res-block per level and no conv after the nearest-neighbour upsample (the next res-block convolves anyway).
  'unet-lite': { kind: 'unet', cfg: { ch: [32, 64, 128], blocks: 1, norm: true, heads: 4, tdim: 128, upConv: false } },
  // Runs from 16x16 after a 2x2 patch stem: ch 64 at 16x16, 128 with attention at 8x8.
  'unet-s2d': { kind: 'unet', cfg: { ch: [64, 128], blocks: 2, norm: true, heads: 4, tdim: 128, upConv: false, stem: 's2d' } },
  // Same architectures at a width the cpu backend can check in seconds (--check-grads).
  'unet-tiny': { kind: 'unet', cfg: { ch: [8, 16, 32], blocks: 1, norm: true, heads: 2, tdim: 32, upConv: true } },
  'unet-tiny-nonorm': { kind: 'unet', cfg: { ch: [8, 16, 32], blocks: 1, norm: false, heads: 2, tdim: 32, upConv: true } },
  'unet-s2d-tiny': { kind: 'unet', cfg: { ch: [16, 32], blocks: 1, norm: true, heads: 2, tdim: 32, upConv: false, stem: 's2d' } },
  vit: { kind: 'vit', cfg: { d: 192, depth: 6, heads: 6, patch: 4 } },
  'vit-small': { kind: 'vit', cfg: { d: 128, depth: 4, heads: 4, patch: 4 } },
};

async function main() {
  const args = process.argv.slice(2);
  const name = args[0] ?? 'unet';
  const opt = (k: string, dflt: number) => (args.includes(k) ? Number(args[args.indexOf(k) + 1]) : dflt);
  const batch = opt('--batch', 32);
  const steps = opt('--steps', 3);
  const profile = args.includes('--profile');
  const spec = CONFIGS[name];
  if (!spec) throw new Error(`unknown config ${name}: ${Object.keys(CONFIGS).join(', ')}`);
  const backend = await initBackend({ log: (l) => process.stderr.write(l + '\n') });
  const conv = installWasmConvGrad({ backpropInput: process.env.PROBE_STOCK_DX !== '1' });
  const p = makeParams(1);
  const schedule = cosineSchedule();
  const net = (x: tf.Tensor4D, t: tf.Tensor1D, c: tf.Tensor2D) => (spec.kind === 'unet' ? unet(p, spec.cfg, x, t, c) : vit(p, spec.cfg, x, t, c));
  if (args.includes('--check-grads')) {
    // Every parameter's gradient on wasm (with the conv-gradient kernels) against the cpu
    // backend's, for one image: the whole network, not just one layer.
    // Batch 1: tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad indexes dy with the input's batch
    // stride, so the cpu reference is wrong for batch > 1 (wasm's kernel is right: it equals the
    // exact 2x2 block sum); with one image the two backends can be compared.
    const lossFn = () => {
      const x0 = tf.randomNormal([1, 32, 32, 3], 0, 0.5, 'float32', 1) as tf.Tensor4D;
      const clip = tf.randomNormal([1, EMB], 0, 1, 'float32', 2) as tf.Tensor2D;
      const t = tf.tensor1d([300], 'int32');
      const noise = tf.randomNormal(x0.shape, 0, 1, 'float32', 3);
      const xt = qSample(schedule, x0, t, noise) as tf.Tensor4D;
      return tf.mean(tf.square(tf.sub(net(xt, t, clip), noise))) as tf.Scalar;
    };
    tf.tidy(() => net(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D, tf.tensor1d([0, 999], 'int32'), tf.zeros([2, EMB]) as tf.Tensor2D));
    // The zero-initialised output layers would make most gradients zero: perturb every variable.
    for (const v of p.params.values()) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.02, 'float32', 9))));
    const losses: number[] = [];
    const grab = () => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn);
      losses.push(value.dataSync()[0]!);
      return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array]));
    });
    const tCheck = performance.now();
    const onWasm = grab();
    await tf.setBackend('cpu');
    const onCpu = grab();
    await tf.setBackend('wasm');
    // Gradients that are zero in exact arithmetic (an attention key bias shifts every logit of a
    // row equally) are float noise on both backends: judge each against the largest gradient too.
    let global = 0;
    for (const g of Object.values(onCpu)) for (const v of g) global = Math.max(global, Math.abs(v));
    const rows: Array<[string, number, number]> = [];
    let worst = { name: '', rel: 0 };
    let worstConv = { name: '', rel: 0 };
    for (const [k, want] of Object.entries(onCpu)) {
      const got = onWasm[k]!;
      let scale = 0;
      let err = 0;
      for (let i = 0; i < want.length; i++) {
        scale = Math.max(scale, Math.abs(want[i]!));
        err = Math.max(err, Math.abs(got[i]! - want[i]!));
      }
      const rel = err / Math.max(scale, 1e-3 * global);
      if (rel > worst.rel) worst = { name: k, rel };
      rows.push([k, rel, scale / global]);
      if (p.params.get(k)!.rank === 4 && rel > worstConv.rel) worstConv = { name: k, rel };
    }
    console.log(JSON.stringify({ config: name, check: 'grads wasm vs cpu', variables: Object.keys(onCpu).length, worst_rel_err: worst.rel, worst_variable: worst.name, worst_conv_rel_err: worstConv.rel, worst_conv_variable: worstConv.name, losses,
      top: args.includes('--verbose') ? rows : undefined, seconds: Math.round((performance.now() - tCheck) / 1000) }));
    return;
  }
  const opt_ = tf.train.adam(2e-4);
  let seed = 100;
  const step = () => {
    const loss = opt_.minimize(() => {
      const x0 = tf.clipByValue(tf.randomNormal([batch, 32, 32, 3], 0, 0.5, 'float32', seed++), -1, 1) as tf.Tensor4D;
      const clip = tf.randomNormal([batch, EMB], 0, 1, 'float32', seed++) as tf.Tensor2D;
      const t = tf.randomUniform([batch], 0, 1000, 'int32', seed++) as tf.Tensor1D;
      const noise = tf.randomNormal(x0.shape, 0, 1, 'float32', seed++);
      const xt = qSample(schedule, x0, t, noise) as tf.Tensor4D;
      return tf.mean(tf.square(tf.sub(net(xt, t, clip), noise))) as tf.Scalar;
    }, true);
    return loss!;
  };
  // Create the variables with one small forward pass (minimize() only sees variables that exist
  // when it is called), then one step outside the timing (warms XNNPACK's operator cache).
  flops.on = true;
  tf.tidy(() => net(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D, tf.tensor1d([0, 999], 'int32'), tf.zeros([2, EMB]) as tf.Tensor2D));
  flops.on = false;
  const mflopsPerImage = flops.n / 2 / 1e6;
  // The machine's state right now: 1024³ matmul GFLOP/s per CPU-second (39 on an idle core per DESIGN.md).
  const refA = tf.randomNormal([1024, 1024]);
  let refMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const r0 = process.cpuUsage();
    const r = tf.matMul(refA, refA);
    await r.data();
    r.dispose();
    const r1 = process.cpuUsage(r0);
    refMs = Math.min(refMs, (r1.user + r1.system) / 1000);
  }
  refA.dispose();
  const t0 = performance.now();
  const l0 = step();
  await l0.data();
  l0.dispose();
  const firstMs = performance.now() - t0;
  const nParams = [...p.params.values()].reduce((a, v) => a + v.size, 0);
  // Wall time depends on what else runs on this 2-core machine; this process's CPU time does much
  // less (the wasm backend uses one thread), so the figures below are per CPU-second.
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let loss = 0;
  for (let i = 0; i < steps; i++) {
    const s0 = performance.now();
    const c0 = process.cpuUsage();
    const l = step();
    loss = (await l.data())[0]!;
    l.dispose();
    const c1 = process.cpuUsage(c0);
    cpuTimes.push((c1.user + c1.system) / 1000);
    times.push(performance.now() - s0);
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const wallMs = med(times);
  const ms = med(cpuTimes);
  const out: Record<string, unknown> = {
    config: name, spec: spec.cfg, backend: backend.name, convGrad: conv, batch, params: nParams,
    fwd_mflops_per_image: Math.round(mflopsPerImage), ref_matmul_gflops: Math.round((2 * 1024 ** 3) / refMs / 1e5) / 10,
    first_step_ms: Math.round(firstMs), step_cpu_ms: Math.round(ms), step_cpu_ms_all: cpuTimes.map(Math.round), step_wall_ms: Math.round(wallMs),
    images_per_cpu_s: Math.round((batch / ms) * 1000 * 10) / 10, images_per_wall_s: Math.round((batch / wallMs) * 1000 * 10) / 10,
    // Training ≈ 3× the forward FLOPs (forward, input gradient, weight gradient).
    train_gflops_per_s: Math.round(((3 * mflopsPerImage * batch) / ms) * 10) / 10, loss,
  };
  if (profile) {
    const before = tf.memory().numTensors;
    const info = await tf.profile(async () => {
      const l = step();
      await l.data();
      l.dispose();
    });
    // Kernels called from inside our conv-gradient kernels are profiled too; list those separately.
    const inner = new Set(['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    const agg = new Map<string, { ms: number; n: number }>();
    let total = 0;
    let depthNote = false;
    for (const k of info.kernels) {
      const a = agg.get(k.name) ?? { ms: 0, n: 0 };
      a.ms += Number(k.kernelTimeMs);
      a.n++;
      agg.set(k.name, a);
      if (inner.has(k.name)) depthNote = true;
    }
    for (const [k, v] of agg) if (!inner.has(k)) total += v.ms;
    out.profile = {
      note: depthNote ? 'Conv2DBackpropFilter/Input are composed kernels: their time includes the inner PadV2/Transpose/BatchMatMul/Conv2D entries also listed (counted once in sum_ms)' : undefined,
      sum_ms: Math.round(total),
      top: [...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14).map(([k, v]) => ({ kernel: k, ms: Math.round(v.ms), calls: v.n })),
      tensors_left: tf.memory().numTensors - before,
    };
  }
  console.log(JSON.stringify(out));
}

await main();
