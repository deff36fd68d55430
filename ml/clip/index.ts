// The CLIP API the rest of the project uses (nodes, prior, decoder, eval):
//
//   const clip = await loadClip();                 // weights/clip by default
//   const { embeddings, tokenStates, tokens, unknownWords } = clip.encodeText(['red apple']);
//   const img = clip.encodeImage(images);          // images [N, 32, 32, 3] float in [0, 1]
//   clip.dispose();
//
// Embeddings are L2-normalised [N, D] (D = clip.dim), so a dot product is the cosine similarity.
// The caller owns every tensor returned and must dispose it. Call initBackend() first.
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { loadCheckpoint, readCheckpointFile } from '../checkpoint.js';
import { type ClipConfig, type Params, imageFeatures, textFeatures, logitScale } from './model.js';
import { Tokenizer } from './tokenizer.js';

export { Tokenizer, splitWords } from './tokenizer.js';
export type { ClipConfig } from './model.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CLIP_DIR = join(REPO_ROOT, 'weights', 'clip');
export const VOCAB_FILE = 'vocab.json';

export interface TextEncoding {
  /** [N, D] L2-normalised text embeddings. */
  embeddings: tf.Tensor2D;
  /** [N, T, W] per-token states of the text encoder (after its final layer norm; T = context). */
  tokenStates: tf.Tensor3D;
  /** [N, T] token ids as fed (<bos> words <eos> <pad>...). */
  ids: tf.Tensor2D;
  /** The words read, per text (unknown ones included). */
  tokens: string[][];
  /** Words not in the vocabulary, per text. They were encoded as <unk>, never dropped silently. */
  unknownWords: string[][];
  /** Words past the context length, per text (not encoded). */
  truncatedWords: string[][];
}

export class Clip {
  readonly config: ClipConfig;
  readonly tokenizer: Tokenizer;
  private params: Params;
  private disposed = false;
  /** Rows per forward pass inside encodeImage/encodeText (bounds memory). */
  chunk = 256;

  constructor(config: ClipConfig, params: Params, tokenizer: Tokenizer) {
    this.config = config;
    this.params = params;
    this.tokenizer = tokenizer;
  }

  /** Width of the shared embedding space. */
  get dim(): number {
    return this.config.embedDim;
  }
  /** Width of the per-token text states. */
  get textWidth(): number {
    return this.config.textWidth;
  }
  get contextLength(): number {
    return this.config.contextLength;
  }
  /** exp(learned logit scale): the inverse temperature the model was trained with. */
  get logitScale(): number {
    return tf.tidy(() => logitScale(this.params).dataSync()[0]!);
  }

  /** Encode texts. The caller owns the returned tensors. */
  encodeText(texts: string[]): TextEncoding {
    this.check();
    const T = this.config.contextLength;
    const toks = texts.map((t) => this.tokenizer.tokenize(t));
    const ids = new Int32Array(texts.length * T);
    const eos = new Int32Array(texts.length);
    toks.forEach((tk, i) => {
      ids.set(tk.ids, i * T);
      eos[i] = tk.eosIndex;
    });
    const embParts: tf.Tensor2D[] = [];
    const stateParts: tf.Tensor3D[] = [];
    try {
      for (let s = 0; s < texts.length; s += this.chunk) {
        const e = Math.min(texts.length, s + this.chunk);
        const [emb, st] = tf.tidy(() => {
          const { features, states } = textFeatures(this.params, this.config, ids.subarray(s * T, e * T), eos.subarray(s, e));
          return [normalize(features), states] as const;
        });
        embParts.push(emb);
        stateParts.push(st);
      }
      const embeddings = texts.length === 0 ? tf.zeros([0, this.dim]) as tf.Tensor2D : concatOwned(embParts, 0) as tf.Tensor2D;
      const tokenStates = texts.length === 0 ? tf.zeros([0, T, this.textWidth]) as tf.Tensor3D : concatOwned(stateParts, 0) as tf.Tensor3D;
      return {
        embeddings,
        tokenStates,
        ids: tf.tensor2d(ids, [texts.length, T], 'int32'),
        tokens: toks.map((t) => t.tokens),
        unknownWords: toks.map((t) => t.unknownWords),
        truncatedWords: toks.map((t) => t.truncatedWords),
      };
    } catch (e) {
      tf.dispose([...embParts, ...stateParts]);
      throw e;
    }
  }

  /**
   * Encode images [N, 32, 32, 3], float32 in [0, 1] (RGB, white background = 1; the model maps
   * to [-1, 1] itself). Returns [N, D] L2-normalised embeddings; the caller owns them.
   */
  encodeImage(images: tf.Tensor4D): tf.Tensor2D {
    this.check();
    const [N, H, W, C] = images.shape;
    const S = this.config.imageSize;
    if (H !== S || W !== S || C !== 3) throw new Error(`encodeImage wants [N, ${S}, ${S}, 3] in [0, 1], got [${images.shape}]`);
    if (N === 0) return tf.zeros([0, this.dim]) as tf.Tensor2D;
    const parts: tf.Tensor2D[] = [];
    for (let s = 0; s < N; s += this.chunk) {
      const e = Math.min(N, s + this.chunk);
      parts.push(tf.tidy(() => normalize(imageFeatures(this.params, this.config, tf.slice(images, [s, 0, 0, 0], [e - s, S, S, 3]) as tf.Tensor4D))));
    }
    return concatOwned(parts, 0) as tf.Tensor2D;
  }

  /** Encode uint8 RGB images [N, 32, 32, 3] (e.g. straight from the corpus or renderIcon). */
  encodeImageBytes(bytes: Uint8Array, n: number): tf.Tensor2D {
    const S = this.config.imageSize;
    const x = tf.tidy(() => tf.div(tf.tensor4d(Float32Array.from(bytes), [n, S, S, 3]), 255) as tf.Tensor4D);
    try {
      return this.encodeImage(x);
    } finally {
      x.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    tf.dispose(Object.values(this.params));
    this.params = {};
    this.disposed = true;
  }

  private check(): void {
    if (this.disposed) throw new Error('this Clip was disposed');
  }
}

function normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D);
}

/** Concatenate and dispose the parts (a single part is returned as is). */
function concatOwned(parts: tf.Tensor[], axis: number): tf.Tensor {
  if (parts.length === 1) return parts[0]!;
  const out = tf.concat(parts, axis);
  tf.dispose(parts);
  return out;
}

const tokenizers = new Map<string, { stamp: string; tokenizer: Tokenizer }>();

/**
 * The tokenizer of the CLIP checkpoint in `dir`, without the model (no tfjs): for checks on the
 * server's main thread. `stamp` names the checkpoint (ml/weights.ts modelHash); the vocabulary is
 * read again only when it changes.
 */
export function loadTokenizer(dir: string, stamp: string): Tokenizer {
  const had = tokenizers.get(dir);
  if (had?.stamp === stamp) return had.tokenizer;
  const tokenizer = Tokenizer.fromJSON(readCheckpointFile(dir, VOCAB_FILE));
  tokenizers.set(dir, { stamp, tokenizer });
  return tokenizer;
}

/** Load CLIP from a checkpoint folder (default weights/clip). Call initBackend() first. */
export async function loadClip(dir: string = DEFAULT_CLIP_DIR): Promise<Clip> {
  const ck = loadCheckpoint(dir, { withState: false });
  const config = ck.config as ClipConfig;
  const tokenizer = Tokenizer.fromJSON(readCheckpointFile(dir, VOCAB_FILE));
  if (tokenizer.vocabSize !== config.vocabSize) {
    tf.dispose(Object.values(ck.tensors));
    throw new Error(`${dir}: vocab.json has ${tokenizer.vocabSize} words, config says ${config.vocabSize}`);
  }
  return new Clip(config, ck.tensors, tokenizer);
}
