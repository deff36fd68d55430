import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PingRequestSchema, ServerInfoSchema, parsePayload } from './events.js';

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
