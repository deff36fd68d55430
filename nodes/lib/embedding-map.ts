// The embedding map: a 2-D PCA of CLIP image embeddings of the emoji corpus, fitted once per CLIP
// checkpoint and cached on disk, so points stay put between runs and sessions. Any embedding
// (text, image, interpolated, edited) is projected onto the same two axes, and its nearest corpus
// icons are found by cosine similarity. The files and their reading without tensors:
// embedding-map-file.ts.
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Clip } from '../../ml/clip/index.js';
import { loadCorpus, STYLES, type StyleName } from '../../ml/data/corpus.js';
import type { EmbeddingMapFile, MapNeighbour } from '../../protocol/index.js';
import { mapPaths, readMapFile } from './embedding-map-file.js';

export type { EmbeddingMapFile };


export interface EmbeddingMap extends EmbeddingMapFile {
  vectors: Float32Array; // [count, width]
}

/** Styles the map is fitted on: one style by default (one icon per concept, fitted in seconds). */
export function mapStyles(): StyleName[] {
  const env = process.env.UNCLIP_MAP_STYLES?.split(',').map((s) => s.trim()).filter(Boolean);
  const want = env && env.length ? env : ['noto'];
  const bad = want.filter((s) => !STYLES.includes(s as StyleName));
  if (bad.length) throw new Error(`UNCLIP_MAP_STYLES: unknown style(s) ${bad.join(', ')} (have ${STYLES.join(', ')})`);
  return want as StyleName[];
}

export function mapIdFor(weightsHash: string, styles: readonly string[]): string {
  return createHash('sha256').update(`${weightsHash}|${styles.join(',')}|pca2-v1`).digest('hex').slice(0, 16);
}

function readMap(cacheDir: string, mapId: string): EmbeddingMap | null {
  const file = readMapFile(cacheDir, mapId);
  if (!file) return null;
  const buf = readFileSync(mapPaths(cacheDir, mapId).bin);
  if (buf.byteLength !== file.count * file.width * 4) return null;
  const vectors = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { ...file, vectors };
}

/** Maps already read in this process (a worker keeps them for its lifetime), by cache dir + id. */
const memo = new Map<string, EmbeddingMap>();

/** The fitted map for these weights if it exists (never fits one), else null. */
export function peekEmbeddingMap(weightsHash: string, cacheDir: string): EmbeddingMap | null {
  const mapId = mapIdFor(weightsHash, mapStyles());
  const key = `${cacheDir}|${mapId}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const map = readMap(cacheDir, mapId);
  if (map) memo.set(key, map);
  return map;
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Load the map for these weights, fitting it first if needed: encode the corpus icons with CLIP
 * (in chunks, reporting progress, checking for cancellation), then PCA to two axes.
 */
export async function loadEmbeddingMap(
  clip: Clip,
  weightsHash: string,
  cacheDir: string,
  onProgress?: (done: number, total: number) => void,
): Promise<EmbeddingMap> {
  const styles = mapStyles();
  const mapId = mapIdFor(weightsHash, styles);
  const cached = peekEmbeddingMap(weightsHash, cacheDir);
  if (cached) return cached;

  // on a fresh machine the corpus is rendered first (most of a minute): that is progress too
  const corpus = await loadCorpus({ size: 32, styles, skinTones: false, onProgress: onProgress && ((done, total) => onProgress(done, total)) });
  const N = corpus.entries.length;
  const D = clip.dim;
  const px = 32 * 32 * 3;
  const vectors = new Float32Array(N * D);
  const chunk = 256;
  for (let s = 0; s < N; s += chunk) {
    const e = Math.min(N, s + chunk);
    const emb = clip.encodeImageBytes(corpus.images.subarray(s * px, e * px), e - s); // [n, D]
    try {
      vectors.set((await emb.data()) as Float32Array, s * D);
    } finally {
      emb.dispose();
    }
    onProgress?.(e, N);
  }

  const { mean, components, explained } = pca2(vectors, N, D);
  const points = project(vectors, N, D, mean, components);
  const file: EmbeddingMapFile = {
    format: 'unclip-embedding-map',
    mapId,
    weightsHash,
    styles,
    width: D,
    count: N,
    mean: Array.from(mean),
    components: [Array.from(components[0]), Array.from(components[1])],
    explained,
    keys: corpus.entries.map((e) => e.key),
    labels: corpus.entries.map((e) => e.label),
    points,
  };
  mkdirSync(cacheDir, { recursive: true });
  const paths = mapPaths(cacheDir, mapId);
  // vectors first: the JSON's presence is what marks the map complete
  writeAtomic(paths.bin, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  writeAtomic(paths.json, JSON.stringify(file));
  const map = { ...file, vectors };
  memo.set(`${cacheDir}|${mapId}`, map);
  return map;
}

/** Top-2 principal axes by power iteration with deflation on the [D, D] covariance (float64). */
export function pca2(x: Float32Array, n: number, d: number): { mean: Float64Array; components: [Float64Array, Float64Array]; explained: [number, number] } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
  // covariance through one matmul on the tensor backend ([D, N] x [N, D]); the rest is tiny
  const cov = tf.tidy(() => {
    const c = tf.sub(tf.tensor2d(x, [n, d]), tf.tensor1d(Float32Array.from(mean)));
    return tf.div(tf.matMul(tf.transpose(c), c), Math.max(1, n - 1)).dataSync() as Float32Array;
  });
  const C = Float64Array.from(cov);
  let total = 0;
  for (let j = 0; j < d; j++) total += C[j * d + j]!;
  const comps: Float64Array[] = [];
  const vars: number[] = [];
  for (let k = 0; k < 2; k++) {
    let v = new Float64Array(d).map((_, i) => Math.sin(i + 1 + k)); // deterministic start
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const w = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += C[i * d + j]! * v[j]!;
        w[i] = s;
      }
      const nw = Math.hypot(...w) || 1;
      const next = w.map((a) => a / nw);
      const delta = Math.hypot(...next.map((a, i) => a - v[i]!));
      v = next;
      lambda = nw;
      if (delta < 1e-10) break;
    }
    // a fixed sign, so the map does not flip between fits of the same weights
    let big = 0;
    for (let i = 1; i < d; i++) if (Math.abs(v[i]!) > Math.abs(v[big]!)) big = i;
    if (v[big]! < 0) v = v.map((a) => -a);
    comps.push(v);
    vars.push(lambda);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) C[i * d + j]! -= lambda * v[i]! * v[j]!;
  }
  return { mean, components: [comps[0]!, comps[1]!], explained: [vars[0]! / (total || 1), vars[1]! / (total || 1)] };
}

export function project(x: Float32Array, n: number, d: number, mean: ArrayLike<number>, components: [ArrayLike<number>, ArrayLike<number>]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    let a = 0;
    let b = 0;
    for (let j = 0; j < d; j++) {
      const c = x[i * d + j]! - mean[j]!;
      a += c * components[0][j]!;
      b += c * components[1][j]!;
    }
    out.push([round(a), round(b)]);
  }
  return out;
}

/** The k corpus icons most similar (cosine) to each row of x. */
export function neighbours(map: EmbeddingMap, x: Float32Array, n: number, k: number): MapNeighbour[][] {
  const d = map.width;
  const out: MapNeighbour[][] = [];
  for (let i = 0; i < n; i++) {
    let nx = 0;
    for (let j = 0; j < d; j++) nx += x[i * d + j]! ** 2;
    nx = Math.sqrt(nx) || 1;
    const best: { idx: number; score: number }[] = [];
    for (let r = 0; r < map.count; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[i * d + j]! * map.vectors[r * d + j]!;
      s /= nx;
      if (best.length < k || s > best[best.length - 1]!.score) {
        best.push({ idx: r, score: s });
        best.sort((p, q) => q.score - p.score);
        if (best.length > k) best.pop();
      }
    }
    out.push(best.map((b) => ({ key: map.keys[b.idx]!, label: map.labels[b.idx]!, score: round(b.score) })));
  }
  return out;
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
