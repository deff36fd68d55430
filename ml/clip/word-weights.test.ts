// Word weights: the prompt cut into words as typed (emoji one word each, unknown and cut words
// marked), and with the shipped CLIP, a word that carries the meaning weighs more than a filler.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { initBackend } from '../backend.js';
import { DEFAULT_CLIP_DIR, loadClip, type Clip } from './index.js';
import { Tokenizer } from './tokenizer.js';
import { promptWords, wordWeights } from './word-weights.js';

const tok = Tokenizer.build(['red heart', 'red apple on fire', 'pinata with a balloon'], { contextLength: 8 });
const spell = (text: string) => promptWords(text, tok).pieces.map((p) => p.text).join('');
const wordsOf = (text: string) => promptWords(text, tok).pieces.filter((p) => p.word);

test('the pieces spell the prompt as typed; each word is tied to the words read from it', () => {
  for (const t of ['Red heart!', '  a 🍎 on fire, zzqxv  ', 'Piñata & balloon', '❤️🍎']) assert.equal(spell(t), t);
  const w = promptWords('Red  heart!', tok);
  assert.deepEqual(w.pieces, [{ text: 'Red', word: true }, { text: '  ' }, { text: 'heart', word: true }, { text: '!' }]);
  assert.deepEqual(w.tokens, [[0], [1]]);
  assert.deepEqual(w.encoded, ['red', 'heart']);
});

test('an emoji is one word made of its name’s words; unknown and cut words are marked', () => {
  const w = promptWords('🍎 on fire', tok);
  assert.deepEqual(w.pieces.filter((p) => p.word).map((p) => p.text), ['🍎', 'on', 'fire']);
  assert.deepEqual(w.tokens, [[0, 1], [2], [3]], '🍎 is read as "red apple"');
  assert.deepEqual(wordsOf('red zzqxv heart').map((p) => [p.text, !!p.unknown]), [['red', false], ['zzqxv', true], ['heart', false]]);
  // context 8 encodes 6 words: the 7th and 8th are cut
  const cut = wordsOf('red heart red heart red heart apple fire');
  assert.deepEqual(cut.map((p) => !!p.cut), [false, false, false, false, false, false, true, true]);
  assert.ok(!cut[6]!.unknown, 'a cut word is marked cut, not unknown');
});

test('a symbol that reads as a word (℃ as "c") cannot be lined up with the prompt as typed: the words read are shown instead', () => {
  const w = promptWords('red℃ heart', tok);
  assert.deepEqual(w.pieces, [{ text: 'red', word: true }, { text: ' ' }, { text: 'c', word: true, unknown: true }, { text: ' ' }, { text: 'heart', word: true }]);
  assert.deepEqual(w.tokens, [[0], [1], [2]]);
  // an emoji-like symbol with a name is an emoji: ™ is one word, read "trade mark"
  assert.deepEqual(promptWords('red™', tok).tokens, [[0], [1, 2]]);
});

let clip: Clip | undefined;
const NO_CLIP = existsSync(`${DEFAULT_CLIP_DIR}/model.safetensors`) ? false : 'no CLIP weights in weights/clip';
before(async () => {
  await initBackend({ log: () => {} });
  if (!NO_CLIP) clip = await loadClip();
});

test('with the shipped CLIP: the colour word weighs more than a filler; unknown words weigh 0; no tensor left', { skip: NO_CLIP }, async () => {
  const texts = ['red heart with sparkles', 'red zzqxv heart', '❤️ with sparkles'];
  const enc = clip!.encodeText(texts);
  const full = Float32Array.from((await enc.embeddings.data()) as Float32Array);
  tf.dispose([enc.embeddings, enc.tokenStates, enc.ids]);
  const before = tf.memory().numTensors;
  const [a, b, c] = await wordWeights(clip!, texts, full);
  assert.equal(tf.memory().numTensors, before, 'wordWeights leaked tensors');
  const weight = (w: typeof a, word: string) => w!.drops[w!.pieces.filter((p) => p.word).findIndex((p) => p.text === word)]!;
  assert.ok(weight(a, 'red') > weight(a, 'with'), `red ${weight(a, 'red')} > with ${weight(a, 'with')}`);
  assert.equal(weight(b, 'zzqxv'), 0);
  assert.ok(weight(b, 'red') > 0);
  // the heart emoji is one word ("red heart"), weighed by leaving out both of its words
  assert.equal(c!.pieces.filter((p) => p.word).length, 3);
  assert.ok(weight(c, '❤️') > weight(c, 'with'));
  // `without` holds the prompt without each word: its cosine to the prompt is 1 − drop
  const D = clip!.dim;
  let dot = 0;
  for (let d = 0; d < D; d++) dot += full[d]! * a!.without[d]!;
  assert.ok(Math.abs(1 - dot - a!.drops[0]!) < 1e-5);
});
