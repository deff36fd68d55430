// Model-level tests on a tiny random CLIP (no shipped weights needed): shapes, unit norm, no
// tensor leaks in either encoder or a training step, and the hand-written gradients (dense layer,
// token embedding) against tfjs's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { Clip } from './index.js';
import { type ClipConfig, contrastiveLoss, defaultConfig, initParams, textFeatures, transpose2d } from './model.js';
import { Tokenizer } from './tokenizer.js';

await initBackend({ log: () => {} });

const tokenizer = Tokenizer.build(['red apple', 'green apple', 'rocket ship', 'dog face'], { contextLength: 8 });
const cfg: ClipConfig = { ...defaultConfig(tokenizer.vocabSize, 8), patchSize: 8, imageWidth: 32, imageDepth: 1, imageHeads: 2, textWidth: 32, textDepth: 1, textHeads: 2, mlpRatio: 2, embedDim: 16 };

test('encoders: shapes, unit norm, unknown words, and no leaked tensors', () => {
  const clip = new Clip(cfg, initParams(cfg, 3), tokenizer);
  const images = tf.randomUniform([3, 32, 32, 3]) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const img = clip.encodeImage(images);
  assert.deepEqual(img.shape, [3, 16]);
  const norms = tf.tidy(() => tf.norm(img, 2, 1).dataSync());
  for (const n of norms) assert.ok(Math.abs(n - 1) < 1e-4);
  img.dispose();
  assert.equal(tf.memory().numTensors, before, 'encodeImage leaks');

  const t = clip.encodeText(['red apple', 'red zxqv apple', '']);
  assert.deepEqual(t.embeddings.shape, [3, 16]);
  assert.deepEqual(t.tokenStates.shape, [3, 8, 32]);
  assert.deepEqual(t.unknownWords, [[], ['zxqv'], []]);
  assert.deepEqual(t.tokens[1], ['red', 'zxqv', 'apple']);
  tf.dispose([t.embeddings, t.tokenStates, t.ids]);
  assert.equal(tf.memory().numTensors, before, 'encodeText leaks');
  images.dispose();
  clip.dispose();
});

test('text encoder is causal: padding after <eos> cannot change the embedding', () => {
  const p = initParams(cfg, 4);
  const tk = tokenizer.tokenize('red apple');
  const full = tf.tidy(() => textFeatures(p, cfg, tk.ids, new Int32Array([tk.eosIndex])).features.dataSync());
  const cut = tf.tidy(() => textFeatures(p, cfg, tk.ids.slice(0, tk.eosIndex + 1), new Int32Array([tk.eosIndex])).features.dataSync());
  for (let i = 0; i < full.length; i++) assert.ok(Math.abs(full[i]! - cut[i]!) < 1e-5);
  tf.dispose(Object.values(p));
});

test('a training step changes the weights and leaks nothing', () => {
  const p0 = initParams(cfg, 5);
  const names = Object.keys(p0);
  const vars: Record<string, tf.Variable> = {};
  for (const n of names) vars[n] = tf.variable(p0[n]!, true, `model-test/${n}`);
  tf.dispose(Object.values(p0));
  const opt = tf.train.adam(1e-3);
  const B = 4;
  const texts = ['red apple', 'green apple', 'rocket ship', 'dog face'].map((s) => tokenizer.tokenize(s));
  const ids = new Int32Array(B * 8);
  texts.forEach((t, i) => ids.set(t.ids, i * 8));
  const eos = Int32Array.from(texts.map((t) => t.eosIndex));
  const images = tf.randomUniform([B, 32, 32, 3]) as tf.Tensor4D;
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => contrastiveLoss(vars, cfg, images, ids, eos), names.map((n) => vars[n]!));
      opt.applyGradients(names.map((n) => ({ name: `model-test/${n}`, tensor: grads[`model-test/${n}`]! })));
      return value.dataSync()[0]!;
    });
  const tokBefore = vars['txt.tok']!.dataSync().slice();
  step(); // first step creates Adam's moments
  const before = tf.memory().numTensors;
  const loss = step();
  assert.ok(Number.isFinite(loss));
  assert.equal(tf.memory().numTensors, before, 'training step leaks');
  // the token table trained through the custom scatter-add gradient: used rows changed, unused not
  const tokAfter = vars['txt.tok']!.dataSync();
  const W = cfg.textWidth;
  const appleRow = tokenizer.words.indexOf('apple');
  assert.notEqual(tokAfter[appleRow * W], tokBefore[appleRow * W]);
  const unused = tokenizer.words.indexOf('<unk>');
  assert.equal(tokAfter[unused * W], tokBefore[unused * W]);
  images.dispose();
  tf.dispose(Object.values(vars));
  opt.dispose();
});

test('hand-written gradients match tfjs autodiff (dense layer, token embedding)', () => {
  const p = initParams(cfg, 6);
  const images = tf.randomUniform([2, 32, 32, 3]) as tf.Tensor4D;
  const t = [tokenizer.tokenize('red apple'), tokenizer.tokenize('dog face')];
  const ids = new Int32Array(16);
  t.forEach((x, i) => ids.set(x.ids, i * 8));
  const eos = Int32Array.from(t.map((x) => x.eosIndex));
  const names = ['img.blocks.0.mlp.fc.w', 'img.blocks.0.attn.qkv.b', 'txt.tok'];
  // numerical check by central differences on a few coordinates
  const f = (q: Record<string, tf.Tensor>) => tf.tidy(() => contrastiveLoss(q, cfg, images, ids, eos).dataSync()[0]!);
  const g = tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => contrastiveLoss({ ...p, [names[0]!]: a, [names[1]!]: b, [names[2]!]: c }, cfg, images, ids, eos))(names.map((n) => p[n]!)).map((x) => x.dataSync()));
  const appleRow = tokenizer.words.indexOf('apple');
  const coords: [number, number][] = [[0, 5], [1, 3], [2, appleRow * cfg.textWidth + 2]];
  for (const [k, idx] of coords) {
    const name = names[k]!;
    const base = p[name]!.dataSync();
    const eps = 1e-2;
    const shift = (d: number) => {
      const v = base.slice();
      v[idx] = v[idx]! + d;
      const t2 = tf.tensor(v, p[name]!.shape);
      const r = f({ ...p, [name]: t2 });
      t2.dispose();
      return r;
    };
    const num = (shift(eps) - shift(-eps)) / (2 * eps);
    const ana = g[k]![idx]!;
    assert.ok(Math.abs(num - ana) < 2e-3 + 0.05 * Math.abs(num), `${name}[${idx}]: numeric ${num} vs analytic ${ana}`);
  }
  images.dispose();
  tf.dispose(Object.values(p));
});

test('transpose2d equals tf.transpose', () => {
  const x = tf.randomNormal([64, 1100]) as tf.Tensor2D;
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(transpose2d(x), tf.transpose(x)))).dataSync()[0]);
  assert.equal(d, 0);
  x.dispose();
});
