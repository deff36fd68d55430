// GET /api/corpus/icon/:key.png: a corpus icon by key as a 32 or 64 px PNG with caching headers
// (the embedding map's hover thumbnails), 404 for keys the corpus does not have.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { STYLES } from '../ml/data/match.js';
import { startServer, type RunningServer } from './helpers/server.js';

let server: RunningServer;
before(async () => {
  // debug: /api/debug/memory reports the socket thread's heap
  server = await startServer({ ui: false, env: { UNCLIP_DEBUG: '1' } });
});
after(async () => {
  await server?.stop();
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(b: Uint8Array): [number, number] {
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return [v.getUint32(16), v.getUint32(20)];
}

test('a corpus icon by key: a 32 px PNG by default, 64 px on request, cacheable', async () => {
  const r = await fetch(`${server.url}/api/corpus/icon/noto:red-apple.png`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/png');
  assert.match(r.headers.get('cache-control') ?? '', /public, max-age=\d+/);
  const etag = r.headers.get('etag');
  assert.ok(etag, 'an ETag');
  const png = new Uint8Array(await r.arrayBuffer());
  assert.deepEqual(pngSize(png), [32, 32]);

  const big = await fetch(`${server.url}/api/corpus/icon/${encodeURIComponent('noto:red-apple')}.png?size=64`);
  assert.equal(big.status, 200);
  assert.deepEqual(pngSize(new Uint8Array(await big.arrayBuffer())), [64, 64]);
  assert.notEqual(big.headers.get('etag'), etag, 'each size has its own ETag');

  const again = await fetch(`${server.url}/api/corpus/icon/noto:red-apple.png`, { headers: { 'if-none-match': etag! } });
  assert.equal(again.status, 304, 'unchanged: not modified');
});

test('unknown keys are 404 UNKNOWN_CORPUS_KEY; a size other than 32 or 64 is 400', async () => {
  for (const key of ['noto:no-such-icon-zzz', 'nostyle:red-apple', 'red-apple', '..%2F..%2Fpackage.json', '%E0%A4%A']) {
    const r = await fetch(`${server.url}/api/corpus/icon/${key}.png`);
    assert.equal(r.status, 404, key);
    const body = (await r.json()) as { ok: boolean; error: { code: string } };
    assert.equal(body.error.code, 'UNKNOWN_CORPUS_KEY', key);
  }
  const r = await fetch(`${server.url}/api/corpus/icon/noto:red-apple.png?size=48`);
  assert.equal(r.status, 400);
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'BAD_REQUEST');
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200, 'the server is still up');
});

test('icons are drawn off the socket thread: the icon sets (60 MB of JSON) never load on it', async () => {
  const heapMb = async () => ((await (await fetch(`${server.url}/api/debug/memory`)).json()) as { serverHeapMb: number }).serverHeapMb;
  const before = await heapMb();
  // an icon of every style (found or not, its whole set is parsed), all at once
  const statuses = await Promise.all(STYLES.map(async (style) => (await fetch(`${server.url}/api/corpus/icon/${style}:red-apple.png?size=64`)).status));
  for (const status of statuses) assert.ok(status === 200 || status === 404, String(status));
  assert.ok(statuses.includes(200));
  const after = await heapMb();
  // parsed on the socket thread, the sets took its heap up by about 60 MB (and stalled it for
  // seconds: the fuzz's first icon request held /healthz for 2 s); drawn elsewhere, it stays put
  assert.ok(after - before < 25, `the socket thread's heap went from ${before} to ${after} MB`);
});
