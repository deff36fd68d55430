// Data-parallel training over worker threads, so one training run can use every core.
//
// Why: the wasm backend runs single-threaded under Node (its threaded build needs a
// SharedArrayBuffer-backed module that Node's loader cannot start), so a run used one core of
// this machine's two. Each worker thread loads its own tfjs + wasm instance (modules are per
// isolate) and holds a replica of the network.
//
// One step: the main thread builds the whole batch exactly as a single-threaded run does (same
// rows, timesteps, noise, dropped embeddings), sends each worker its share of the rows together
// with the current parameters, computes the gradient of its own share meanwhile, then averages
// the shares' gradients weighted by their row counts (= the gradient of the whole batch's mean
// loss) and takes the one optimiser step (clipping, Adam, EMA) itself. So a run is the same
// training with any thread count, up to float rounding in the sum: resuming with another
// --threads is fine; bit-exact resume holds for the same thread count.
import * as tf from '@tensorflow/tfjs-core';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Parameterization } from '../diffusion/index.js';
import type { DiffusionBatch } from './model.js';
import { type Trainer, parameterGradients, readScalar } from '../training/trainer.js';
import type { UNet, UNetConfig } from './unet.js';

/** One batch tensor as plain data (what crosses to a worker). */
export interface PackedTensor {
  key: BatchKey;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

const BATCH_KEYS = ['x0', 't', 'noise', 'emb', 'keep', 'lowres', 'augT'] as const;
type BatchKey = (typeof BATCH_KEYS)[number];

function batchTensors(b: DiffusionBatch): Partial<Record<BatchKey, tf.Tensor>> {
  const c = b.cond;
  const out: Partial<Record<BatchKey, tf.Tensor>> = { x0: b.x0, t: b.t, noise: b.noise };
  if (c.emb) out.emb = c.emb;
  if (c.keep) out.keep = c.keep;
  if (c.lowres) out.lowres = c.lowres;
  if (c.augT) out.augT = c.augT;
  return out;
}

function batchOf(t: Partial<Record<BatchKey, tf.Tensor>>): DiffusionBatch {
  if (!t.x0 || !t.t || !t.noise) throw new Error('a packed batch needs x0, t and noise');
  return {
    x0: t.x0 as tf.Tensor4D,
    t: t.t as tf.Tensor1D,
    noise: t.noise as tf.Tensor4D,
    cond: { emb: (t.emb as tf.Tensor2D | undefined) ?? null, keep: (t.keep as tf.Tensor1D | undefined) ?? null, lowres: t.lowres as tf.Tensor4D | undefined, augT: t.augT as tf.Tensor1D | undefined },
  };
}

/** Rows [start, end) of every tensor of a batch (new tensors: the caller disposes them, e.g. with disposeBatch). */
export function sliceBatch(b: DiffusionBatch, start: number, end: number): DiffusionBatch {
  const rows = (x: tf.Tensor) => tf.slice(x, [start, ...x.shape.slice(1).map(() => 0)], [end - start, ...x.shape.slice(1)]);
  const out: Partial<Record<BatchKey, tf.Tensor>> = {};
  for (const [k, x] of Object.entries(batchTensors(b)) as [BatchKey, tf.Tensor][]) out[k] = rows(x);
  return batchOf(out);
}

/** Rows [start, end) of a batch as plain arrays. */
export function packBatch(b: DiffusionBatch, start: number, end: number): PackedTensor[] {
  const part = sliceBatch(b, start, end);
  try {
    return (Object.entries(batchTensors(part)) as [BatchKey, tf.Tensor][]).map(([key, x]) => ({
      key,
      shape: x.shape,
      dtype: x.dtype === 'int32' ? 'int32' : 'float32',
      data: x.dataSync() as Float32Array | Int32Array,
    }));
  } finally {
    tf.dispose(Object.values(batchTensors(part)));
  }
}

/** The batch a packBatch() describes, as new tensors (the caller disposes them). */
export function unpackBatch(packed: PackedTensor[]): DiffusionBatch {
  const t: Partial<Record<BatchKey, tf.Tensor>> = {};
  for (const p of packed) {
    if (!BATCH_KEYS.includes(p.key)) throw new Error(`unknown batch tensor ${String(p.key)}`);
    t[p.key] = tf.tensor(p.data, p.shape, p.dtype);
  }
  return batchOf(t);
}

/** Contiguous shares of `n` rows over `parts` threads, as even as possible: [start, end) each. */
export function shares(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const size = Math.floor(n / parts) + (i < n % parts ? 1 : 0);
    out.push([start, start + size]);
    start += size;
  }
  return out.filter(([a, b]) => b > a);
}

/** What the main thread sends a worker: its config once (workerData), then one message per step. */
export interface WorkerInit {
  config: UNetConfig;
  name: string;
  prediction: Parameterization;
}
export interface WorkerStep {
  params: Float32Array[];
  batch: PackedTensor[];
}
export type WorkerReply = { loss: number; grads: Float32Array[] } | { error: string };

// The worker runs the same source as this file's siblings: .js when compiled; under tsx, a small
// .mjs entry registers tsx in the worker first (a worker thread does not inherit the loader hooks).
const WORKER_URL = new URL(extname(fileURLToPath(import.meta.url)) === '.ts' ? './grad-worker-tsx.mjs' : './grad-worker.js', import.meta.url);

class GradWorker {
  private readonly worker: Worker;
  private pending: { resolve: (r: { loss: number; grads: Float32Array[] }) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(init: WorkerInit) {
    this.worker = new Worker(WORKER_URL, { workerData: init });
    this.worker.on('message', (m: WorkerReply) => {
      const p = this.pending;
      this.pending = null;
      if (!p) return;
      if ('error' in m) p.reject(new Error(`gradient worker: ${m.error}`));
      else p.resolve(m);
    });
    const fail = (e: Error) => {
      this.failure = e;
      this.pending?.reject(e);
      this.pending = null;
    };
    this.worker.on('error', (e) => fail(new Error(`gradient worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => fail(new Error(`gradient worker exited (code ${code})`)));
  }

  run(msg: WorkerStep): Promise<{ loss: number; grads: Float32Array[] }> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('gradient worker is busy'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(msg);
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

export class DataParallel {
  readonly threads: number;
  private readonly workers: GradWorker[];
  private readonly net: UNet;

  /** `threads` - 1 worker threads beside this one, each with a replica of `net`'s architecture. */
  constructor(net: UNet, name: string, prediction: Parameterization, threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
    this.threads = threads;
    this.net = net;
    this.workers = Array.from({ length: threads - 1 }, () => new GradWorker({ config: net.config, name, prediction }));
  }

  /**
   * One optimiser step on the mean loss of `batch`, its rows shared over the threads. `loss` builds
   * the loss of a share (it runs on this thread's share; workers run diffusionLoss on theirs).
   */
  async step(trainer: Trainer, batch: DiffusionBatch, loss: (b: DiffusionBatch) => tf.Scalar): Promise<{ loss: number; gradNorm: number }> {
    const n = batch.x0.shape[0];
    const parts = shares(n, this.threads);
    const names = this.net.names;
    // Sent before this thread starts on its own share, so the workers run alongside it.
    const params = this.workers.length ? names.map((p) => this.net.params.get(p)!.dataSync() as Float32Array) : [];
    const remote = parts.slice(1).map(([a, b], i) => this.workers[i]!.run({ params, batch: packBatch(batch, a, b) }));
    const [a0, b0] = parts[0]!;
    let local: { loss: number; grads: tf.Tensor[] };
    try {
      const own = parameterGradients(this.net, () => {
        const mine = a0 === 0 && b0 === n ? batch : sliceBatch(batch, a0, b0);
        return loss(mine); // slices are made inside the gradient's tidy and go with it
      });
      local = { loss: await readScalar(own.loss), grads: own.grads };
    } catch (e) {
      await Promise.allSettled(remote); // the workers are free again before the error goes up
      throw e;
    }
    let replies: { loss: number; grads: Float32Array[] }[];
    try {
      replies = await Promise.all(remote);
    } catch (e) {
      await Promise.allSettled(remote);
      tf.dispose(local.grads);
      throw e;
    }
    if (!replies.length) {
      try {
        return { loss: local.loss, gradNorm: await trainer.apply(local.grads) };
      } finally {
        tf.dispose(local.grads);
      }
    }
    const weights = parts.map(([a, b]) => (b - a) / n);
    const grads = tf.tidy(() =>
      names.map((p, j) => {
        const shape = this.net.params.get(p)!.shape;
        let g = tf.mul(local.grads[j]!, weights[0]!);
        replies.forEach((r, i) => (g = tf.add(g, tf.mul(tf.tensor(r.grads[j]!, shape), weights[i + 1]!))));
        return g;
      }),
    );
    tf.dispose(local.grads);
    try {
      const total = weights[0]! * local.loss + replies.reduce((s, r, i) => s + weights[i + 1]! * r.loss, 0);
      return { loss: total, gradNorm: await trainer.apply(grads) };
    } finally {
      tf.dispose(grads);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
