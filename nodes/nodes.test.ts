// Every node's execute(ctx), in-process, with a leak test (tf.memory().numTensors before and
// after). The CLIP nodes need weights: <UNCLIP_WEIGHTS_DIR or weights/>/clip; without them those
// tests are skipped and say why.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { initBackend } from '../ml/backend.js';
import { loadClip, type Clip } from '../ml/clip/index.js';
import { loadDecoder, loadUpsampler, type Decoder, type Upsampler } from '../ml/decoder/index.js';
import { loadPrior, type Prior } from '../ml/prior/index.js';
import { DEFAULT_LIMITS } from '../protocol/index.js';
import { Cancelled, NODE_DEFS, findNodeDef, type ExecContext, type StepInfo, type Value } from './index.js';
import { mapIdFor, mapStyles, pca2 } from './lib/embedding-map.js';
import { readMapFile } from './lib/embedding-map-file.js';
import { cosine, norm } from './lib/vec.js';
import { modelHash } from '../ml/weights.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEIGHTS = resolve(process.env.UNCLIP_WEIGHTS_DIR || join(ROOT, 'weights'));
const CLIP_DIR = join(WEIGHTS, 'clip');
const HAVE_CLIP = existsSync(join(CLIP_DIR, 'model.safetensors'));
const NO_CLIP = HAVE_CLIP ? false : `no CLIP weights at ${CLIP_DIR} (they arrive with the CLIP training; UNCLIP_WEIGHTS_DIR points elsewhere)`;
const HAVE = (m: string) => existsSync(join(WEIGHTS, m, 'model.safetensors'));
const NO_DIFFUSION = HAVE_CLIP && HAVE('prior') && HAVE('decoder') && HAVE('upsampler') ? false : `the prior, decoder and upsampler need weights under ${WEIGHTS}`;
const CACHE_DIR = resolve(process.env.UNCLIP_CACHE_DIR || join(ROOT, 'data', 'cache'));

let clip: Clip | undefined;
const models: { prior?: Prior; decoder?: Decoder; upsampler?: Upsampler } = {};
before(async () => {
  await initBackend({ log: () => {} });
  if (HAVE_CLIP) clip = await loadClip(CLIP_DIR);
  if (!NO_DIFFUSION) {
    models.prior = await loadPrior(join(WEIGHTS, 'prior'));
    models.decoder = await loadDecoder(join(WEIGHTS, 'decoder'));
    models.upsampler = await loadUpsampler(join(WEIGHTS, 'upsampler'));
  }
});
const loaded = <K extends keyof typeof models>(k: K) => async () => {
  const m = models[k];
  if (!m) throw new Error(`no ${k}`);
  return m as NonNullable<(typeof models)[K]>;
};

function ctx(type: string, params: Record<string, unknown>, inputs: Record<string, Value> = {}, opts: { cancelAfter?: number } = {}): { ctx: ExecContext; steps: StepInfo[] } {
  const def = findNodeDef(type, { debug: true })!;
  const full: Record<string, unknown> = {};
  for (const p of def.decl.params) full[p.name] = params[p.name] ?? p.default;
  const steps: StepInfo[] = [];
  const cancelled = () => opts.cancelAfter !== undefined && steps.length >= opts.cancelAfter;
  return {
    steps,
    ctx: {
      nodeId: type,
      params: full,
      inputs,
      limits: DEFAULT_LIMITS,
      cacheDir: CACHE_DIR,
      models: {
        async clip() {
          if (!clip) throw new Error('no clip');
          return clip;
        },
        prior: loaded('prior'),
        decoder: loaded('decoder'),
        upsampler: loaded('upsampler'),
        // the server's own hash, so the map fitted here is the one the server uses
        weightsHash: (m: string) => modelHash(WEIGHTS, m) ?? 'none',
      },
      step(info) {
        if (cancelled()) throw new Cancelled();
        steps.push(info);
      },
      checkCancelled() {
        if (cancelled()) throw new Cancelled();
      },
    },
  };
}

/** Run a node and check it left no tensor behind. */
async function run(type: string, params: Record<string, unknown>, inputs: Record<string, Value> = {}, opts: { cancelAfter?: number } = {}) {
  const def = findNodeDef(type, { debug: true })!;
  const c = ctx(type, params, inputs, opts);
  const before = tf.memory().numTensors;
  const out = await def.execute(c.ctx);
  assert.equal(tf.memory().numTensors, before, `${type} leaked tensors`);
  return { out, steps: c.steps };
}

const emb = (space: 'clip-text' | 'clip-image', rows: number[][], labels = rows.map((_, i) => `r${i}`)): Extract<Value, { kind: 'embedding' }> => ({
  kind: 'embedding',
  space,
  width: rows[0]!.length,
  count: rows.length,
  data: Float32Array.from(rows.flat()),
  labels,
});
const rowOf = (v: Value, i: number) => {
  assert.ok(v.kind === 'embedding');
  return v.data.subarray(i * v.width, (i + 1) * v.width);
};

test('every declared node has a unique type, a version and ports with types', () => {
  const types = NODE_DEFS.map((d) => d.decl.type);
  assert.equal(new Set(types).size, types.length);
  for (const d of NODE_DEFS) {
    assert.ok(d.decl.version >= 1);
    for (const p of [...d.decl.inputs, ...d.decl.outputs]) assert.ok(p.type.kind);
    for (const p of d.decl.params) if (p.kind === 'enum') assert.ok(p.options?.includes(String(p.default)), `${d.decl.type}.${p.name}`);
  }
});

test('text: one prompt, or one per line', async () => {
  assert.deepEqual((await run('text', { text: 'red apple' })).out.text, { kind: 'text', texts: ['red apple'] });
  assert.deepEqual((await run('text', { text: 'a\n\n b \nc', perLine: true })).out.text, { kind: 'text', texts: ['a', 'b', 'c'] });
});

test('note runs nothing', async () => {
  assert.deepEqual((await run('note', { markdown: '# x' })).out, {});
});

test('image-input: a corpus icon by key, or upload bytes / data URL, as 32x32 RGB on white', async () => {
  const { out } = await run('image-input', { source: 'corpus', key: 'noto:red-apple' });
  const img = out.image!;
  assert.ok(img.kind === 'image' && img.count === 1 && img.size === 32 && img.data.length === 32 * 32 * 3);
  const red = await sharp({ create: { width: 10, height: 20, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }).webp({ lossless: true }).toBuffer();
  for (const upload of [red, `data:image/webp;base64,${red.toString('base64')}`]) {
    const u = (await run('image-input', { source: 'upload', upload })).out.image!;
    assert.ok(u.kind === 'image');
    assert.deepEqual([...u.data.subarray((16 * 32 + 16) * 3, (16 * 32 + 16) * 3 + 3)], [255, 0, 0]);
    assert.deepEqual([...u.data.subarray(0, 3)], [255, 255, 255], 'letterboxed on white');
  }
  await assert.rejects(run('image-input', { source: 'corpus', key: 'noto:not-an-icon' }), (e: Error & { code?: string }) => e.code === 'UNKNOWN_CORPUS_KEY');
});

test('interpolate: slerp keeps unit length and ends at a and b; a sweep of N; lerp too', async () => {
  const a = emb('clip-image', [[1, 0, 0]], ['a']);
  const b = emb('clip-image', [[0, 1, 0]], ['b']);
  const { out, steps } = await run('interpolate', { mode: 'slerp', sweep: 5 }, { a, b });
  const e = out.embedding!;
  assert.ok(e.kind === 'embedding' && e.count === 5 && e.space === 'clip-image');
  assert.equal(steps.length, 5);
  assert.ok(cosine(rowOf(e, 0), a.data) > 0.9999);
  assert.ok(cosine(rowOf(e, 4), b.data) > 0.9999);
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(norm(rowOf(e, i)) - 1) < 1e-5);
  // the midpoint of a slerp is at 45 degrees from both
  assert.ok(Math.abs(cosine(rowOf(e, 2), a.data) - Math.SQRT1_2) < 1e-5);
  const one = (await run('interpolate', { mode: 'lerp', t: 0.25, normalize: false }, { a, b })).out.embedding!;
  assert.deepEqual([...rowOf(one, 0)], [0.75, 0.25, 0]);
  await assert.rejects(run('interpolate', {}, { a, b: emb('clip-text', [[0, 1, 0]]) }), (err: Error & { code?: string }) => err.code === 'INPUT_MISMATCH');
});

test('text-diff: θ=0 leaves the image embedding; larger θ moves it towards (to − from)', async () => {
  const img = emb('clip-image', [[1, 0, 0, 0]], ['cat']);
  const from = emb('clip-text', [[0.6, 0.8, 0, 0]], ['a cat']);
  const to = emb('clip-text', [[0.6, 0, 0.8, 0]], ['a dog']);
  const { out } = await run('text-diff', { amount: 0.5, sweep: 3 }, { image: img, from, to });
  const e = out.embedding!;
  assert.ok(e.kind === 'embedding' && e.count === 3 && e.space === 'clip-image');
  assert.ok(cosine(rowOf(e, 0), img.data) > 0.9999);
  const dir = Float32Array.from([0, -0.8, 0.8, 0]);
  const c = [0, 1, 2].map((i) => cosine(rowOf(e, i), dir));
  assert.ok(c[0]! < c[1]! && c[1]! < c[2]!, JSON.stringify(c));
});

test('similarity: the cosine of every row with every column', async () => {
  const { out } = await run('similarity', {}, { rows: emb('clip-text', [[1, 0], [0, 2]], ['x', 'y']), cols: emb('clip-image', [[1, 1]], ['z']) });
  const p = out.plot!;
  assert.ok(p.kind === 'plot' && p.plot.type === 'heatmap');
  assert.deepEqual(p.plot.rows, ['x', 'y']);
  assert.ok(Math.abs(p.plot.values[0]![0]! - Math.SQRT1_2) < 1e-6);
  assert.ok(Math.abs(p.plot.values[1]![0]! - Math.SQRT1_2) < 1e-6);
});

test('debug-steps: N frames, and a cancel between steps frees its tensors', async () => {
  const { steps, out } = await run('debug-steps', { steps: 4, workMs: 2, size: 8 });
  assert.equal(steps.length, 4);
  assert.equal(steps[3]!.frame!.data.length, 8 * 8 * 3);
  assert.ok(out.image);
  const def = findNodeDef('debug-steps', { debug: true })!;
  const c = ctx('debug-steps', { steps: 50, workMs: 2 }, {}, { cancelAfter: 2 });
  const before = tf.memory().numTensors;
  await assert.rejects(def.execute(c.ctx), Cancelled);
  assert.equal(tf.memory().numTensors, before);
});

test('PCA: finds the two axes of largest variance', () => {
  // points spread mostly along x, then y, barely along z
  const n = 400;
  const x = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    x[i * 3] = 5 * Math.sin(i * 1.3) + 2;
    x[i * 3 + 1] = 2 * Math.cos(i * 0.7);
    x[i * 3 + 2] = 0.1 * Math.sin(i * 2.9);
  }
  const { mean, components, explained } = pca2(x, n, 3);
  assert.ok(Math.abs(mean[0]! - 2) < 0.2);
  assert.ok(Math.abs(components[0][0]!) > 0.99);
  assert.ok(Math.abs(components[1][1]!) > 0.99);
  assert.ok(explained[0] > explained[1]);
});

test('clip-text-encode: unit embeddings in clip-text space, unknown words reported, no leaks', { skip: NO_CLIP }, async () => {
  const { out } = await run('clip-text-encode', {}, { text: { kind: 'text', texts: ['red apple', 'a zzqxv banana'] } });
  const e = out.embedding!;
  assert.ok(e.kind === 'embedding' && e.space === 'clip-text' && e.count === 2 && e.width === clip!.dim);
  assert.ok(Math.abs(norm(rowOf(e, 0)) - 1) < 1e-4);
  const t = out.tokens!;
  assert.ok(t.kind === 'tokens');
  assert.deepEqual(t.unknownWords[1], ['zzqxv']);
});

test('clip-image-encode: unit embeddings in clip-image space, no leaks', { skip: NO_CLIP }, async () => {
  const img = (await run('image-input', { key: 'noto:red-apple' })).out.image!;
  const { out } = await run('clip-image-encode', {}, { image: img });
  const e = out.embedding!;
  assert.ok(e.kind === 'embedding' && e.space === 'clip-image' && e.count === 1);
  assert.ok(Math.abs(norm(rowOf(e, 0)) - 1) < 1e-4);
});

test('embedding-plot: points on the corpus map and nearest icons with labels; the map is cached on disk', { skip: NO_CLIP, timeout: 300_000 }, async () => {
  const img = (await run('image-input', { key: 'noto:red-apple' })).out.image!;
  const e = (await run('clip-image-encode', {}, { image: img })).out.embedding!;
  const { out } = await run('embedding-plot', { neighbours: 3 }, { a: e });
  const p = out.plot!;
  assert.ok(p.kind === 'plot' && p.plot.type === 'embedding-map');
  const s = p.plot.series[0]!;
  assert.equal(s.points.length, 1);
  assert.equal(s.neighbours[0]!.length, 3);
  // an icon of the corpus is its own nearest neighbour
  assert.equal(s.neighbours[0]![0]!.key, 'noto:red-apple');
  assert.ok(s.neighbours[0]![0]!.score > 0.999);
  const file = readMapFile(CACHE_DIR, p.plot.mapId)!;
  assert.equal(file.mapId, mapIdFor(modelHash(WEIGHTS, 'clip')!, mapStyles()));
  // the point sits where the map put that icon
  const i = file.keys.indexOf('noto:red-apple');
  assert.ok(Math.abs(file.points[i]![0] - s.points[0]![0]) < 1e-3);
});

// ---- the diffusion nodes (shipped weights; a few steps each to keep the suite quick) ---------

test('prior: text embedding with token states → unit clip-image embeddings; points per step; no leaks', { skip: NO_DIFFUSION }, async () => {
  const text = (await run('text', { text: 'red apple\nrocket', perLine: true })).out.text!;
  const t = (await run('clip-text-encode', {}, { text })).out.embedding!;
  assert.ok(t.kind === 'embedding' && t.tokenStates && t.tokenShape);
  const { out, steps } = await run('prior', { steps: 4, guidance: 2, bestOf: 2, seed: 3 }, { embedding: t });
  const e = out.embedding!;
  assert.ok(e.kind === 'embedding' && e.space === 'clip-image' && e.count === 2 && e.width === t.width);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(norm(rowOf(e, i)) - 1) < 1e-4);
  assert.deepEqual(steps.map((s) => s.step), [1, 2, 3, 4]);
  // same seed → same embedding
  const again = (await run('prior', { steps: 4, guidance: 2, bestOf: 2, seed: 3 }, { embedding: t })).out.embedding!;
  assert.ok(again.kind === 'embedding');
  assert.deepEqual([...again.data], [...e.data]);
  // an embedding without the caption's tokens is refused with a reason
  const bare = { ...t, tokenStates: undefined, tokenShape: undefined };
  await assert.rejects(run('prior', { steps: 2 }, { embedding: bare }), (err: Error & { code?: string }) => err.code === 'INPUT_MISMATCH' && /CLIP text encode/.test(err.message));
});

test('decoder: one 32x32 image per embedding × count, an x_t|x0 frame per step; cancel frees everything', { skip: NO_DIFFUSION }, async () => {
  const img = (await run('image-input', { key: 'noto:red-apple' })).out.image!;
  const e = (await run('clip-image-encode', {}, { image: img })).out.embedding!;
  const { out, steps } = await run('decoder', { steps: 3, count: 2, seed: 1 }, { embedding: e });
  const im = out.image!;
  assert.ok(im.kind === 'image' && im.count === 2 && im.size === 32 && im.data.length === 2 * 32 * 32 * 3);
  assert.equal(steps.length, 3);
  const f = steps[2]!.frame!;
  assert.equal(f.width, 64, 'x_t and x0 side by side');
  assert.equal(f.size, 64, 'one row per image');
  assert.equal(f.data.length, 64 * 64 * 3);
  // the last step's right half is the output (x0 of the last step = the sample)
  assert.deepEqual([...f.data.subarray(32 * 3, 64 * 3)], [...im.data.subarray(0, 32 * 3)]);
  assert.notDeepEqual([...im.data.subarray(0, 3072)], [...im.data.subarray(3072)], 'two draws differ');
  // the CLIP path (on by default): each step carries x0's CLIP embedding per image, and its map point
  assert.ok(steps.every((s) => s.embeddings?.length === 2 && s.embeddings.every((r) => r.length === clip!.dim)));
  assert.ok(steps.every((s) => s.points?.length === 2), 'the shipped map is fitted: points on it');
  const before = tf.memory().numTensors;
  await assert.rejects(run('decoder', { steps: 10 }, { embedding: e }, { cancelAfter: 2 }), (err: Error) => err instanceof Cancelled);
  assert.equal(tf.memory().numTensors, before, 'a cancelled decode leaves no tensor');
});

test('decoder CLIP path: the same bytes on or off, and x0 moves towards the embedding it was asked to draw', { skip: NO_DIFFUSION }, async () => {
  const img = (await run('image-input', { key: 'noto:red-apple' })).out.image!;
  const e = (await run('clip-image-encode', {}, { image: img })).out.embedding!;
  assert.ok(e.kind === 'embedding');
  const on = await run('decoder', { steps: 8, seed: 4 }, { embedding: e });
  const off = await run('decoder', { steps: 8, seed: 4, clipPath: false }, { embedding: e });
  assert.deepEqual(on.out.image, off.out.image, 'the CLIP path leaves the sampler alone');
  assert.ok(off.steps.every((s) => s.embeddings === undefined && s.points === undefined));
  const cos = on.steps.map((s) => cosine(Float32Array.from(s.embeddings![0]!), e.data));
  assert.ok(cos.at(-1)! > cos[0]!, `cosine to the target rises: ${cos.map((c) => c.toFixed(2)).join(' ')}`);
  // as many rows as the frame shows
  assert.equal((await run('decoder', { steps: 1, count: 9 }, { embedding: e })).steps[0]!.embeddings!.length, 8);
});

test('decoder edits: image to image moves away from the image as strength grows; inpainting keeps the unmasked pixels', { skip: NO_DIFFUSION }, async () => {
  const apple = (await run('image-input', { key: 'noto:red-apple' })).out.image!;
  assert.ok(apple.kind === 'image');
  const e = (await run('clip-image-encode', {}, { image: (await run('image-input', { key: 'noto:banana' })).out.image! })).out.embedding!;
  // mean absolute difference (0-255) to the apple over the rows where `where(y)` holds
  const diff = (v: Value, where: (y: number) => boolean) => {
    assert.ok(v.kind === 'image' && v.size === 32);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < 32 * 32 * 3; i++) {
      if (!where(Math.floor(i / (32 * 3)))) continue;
      sum += Math.abs(v.data[i]! - apple.data[i]!);
      n++;
    }
    return sum / n;
  };
  const moved: number[] = [];
  for (const strength of [0.3, 0.6, 0.9]) {
    const { out, steps } = await run('decoder', { steps: 10, seed: 2, strength }, { embedding: e, init: apple });
    moved.push(diff(out.image!, () => true));
    assert.ok(steps.length < 10 || strength > 0.89, `an edit at ${strength} runs the tail of the steps, ran ${steps.length}`);
  }
  console.log(`# image to image (apple → banana's embedding), mean |output - input| at strength 0.3 / 0.6 / 0.9: ${moved.map((m) => m.toFixed(1)).join(' / ')}`);
  assert.ok(moved[0]! < moved[2]!, `strength 0.9 should move further than 0.3: ${moved}`);
  // inpainting: redraw the top half only
  const mask: Value = { kind: 'image', count: 1, size: 32, labels: ['top'], data: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (Math.floor(i / (32 * 3)) < 16 ? 255 : 0)) };
  const painted = (await run('decoder', { steps: 10, seed: 2, strength: 1 }, { embedding: e, init: apple, mask })).out.image!;
  const kept = diff(painted, (y) => y >= 16);
  const redrawn = diff(painted, (y) => y < 16);
  console.log(`# inpainting the top half: mean |output - input| outside the mask ${kept.toFixed(2)}, inside ${redrawn.toFixed(1)}`);
  assert.ok(kept < 1, `unmasked pixels changed by ${kept}`);
  assert.ok(redrawn > 5, `masked pixels barely changed (${redrawn})`);
  // refusals name the port
  const code = (port: string, c: string) => (err: Error & { code?: string; port?: string }) => err.code === c && err.port === port;
  await assert.rejects(run('decoder', { steps: 2 }, { embedding: e, mask }), code('init', 'MISSING_INPUT'));
  const black: Value = { ...mask, data: new Uint8Array(32 * 32 * 3) };
  await assert.rejects(run('decoder', { steps: 2 }, { embedding: e, init: apple, mask: black }), code('mask', 'INPUT_MISMATCH'));
  const two: Value = { ...apple, count: 2, data: Uint8Array.from([...apple.data, ...apple.data]), labels: ['a', 'b'] };
  await assert.rejects(run('decoder', { steps: 2 }, { embedding: e, init: two }), code('init', 'INPUT_MISMATCH'));
});

test('upsample: 32x32 → 64x64, frames per step, wrong sizes refused, no leaks', { skip: NO_DIFFUSION }, async () => {
  const img = (await run('image-input', { key: 'noto:red-apple' })).out.image!;
  const { out, steps } = await run('upsample', { steps: 2 }, { image: img });
  const up = out.image!;
  assert.ok(up.kind === 'image' && up.count === 1 && up.size === 64);
  assert.equal(steps.length, 2);
  assert.equal(steps[1]!.frame!.width, 128);
  const big = (await run('image-input', { key: 'noto:red-apple' })).out.image!;
  assert.ok(big.kind === 'image');
  await assert.rejects(run('upsample', {}, { image: { ...big, size: 16, data: big.data.subarray(0, 16 * 16 * 3) } }), (err: Error & { code?: string }) => err.code === 'INPUT_MISMATCH');
});
