// The per-checkpoint cache of CLIP image embeddings: rows equal CLIP's own encodeImage output, the
// cache answers a second call without computing, a larger request computes only the rows it
// lacks, and other weights get another cache file (hash). Uses a copy of whatever CLIP checkpoint
// is in weights/clip (any: trained or interim) and 24 corpus rows, in a temporary cache folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './backend.js';
import { DEFAULT_CLIP_DIR, loadClip } from './clip/index.js';
import { loadCorpus } from './data/corpus.js';
import { clipWeightsHash, embeddingCachePaths, embeddingRows, loadImageEmbeddings } from './clip-embeddings.js';

await initBackend({ log: () => {} });
const haveClip = existsSync(join(DEFAULT_CLIP_DIR, 'model.safetensors'));

test('image embeddings: computed once per checkpoint, cached by key, equal to encodeImage', { skip: !haveClip && 'no CLIP checkpoint in weights/clip' }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'clip-emb-test-'));
  try {
    // A private copy: the CLIP trainer may replace weights/clip while this runs.
    const clipDir = join(root, 'clip');
    cpSync(DEFAULT_CLIP_DIR, clipDir, { recursive: true });
    const cacheDir = join(root, 'cache');
    const corpus = await loadCorpus({ size: 32 });
    const rows = [0, 5, 17, 100, 2000, 9000, 15000, 18000].filter((r) => r < corpus.entries.length);
    const calls: number[] = [];
    const a = await loadImageEmbeddings({ clipDir, cacheDir, corpus, rows, batch: 3, onProgress: (d, t) => calls.push(t) });
    assert.equal(a.entries.length, rows.length);
    assert.deepEqual(a.entries.map((e) => e.key), rows.map((r) => corpus.entries[r]!.key));
    assert.equal(a.embeddings.length, rows.length * a.dim);
    assert.equal(a.weightsHash, clipWeightsHash(clipDir));
    assert.ok(existsSync(embeddingCachePaths(a.weightsHash, cacheDir).bin));
    assert.equal(calls[0], rows.length, 'first call computes every row');

    // Same numbers as CLIP itself, unit length.
    const clip = await loadClip(clipDir);
    const px = 32 * 32 * 3;
    const bytes = new Uint8Array(rows.length * px);
    rows.forEach((r, j) => bytes.set(corpus.images.subarray(r * px, (r + 1) * px), j * px));
    const direct = clip.encodeImageBytes(bytes, rows.length);
    const want = direct.dataSync() as Float32Array;
    direct.dispose();
    clip.dispose();
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(want[i]! - a.embeddings[i]!) < 1e-5, `value ${i}`);
    for (let r = 0; r < rows.length; r++) {
      let n = 0;
      for (let k = 0; k < a.dim; k++) n += a.embeddings[r * a.dim + k]! ** 2;
      assert.ok(Math.abs(n - 1) < 1e-4, `row ${r} has norm² ${n}`);
    }

    // Second call: all from cache. A superset: only the new rows are computed.
    const seen: Array<[number, number]> = [];
    const b = await loadImageEmbeddings({ clipDir, cacheDir, corpus, rows: rows.slice().reverse(), onProgress: (d, t) => seen.push([d, t]) });
    assert.deepEqual(seen, [[rows.length, rows.length]]);
    assert.deepEqual(Array.from(b.embeddings.subarray(0, b.dim)), Array.from(a.embeddings.subarray((rows.length - 1) * a.dim)));
    const more = [...rows, 1, 2, 3];
    const totals: number[] = [];
    const c = await loadImageEmbeddings({ clipDir, cacheDir, corpus, rows: more, onProgress: (d, t) => totals.push(t) });
    assert.equal(totals[0], 3, 'only the 3 new rows are computed');
    assert.deepEqual(Array.from(c.embeddings.subarray(0, rows.length * c.dim)), Array.from(a.embeddings));

    const t = embeddingRows(c, [1, 0]);
    assert.deepEqual(t.shape, [2, c.dim]);
    assert.deepEqual(Array.from(t.dataSync().subarray(0, c.dim)), Array.from(c.embeddings.subarray(c.dim, 2 * c.dim)));
    t.dispose();

    // Other weights (here: the same tensors saved again, so a new checkpoint id) → another hash, another file.
    const before = tf.memory().numTensors;
    const { loadCheckpoint, saveCheckpoint, readCheckpointFile } = await import('./checkpoint.js');
    const ck = loadCheckpoint(clipDir, { withState: false });
    saveCheckpoint(clipDir, { config: ck.config, tensors: ck.tensors, files: { 'vocab.json': readCheckpointFile(clipDir, 'vocab.json') } });
    tf.dispose(Object.values(ck.tensors));
    const d = await loadImageEmbeddings({ clipDir, cacheDir, corpus, rows: [0] });
    assert.notEqual(d.weightsHash, a.weightsHash);
    assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.bin')).length, 2);
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
