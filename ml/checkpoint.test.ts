import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './backend.js';
import { adamState, decodeSafetensors, encodeSafetensors, fromHalfBits, loadCheckpoint, loadInitialWeights, restoreAdamState, saveCheckpoint, saveCheckpointAsync, STATE_FILE, toHalfBits, WEIGHTS_FILE } from './checkpoint.js';

await initBackend({ log: () => {} });

const tmp = () => mkdtempSync(join(tmpdir(), 'ckpt-test-'));

test('safetensors bytes follow the format: u64 LE header length, JSON header, aligned contiguous data', () => {
  const a = new Float32Array([1, -2.5, 3, 4, 5, 6]);
  const b = new Int32Array([7, -8]);
  const buf = encodeSafetensors({ 'w.b': { dtype: 'I32', shape: [2], data: b }, 'w.a': { dtype: 'F32', shape: [2, 3], data: a } }, { note: 'x' });
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0, 'data block starts 8-byte aligned');
  const header = JSON.parse(Buffer.from(buf.subarray(8, 8 + n)).toString('utf8'));
  assert.deepEqual(header.__metadata__, { note: 'x' });
  // sorted by name, offsets contiguous from 0 and covering the rest of the file exactly
  assert.deepEqual(header['w.a'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.deepEqual(header['w.b'], { dtype: 'I32', shape: [2], data_offsets: [24, 32] });
  assert.equal(buf.length, 8 + n + 32);
  // raw little-endian values where the header says
  assert.equal(view.getFloat32(8 + n + 4, true), -2.5);
  assert.equal(view.getInt32(8 + n + 28, true), -8);
  const back = decodeSafetensors(buf);
  assert.deepEqual(Array.from(back.entries['w.a']!.data), Array.from(a));
  assert.deepEqual(Array.from(back.entries['w.b']!.data), Array.from(b));
});

test('half precision: IEEE binary16 bits, rounded to nearest even, with its overflow and underflow', () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [0.1, 0x2e66], [65504, 0x7bff], [65520, 0x7c00], [-1e9, 0xfc00], [Infinity, 0x7c00],
    [2 ** -24, 0x0001], [2 ** -14, 0x0400], [1e-8, 0x0000], [-0, 0x8000],
    [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], // ties go to the even mantissa
  ];
  for (const [v, bits] of cases) assert.equal(toHalfBits(v), bits, `${v}`);
  assert.ok(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
  // every finite half survives the round trip exactly
  for (let h = 0; h < 0x10000; h++) if ((h & 0x7c00) !== 0x7c00) assert.equal(toHalfBits(fromHalfBits(h)), h, `0x${h.toString(16)}`);
});

test('weights saved as F16 load as float32 within half precision, in half the bytes; training state stays F32', () => {
  const dir = tmp();
  try {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3);
    const w = tf.tensor1d(values);
    const k = tf.tensor1d([1, 2, 3], 'int32');
    const m = tf.tensor1d([1e-9, 2e-9]); // an Adam moment below half precision's range
    saveCheckpoint(dir, { config: {}, tensors: { w, k }, state: { json: {}, tensors: { m } }, half: true });
    const header = (name: string) => {
      const buf = readFileSync(join(dir, name));
      return JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8'));
    };
    assert.equal(header(WEIGHTS_FILE).w.dtype, 'F16');
    assert.deepEqual(header(WEIGHTS_FILE).w.data_offsets, [12, 2012]); // after k's 3 int32s (names sort)
    assert.equal(header(WEIGHTS_FILE).k.dtype, 'I32');
    assert.equal(header(STATE_FILE).m.dtype, 'F32');
    const ck = loadCheckpoint(dir);
    assert.equal(ck.tensors.w!.dtype, 'float32');
    const back = ck.tensors.w!.dataSync();
    let worst = 0;
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(back[i]! - values[i]!) / Math.abs(values[i]! || 1));
    assert.ok(worst > 0 && worst <= 2 ** -11, `relative error ${worst}`);
    assert.deepEqual(Array.from(ck.tensors.k!.dataSync()), [1, 2, 3]);
    assert.deepEqual(Array.from(ck.state!.tensors.m!.dataSync()), Array.from(m.dataSync()));
    tf.dispose([w, k, m, ...Object.values(ck.tensors), ...Object.values(ck.state!.tensors)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decodeSafetensors refuses a header that runs past the file', () => {
  const buf = new Uint8Array(16);
  new DataView(buf.buffer).setBigUint64(0, 1000n, true);
  assert.throws(() => decodeSafetensors(buf), /runs past/);
});

test('saveCheckpoint/loadCheckpoint round-trip weights, config, state and extra files', () => {
  const dir = tmp();
  try {
    const w = tf.tensor2d([[1, 2], [3, 4]]);
    const s = tf.scalar(0.5);
    const m = tf.tensor1d([9, 8, 7]);
    saveCheckpoint(dir, { config: { width: 2, name: 'x' }, tensors: { w, s }, state: { json: { step: 12, rng: 99 }, tensors: { m } }, files: { 'vocab.json': '{"a":1}' } });
    const ck = loadCheckpoint(dir);
    assert.deepEqual(ck.config, { width: 2, name: 'x' });
    assert.deepEqual(ck.tensors.w!.shape, [2, 2]);
    assert.deepEqual(Array.from(ck.tensors.w!.dataSync()), [1, 2, 3, 4]);
    assert.deepEqual(ck.tensors.s!.shape, []);
    assert.deepEqual(ck.state?.json, { step: 12, rng: 99 });
    assert.deepEqual(Array.from(ck.state!.tensors.m!.dataSync()), [9, 8, 7]);
    assert.equal(readFileSync(join(dir, 'vocab.json'), 'utf8'), '{"a":1}');
    const inference = loadCheckpoint(dir, { withState: false });
    assert.equal(inference.state, undefined);
    tf.dispose([w, s, m, ...Object.values(ck.tensors), ...Object.values(ck.state!.tensors), ...Object.values(inference.tensors)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadInitialWeights: config and weights without the training state; a refused config frees its tensors and says why', () => {
  const dir = tmp();
  try {
    const w = tf.tensor1d([1, 2, 3]);
    const m = tf.tensor1d([5]);
    saveCheckpoint(dir, { config: { kind: 'decoder', width: 3 }, tensors: { w }, state: { json: { step: 40 }, tensors: { m } } });
    const before = tf.memory().numTensors;
    const ok = loadInitialWeights<{ kind: string }>(dir, (c) => (c.kind === 'decoder' ? null : 'wrong kind'));
    assert.deepEqual(ok.config, { kind: 'decoder', width: 3 });
    assert.deepEqual(Object.keys(ok.tensors), ['w'], 'no optimizer state comes along');
    assert.deepEqual(Array.from(ok.tensors.w!.dataSync()), [1, 2, 3]);
    tf.dispose(Object.values(ok.tensors));
    assert.throws(
      () => loadInitialWeights<{ kind: string }>(dir, (c) => (c.kind === 'upsampler' ? null : `holds a ${c.kind}, not an upsampler`)),
      (e: Error) => e.message === `${dir}: holds a decoder, not an upsampler`,
    );
    assert.equal(tf.memory().numTensors, before, 'nothing leaks either way');
    tf.dispose([w, m]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadCheckpoint refuses weights and config from two different saves', () => {
  const dir = tmp();
  const other = tmp();
  try {
    const w = tf.tensor1d([1]);
    saveCheckpoint(dir, { config: {}, tensors: { w } });
    saveCheckpoint(other, { config: {}, tensors: { w } });
    // a crash between renames would leave this mix
    const weights = readFileSync(join(other, WEIGHTS_FILE));
    writeFileSync(join(dir, WEIGHTS_FILE), weights); // plain write, on purpose not atomic
    assert.throws(() => loadCheckpoint(dir), /different saves/);
    w.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});

test('Adam state saved and restored continues training exactly', async () => {
  const lossOf = (v: tf.Variable) => () => tf.sum(tf.square(tf.sub(v, tf.tensor1d([1, -2, 3])))) as tf.Scalar;
  const stepN = (opt: tf.AdamOptimizer, v: tf.Variable, n: number) => {
    for (let i = 0; i < n; i++) tf.tidy(() => { opt.minimize(lossOf(v), false, [v]); });
  };
  // straight: 5 steps
  const a = tf.variable(tf.zeros([3]), true, 'ckpt-test-a');
  const optA = tf.train.adam(0.1);
  stepN(optA, a, 5);
  // 2 steps, save, fresh optimizer + variable, restore, 3 steps. Equal up to float rounding:
  // tfjs's setWeights recomputes the bias-correction beta^t with pow, not the running product.
  const b = tf.variable(tf.zeros([3]), true, 'ckpt-test-b');
  const optB = tf.train.adam(0.1);
  stepN(optB, b, 2);
  const dir = tmp();
  try {
    const st = await adamState(optB, ['ckpt-test-b']);
    const keyed: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(st)) keyed[k.replace('ckpt-test-b', 'p')] = t;
    saveCheckpoint(dir, { config: {}, tensors: { p: b }, state: { tensors: keyed } });
    st['adam/iterations']!.dispose();
    const ck = loadCheckpoint(dir);
    const c = tf.variable(ck.tensors.p!, true, 'ckpt-test-c');
    const optC = tf.train.adam(0.1);
    const saved: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(ck.state!.tensors)) saved[k.replace(/\/p$/, '/ckpt-test-c')] = t;
    assert.equal(await restoreAdamState(optC, ['ckpt-test-c'], saved), true);
    stepN(optC, c, 3);
    const da = a.dataSync();
    const dc = c.dataSync();
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(da[i]! - dc[i]!) < 1e-5, `param ${i}: ${da[i]} vs ${dc[i]}`);
    tf.dispose([a, b, c, ...Object.values(ck.tensors), ...Object.values(ck.state!.tensors)]);
    optA.dispose();
    optB.dispose();
    optC.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('saveCheckpointAsync (for backends that cannot read synchronously) writes what saveCheckpoint writes', async () => {
  const w = { a: tf.tensor2d([[1, -2], [3.5, 4]]), n: tf.tensor1d([7, -8], 'int32') };
  const st = { m: tf.tensor1d([0.25, 0.5]) };
  const dirs = [tmp(), tmp()];
  try {
    const input = { config: { k: 1 }, tensors: w, state: { json: { step: 3 }, tensors: st }, files: { 'x.txt': 'x' }, metadata: { model: 't' } };
    saveCheckpoint(dirs[0]!, input);
    await saveCheckpointAsync(dirs[1]!, input);
    const [a, b] = dirs.map((d) => loadCheckpoint(d));
    try {
      assert.deepEqual(b!.config, a!.config);
      assert.deepEqual(b!.state!.json, a!.state!.json);
      for (const k of Object.keys(w)) assert.deepEqual(await b!.tensors[k]!.data(), await a!.tensors[k]!.data(), k);
      assert.deepEqual(await b!.state!.tensors.m!.data(), await a!.state!.tensors.m!.data());
      assert.equal(readFileSync(join(dirs[1]!, 'x.txt'), 'utf8'), 'x');
    } finally {
      for (const c of [a!, b!]) tf.dispose([...Object.values(c.tensors), ...Object.values(c.state?.tensors ?? {})]);
    }
  } finally {
    tf.dispose([...Object.values(w), ...Object.values(st)]);
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  }
});
