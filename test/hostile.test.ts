// Integration: the server under hostile and heavy requests (issue 22, items 1, 2, 8, 9, 12), in the
// real server process with a plain socket.io-client and fetch. Needs no model weights: many
// images come from the image-input node's corpus keys (a batch of up to UNCLIP_MAX_BATCH).
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ERROR_CODES, imageList, MAX_LISTED_PROBLEMS, type RunEvent } from '../protocol/index.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { connect, graph, node, Recorder, start, startOk, type Client } from './helpers/graph.js';

let server: RunningServer;
let tmp: string;
// one client per test: a test whose client the server drops does not take the others with it
let a: Client;
let rec: Recorder;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'unclip-hostile-'));
  server = await startServer({ ui: false, env: { UNCLIP_DEBUG: '1', UNCLIP_WORKERS: '1', UNCLIP_DATA_DIR: join(tmp, 'data'), UNCLIP_WEIGHTS_DIR: join(tmp, 'weights') } });
});
beforeEach(async () => {
  a = await connect(server.url);
  rec = new Recorder(a);
});
afterEach(() => {
  a?.close();
});
after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

type Raw = { timeout(ms: number): { emitWithAck(e: string, ...p: unknown[]): Promise<any> } };
const raw = (s: Client) => s as unknown as Raw;
const KEYS = ['noto:red-apple', 'noto:grapes', 'noto:lemon', 'noto:cherries'];
const healthy = async () => assert.equal((await fetch(`${server.url}/healthz`)).status, 200);

test('an output of 64 images (the batch limit) reaches the client whole, live, replayed, over REST and in the stored run', async () => {
  const keys = Array.from({ length: 64 }, (_, i) => KEYS[i % KEYS.length]!);
  const g = graph([node('i', 'image-input', { key: keys.join(' ') })]);
  const saved = await (await fetch(`${server.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ graph: g }) })).json() as { id: string; editToken: string };
  let dropped = '';
  a.on('disconnect', (why) => (dropped = why));
  const id = await startOk(a, g, { graphId: saved.id, editToken: saved.editToken });
  const end = await rec.end(id);
  assert.equal(dropped, '', 'the client was not dropped');
  assert.equal(end.event, 'run:done');
  const out = rec.of(id).find((e): e is Extract<RunEvent, { event: 'node:output' }> => e.event === 'node:output')!;
  const v = out.payload.outputs.image!;
  assert.ok(v.kind === 'image');
  const images = imageList(v.images);
  assert.equal(images.length, 64);
  assert.deepEqual(v.labels, keys);
  for (const [i, im] of images.entries()) {
    const meta = await sharp(Buffer.from(im as Uint8Array)).metadata();
    assert.equal(meta.format, 'png', `image ${i}`);
    assert.equal(meta.width, 32);
  }
  // the same bytes as the first icon rendered alone, so the offsets are right
  const apple = await sharp(Buffer.from(images[4] as Uint8Array)).raw().toBuffer();
  assert.deepEqual(await sharp(Buffer.from(images[0] as Uint8Array)).raw().toBuffer(), apple);
  // a late watcher gets the same output replayed
  const b = await connect(server.url);
  try {
    const recB = new Recorder(b);
    assert.equal((await raw(b).timeout(5000).emitWithAck('run:watch', { runId: id })).ok, true);
    const replayed = await recB.wait(id, (e) => e.event === 'node:output');
    assert.ok(replayed.event === 'node:output' && replayed.payload.outputs.image!.kind === 'image');
    assert.equal(imageList(replayed.payload.outputs.image!.images).length, 64);
    assert.ok(b.connected);
  } finally {
    b.close();
  }
  // REST and the share page's stored run: a data: URL per image
  for (const path of [`/api/runs/${id}`, `/api/graphs/${saved.id}/runs/latest`]) {
    const body = await (await fetch(`${server.url}${path}`)).json() as { events: RunEvent[] };
    const o = body.events.find((e) => e.event === 'node:output') as Extract<RunEvent, { event: 'node:output' }>;
    const v = o.payload.outputs.image!;
    const imgs = v.kind === 'image' ? (v.images as string[]) : [];
    assert.equal(imgs.length, 64, path);
    for (const u of imgs) assert.match(u, /^data:image\/png;base64,/, path);
  }
});

const small = (r: unknown) => {
  const n = Buffer.byteLength(JSON.stringify(r));
  assert.ok(n < 64 * 1024, `reply of ${n} bytes`);
};

test('oversized or problem-laden run:start payloads get a small refusal with a code from the table', async () => {
  const lots: Record<string, number> = {};
  for (let i = 0; i < 1_000_000; i++) lots[`p${i}`] = 0;
  const cases: { name: string; graph: unknown; code: string; problem?: string }[] = [
    { name: '12 MB of unknown params', graph: graph([node('t', 'text', lots)]), code: 'PAYLOAD_TOO_LARGE' },
    { name: 'a 10 MB node id', graph: graph([node('x'.repeat(10 * 2 ** 20), 'text')]), code: 'PAYLOAD_TOO_LARGE' },
    // under the byte limit: the listed problems and echoed names are capped
    { name: '100,000 unknown params', graph: graph([node('t', 'text', Object.fromEntries(Object.entries(lots).slice(0, 100_000)))]), code: 'INVALID_GRAPH', problem: 'GRAPH_TOO_LARGE' },
    { name: 'a 2 MB node id', graph: graph([node('y'.repeat(2 * 2 ** 20), 'text')]), code: 'INVALID_GRAPH', problem: 'GRAPH_SCHEMA' },
    { name: 'a 2 MB param name', graph: graph([node('t', 'text', { ['z'.repeat(2 * 2 ** 20)]: 1 })]), code: 'INVALID_GRAPH', problem: 'UNKNOWN_PARAM' },
    { name: 'a 2 MB enum value', graph: graph([node('i', 'image-input', { source: 'q'.repeat(2 * 2 ** 20) })]), code: 'INVALID_GRAPH', problem: 'PARAM_OUT_OF_RANGE' },
    { name: '2,000 bad nodes', graph: graph(Array.from({ length: 2000 }, (_, i) => node(`n${i}`, 'nope'))), code: 'INVALID_GRAPH', problem: 'GRAPH_TOO_LARGE' },
  ];
  for (const c of cases) {
    const r = await start(a, c.graph);
    assert.equal(r.ok, false, c.name);
    if (r.ok) continue;
    assert.equal(r.error.code, c.code, c.name);
    assert.ok(r.error.code in ERROR_CODES);
    if (c.problem) assert.equal(r.error.nodeErrors[0]?.code, c.problem, c.name);
    small(r);
  }
  // 1,200 problems: 50 listed, the message gives the count
  const many = await start(a, graph(Array.from({ length: 60 }, (_, i) => node(`n${i}`, 'note', Object.fromEntries(Array.from({ length: 20 }, (_, j) => [`q${j}`, 1]))))));
  assert.ok(!many.ok && many.error.code === 'INVALID_GRAPH');
  assert.equal(many.error.nodeErrors.length, MAX_LISTED_PROBLEMS);
  assert.match(many.error.message, /^1200 problems/);
  small(many);
  const top = await raw(a).timeout(30_000).emitWithAck('run:start', { graph: {}, ...Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 1])) });
  assert.equal(top.error.code, 'BAD_REQUEST');
  small(top);
  assert.ok(a.connected);
  await healthy();
});

test('an oversized REST body gets 413 with a JSON error, not a reset', async () => {
  const body = JSON.stringify({ graph: graph([node('t', 'text', { text: 'x'.repeat(20 * 2 ** 20) })]) });
  for (const [method, path] of [['POST', '/api/graphs'], ['PUT', '/api/graphs/abc']] as const) {
    const r = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body });
    assert.equal(r.status, 413, `${method} ${path}`);
    const j = await r.json() as { ok: false; error: { code: string } };
    assert.equal(j.ok, false);
    assert.ok(j.error.code in ERROR_CODES);
  }
  await healthy();
});

test('built-in object names are not keys: corpus keys and node ids named __proto__ or constructor', async () => {
  for (const k of ['noto:__proto__', 'noto:constructor', 'noto:valueOf', 'noto:hasOwnProperty']) {
    const r = await fetch(`${server.url}/api/corpus/icon/${k}.png`);
    assert.equal(r.status, 404, k);
    assert.equal((await r.json() as { error: { code: string } }).error.code, 'UNKNOWN_CORPUS_KEY');
    const id = await startOk(a, graph([node('i', 'image-input', { key: k })]));
    const end = await rec.end(id);
    assert.equal(end.event, 'run:error', k);
    assert.ok(end.event === 'run:error' && end.payload.code === 'UNKNOWN_CORPUS_KEY', k);
  }
  const g = graph([node('__proto__', 'image-input'), node('constructor', 'text')]);
  const saved = await (await fetch(`${server.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ graph: g }) })).json() as { id: string; editToken: string };
  const id = await startOk(a, g, { graphId: saved.id, editToken: saved.editToken });
  const end = await rec.end(id);
  assert.ok(end.event === 'run:done');
  assert.deepEqual(Object.keys(end.payload.timings).sort(), ['__proto__', 'constructor']);
  for (const path of [`/api/runs/${id}`, `/api/graphs/${saved.id}/runs/latest`]) {
    const body = await (await fetch(`${server.url}${path}`)).text();
    const run = JSON.parse(body) as { outputs?: Record<string, unknown>; nodes?: Record<string, unknown> };
    const keys = Object.keys(run.outputs ?? run.nodes ?? {}).sort();
    assert.deepEqual(keys, ['__proto__', 'constructor'], path);
  }
});

test('every request with an ack gets an answer: no payload, unknown events', async () => {
  for (const ev of ['run:start', 'run:cancel', 'run:watch', 'server:ping']) {
    const r = await raw(a).timeout(5000).emitWithAck(ev);
    assert.equal(r.ok, false, ev);
    assert.equal(r.error.code, 'BAD_REQUEST', ev);
  }
  for (const ev of ['run:teleport', 'nothing', 'x'.repeat(100_000)]) {
    const r = await raw(a).timeout(5000).emitWithAck(ev, { runId: 'x' });
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'BAD_REQUEST');
    small(r);
  }
  assert.ok(a.connected);
  await healthy();
});
