// A node worker: one per core (server/pool.ts). It picks the tensor backend once, loads models
// lazily and keeps them, and runs one node job at a time, posting steps as they happen. Nothing
// here touches sockets; the main thread relays. Cancellation arrives through a shared flag, so a
// busy loop sees it at its next step without waiting for the message queue.
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../ml/backend.js';
import { loadClip, type Clip } from '../ml/clip/index.js';
import { Cancelled, findNodeDef, NodeFailure, type ExecContext, type ModelProvider, type Outputs, type Value } from '../nodes/index.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const backend = await initBackend({ log: () => {} });

/** Tensors held on purpose (loaded models); the rest must return to zero after each job. */
let resident = 0;
let clipCache: { hash: string; clip: Clip; tensors: number } | undefined;

async function getClip(dir: string, hash: string): Promise<Clip> {
  if (clipCache && clipCache.hash === hash) return clipCache.clip;
  if (clipCache) {
    clipCache.clip.dispose();
    resident -= clipCache.tensors;
    clipCache = undefined;
  }
  const before = tf.memory().numTensors;
  const clip = await loadClip(dir);
  const tensors = tf.memory().numTensors - before;
  resident += tensors;
  clipCache = { hash, clip, tensors };
  return clip;
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (m: ToWorker) => {
  if (m.type === 'memory') {
    post({ type: 'memory', jobId: m.jobId, numTensors: tf.memory().numTensors, resident, rssMb: process.memoryUsage().rss / 2 ** 20 });
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
      async clip() {
        const m = job.models.clip;
        if (!m) throw new NodeFailure('MODEL_MISSING', 'CLIP weights are not installed');
        return getClip(m.dir, m.hash);
      },
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
    post({ type: 'result', jobId: job.jobId, outputs, ms: performance.now() - t0, leaked: leaked() }, transferables(outputs));
  } catch (e) {
    const cancelled = e instanceof Cancelled;
    const code = cancelled ? 'CANCELLED' : e instanceof NodeFailure ? e.code : 'NODE_FAILED';
    const port = e instanceof NodeFailure ? e.port : undefined;
    const message = cancelled ? 'cancelled' : (e as Error)?.message ?? String(e);
    post(port === undefined ? { type: 'error', jobId: job.jobId, code, message, cancelled, leaked: leaked() } : { type: 'error', jobId: job.jobId, code, message, port, cancelled, leaked: leaked() });
  }
}

function transferables(outputs: Outputs): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const v of Object.values(outputs) as Value[]) {
    if ((v.kind === 'embedding' || v.kind === 'image') && v.data.byteOffset === 0 && v.data.byteLength === v.data.buffer.byteLength && v.data.buffer instanceof ArrayBuffer && !out.includes(v.data.buffer)) out.push(v.data.buffer);
  }
  return out;
}

post({ type: 'ready', backend: backend.name });
