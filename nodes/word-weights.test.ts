// Which words matter, through the nodes: clip-text-encode's word weights (on by default, off by
// its param) and the similarity node's per-cell word drops, run in-process with a leak test.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../ml/backend.js';
import { loadClip, type Clip } from '../ml/clip/index.js';
import { DEFAULT_LIMITS } from '../protocol/index.js';
import { findNodeDef, type ExecContext, type Value } from './index.js';
import { cosine } from './lib/vec.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIP_DIR = join(resolve(process.env.UNCLIP_WEIGHTS_DIR || join(ROOT, 'weights')), 'clip');
const NO_CLIP = existsSync(join(CLIP_DIR, 'model.safetensors')) ? false : `no CLIP weights at ${CLIP_DIR}`;

let clip: Clip | undefined;
before(async () => {
  await initBackend({ log: () => {} });
  if (!NO_CLIP) clip = await loadClip(CLIP_DIR);
});

/** Run a node with CLIP and check it left no tensor behind. */
async function run(type: string, params: Record<string, unknown>, inputs: Record<string, Value>) {
  const def = findNodeDef(type)!;
  const full = Object.fromEntries(def.decl.params.map((p) => [p.name, params[p.name] ?? p.default]));
  const ctx: ExecContext = {
    nodeId: type,
    params: full,
    inputs,
    limits: DEFAULT_LIMITS,
    cacheDir: join(ROOT, 'data', 'cache'),
    models: {
      clip: async () => clip!,
      prior: () => Promise.reject(new Error('no prior')),
      decoder: () => Promise.reject(new Error('no decoder')),
      upsampler: () => Promise.reject(new Error('no upsampler')),
      weightsHash: () => 'test',
    },
    step() {},
    checkCancelled() {},
  };
  const before = tf.memory().numTensors;
  const out = await def.execute(ctx);
  assert.equal(tf.memory().numTensors, before, `${type} leaked tensors`);
  return out;
}

const texts = (...t: string[]): Value => ({ kind: 'text', texts: t });

test('clip-text-encode: word weights per prompt on the tokens output, the prompt without each word on the embedding; none when off', { skip: NO_CLIP }, async () => {
  const out = await run('clip-text-encode', {}, { text: texts('red heart with sparkles', 'a 🍎 zzqxv') });
  const t = out.tokens!;
  assert.ok(t.kind === 'tokens' && t.words?.length === 2);
  const [a, b] = t.words;
  assert.equal(a!.pieces.map((p) => p.text).join(''), 'red heart with sparkles');
  assert.equal(a!.drops.length, 4);
  assert.ok(a!.drops[0]! > a!.drops[2]!, 'red weighs more than with');
  assert.deepEqual(b!.pieces.filter((p) => p.word).map((p) => [p.text, !!p.unknown]), [['a', false], ['🍎', false], ['zzqxv', true]]);
  assert.equal(b!.drops[2], 0, 'an unknown word weighs 0');
  const e = out.embedding!;
  assert.ok(e.kind === 'embedding' && e.words?.length === 2 && e.words[0]!.without.length === 4 * e.width);

  const off = await run('clip-text-encode', { wordWeights: false }, { text: texts('red heart') });
  const [ot, oe] = [off.tokens!, off.embedding!];
  assert.ok(ot.kind === 'tokens' && ot.words === undefined);
  assert.ok(oe.kind === 'embedding' && oe.words === undefined);
});

test('similarity: each cell says how much its cosine falls without each word of the prompt side', { skip: NO_CLIP }, async () => {
  const rows = (await run('clip-text-encode', {}, { text: texts('red heart with sparkles', 'green apple') })).embedding!;
  const cols = (await run('clip-text-encode', { wordWeights: false }, { text: texts('red heart', 'sparkles', 'green apple') })).embedding!;
  assert.ok(rows.kind === 'embedding' && cols.kind === 'embedding');
  const p = (await run('similarity', {}, { rows, cols })).plot!;
  assert.ok(p.kind === 'plot' && p.plot.type === 'heatmap');
  const w = p.plot.words;
  assert.ok(w?.rows && !w.cols, 'only the rows carry word weights');
  assert.equal(w.rows.length, 2);
  const [r0] = w.rows;
  assert.equal(r0!.drops.length, 3, 'one list per column');
  // "sparkles" drives the row's similarity to the column "sparkles" more than to "red heart"
  const k = r0!.pieces.filter((x) => x.word).findIndex((x) => x.text === 'sparkles');
  assert.ok(r0!.drops[1]![k]! > r0!.drops[0]![k]!, `sparkles: ${r0!.drops[1]![k]} vs ${r0!.drops[0]![k]}`);
  assert.ok(r0!.drops[0]![0]! > r0!.drops[0]![2]!, 'red drives the pair (red heart with sparkles, red heart) more than with');
  // a drop is the cell's cosine minus the cosine without that word
  const D = rows.width;
  const row0 = rows.data.subarray(0, D);
  const col0 = cols.data.subarray(0, D);
  const without = rows.words![0]!.without.subarray(0, D);
  assert.ok(Math.abs(r0!.drops[0]![0]! - (cosine(row0, col0) - cosine(without, col0))) < 1e-4);
  // both sides with word weights: the columns get theirs too, one list per row
  const both = (await run('similarity', {}, { rows, cols: rows })).plot!;
  assert.ok(both.kind === 'plot' && both.plot.type === 'heatmap' && both.plot.words?.cols?.[1]?.drops.length === 2);
});
