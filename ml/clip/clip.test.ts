// The shipped CLIP (weights/clip) as a fresh clone gets it: no training step. Encodes "red apple"
// and rendered twemoji icons (twemoji is the style held out of training).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { renderIcon } from '../data/corpus.js';
import { loadClip } from './index.js';

await initBackend({ log: () => {} });

test('shipped CLIP: "red apple" scores a rendered red apple above a rendered rocket', async () => {
  const clip = await loadClip();
  try {
    const before = tf.memory().numTensors;
    const apple = await renderIcon('twemoji:red-apple', 32);
    const rocket = await renderIcon('twemoji:rocket', 32);
    const bytes = new Uint8Array(2 * 32 * 32 * 3);
    bytes.set(apple, 0);
    bytes.set(rocket, 32 * 32 * 3);
    const img = clip.encodeImageBytes(bytes, 2); // [2, D]
    const txt = clip.encodeText(['red apple', 'rocket', 'red zxqv apple']);
    assert.deepEqual(img.shape, [2, clip.dim]);
    assert.deepEqual(txt.embeddings.shape, [3, clip.dim]);
    assert.deepEqual(txt.tokenStates.shape, [3, clip.contextLength, clip.textWidth]);
    const norms = tf.tidy(() => [...tf.norm(img, 2, 1).dataSync(), ...tf.norm(txt.embeddings, 2, 1).dataSync()]);
    for (const n of norms) assert.ok(Math.abs(n - 1) < 1e-4, `norm ${n}`);
    const sims = tf.tidy(() => tf.matMul(txt.embeddings, img, false, true).arraySync() as number[][]);
    assert.ok(sims[0]![0]! > sims[0]![1]!, `"red apple": apple ${sims[0]![0]} vs rocket ${sims[0]![1]}`);
    assert.ok(sims[1]![1]! > sims[1]![0]!, `"rocket": rocket ${sims[1]![1]} vs apple ${sims[1]![0]}`);
    assert.deepEqual(txt.unknownWords, [[], [], ['zxqv']]);
    tf.dispose([img, txt.embeddings, txt.tokenStates, txt.ids]);
    assert.equal(tf.memory().numTensors, before);
  } finally {
    clip.dispose();
  }
});
