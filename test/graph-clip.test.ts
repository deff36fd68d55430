// Integration: graphs with the CLIP nodes in the real server process, with a plain
// socket.io-client, and every example in examples/ run to completion. Needs the CLIP weights
// (<UNCLIP_WEIGHTS_DIR or weights/>/clip): without them every test here is skipped and says why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { modelHash } from '../ml/weights.js';
import type { RunEvent } from '../protocol/index.js';
import { ROOT } from './helpers/server.js';
import { edge, graph, type GraphServer, node, type Recorder, sleep, startGraphServer, startOk, trace, type Client } from './helpers/graph.js';

const WEIGHTS = resolve(process.env.UNCLIP_WEIGHTS_DIR || join(ROOT, 'weights'));
const HAVE_CLIP = existsSync(join(WEIGHTS, 'clip', 'model.safetensors'));
const skip = HAVE_CLIP ? false : `no CLIP weights at ${join(WEIGHTS, 'clip')} (they arrive with the CLIP training; UNCLIP_WEIGHTS_DIR points elsewhere)`;

let server: GraphServer;
let s: Client;
let rec: Recorder;

before(async () => {
  if (!HAVE_CLIP) return;
  server = await startGraphServer(WEIGHTS, 'unclip-clip-');
  ({ socket: s, recorder: rec } = server);
});
after(() => server?.stop());

const getJson = async (path: string) => (await fetch(`${server.url}${path}`)).json() as Promise<any>;

const clipGraph = (neighbours: number) =>
  graph(
    [
      node('t', 'text', { text: 'red apple\nbanana\nzzqxv fire', perLine: true }),
      node('img', 'image-input', { key: 'noto:red-apple noto:banana noto:fire' }),
      node('te', 'clip-text-encode'),
      node('ie', 'clip-image-encode'),
      node('sim', 'similarity'),
      node('map', 'embedding-plot', { neighbours }),
    ],
    [edge('t', 'text', 'te', 'text'), edge('img', 'image', 'ie', 'image'), edge('te', 'embedding', 'sim', 'rows'), edge('ie', 'embedding', 'sim', 'cols'), edge('te', 'embedding', 'map', 'a'), edge('ie', 'embedding', 'map', 'b')],
  );

/** Each node's first event comes after the outputs of all the nodes it reads from. */
function assertTopological(evs: RunEvent[], g: ReturnType<typeof clipGraph>): void {
  const at = (ev: string, id: string) => evs.findIndex((e) => e.event === ev && 'nodeId' in e.payload && e.payload.nodeId === id);
  for (const e of g.edges) {
    const out = at('node:output', e.from.node);
    const first = evs.findIndex((x) => 'nodeId' in x.payload && x.payload.nodeId === e.to.node);
    assert.ok(out >= 0 && first > out, `${e.from.node} → ${e.to.node}: ${trace(evs).join(', ')}`);
  }
}

test('text → CLIP → similarity and embedding map: streamed in topological order, then run:done', { skip, timeout: 300_000 }, async () => {
  const g = clipGraph(3);
  const t0 = performance.now();
  const id = await startOk(s, g);
  const end = await rec.end(id, 280_000);
  assert.equal(end.event, 'run:done', JSON.stringify(end.payload));
  const evs = rec.of(id);
  assertTopological(evs, g);
  const out = (nodeId: string) => (evs.find((e) => e.event === 'node:output' && e.payload.nodeId === nodeId) as Extract<RunEvent, { event: 'node:output' }>).payload.outputs;
  const te = out('te');
  assert.ok(te.embedding!.kind === 'embedding' && te.embedding!.space === 'clip-text' && te.embedding!.vectors.length === 3);
  assert.ok(te.tokens!.kind === 'tokens');
  assert.deepEqual(te.tokens!.unknownWords[2], ['zzqxv'], 'unknown words are reported, not dropped');
  const sim = out('sim').plot!;
  assert.ok(sim.kind === 'plot' && sim.plot.type === 'heatmap');
  assert.equal(sim.plot.values.length, 3);
  assert.equal(sim.plot.values[0]!.length, 3);
  const map = out('map').plot!;
  assert.ok(map.kind === 'plot' && map.plot.type === 'embedding-map');
  assert.deepEqual(map.plot.series.map((x) => [x.port, x.space, x.points.length]), [['a', 'clip-text', 3], ['b', 'clip-image', 3]]);
  assert.equal(map.plot.series[1]!.neighbours[0]![0]!.key, 'noto:red-apple', 'a corpus icon is its own nearest neighbour');
  const pts = evs.find((e) => e.event === 'node:step' && e.payload.nodeId === 'map' && e.payload.points) as Extract<RunEvent, { event: 'node:step' }>;
  assert.equal(pts.payload.points!.length, 6, 'the map streams its points as a step');
  // the corpus points of the same map, for the studio's background layer
  const file = await getJson(`/api/embedding-map/${map.plot.mapId}`);
  assert.equal(file.keys.length, file.points.length);
  assert.ok(file.keys.includes('noto:red-apple'));
  const summary = await getJson(`/api/runs/${id}`);
  for (const [nodeId, n] of Object.entries(summary.nodes as Record<string, { leaked?: number }>)) assert.equal(n.leaked, 0, `${nodeId} leaked tensors`);
  console.log(`# first CLIP run ${(performance.now() - t0).toFixed(0)} ms; run:done says ${(end as Extract<RunEvent, { event: 'run:done' }>).payload.ms} ms`);
});

test('a fresh cache folder gets the shipped map: the first map run fits nothing', { skip, timeout: 120_000 }, async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'unclip-map-cache-'));
  const fresh = await startGraphServer(WEIGHTS, 'unclip-clip-fresh-', { UNCLIP_CACHE_DIR: cacheDir });
  try {
    const g = graph([node('t', 'text', { text: 'red apple' }), node('te', 'clip-text-encode'), node('map', 'embedding-plot')], [edge('t', 'text', 'te', 'text'), edge('te', 'embedding', 'map', 'a')]);
    const id = await startOk(fresh.socket, g);
    assert.equal((await fresh.recorder.end(id, 100_000)).event, 'run:done');
    // fitting would stream its progress as steps over the corpus (total = its icon count)
    const totals = fresh.recorder.of(id).flatMap((e) => (e.event === 'node:step' && e.payload.nodeId === 'map' ? [e.payload.total] : []));
    assert.deepEqual(totals, [1]);
    assert.ok(readdirSync(cacheDir).some((f) => /^embedding-map-[0-9a-f]{16}\.bin$/.test(f)), readdirSync(cacheDir).join(', '));
  } finally {
    await fresh.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('the shipped map belongs to the shipped CLIP (a new CLIP needs its map refitted and shipped)', { skip }, () => {
  const maps = readdirSync(join(WEIGHTS, 'clip')).filter((f) => /^embedding-map-[0-9a-f]{16}\.json$/.test(f));
  assert.equal(maps.length, 1, maps.join(', '));
  const file = JSON.parse(readFileSync(join(WEIGHTS, 'clip', maps[0]!), 'utf8'));
  assert.equal(file.weightsHash, modelHash(WEIGHTS, 'clip'));
});

test('rerun with only the map\'s param changed: node:cached for text, image and both encoders', { skip, timeout: 120_000 }, async () => {
  const g = clipGraph(5);
  const t0 = performance.now();
  const id = await startOk(s, g);
  const end = await rec.end(id);
  assert.equal(end.event, 'run:done');
  const evs = rec.of(id);
  const kinds = (nodeId: string) => evs.filter((e) => 'nodeId' in e.payload && e.payload.nodeId === nodeId && e.event !== 'node:step').map((e) => e.event);
  for (const n of ['t', 'img', 'te', 'ie', 'sim']) assert.deepEqual(kinds(n), ['node:cached', 'node:output'], n);
  assert.deepEqual(kinds('map'), ['node:start', 'node:output']);
  assert.deepEqual((end as Extract<RunEvent, { event: 'run:done' }>).payload.cached, ['t', 'img', 'te', 'ie', 'sim']);
  console.log(`# rerun with one param changed ${(performance.now() - t0).toFixed(0)} ms`);
});

test('one output feeding two inputs of the same node runs that node (text × text similarity)', { skip, timeout: 120_000 }, async () => {
  const g = graph([node('t', 'text', { text: 'red apple\nbanana', perLine: true }), node('te', 'clip-text-encode'), node('sim', 'similarity')], [edge('t', 'text', 'te', 'text'), edge('te', 'embedding', 'sim', 'rows'), edge('te', 'embedding', 'sim', 'cols')]);
  const id = await startOk(s, g);
  assert.equal((await rec.end(id)).event, 'run:done');
  const out = rec.of(id).find((e) => e.event === 'node:output' && e.payload.nodeId === 'sim') as Extract<RunEvent, { event: 'node:output' }>;
  const p = out.payload.outputs.plot!;
  assert.ok(p.kind === 'plot' && p.plot.type === 'heatmap');
  assert.ok(Math.abs(p.plot.values[0]![0]! - 1) < 1e-4, 'a prompt is its own best match');
  // the map was fitted by the first test: the encoder now streams its points on it
  const pts = rec.of(id).find((e) => e.event === 'node:step' && e.payload.nodeId === 'te') as Extract<RunEvent, { event: 'node:step' }> | undefined;
  assert.equal(pts?.payload.points?.length, 2);
});

test('healthz stays fast during CLIP runs', { skip, timeout: 120_000 }, async (t) => {
  const lat: number[] = [];
  for (let k = 0; k < 3; k++) {
    // a new prompt each time, so CLIP really runs
    const g = clipGraph(4);
    (g.nodes[0] as { params: Record<string, unknown> }).params.text = Array.from({ length: 32 }, (_, i) => `red apple ${k} ${i}`).join('\n');
    const id = await startOk(s, g);
    while (!rec.of(id).some((e) => e.event === 'run:done' || e.event === 'run:error')) {
      const t0 = performance.now();
      await (await fetch(`${server.url}/healthz`)).json();
      lat.push(performance.now() - t0);
      await sleep(10);
    }
  }
  lat.sort((x, y) => x - y);
  t.diagnostic(`healthz during CLIP runs: n=${lat.length} p50=${lat[Math.floor(lat.length / 2)]!.toFixed(1)} ms max=${lat.at(-1)!.toFixed(1)} ms`);
  assert.ok(lat[Math.floor(lat.length / 2)]! < 50);
});

test('every example in examples/ runs to completion without leaking', { skip, timeout: 1_200_000 }, async () => {
  const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 8);
  for (const f of files) {
    const g = JSON.parse(readFileSync(join(ROOT, 'examples', f), 'utf8'));
    const id = await startOk(s, g);
    const end = await rec.end(id, 600_000);
    assert.equal(end.event, 'run:done', `${f}: ${JSON.stringify(end.payload)}`);
    const summary = await getJson(`/api/runs/${id}`);
    for (const [nodeId, n] of Object.entries(summary.nodes as Record<string, { status: string; leaked?: number }>)) {
      assert.ok(['done', 'cached'].includes(n.status), `${f}: ${nodeId} is ${n.status}`);
      if (n.leaked !== undefined) assert.equal(n.leaked, 0, `${f}: ${nodeId} leaked`);
    }
  }
  const mem = await getJson('/api/debug/memory');
  assert.equal(mem.workers[0].numTensors, mem.workers[0].resident, 'only the loaded models hold tensors');
});
