import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOS, EOS, PAD, UNK, Tokenizer, splitWords } from './tokenizer.js';

test('splitWords lower-cases, strips accents and splits on non-letters/digits (& is a separator)', () => {
  assert.deepEqual(splitWords('Food & Drink'), ['food', 'drink']);
  assert.deepEqual(splitWords('flag: Japan'), ['flag', 'japan']);
  assert.deepEqual(splitWords('Piñata, keycap 10!'), ['pinata', 'keycap', '10']);
  assert.deepEqual(splitWords('  '), []);
});

test('tokenize lays out <bos> words <eos> <pad> and reports unknown words instead of dropping them', () => {
  const tk = Tokenizer.build(['red apple', 'green apple', 'rocket'], { contextLength: 8 });
  const r = tk.tokenize('Red zxqv apple zxqv');
  assert.deepEqual(r.tokens, ['red', 'zxqv', 'apple', 'zxqv']);
  assert.deepEqual(r.unknownWords, ['zxqv']);
  assert.equal(r.ids.length, 8);
  assert.equal(r.ids[0], BOS);
  assert.equal(r.ids[2], UNK);
  assert.equal(r.ids[4], UNK);
  assert.equal(r.ids[5], EOS);
  assert.equal(r.eosIndex, 5);
  assert.equal(r.ids[7], PAD);
  assert.equal(tk.words[r.ids[1]!], 'red');
});

test('long texts are cut to the context and the cut words reported', () => {
  const tk = Tokenizer.build(['a b c d e f g h'], { contextLength: 6 });
  const r = tk.tokenize('a b c d e f g');
  assert.deepEqual(r.tokens, ['a', 'b', 'c', 'd']);
  assert.deepEqual(r.truncatedWords, ['e', 'f', 'g']);
  assert.equal(r.ids[5], EOS);
});

test('vocabulary round-trips through JSON and ids do not depend on corpus order', () => {
  const a = Tokenizer.build(['red apple', 'apple pie', 'rocket']);
  const b = Tokenizer.build(['rocket', 'apple pie', 'red apple']);
  assert.deepEqual(a.words, b.words);
  assert.equal(a.words[4], 'apple'); // most frequent first
  const c = Tokenizer.fromJSON(JSON.stringify(a.toJSON()));
  assert.deepEqual(Array.from(c.tokenize('red apple').ids), Array.from(a.tokenize('red apple').ids));
});
