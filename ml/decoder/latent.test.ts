// The latent decoder (latent.ts) on tiny random models saved to a temporary folder: it draws
// [N, 32, 32, 3] pictures through its autoencoder, its step frames are pictures too, the same seed
// gives the same bytes, edits (image to image, masks) work in the latent, it refuses an autoencoder
// other than the one it was trained with, and loading, decoding and disposing leak nothing. Training's
// corpus latents are encoded once per (autoencoder, corpus) and then read from the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Autoencoder, defaultAutoencoderConfig, latentSide } from '../autoencoder/model.js';
import { initBackend } from '../backend.js';
import { saveCheckpoint } from '../checkpoint.js';
import { loadDecoder, makeDecoder, type ImageStepInfo } from './index.js';
import type { Corpus, CorpusEntry } from '../data/corpus.js';
import { corpusLatents, latentSpec } from './latent.js';
import { decoderBatch, disposeBatch, latentDecoderConfig } from './model.js';
import { perturb } from './test-util.js';

await initBackend({ log: () => {} });

const root = mkdtempSync(join(tmpdir(), 'latent-decoder-test-'));
const aeDir = join(root, 'autoencoder');
const decDir = join(root, 'decoder');
const aeCfg = defaultAutoencoderConfig({ channels: [8, 8, 8], shift: [0.1, -0.1, 0, 0.2], scale: [2, 1, 0.5, 1] });
function saveAutoencoder(seed: number): void {
  const ae = new Autoencoder(aeCfg, { seed });
  saveCheckpoint(aeDir, { config: aeCfg, tensors: ae.store.tensors(), metadata: { model: 'autoencoder' } });
  ae.dispose();
}
saveAutoencoder(1);
const cfg = latentDecoderConfig(16, aeCfg, latentSpec(aeDir), { channels: [8, 16, 16], heads: 2, tdim: 32 });
{
  const d = makeDecoder(cfg, undefined, { seed: 2, dir: decDir });
  perturb(d.net, 0.05, 1);
  d.save(decDir);
  d.dispose();
}
test.after(() => rmSync(root, { recursive: true, force: true }));

const emb = () => tf.randomNormal([2, 16], 0, 1, 'float32', 42) as tf.Tensor2D;
const bytesOf = async (x: tf.Tensor) => Uint8Array.from(await x.data(), (v) => Math.round(v * 255));

test('a latent decoder diffuses 8x8x4 latents and draws 32x32 pictures; frames are pictures; same seed, same bytes; no leaks', async () => {
  assert.deepEqual([cfg.unet.imageSize, cfg.unet.outChannels], [8, 4]);
  const before = tf.memory().numTensors;
  const dec = await loadDecoder(decDir);
  const e = emb();
  try {
    assert.equal(dec.imageSize, 32);
    const frames: { xt: number[]; x0: number[]; range: boolean }[] = [];
    const onStep = async (s: ImageStepInfo) => {
      const v = await s.x0pred.data();
      frames.push({ xt: s.xt.shape, x0: s.x0pred.shape, range: v.every((x) => x >= 0 && x <= 1) });
    };
    const a = await dec.decode({ embeddings: e, steps: 4, guidance: 3, seed: 7, onStep });
    const b = await dec.decode({ embeddings: e, steps: 4, guidance: 3, seed: 7 });
    const c = await dec.decode({ embeddings: e, steps: 4, guidance: 3, seed: 8 });
    assert.deepEqual(a.shape, [2, 32, 32, 3]);
    assert.equal(frames.length, 4);
    assert.ok(frames.every((f) => f.xt.join() === '2,32,32,3' && f.x0.join() === '2,32,32,3' && f.range), JSON.stringify(frames[0]));
    assert.deepEqual(await bytesOf(a), await bytesOf(b));
    assert.notDeepEqual(await bytesOf(a), await bytesOf(c));
    // Inpainting: the mask is taken to the latent's resolution; outside it the picture is the autoencoder's copy of the image.
    const images = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const mask = tf.tidy(() => tf.concat([tf.ones([2, 16, 32, 1]), tf.zeros([2, 16, 32, 1])], 1)) as tf.Tensor4D;
    const edited = await dec.decode({ embeddings: e, steps: 4, seed: 7, edit: { images, strength: 1, mask } });
    const again = await dec.decode({ embeddings: e, steps: 4, seed: 7, edit: { images, strength: 1, mask } });
    assert.deepEqual(edited.shape, [2, 32, 32, 3]);
    assert.deepEqual(await bytesOf(edited), await bytesOf(again));
    // Outside the mask the output is the image itself (not the autoencoder's softer copy of it).
    const keptDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.slice(edited, [0, 16, 0, 0]), tf.slice(images, [0, 16, 0, 0])))).dataSync()[0]!);
    assert.ok(keptDiff < 1e-6, `unmasked pixels changed by ${keptDiff}`);
    // A pixel bound on x₀ means nothing for a latent: asking for one is refused, not ignored.
    await assert.rejects(dec.decode({ embeddings: e, steps: 2, threshold: 'clip' }), /latents.*leave threshold out/);
    tf.dispose(await dec.decode({ embeddings: e, steps: 2, threshold: 'none' }));
    tf.dispose([a, b, c, images, mask, edited, again]);
  } finally {
    e.dispose();
    dec.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'the decoder and the autoencoder it loaded are freed');
});

test('a latent decoder refuses a missing or different autoencoder, saying what to do', async () => {
  const kept = join(root, 'kept');
  cpSync(aeDir, kept, { recursive: true });
  const restore = () => {
    rmSync(aeDir, { recursive: true, force: true });
    cpSync(kept, aeDir, { recursive: true });
  };
  saveAutoencoder(2);
  try {
    await assert.rejects(loadDecoder(decDir), /trained in the latent of autoencoder .*retrain the decoder/);
  } finally {
    restore();
  }
  rmSync(aeDir, { recursive: true });
  try {
    await assert.rejects(loadDecoder(decDir), /there is none/);
  } finally {
    restore();
  }
  const dec = await loadDecoder(decDir);
  dec.dispose();
});

test('latent training batches: float32 latents in, noise of their shape; pixels refused', () => {
  const n = 3;
  const lat = Float32Array.from({ length: n * 8 * 8 * 4 }, (_, i) => Math.sin(i));
  const e = new Float32Array(n * 16);
  let k = 0;
  const b = decoderBatch(cfg, lat, e, n, () => (k = (k * 9301 + 49297) % 233280) / 233280, 1);
  try {
    assert.deepEqual(b.x0.shape, [3, 8, 8, 4]);
    assert.deepEqual(b.noise.shape, [3, 8, 8, 4]);
    assert.ok(Math.abs(b.x0.dataSync()[1]! - Math.sin(1)) < 1e-6, 'the latents are used as they are');
  } finally {
    disposeBatch(b);
  }
  assert.throws(() => decoderBatch(cfg, new Uint8Array(n * 32 * 32 * 3), e, n, Math.random, 1), /float32 latents/);
});

test('corpus latents are encoded once per autoencoder and corpus, then read back from the cache', async () => {
  const cacheDir = join(root, 'latent-cache');
  const entry = (key: string) => ({ key, style: 'noto', iconName: key, concept: key, label: key, tags: [], group: '', subgroup: '', hexcode: key, tone: [] }) as CorpusEntry;
  const corpus: Corpus = { size: 32, entries: ['a', 'b', 'c'].map(entry), images: Uint8Array.from({ length: 3 * 32 * 32 * 3 }, (_, i) => (i * 37) % 256) };
  const ae = new Autoencoder(aeCfg, { seed: 1 });
  const before = tf.memory().numTensors;
  try {
    const run = async (hash: string, c = corpus) => {
      let how = 'encoded';
      const v = await corpusLatents(ae, hash, c, { cacheDir, onProgress: (_d, _t, info) => void (how = info?.cached === 'yes' ? 'cached' : 'encoded') });
      return { v, how };
    };
    const first = await run('hash-1');
    assert.equal(first.how, 'encoded');
    assert.equal(first.v.length, 3 * latentSide(aeCfg) ** 2 * aeCfg.latentChannels);
    const again = await run('hash-1');
    assert.equal(again.how, 'cached');
    assert.deepEqual(again.v, first.v);
    assert.equal((await run('hash-2')).how, 'encoded', 'another autoencoder is encoded afresh');
    assert.equal((await run('hash-1', { ...corpus, entries: corpus.entries.slice().reverse() })).how, 'encoded', 'another corpus order is encoded afresh');
    const redrawn = corpus.images.slice();
    redrawn[5] = redrawn[5]! ^ 1;
    assert.equal((await run('hash-1', { ...corpus, images: redrawn })).how, 'encoded', 'other pixels under the same keys are encoded afresh');
    assert.equal(readdirSync(cacheDir).length, 4);
    // A damaged file is encoded again, not read.
    for (const f of readdirSync(cacheDir)) truncateSync(join(cacheDir, f), 100);
    const mended = await run('hash-1');
    assert.equal(mended.how, 'encoded');
    assert.deepEqual(mended.v, first.v);
    assert.equal(tf.memory().numTensors, before, 'encoding leaks no tensors');
  } finally {
    ae.dispose();
  }
});
