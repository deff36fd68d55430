// The mask node: shapes as fractions of the image, a painted bitmap read back (light = redraw),
// invert, the size of a linked image, identical bytes for identical params, and its refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { DEFAULT_LIMITS } from '../protocol/index.js';
import { findNodeDef, NodeFailure, type ExecContext, type Value } from './index.js';

const def = findNodeDef('mask')!;

async function mask(params: Record<string, unknown>, inputs: Record<string, Value> = {}) {
  const full: Record<string, unknown> = {};
  for (const p of def.decl.params) full[p.name] = params[p.name] ?? p.default;
  const ctx = { nodeId: 'm', params: full, inputs, limits: DEFAULT_LIMITS, cacheDir: '', models: {}, step() {}, checkCancelled() {} } as unknown as ExecContext;
  const v = (await def.execute(ctx)).mask!;
  assert.ok(v.kind === 'image' && v.count === 1 && v.data.length === v.size * v.size * 3);
  return v;
}

/** The mask as rows of '#' (redraw) and '.' (keep), checking its three channels agree. */
function rows(v: Extract<Value, { kind: 'image' }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < v.size; i++) {
    let r = '';
    for (let j = 0; j < v.size; j++) {
      const k = (i * v.size + j) * 3;
      assert.ok(v.data[k] === v.data[k + 1] && v.data[k] === v.data[k + 2] && (v.data[k] === 0 || v.data[k] === 255));
      r += v.data[k] ? '#' : '.';
    }
    out.push(r);
  }
  return out;
}

test('mask: the default is the top half of a 32x32 image; invert swaps it', async () => {
  const top = rows(await mask({}));
  assert.equal(top.length, 32);
  assert.deepEqual(top, [...Array(16).fill('#'.repeat(32)), ...Array(16).fill('.'.repeat(32))]);
  assert.deepEqual(rows(await mask({ invert: true })), [...Array(16).fill('.'.repeat(32)), ...Array(16).fill('#'.repeat(32))]);
});

test('mask: a rectangle and an ellipse by fractions, at the size of a linked image; same params, same bytes', async () => {
  const image: Value = { kind: 'image', count: 1, size: 8, labels: ['x'], data: new Uint8Array(8 * 8 * 3) };
  assert.deepEqual(rows(await mask({ left: 0.25, top: 0.5, width: 0.5, height: 0.25 }, { image })), ['........', '........', '........', '........', '..####..', '..####..', '........', '........']);
  const circle = rows(await mask({ shape: 'circle', left: 0, top: 0, width: 1, height: 1 }, { image }));
  assert.deepEqual(circle, ['..####..', '.######.', '########', '########', '########', '########', '.######.', '..####..']);
  const a = await mask({ shape: 'circle', left: 0.1, top: 0.2, width: 0.6, height: 0.3 });
  const b = await mask({ shape: 'circle', left: 0.1, top: 0.2, width: 0.6, height: 0.3 });
  assert.deepEqual(a.data, b.data);
});

test('mask: a painted bitmap (PNG data URL, any size) is read light = redraw, transparent = keep, resized to the image', async () => {
  // 64x64: the left half white, the right half transparent
  const px = Buffer.alloc(64 * 64 * 4);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 32; j++) px.set([255, 255, 255, 255], (i * 64 + j) * 4);
  const png = await sharp(px, { raw: { width: 64, height: 64, channels: 4 } }).png().toBuffer();
  const painted = `data:image/png;base64,${png.toString('base64')}`;
  assert.deepEqual(rows(await mask({ shape: 'painted', painted })), Array(32).fill('#'.repeat(16) + '.'.repeat(16)));
  assert.deepEqual(rows(await mask({ shape: 'painted', painted, invert: true })), Array(32).fill('.'.repeat(16) + '#'.repeat(16)));
});

test('mask: painted with nothing painted, or bytes that are no image, is refused on port painted', async () => {
  assert.deepEqual(await def.check!({ shape: 'painted', painted: null }, DEFAULT_LIMITS, ''), [{ code: 'MISSING_INPUT', message: 'shape is "painted" but nothing was painted', port: 'painted' }]);
  assert.deepEqual(await def.check!({ shape: 'rectangle', painted: null }, DEFAULT_LIMITS, ''), []);
  const bad = await def.check!({ shape: 'painted', painted: 'data:image/png;base64,AAAA' }, DEFAULT_LIMITS, '');
  assert.equal(bad.length, 1);
  assert.equal(bad[0]!.code, 'IMAGE_UNREADABLE');
  assert.equal(bad[0]!.port, 'painted');
  await assert.rejects(mask({ shape: 'painted' }), (e) => e instanceof NodeFailure && e.code === 'MISSING_INPUT' && e.port === 'painted');
});
