import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheKey, OutputCache } from './cache.js';

const base = { type: 'decoder', version: 1, params: { seed: 1, steps: 10 }, inputs: { emb: { key: 'k1', port: 'embedding' } }, weights: { clip: 'h1' } };

test('cache keys change with type, version, params, inputs and weights, and ignore key order', () => {
  const k = cacheKey(base);
  assert.equal(cacheKey({ ...base, params: { steps: 10, seed: 1 } }), k);
  for (const other of [
    { ...base, type: 'prior' },
    { ...base, version: 2 },
    { ...base, params: { seed: 2, steps: 10 } },
    { ...base, inputs: { emb: { key: 'k2', port: 'embedding' } } },
    { ...base, inputs: { emb: { key: 'k1', port: 'tokens' } } },
    { ...base, weights: { clip: 'h2' } },
  ]) assert.notEqual(cacheKey(other), k, JSON.stringify(other));
  // upload bytes are keyed by content
  const a = cacheKey({ ...base, params: { upload: new Uint8Array([1, 2, 3]) } });
  assert.equal(cacheKey({ ...base, params: { upload: new Uint8Array([1, 2, 3]) } }), a);
  assert.notEqual(cacheKey({ ...base, params: { upload: new Uint8Array([1, 2, 4]) } }), a);
});

test('the output cache evicts least recently used entries beyond its byte budget', () => {
  const c = new OutputCache(1000);
  const entry = (bytes: number) => ({ outputs: {}, wire: {}, bytes });
  c.set('a', entry(400));
  c.set('b', entry(400));
  assert.ok(c.get('a')); // a is now the most recent
  c.set('c', entry(400)); // evicts b
  assert.ok(c.get('a'));
  assert.equal(c.get('b'), undefined);
  assert.ok(c.get('c'));
  c.set('huge', entry(5000)); // never stored
  assert.equal(c.get('huge'), undefined);
  assert.ok(c.stats().bytes <= 1000);
});
