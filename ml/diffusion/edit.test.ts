// Image to image and inpainting through the one sampling loop, on toy data whose exact denoiser is
// known (data ~ N(0, I) in 2-D): the output leaves the image as strength grows, kept pixels come
// back exactly, masked ones are drawn from the data; same arguments, same bytes; no tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { cosineSchedule, editTimesteps, sample, samplingTimesteps, type SampleOptions, type SamplerName } from './index.js';
import { gaussianDenoiser } from './test-toys.js';

const N = 2000;
const schedule = cosineSchedule();
const base = (seed = 1, sampler: SamplerName = 'ddim'): SampleOptions<number> => ({ model: gaussianDenoiser([0, 0], 1, 'eps'), prediction: 'eps', shape: [N, 2], steps: 25, seed, sampler, schedule });
// the image every row starts from: far from the data's mean, so what is left of it shows
const image = () => tf.fill([N, 2], 3);

async function meanOf(x: tf.Tensor, col: number): Promise<number> {
  const v = (await x.data()) as Float32Array;
  let s = 0;
  for (let i = 0; i < N; i++) s += v[i * 2 + col]!;
  return s / N;
}

test('an edit runs the tail of the timesteps, from the level its strength names', () => {
  const ts = samplingTimesteps(25, 1000);
  assert.deepEqual(editTimesteps(ts, 1, 1000), ts);
  const tail = editTimesteps(ts, 0.3, 1000);
  assert.ok(tail.length >= 7 && tail.length <= 8, String(tail));
  assert.ok(tail[0]! <= 300 && tail.at(-1) === 0);
  assert.deepEqual(editTimesteps(ts, 0.001, 1000), [0], 'at least one step');
});

test('image to image: the output moves from the image toward the data as strength grows', async () => {
  await initBackend({ log: () => {} });
  const img = image();
  const means: number[] = [];
  for (const strength of [0.1, 0.3, 0.6, 0.9, 1]) {
    const x = await sample({ ...base(), edit: { image: img, strength } });
    means.push(await meanOf(x, 0));
    x.dispose();
  }
  img.dispose();
  // the exact posterior mean keeps √ᾱ of the image's offset: 3 at strength 0, 0 at pure noise
  for (let i = 1; i < means.length; i++) assert.ok(means[i]! < means[i - 1]!, `not decreasing: ${means.map((m) => m.toFixed(3))}`);
  assert.ok(means[0]! > 2.5, `strength 0.1 kept too little: ${means[0]}`);
  assert.ok(Math.abs(means.at(-1)!) < 0.1, `strength 1 should forget the image: ${means.at(-1)}`);
});

test('inpainting: kept values come back exactly, masked ones are drawn from the data', async () => {
  await initBackend({ log: () => {} });
  const img = image();
  const mask = tf.tensor2d([1, 0], [1, 2]); // draw column 0 anew, keep column 1
  for (const sampler of ['ddim', 'ddpm', 'dpmpp2m'] as const) {
    const x = await sample({ ...base(2, sampler), edit: { image: img, strength: 1, mask } });
    const kept = (await x.data()) as Float32Array;
    for (let i = 0; i < N; i++) assert.equal(kept[i * 2 + 1], 3, `${sampler}: row ${i} lost its kept value`);
    assert.ok(Math.abs(await meanOf(x, 0)) < 0.1, `${sampler}: masked column not drawn from the data`);
    x.dispose();
  }
  tf.dispose([img, mask]);
});

test('edits: same arguments give the same bytes, another seed other bytes; nothing leaks', async () => {
  await initBackend({ log: () => {} });
  const img = image();
  const mask = tf.tensor2d([1, 0], [1, 2]);
  const before = tf.memory().numTensors;
  const run = async (seed: number) => {
    const x = await sample({ ...base(seed), steps: 10, edit: { image: img, strength: 0.6, mask } });
    const b = Buffer.from(((await x.data()) as Float32Array).buffer);
    x.dispose();
    return b;
  };
  const a = await run(4);
  assert.ok(a.equals(await run(4)));
  assert.ok(!a.equals(await run(5)));
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  tf.dispose([img, mask]);
});

test('edits that cannot be are refused before anything runs', async () => {
  await initBackend({ log: () => {} });
  const img = image();
  const bad = tf.zeros([1, 3]);
  await assert.rejects(sample({ ...base(), edit: { image: img, strength: 0 } }), /strength must be in \(0, 1\]/);
  await assert.rejects(sample({ ...base(), edit: { image: img, strength: 1.5 } }), /strength must be in \(0, 1\]/);
  await assert.rejects(sample({ ...base(), edit: { image: bad, strength: 0.5 } }), /edit image shape/);
  await assert.rejects(sample({ ...base(), edit: { image: img, strength: 0.5, mask: bad } }), /does not broadcast/);
  await assert.rejects(sample({ ...base(), init: img, edit: { image: img, strength: 0.5 } }), /not both/);
  tf.dispose([img, bad]);
});
