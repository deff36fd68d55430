import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { crc32, embedGraph, extractGraphText, isPng, readTextChunks, writeTextChunk } from './png';

// a real 2x1 RGB PNG built here, so the test needs no fixture file
function tinyPng(): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.from([0, 255, 0, 0, 0, 0, 255]);
  return new Uint8Array(Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('a graph written into a PNG reads back, non-ASCII included, and the PNG stays valid', async () => {
  const png = tinyPng();
  const graph = { version: 1, nodes: [{ id: 't', type: 'text', version: 1, params: { text: 'crème brûlée 🍮' }, position: { x: 0, y: 0 } }], edges: [] };
  const out = embedGraph(png, graph);
  assert.ok(isPng(out));
  assert.deepEqual(JSON.parse(extractGraphText(out)!), graph);
  // writing again replaces, never duplicates
  const again = embedGraph(out, { ...graph, edges: [] });
  assert.equal(Object.keys(readTextChunks(again)).length, 1);
  assert.equal(again.length, out.length);
  // other chunks untouched and IEND last
  assert.deepEqual([...again.subarray(again.length - 12)], [...png.subarray(png.length - 12)]);
  // sharp, if present, still decodes it (a CRC mistake would make it refuse)
  try {
    const sharp = (await import('sharp')).default;
    const meta = await sharp(Buffer.from(again)).metadata();
    assert.equal(meta.width, 2);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
});

test('no chunk, a foreign chunk, and not a PNG', () => {
  const png = tinyPng();
  assert.equal(extractGraphText(png), null);
  assert.equal(extractGraphText(writeTextChunk(png, 'Comment', 'hi')), null);
  assert.equal(readTextChunks(writeTextChunk(png, 'Comment', 'hi')).Comment, 'hi');
  assert.throws(() => extractGraphText(new Uint8Array([1, 2, 3])), /not a PNG/);
});
