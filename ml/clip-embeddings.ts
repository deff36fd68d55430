// The CLIP image embedding of every corpus entry, computed once per CLIP checkpoint and cached on
// disk, for the models trained on top of CLIP (the decoder learns to invert these embeddings, the
// prior learns to predict them from text).
//
//   const { entries, embeddings, dim, weightsHash } = await loadImageEmbeddings();
//   // embeddings: Float32Array [entries.length, dim], row i = CLIP image embedding of entries[i]
//   // (L2-normalised, as Clip.encodeImage returns them); entries = loadCorpus({size: 32}).entries
//
// Cache files (data/cache/, git-ignored), one pair per CLIP checkpoint:
//   clip-image-emb-<hash16>.json  {format, version, weightsHash, clipDir, dim, count, keys}
//   clip-image-emb-<hash16>.bin   float32 [count, dim], row i = keys[i]
// weightsHash is ml/weights.ts checkpointHash (sha-256 over the checkpoint's config.json,
// model.safetensors and vocab.json), so it equals the studio's weights hash for CLIP.
// Rows are stored by corpus key: a corpus that gains icons only computes the new ones, and a
// computation cut short (Ctrl-C) keeps what it saved (every `saveEvery` rows).
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from './backend.js';
import { writeFileAtomic } from './checkpoint.js';
import { DEFAULT_CLIP_DIR, loadClip } from './clip/index.js';
import { type Corpus, type CorpusEntry, DEFAULT_CACHE_DIR, loadCorpus } from './data/corpus.js';
import type { ProgressFn } from './progress.js';
import { checkpointHash } from './weights.js';

const FORMAT = 'unclip-clip-image-embeddings';
/** Bump when the way embeddings are computed changes (input scaling, normalisation). */
const VERSION = 1;

export interface ImageEmbeddingsOptions {
  /** CLIP checkpoint folder (default weights/clip). Whatever is there now is used. */
  clipDir?: string;
  /** Cache folder (default data/cache). */
  cacheDir?: string;
  /** The 32x32 corpus if the caller has it loaded already (else loadCorpus({size: 32})). */
  corpus?: Corpus;
  /** Only these rows of the corpus (tests, small experiments); default every entry. */
  rows?: number[];
  /** Rows per forward pass (default 256). */
  batch?: number;
  /** Write the cache every this many newly computed rows (default 4096), so an interrupted run keeps its work. */
  saveEvery?: number;
  onProgress?: ProgressFn;
}

export interface ImageEmbeddings {
  /** The corpus entries, in corpus order (or the `rows` asked for, in that order). */
  entries: CorpusEntry[];
  /** [entries.length, dim] L2-normalised CLIP image embeddings, row i for entries[i]. */
  embeddings: Float32Array;
  dim: number;
  /** sha-256 (hex) of the CLIP checkpoint the embeddings come from. */
  weightsHash: string;
}

interface CacheIndex {
  format: typeof FORMAT;
  version: number;
  weightsHash: string;
  clipDir: string;
  dim: number;
  count: number;
  keys: string[];
}

/** checkpointHash of the CLIP folder, read now (not memoised: callers compare it before and after a load). */
export function clipWeightsHash(clipDir: string = DEFAULT_CLIP_DIR): string {
  const hash = checkpointHash(clipDir);
  if (!hash) throw new Error(`no CLIP checkpoint in ${clipDir}`);
  return hash;
}

export function embeddingCachePaths(weightsHash: string, cacheDir: string = DEFAULT_CACHE_DIR): { json: string; bin: string } {
  const base = join(cacheDir, `clip-image-emb-${weightsHash.slice(0, 16)}`);
  return { json: `${base}.json`, bin: `${base}.bin` };
}

function readCache(weightsHash: string, cacheDir: string): { index: CacheIndex; vectors: Float32Array } | null {
  const { json, bin } = embeddingCachePaths(weightsHash, cacheDir);
  if (!existsSync(json) || !existsSync(bin)) return null;
  try {
    const index = JSON.parse(readFileSync(json, 'utf8')) as CacheIndex;
    if (index.format !== FORMAT || index.version !== VERSION || index.weightsHash !== weightsHash) return null;
    const buf = readFileSync(bin);
    if (buf.byteLength !== index.count * index.dim * 4 || index.keys.length !== index.count) return null;
    const vectors = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    return { index, vectors };
  } catch {
    return null; // a damaged cache is recomputed, never trusted
  }
}

function writeCache(cacheDir: string, index: CacheIndex, vectors: Float32Array): void {
  mkdirSync(cacheDir, { recursive: true });
  const { json, bin } = embeddingCachePaths(index.weightsHash, cacheDir);
  // .bin first, .json last: the .json's count must describe the .bin beside it (readCache checks).
  writeFileAtomic(bin, new Uint8Array(vectors.buffer, vectors.byteOffset, index.count * index.dim * 4));
  writeFileAtomic(json, JSON.stringify(index));
}

/**
 * CLIP image embeddings of the corpus for the CLIP checkpoint in `clipDir` (read from the cache,
 * computing only the rows it lacks). Starts the tensor backend if nobody has.
 */
export async function loadImageEmbeddings(opts: ImageEmbeddingsOptions = {}): Promise<ImageEmbeddings> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await computeOrLoad(opts);
    } catch (e) {
      if (!(e instanceof CheckpointChanged) || attempt >= 3) throw e;
    }
  }
}

class CheckpointChanged extends Error {}

async function computeOrLoad(opts: ImageEmbeddingsOptions): Promise<ImageEmbeddings> {
  const clipDir = opts.clipDir ?? DEFAULT_CLIP_DIR;
  const cacheDir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
  const batch = opts.batch ?? 256;
  const saveEvery = opts.saveEvery ?? 4096;
  const weightsHash = clipWeightsHash(clipDir);
  const corpus = opts.corpus ?? (await loadCorpus({ size: 32 }));
  if (corpus.size !== 32) throw new Error(`CLIP embeds 32x32 images; got a ${corpus.size}x${corpus.size} corpus`);
  const rows = opts.rows ?? corpus.entries.map((_, i) => i);
  const entries = rows.map((r) => {
    const e = corpus.entries[r];
    if (!e) throw new RangeError(`row ${r} is outside the corpus (${corpus.entries.length} entries)`);
    return e;
  });

  // What the cache already has, by key.
  const cached = readCache(weightsHash, cacheDir);
  const have = new Map<string, number>();
  cached?.index.keys.forEach((k, i) => have.set(k, i));
  const missing = rows.filter((r) => !have.has(corpus.entries[r]!.key));
  let dim = cached?.index.dim ?? 0;
  const keys = cached ? cached.index.keys.slice() : [];
  let vectors = cached?.vectors ?? new Float32Array(0);

  if (missing.length > 0) {
    await initBackend({ log: () => {} });
    const clip = await loadClip(clipDir);
    try {
      // CLIP may be retrained in the background and its folder replaced at any time: the weights
      // loaded must be the ones hashed, or the cache would be filed under the wrong checkpoint.
      if (clipWeightsHash(clipDir) !== weightsHash) throw new CheckpointChanged(`${clipDir} changed while loading it`);
      if (dim && dim !== clip.dim) throw new Error(`cache for ${weightsHash.slice(0, 16)} has width ${dim} but CLIP says ${clip.dim}`);
      dim = clip.dim;
      const px = 32 * 32 * 3;
      // Grow the store once to its final size; new rows go after the cached ones.
      const grown = new Float32Array((keys.length + missing.length) * dim);
      grown.set(vectors.subarray(0, keys.length * dim));
      vectors = grown;
      let sinceSave = 0;
      const save = () => {
        writeCache(cacheDir, { format: FORMAT, version: VERSION, weightsHash, clipDir, dim, count: keys.length, keys }, vectors);
        sinceSave = 0;
      };
      for (let s = 0; s < missing.length; s += batch) {
        const part = missing.slice(s, s + batch);
        const bytes = new Uint8Array(part.length * px);
        part.forEach((r, j) => bytes.set(corpus.images.subarray(r * px, (r + 1) * px), j * px));
        const emb = clip.encodeImageBytes(bytes, part.length); // [n, dim]
        try {
          vectors.set(emb.dataSync() as Float32Array, keys.length * dim);
        } finally {
          emb.dispose();
        }
        for (const r of part) {
          have.set(corpus.entries[r]!.key, keys.length);
          keys.push(corpus.entries[r]!.key);
        }
        sinceSave += part.length;
        if (sinceSave >= saveEvery) save();
        opts.onProgress?.(Math.min(s + batch, missing.length), missing.length, { rows: keys.length });
        // Let the event loop breathe between batches (progress output, signals).
        await new Promise((r) => setImmediate(r));
      }
      save();
    } finally {
      clip.dispose();
    }
  } else {
    opts.onProgress?.(rows.length, rows.length, { cached: 'yes' });
  }

  const embeddings = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    const j = have.get(corpus.entries[r]!.key)!;
    embeddings.set(vectors.subarray(j * dim, (j + 1) * dim), i * dim);
  });
  return { entries, embeddings, dim, weightsHash };
}

/** The embeddings of some rows of a loadImageEmbeddings result as a [n, dim] tensor (caller owns it). */
export function embeddingRows(e: ImageEmbeddings, idx: number[]): tf.Tensor2D {
  const out = new Float32Array(idx.length * e.dim);
  idx.forEach((r, i) => out.set(e.embeddings.subarray(r * e.dim, (r + 1) * e.dim), i * e.dim));
  return tf.tensor2d(out, [idx.length, e.dim]);
}
