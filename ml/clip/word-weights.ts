// Which words matter: each word's weight in a prompt's CLIP embedding, by leaving it out. A word's
// weight is 1 − cos(embedding of the prompt, embedding of the prompt without that word).
//
// Words are the prompt as typed: a run of letters and digits, or an emoji, whose name's words are
// left out together ("🍎" weighs as one word though CLIP reads "red apple"). The gaps between
// words are kept as pieces too, so the pieces spell the prompt and the studio can shade it.
// Words CLIP does not know (read as <unk>) and words past the context length weigh 0 and are
// marked: leaving out an <unk> only shifts the positions, which says nothing about the word.
// A variant leaves the word out of the words CLIP read, so a cut word never slides in.
import * as tf from '@tensorflow/tfjs-core';
import type { Clip } from './index.js';
import { splitAtEmoji } from './emoji.js';
import { splitWords, type Tokenizer } from './tokenizer.js';

/** A piece of a prompt as typed: a word (`word`), or the text between words. */
export interface PromptPiece {
  text: string;
  word?: boolean;
  /** A word CLIP does not know (weight 0, not measured). */
  unknown?: boolean;
  /** A word past the context length (not encoded; weight 0). */
  cut?: boolean;
}

export interface PromptWords {
  pieces: PromptPiece[];
  /** Per word piece, in order: the indices of its words among the words the tokenizer read. */
  tokens: number[][];
  /** The words CLIP encodes (the tokenizer's `tokens`). */
  encoded: string[];
}

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** `text` cut into words and gaps, each word tied to the words the tokenizer reads from it. */
export function promptWords(text: string, tok: Tokenizer): PromptWords {
  const read = tok.tokenize(text);
  const all = [...read.tokens, ...read.truncatedWords];
  const pieces: PromptPiece[] = [];
  const tokens: number[][] = [];
  let n = 0;
  let agrees = true;
  const gap = (t: string) => {
    if (!t) return;
    const last = pieces[pieces.length - 1];
    if (last && !last.word) last.text += t;
    else pieces.push({ text: t });
  };
  const word = (t: string, words: string[]) => {
    if (!words.length) return gap(t);
    const idx = words.map((w, k) => {
      if (all[n + k] !== w) agrees = false;
      return n + k;
    });
    n += words.length;
    const cut = idx.every((i) => i >= read.tokens.length);
    const unknown = !cut && idx.every((i) => i >= read.tokens.length || !tok.has(all[i]!));
    pieces.push({ text: t, word: true, ...(unknown ? { unknown } : {}), ...(cut ? { cut } : {}) });
    tokens.push(idx);
  };
  for (const part of splitAtEmoji(text)) {
    if (part.name !== undefined) {
      word(part.text, splitWords(part.name));
      continue;
    }
    let at = 0;
    for (const m of part.text.matchAll(WORD)) {
      gap(part.text.slice(at, m.index));
      word(m[0], splitWords(m[0]));
      at = m.index + m[0].length;
    }
    gap(part.text.slice(at));
  }
  if (agrees && n === all.length) return { pieces, tokens, encoded: read.tokens };
  // the prompt as typed could not be lined up with the words read (a character the two readings
  // split differently): show the words read instead, each its own piece
  return {
    pieces: all.flatMap((w, i) => [...(i ? [{ text: ' ' }] : []), { text: w, word: true, ...(i >= read.tokens.length ? { cut: true } : !tok.has(w) ? { unknown: true } : {}) }]),
    tokens: all.map((_, i) => [i]),
    encoded: read.tokens,
  };
}

export interface WordWeights {
  pieces: PromptPiece[];
  /** Per word piece: 1 − cos(prompt, prompt without it); 0 for unknown and cut words. */
  drops: number[];
  /** [words, D]: the embedding of the prompt without each word (the prompt's own where not measured). */
  without: Float32Array;
}

/**
 * Each prompt's word weights. `full` holds the prompts' own L2-normalised embeddings [N, D] (the
 * caller has them); every leave-one-out variant of every prompt is encoded in one batch.
 */
export async function wordWeights(clip: Clip, texts: string[], full: Float32Array): Promise<WordWeights[]> {
  const D = clip.dim;
  const words = texts.map((t) => promptWords(t, clip.tokenizer));
  const variants: string[] = [];
  const rowOf = words.map((w) => {
    const wordPieces = w.pieces.filter((x) => x.word);
    return w.tokens.map((idx, k) => {
      if (wordPieces[k]!.unknown || wordPieces[k]!.cut) return -1;
      const drop = new Set(idx);
      variants.push(w.encoded.filter((_, i) => !drop.has(i)).join(' '));
      return variants.length - 1;
    });
  });
  let data: Float32Array = new Float32Array(0);
  if (variants.length) {
    const enc = clip.encodeText(variants);
    try {
      data = (await enc.embeddings.data()) as Float32Array;
    } finally {
      tf.dispose([enc.embeddings, enc.tokenStates, enc.ids]);
    }
  }
  return words.map((w, i) => {
    const own = full.subarray(i * D, (i + 1) * D);
    const without = new Float32Array(rowOf[i]!.length * D);
    const drops = rowOf[i]!.map((r, k) => {
      const v = r < 0 ? own : data.subarray(r * D, (r + 1) * D);
      without.set(v, k * D);
      if (r < 0) return 0;
      let dot = 0;
      for (let d = 0; d < D; d++) dot += own[d]! * v[d]!;
      return Math.max(0, 1 - dot);
    });
    return { pieces: w.pieces, drops, without };
  });
}
