// The prior-sample cache the decoder trains on with --prior-cond: the shipped prior and CLIP, real
// corpus entries, a few captions in small chunks (2 prior steps, so the test is quick).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../backend.js';
import { loadCorpus, splitByStyle } from '../data/corpus.js';
import { type PriorSamples, loadPriorSamples, nearestRowPerCaption, rowCaption } from './prior-samples.js';

await initBackend({ log: () => {} });
const corpus = await loadCorpus({ size: 32 });
const { train } = splitByStyle(corpus.entries);
const sampling = { steps: 2, guidance: 2, bestOf: 2 };

test('rowCaption: the label, with the skin tone when the icon has one', () => {
  const apple = corpus.entries.find((e) => e.iconName === 'red-apple')!;
  assert.equal(rowCaption(apple), 'red apple');
  const toned = corpus.entries.find((e) => e.tone.length === 1 && e.label === 'thumbs up')!;
  assert.match(rowCaption(toned), /^thumbs up, (light|medium-light|medium|medium-dark|dark) skin tone$/);
});

test('nearestRowPerCaption: for each caption, its row whose embedding is nearest the sample by cosine, not by dot product', () => {
  // Two captions over rows 0..3 (width 2); row 3 is a long vector: nearest by dot, not by angle.
  const ps: PriorSamples = {
    captions: ['a', 'b'],
    samples: Float32Array.from([1, 0, 0, 1]),
    dim: 2,
    captionOf: new Map([[0, 0], [1, 0], [2, 1], [3, 1]]),
    dir: '',
  };
  const embeddings = Float32Array.from([0.6, 0.8, 0.9, 0.1, 0.7, 0.7, 5, 4]);
  assert.deepEqual(Array.from(nearestRowPerCaption(ps, embeddings)), [1, 2]);
  assert.throws(() => nearestRowPerCaption(ps, embeddings.subarray(0, 6)), /row 3 has no embedding \(3 rows\)/);
  assert.throws(() => nearestRowPerCaption(ps, embeddings.subarray(0, 5)), /not rows of width 2/);
});

test('loadPriorSamples: one normalised sample per caption, shared by rows with that caption, cached by chunk, rebuilt where a chunk is lost', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'prior-samples-'));
  try {
    // Five concepts, every training style of each: rows of one concept share a caption.
    const labels = ['red apple', 'red heart', 'pizza', 'rocket', 'ghost'];
    const rows = train.filter((r) => labels.includes(corpus.entries[r]!.label) && corpus.entries[r]!.tone.length === 0);
    const before = tf.memory().numTensors;
    const calls: [number, number][] = [];
    const a = await loadPriorSamples({ entries: corpus.entries, rows, cacheDir, sampling, chunk: 2, onProgress: (d, t) => calls.push([d, t]) });
    assert.equal(tf.memory().numTensors, before, 'no tensor outlives the build');
    assert.deepEqual(a.captions, [...labels].sort());
    assert.deepEqual(calls.at(-1), [3, 3], 'three chunks of two captions');
    assert.equal(a.samples.length, 5 * a.dim);
    for (let c = 0; c < 5; c++) {
      const v = a.samples.subarray(c * a.dim, (c + 1) * a.dim);
      assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4, `sample ${c} is L2-normalised`);
    }
    for (const r of rows) assert.equal(a.captions[a.captionOf.get(r)!], corpus.entries[r]!.label);

    // A second load reads the cache; a lost chunk is computed again, to the same numbers.
    const files = readdirSync(a.dir).filter((f) => f.endsWith('.bin')).sort();
    assert.equal(files.length, 3);
    unlinkSync(join(a.dir, files[1]!));
    const seen: unknown[] = [];
    const b = await loadPriorSamples({ entries: corpus.entries, rows, cacheDir, sampling, chunk: 2, reverse: true, onProgress: (d, t, info) => seen.push([d, t, info]) });
    assert.deepEqual(seen, [[3, 3, { captions: 5 }]], 'only the lost chunk was computed');
    assert.deepEqual(Array.from(b.samples), Array.from(a.samples));
    // Other settings are another cache.
    const c = await loadPriorSamples({ entries: corpus.entries, rows: rows.slice(0, 1), cacheDir, sampling, chunk: 2 });
    assert.notEqual(c.dir, a.dir);
    await assert.rejects(loadPriorSamples({ entries: corpus.entries, rows: [corpus.entries.length], cacheDir, sampling }), /row \d+ is outside the corpus/);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
