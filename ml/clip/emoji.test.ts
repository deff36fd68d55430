import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emojiToNames } from './emoji.js';
import { splitWords, Tokenizer } from './tokenizer.js';

const words = (s: string) => splitWords(s).join(' ');

test('emoji become their emojibase names', () => {
  assert.equal(words('🍎❤️🔥'), 'red apple red heart fire');
  assert.equal(words('a 🍌 on a 🪑'), 'a banana on a chair');
  // without the variation selector, the same heart
  assert.equal(words('❤'), 'red heart');
});

test('ZWJ sequences: their own name, else part by part', () => {
  assert.equal(words('❤️‍🔥'), 'heart on fire');
  assert.equal(words('❤‍🔥'), 'heart on fire', 'typed without U+FE0F');
  assert.equal(words('👨‍👩‍👧'), 'family man woman girl');
  assert.equal(words('🍎‍🍌'), 'red apple banana', 'a sequence no one named');
});

test('skin tones, flags and keycaps', () => {
  assert.equal(words('👍🏽'), 'thumbs up medium skin tone');
  assert.equal(words('🧑🏿‍🚀'), 'astronaut dark skin tone');
  assert.equal(words('🇫🇷'), 'flag france');
  assert.equal(words('1️⃣'), 'keycap 1');
});

test('text without emoji is unchanged; plain digits and symbols are not emoji', () => {
  assert.equal(emojiToNames('red apple'), 'red apple');
  assert.equal(words('piñata #1 & co'), 'pinata 1 co');
});

test('the tokenizer reads emoji as words it knows', () => {
  const tok = Tokenizer.build(['red apple', 'red heart', 'fire']);
  const t = tok.tokenize('🍎❤️🔥');
  assert.deepEqual(t.tokens, ['red', 'apple', 'red', 'heart', 'fire']);
  assert.deepEqual(t.unknownWords, []);
});
