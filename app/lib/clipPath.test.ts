import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WireValue } from '../../protocol';
import { cosine, cosineLines, inputEmbedding, upstreamText } from './clipPath';
import { upstream } from './graphModel';

type Emb = Extract<WireValue, { kind: 'embedding' }>;
const emb = (space: Emb['space'], vectors: number[][]): Emb => ({ kind: 'embedding', space, width: vectors[0]!.length, vectors, labels: vectors.map((_, i) => `r${i}`) });
const link = (source: string, sourceHandle: string, target: string, targetHandle: string) => ({ source, sourceHandle, target, targetHandle });

// prompt → encode → prior → decoder, and a second text that only the map reads
const links = [
  link('prompt', 'text', 'encode', 'text'),
  link('encode', 'embedding', 'prior', 'embedding'),
  link('prior', 'embedding', 'decoder', 'embedding'),
  link('other', 'embedding', 'map', 'a'),
];
const text = emb('clip-text', [[0, 1]]);
const image = emb('clip-image', [[1, 0]]);
const outputs = { encode: { embedding: text }, prior: { embedding: image }, other: { embedding: emb('clip-text', [[1, 1]]) } };

test('upstream: every link into a node, nearest first, each node once', () => {
  assert.deepEqual(upstream(links, 'decoder').map((l) => l.source), ['prior', 'encode', 'prompt']);
  assert.deepEqual(upstream([...links, link('encode', 'embedding', 'decoder', 'x')], 'decoder').map((l) => l.source), ['prior', 'encode', 'prompt']);
  assert.deepEqual(upstream(links, 'prompt'), []);
});

test('the decoder’s conditioning and the prompt behind it, from the run’s outputs', () => {
  assert.equal(inputEmbedding(links, outputs, 'decoder', 'embedding'), image);
  assert.equal(upstreamText(links, outputs, 'decoder'), text);
  assert.equal(upstreamText(links, outputs, 'encode'), undefined, 'nothing upstream of the encoder');
});

test('cosine lines: one per image row and reference, one point per step', () => {
  assert.equal(cosine([1, 0], [2, 0]), 1);
  assert.equal(cosine([0, 0], [1, 0]), 0);
  const path = [1, 2, 3].map((step) => ({ step, embeddings: [[1, step - 1], [step - 1, 1]] }));
  const lines = cosineLines(path, image, text, 2); // one embedding drawn twice
  assert.deepEqual(lines.map((l) => [l.to, l.row, l.points.length]), [['target', 0, 3], ['target', 1, 3], ['text', 0, 3], ['text', 1, 3]]);
  assert.ok(lines[0]!.points[0]!.cos > lines[0]!.points[2]!.cos, 'row 0 turns away from [1, 0]');
  // the no-prior ablation: the text is what was asked for, so one reference
  assert.deepEqual(cosineLines(path, text, text, 2).map((l) => l.to), ['target', 'target']);
  assert.deepEqual(cosineLines(path, image, undefined, 2).map((l) => l.to), ['target', 'target']);
  assert.deepEqual(cosineLines([], image, text), []);
  // two embeddings drawn twice each: rows 0,1 ask for embedding 0, rows 2,3 for embedding 1
  const two = emb('clip-image', [[1, 0], [0, 1]]);
  const four = cosineLines([{ step: 1, embeddings: [[1, 0], [1, 0], [0, 1], [0, 1]] }], two, undefined, 2);
  assert.deepEqual(four.map((l) => l.points[0]!.cos), [1, 1, 1, 1]);
});
