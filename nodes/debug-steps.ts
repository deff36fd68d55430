// A test instrument, listed only when UNCLIP_DEBUG=1: emits `steps` noise frames, doing about
// `workMs` of tensor math per step on the worker, so the engine's streaming, cancellation,
// slow-client, watch and event-loop behaviour can be tested without a diffusion model. It is not
// a stand-in for the decoder (that node arrives with its model). `failAt` makes step N throw;
// `crashAt` ends the worker thread at step N (the pool must replace it); `badFrameAt` sends step
// N's frame a row short, which sharp refuses (the runner must say so, count it and go on).
import * as tf from '@tensorflow/tfjs-core';
import { defineNode, NodeFailure } from './types.js';

export const debugStepsNode = defineNode({
  decl: {
    type: 'debug-steps',
    version: 1,
    title: 'Debug steps',
    category: 'debug',
    description: 'Test instrument: N noise frames with CPU work per step (UNCLIP_DEBUG=1 only).',
    inputs: [],
    outputs: [{ name: 'image', title: 'last frame', type: { kind: 'image' } }],
    params: [
      { name: 'steps', title: 'Steps', kind: 'integer', default: 10, min: 1, max: 100_000, limit: 'steps' },
      { name: 'workMs', title: 'Work per step (ms)', kind: 'number', default: 20, min: 0, max: 5000 },
      { name: 'size', title: 'Frame size', kind: 'integer', default: 32, min: 8, max: 256 },
      { name: 'seed', title: 'Seed', kind: 'integer', default: 0, min: 0, max: 2 ** 31 - 1 },
      { name: 'failAt', title: 'Fail at step (0: never)', kind: 'integer', default: 0, min: 0, max: 100_000 },
      { name: 'crashAt', title: 'Crash the worker at step (0: never)', kind: 'integer', default: 0, min: 0, max: 100_000 },
      { name: 'badFrameAt', title: 'Send a malformed frame at step (0: never)', kind: 'integer', default: 0, min: 0, max: 100_000 },
    ],
    models: [],
  },
  async execute(ctx) {
    const { steps, workMs, size, seed, failAt, crashAt, badFrameAt } = ctx.params;
    let rng = (seed * 2654435761 + 1) >>> 0;
    let frame = new Uint8Array(size * size * 3);
    for (let s = 1; s <= steps; s++) {
      const until = Date.now() + workMs;
      while (Date.now() < until) {
        // real backend work, freed at once
        tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync());
      }
      if (failAt === s) throw new NodeFailure('NODE_FAILED', `failing at step ${s} as asked (failAt)`);
      if (crashAt === s) process.exit(70); // in a worker thread this ends the thread only
      frame = new Uint8Array(size * size * 3);
      for (let i = 0; i < frame.length; i++) {
        rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0;
        frame[i] = rng >>> 24;
      }
      const data = badFrameAt === s ? frame.subarray(0, size * (size - 1) * 3) : frame;
      ctx.step({ step: s, total: steps, t: 1 - s / steps, frame: { size, data } });
    }
    return { image: { kind: 'image', count: 1, size, data: frame, labels: [`seed ${seed}`] } };
  },
});
