// A node worker: one per core (server/pool.ts). It picks the tensor backend once, loads models
// lazily and keeps them, and runs one node job at a time, posting steps as they happen. Nothing
// here touches sockets; the main thread relays. Cancellation arrives through a shared flag, so a
// busy loop sees it at its next step without waiting for the message queue.
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../ml/backend.js';
import { loadClip } from '../ml/clip/index.js';
import { loadDecoder, loadUpsampler } from '../ml/decoder/index.js';
import { loadPrior } from '../ml/prior/index.js';
import { Cancelled, findNodeDef, NodeFailure, type ExecContext, type ModelProvider, type Outputs, type Value } from '../nodes/index.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const backend = await initBackend({ log: () => {} });

/** Tensors held on purpose (loaded models); the rest must return to zero after each job. */
let resident = 0;

/** Loaded models by name, each kept until its weights change (a new hash). */
const loaded = new Map<string, { hash: string; model: { dispose(): void }; tensors: number }>();

async function getModel<M extends { dispose(): void }>(name: string, dir: string, hash: string, load: (dir: string) => Promise<M>): Promise<M> {
  const have = loaded.get(name);
  if (have && have.hash === hash) return have.model as M;
  if (have) {
    have.model.dispose();
    resident -= have.tensors;
    loaded.delete(name);
  }
  const before = tf.memory().numTensors;
  const model = await load(dir);
  const tensors = tf.memory().numTensors - before;
  resident += tensors;
  loaded.set(name, { hash, model, tensors });
  return model;
}

/**
 * What this thread alone holds, in MiB: its JS heap and its memory outside it (buffers, and the
 * wasm backend's heap, which grows to the largest batch it ran and never shrinks). Process RSS is
 * shared by all threads; this is what retiring the thread would give back.
 */
function ownMb(): number {
  const u = process.memoryUsage();
  return (u.heapTotal + u.external) / 2 ** 20;
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (m: ToWorker) => {
  if (m.type === 'memory') {
    post({ type: 'memory', jobId: m.jobId, numTensors: tf.memory().numTensors, resident, rssMb: process.memoryUsage().rss / 2 ** 20, ownMb: ownMb() });
    return;
  }
  // one job at a time: the leak count and tf's global state assume it
  queue = queue.then(() => runJob(m));
});

async function runJob(job: Extract<ToWorker, { type: 'job' }>): Promise<void> {
  const flag = new Int32Array(job.cancel);
  const isCancelled = () => Atomics.load(flag, 0) !== 0;
  const def = findNodeDef(job.nodeType, { debug: init.debug });
  const before = tf.memory().numTensors - resident;
  const leaked = () => tf.memory().numTensors - resident - before;
  const t0 = performance.now();
  try {
    if (!def) throw new NodeFailure('UNKNOWN_NODE_TYPE', `worker has no node type ${job.nodeType}`);
    const models: ModelProvider = {
      clip: () => getModel('clip', dirOf(job, 'clip'), job.models.clip!.hash, loadClip),
      prior: () => getModel('prior', dirOf(job, 'prior'), job.models.prior!.hash, loadPrior),
      decoder: () => getModel('decoder', dirOf(job, 'decoder'), job.models.decoder!.hash, loadDecoder),
      upsampler: () => getModel('upsampler', dirOf(job, 'upsampler'), job.models.upsampler!.hash, loadUpsampler),
      weightsHash(model) {
        const m = job.models[model];
        if (!m) throw new NodeFailure('MODEL_MISSING', `${model} weights are not installed`);
        return m.hash;
      },
    };
    const ctx: ExecContext = {
      nodeId: job.nodeId,
      params: job.params,
      inputs: job.inputs,
      models,
      limits: job.limits,
      cacheDir: init.cacheDir,
      checkCancelled() {
        if (isCancelled()) throw new Cancelled();
      },
      step(info) {
        if (isCancelled()) throw new Cancelled();
        // frames are copied by structured clone; the node may reuse its buffer
        post({ type: 'step', jobId: job.jobId, info });
      },
    };
    if (isCancelled()) throw new Cancelled();
    const outputs: Outputs = await def.execute(ctx);
    post({ type: 'result', jobId: job.jobId, outputs, ms: performance.now() - t0, leaked: leaked(), ownMb: ownMb() }, transferables(outputs));
  } catch (e) {
    const cancelled = e instanceof Cancelled;
    const code = cancelled ? 'CANCELLED' : e instanceof NodeFailure ? e.code : 'NODE_FAILED';
    const port = e instanceof NodeFailure ? e.port : undefined;
    const message = cancelled ? 'cancelled' : (e as Error)?.message ?? String(e);
    const base = { type: 'error' as const, jobId: job.jobId, code, message, cancelled, leaked: leaked(), ownMb: ownMb() };
    post(port === undefined ? base : { ...base, port });
  }
}

/** The folder of a model the job declared (the node's decl.models); a clear failure otherwise. */
function dirOf(job: Extract<ToWorker, { type: 'job' }>, model: string): string {
  const m = job.models[model];
  if (!m) throw new NodeFailure('MODEL_MISSING', `${model} weights are not installed (or the node does not declare ${model} in decl.models)`);
  return m.dir;
}

function transferables(outputs: Outputs): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const v of Object.values(outputs) as Value[]) {
    if ((v.kind === 'embedding' || v.kind === 'image') && v.data.byteOffset === 0 && v.data.byteLength === v.data.buffer.byteLength && v.data.buffer instanceof ArrayBuffer && !out.includes(v.data.buffer)) out.push(v.data.buffer);
  }
  return out;
}

post({ type: 'ready', backend: backend.name });
