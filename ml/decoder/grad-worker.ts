// The worker thread of ml/decoder/data-parallel.ts: a replica of the network that, for each
// message, takes the main thread's current parameters and a share of the batch, and replies with
// the share's mean loss and its gradient for every parameter (in net.names order).
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend.js';
import type { WorkerInit, WorkerReply, WorkerStep } from './data-parallel.js';
import { unpackBatch } from './data-parallel.js';
import { diffusionLoss, disposeBatch } from './model.js';
import { parameterGradients, readScalar } from '../training/trainer.js';
import { UNet } from './unet.js';

const port = parentPort;
if (!port) throw new Error('grad-worker runs as a worker thread (ml/decoder/data-parallel.ts starts it)');
const init = workerData as WorkerInit;
await initBackend({ log: () => {} });
const net = new UNet(init.config, { name: init.name });
const names = net.names;

port.on('message', async (m: WorkerStep) => {
  let reply: WorkerReply;
  try {
    if (m.params.length !== names.length) throw new Error(`${m.params.length} parameters sent, the network has ${names.length}`);
    tf.tidy(() => names.forEach((p, i) => net.params.get(p)!.assign(tf.tensor(m.params[i]!, net.params.get(p)!.shape))));
    const batch = unpackBatch(m.batch);
    try {
      const { loss: lossTensor, grads } = parameterGradients(net, () => diffusionLoss(net, init.prediction, batch));
      const loss = await readScalar(lossTensor);
      // Copies: a backend may hand out its own storage, which must not be transferred away.
      const arrays = grads.map((g) => (g.dataSync() as Float32Array).slice());
      tf.dispose(grads);
      reply = { loss, grads: arrays };
    } finally {
      disposeBatch(batch);
    }
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply, 'grads' in reply ? reply.grads.map((a) => a.buffer as ArrayBuffer) : []);
});
