// A latent decoder (issue 20) diffuses in the latent of the icon autoencoder (ml/autoencoder)
// instead of in pixels: its U-Net denoises [N, 8, 8, 4] standardised latents, and the autoencoder
// draws the picture from the result. Its config names the autoencoder it was trained with (a folder
// beside the decoder's own, and that folder's content hash), because a decoder can only diffuse in
// the latent space it learned: another autoencoder's latents mean other pictures. The hash is also
// how the decoder's own cache key (ml/weights.ts hashes its config) covers the autoencoder.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadCheckpoint, writeFileAtomic } from '../checkpoint.js';
import { encodeRows } from '../autoencoder/encode-rows.js';
import { Autoencoder, type AutoencoderConfig, latentSide } from '../autoencoder/model.js';
import { type Corpus, DEFAULT_CACHE_DIR } from '../data/corpus.js';
import type { ProgressFn } from '../progress.js';
import { checkpointHash } from '../weights.js';
import * as tf from '@tensorflow/tfjs-core';

export interface LatentSpec {
  /** The autoencoder's folder, beside the decoder's (weights/autoencoder for weights/decoder). */
  autoencoder: string;
  /** checkpointHash of that folder when the decoder was trained. */
  hash: string;
}

/** Where a decoder in `decoderDir` finds its autoencoder. */
export function autoencoderDir(spec: LatentSpec, decoderDir: string): string {
  return join(dirname(resolve(decoderDir)), spec.autoencoder);
}

/** The spec a fresh latent decoder records for the autoencoder in `dir`. */
export function latentSpec(dir: string): LatentSpec {
  const hash = checkpointHash(dir);
  if (!hash) throw new Error(`no autoencoder in ${dir}: train one first (npm run train -- autoencoder)`);
  return { autoencoder: basename(resolve(dir)), hash };
}

/**
 * The autoencoder in `dir`, refused (with what to do) when it is missing or is not the one the
 * decoder was trained with. The caller owns it.
 */
export function loadAutoencoderFor(spec: LatentSpec, dir: string): Autoencoder {
  const hash = existsSync(dir) ? checkpointHash(dir) : null;
  if (!hash) throw new Error(`the decoder diffuses in the latent of the autoencoder in ${dir}, and there is none: install weights/${spec.autoencoder} beside it`);
  if (hash !== spec.hash) {
    throw new Error(`the decoder was trained in the latent of autoencoder ${spec.hash.slice(0, 16)}, but ${dir} holds ${hash.slice(0, 16)}: ` +
      'restore that autoencoder, or retrain the decoder on this one (npm run train -- decoder --latent)');
  }
  const ck = loadCheckpoint(dir, { withState: false });
  try {
    return new Autoencoder(ck.config as AutoencoderConfig, { tensors: ck.tensors, trainable: false });
  } finally {
    tf.dispose(Object.values(ck.tensors));
  }
}

/** The U-Net's shape for an autoencoder's latent: its side and channels. */
export function latentShape(c: AutoencoderConfig): { imageSize: number; outChannels: number } {
  return { imageSize: latentSide(c), outChannels: c.latentChannels };
}

/** Standardised latents of corpus rows, [rows, s, s, C] row-major (what latent training batches gather from). */
export async function encodeCorpus(ae: Autoencoder, corpus: Corpus, rows: number[], onProgress?: (done: number, total: number) => void): Promise<Float32Array> {
  const s = latentSide(ae.config);
  const per = s * s * ae.config.latentChannels;
  const out = new Float32Array(rows.length * per);
  await encodeRows(ae, corpus, rows, { onChunk: (v, start) => out.set(v, start * per), onProgress });
  return out;
}

/** Bump when what encodeRows computes changes (input scaling, standardisation), so old caches are not read. */
const LATENT_CACHE_VERSION = 1;

/**
 * The standardised latents of every corpus row (encodeCorpus over all of them), cached in
 * data/cache/latents-<key16>.bin (git-ignored). Encoding the corpus takes about a minute on this
 * CPU (more beside other work) and a training run did it on every start, so each resume with new
 * --steps paid it again. The key chains the autoencoder's content hash with the corpus keys and
 * pixels: another autoencoder, or a corpus that gained, lost or re-rendered icons, encodes afresh.
 * A file of the wrong length is re-encoded, never trusted.
 */
export async function corpusLatents(ae: Autoencoder, aeHash: string, corpus: Corpus, o: { cacheDir?: string; onProgress?: ProgressFn } = {}): Promise<Float32Array> {
  const per = latentSide(ae.config) ** 2 * ae.config.latentChannels;
  const key = createHash('sha256')
    .update(JSON.stringify({ version: LATENT_CACHE_VERSION, ae: aeHash, size: corpus.size }))
    .update(corpus.entries.map((e) => e.key).join('\n'))
    .update(corpus.images) // a re-rendered corpus keeps its keys; about 0.2 s for the 18,575 icons
    .digest('hex');
  const cacheDir = o.cacheDir ?? DEFAULT_CACHE_DIR;
  const file = join(cacheDir, `latents-${key.slice(0, 16)}.bin`);
  const n = corpus.entries.length;
  if (existsSync(file)) {
    const buf = readFileSync(file);
    if (buf.byteLength === n * per * 4) {
      o.onProgress?.(n, n, { cached: 'yes' });
      return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    }
  }
  const out = await encodeCorpus(ae, corpus, corpus.entries.map((_, r) => r), o.onProgress);
  mkdirSync(cacheDir, { recursive: true });
  writeFileAtomic(file, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  return out;
}
