// Word-level tokenizer built from the corpus captions.
//
// Emoji are read as their names first (emoji.ts: 🍎 -> "red apple").
// Text is lower-cased, accents are stripped (NFKD, "piñata" -> "pinata"), and split on anything
// that is not a letter or digit. So "&" in group names ("food & drink") is a separator, not a
// word: it carries no meaning a user would miss, and a user typing "&" is not told it is unknown.
// Words not in the vocabulary become <unk> in the ids AND are returned in `unknownWords`, so the
// studio can show the user which words the model could not read.
//
// Layout of one row of ids (context length T): <bos> w1 .. wn <eos> <pad>...; words beyond T-2
// are cut and reported in `truncatedWords`.

import { emojiToNames } from './emoji.js';

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
export const SPECIALS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;

export interface Tokenized {
  /** [contextLength] token ids. */
  ids: Int32Array;
  /** The words as read (after normalisation), unknown ones included, without specials. */
  tokens: string[];
  /** Words not in the vocabulary (each once, in order of appearance). */
  unknownWords: string[];
  /** Words cut because the text is longer than the context allows. */
  truncatedWords: string[];
  /** Index of the <eos> token in `ids`. */
  eosIndex: number;
}

export interface VocabFile {
  version: 1;
  contextLength: number;
  /** id -> word; ids 0..3 are the special tokens. */
  words: string[];
}

/** Emoji to their names (emoji.ts), lower-case, strip accents, split on non-letters/digits. */
export function splitWords(text: string): string[] {
  return emojiToNames(text)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

export class Tokenizer {
  readonly words: string[];
  readonly contextLength: number;
  private readonly index: Map<string, number>;

  constructor(words: string[], contextLength = 16) {
    if (words.length < SPECIALS.length || SPECIALS.some((s, i) => words[i] !== s)) {
      throw new Error('vocabulary must start with the special tokens ' + SPECIALS.join(' '));
    }
    this.words = words;
    this.contextLength = contextLength;
    this.index = new Map(words.map((w, i) => [w, i]));
  }

  /** Build a vocabulary from caption texts; words seen fewer than `minCount` times are left out. */
  static build(texts: Iterable<string>, opts: { contextLength?: number; minCount?: number } = {}): Tokenizer {
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of splitWords(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const minCount = opts.minCount ?? 1;
    // Most frequent first, ties alphabetical, so the ids do not depend on corpus order.
    const kept = [...counts.entries()]
      .filter(([, c]) => c >= minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([w]) => w);
    return new Tokenizer([...SPECIALS, ...kept], opts.contextLength ?? 16);
  }

  static fromJSON(json: string | VocabFile): Tokenizer {
    const v = typeof json === 'string' ? (JSON.parse(json) as VocabFile) : json;
    return new Tokenizer(v.words, v.contextLength);
  }

  toJSON(): VocabFile {
    return { version: 1, contextLength: this.contextLength, words: this.words };
  }

  get vocabSize(): number {
    return this.words.length;
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  tokenize(text: string): Tokenized {
    const T = this.contextLength;
    const all = splitWords(text);
    const tokens = all.slice(0, T - 2);
    const truncatedWords = all.slice(T - 2);
    const ids = new Int32Array(T); // PAD = 0
    ids[0] = BOS;
    const unknown: string[] = [];
    tokens.forEach((w, i) => {
      const id = this.index.get(w);
      if (id === undefined) {
        ids[i + 1] = UNK;
        if (!unknown.includes(w)) unknown.push(w);
      } else ids[i + 1] = id;
    });
    const eosIndex = tokens.length + 1;
    ids[eosIndex] = EOS;
    return { ids, tokens, unknownWords: unknown, truncatedWords, eosIndex };
  }
}
