import { test } from 'node:test';
import assert from 'node:assert/strict';
import { echo, exceedsBytes, imageList, MAX_ECHO_CHARS, MAX_LISTED_PROBLEMS, packImages, PingRequestSchema, ServerInfoSchema, parsePayload } from './events.js';

test('parsePayload accepts a valid ping and refuses extra or wrong fields with BAD_REQUEST', () => {
  const ok = parsePayload(PingRequestSchema, { clientTime: 5 });
  assert.deepEqual(ok, { ok: true, value: { clientTime: 5 } });
  for (const bad of [null, {}, { clientTime: 'x' }, { clientTime: Infinity }, { clientTime: 1, extra: true }]) {
    const r = parsePayload(PingRequestSchema, bad);
    assert.equal(r.ok, false, JSON.stringify(bad));
    if (!r.ok) assert.equal(r.error.code, 'BAD_REQUEST');
  }
});

test('ServerInfo requires ok: true, a backend and a version', () => {
  assert.ok(ServerInfoSchema.safeParse({ ok: true, backend: 'wasm', version: '0.1.0' }).success);
  assert.ok(!ServerInfoSchema.safeParse({ ok: false, backend: 'wasm', version: '0.1.0' }).success);
  assert.ok(!ServerInfoSchema.safeParse({ ok: true, version: '0.1.0' }).success);
});

test('packed images come back as the same byte arrays, from bytes or an ArrayBuffer, and lists pass through', () => {
  const ims = [new Uint8Array([1, 2, 3]), new Uint8Array([]), new Uint8Array([4]), new Uint8Array([5, 6])];
  const packed = packImages(ims);
  assert.deepEqual(packed.ends, [3, 3, 4, 6]);
  assert.deepEqual(imageList(packed).map((b) => [...(b as Uint8Array)]), [[1, 2, 3], [], [4], [5, 6]]);
  const ab = (packed.bytes as Uint8Array).slice().buffer;
  assert.deepEqual(imageList({ bytes: ab, ends: packed.ends }).map((b) => [...(b as Uint8Array)]), [[1, 2, 3], [], [4], [5, 6]]);
  assert.deepEqual(imageList(['data:a', 'data:b']), ['data:a', 'data:b']);
  assert.deepEqual(imageList(packImages([])), []);
});

test('error text is bounded: echoed names are cut, zod problems are listed up to the cap', () => {
  assert.equal(echo('short'), 'short');
  const long = echo('x'.repeat(10_000));
  assert.ok(long.length < MAX_ECHO_CHARS + 30 && long.endsWith('…(10000 chars)'), long);
  const schema = PingRequestSchema;
  const r = parsePayload(schema, { clientTime: 1, ...Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`${'k'.repeat(1000)}${i}`, 1])) });
  assert.ok(!r.ok && r.error.message.length < 2000, `${r.ok || r.error.message.length}`);
  const arr = parsePayload(schema.array(), Array.from({ length: 500 }, () => ({})));
  assert.ok(!arr.ok && arr.error.message.endsWith(`and ${500 - MAX_LISTED_PROBLEMS} more`));
});

test('exceedsBytes measures strings, bytes and keys, and stops at the limit', () => {
  assert.equal(exceedsBytes({ a: 'x'.repeat(100) }, 1000), false);
  assert.equal(exceedsBytes({ a: 'x'.repeat(2000) }, 1000), true);
  assert.equal(exceedsBytes([new Uint8Array(5000)], 1000), true);
  assert.equal(exceedsBytes(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 0])), 1000), true);
  assert.equal(exceedsBytes(new Array(2000).fill(0), 1000), true);
  let deep: unknown = 0;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(exceedsBytes(deep, 10_000_000), false, 'deep nesting does not overflow the stack');
});
