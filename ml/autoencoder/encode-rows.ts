// Corpus rows through an autoencoder's encoder, a chunk at a time: the export measures the raw
// latent's per-channel statistics (export.ts), and a latent decoder's training encodes its corpus
// once into the standardised latent (ml/decoder/latent.ts). One loop for both, so neither holds
// more than one chunk's tensors.
import * as tf from '@tensorflow/tfjs-core';
import { gatherImages } from '../clip/eval.js';
import type { Corpus } from '../data/corpus.js';
import { type Autoencoder, toUnit } from './model.js';

export interface EncodeRowsOptions {
  /** The latent before standardisation (what the standardisation is measured on). */
  raw?: boolean;
  chunk?: number;
  /** Each chunk's latents [n, s, s, C] flattened, and the index in `rows` of its first row. */
  onChunk: (values: Float32Array, start: number) => void;
  onProgress?: (done: number, total: number) => void;
}

export async function encodeRows(ae: Autoencoder, corpus: Corpus, rows: number[], o: EncodeRowsOptions): Promise<void> {
  const size = o.chunk ?? 256;
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size);
    const z = tf.tidy(() => {
      const x = toUnit(gatherImages(corpus, chunk), chunk.length, corpus.size);
      return o.raw ? ae.encodeRaw(x) : ae.encode(x);
    });
    const values = (await z.data()) as Float32Array;
    z.dispose();
    o.onChunk(values, i);
    o.onProgress?.(i + chunk.length, rows.length);
  }
}
