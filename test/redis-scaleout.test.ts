// Integration: scale-out through Redis, for real. Starts Debian's `redis-server` on a free
// loopback port, two socket servers with REDIS_URL (no ML in them) and one `npm run worker`
// process, and drives them with plain socket.io-clients: runs stream their steps, outputs and
// run:done from the worker process; cancel reaches the worker (and a run still queued in BullMQ
// never starts); a client on the other socket server watches a run through the socket.io Redis
// adapter; a saved graph's run is recorded for its share link. Without redis-server (REDIS_SERVER
// names another command) every test here skips, loudly; with UNCLIP_REQUIRE_ALL=1 (.ci/run, which
// installs it) that is a failure instead.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { imageList, type RunEvent } from '../protocol/index.js';
import { connect, graph, node, Recorder, startOk, trace, type Client } from './helpers/graph.js';
import { skipIfMissing } from './helpers/requires.js';
import { freePort, ROOT, startServer, type RunningServer } from './helpers/server.js';

const WEIGHTS = resolve(process.env.UNCLIP_WEIGHTS_DIR || join(ROOT, 'weights'));
const HAVE_CLIP = existsSync(join(WEIGHTS, 'clip', 'model.safetensors'));
const REDIS_SERVER = process.env.REDIS_SERVER || 'redis-server';

function redisMissingReason(): string | null {
  const have = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (!have.error && have.status === 0) return null;
  return `redis-server not available (${have.error?.message ?? `${REDIS_SERVER} --version: exit ${have.status}`}; apt-get install -y redis-server, or set REDIS_SERVER)`;
}
const skip = skipIfMissing(redisMissingReason(), import.meta.url);

let redis: ChildProcess | undefined;
let redisOut = '';
let worker: ChildProcess | undefined;
let workerOut = '';
let s1: RunningServer;
let s2: RunningServer;
let tmp: string;
let a: Client;
let rec: Recorder;

const debug = (id: string, params: Record<string, unknown>) => node(id, 'debug-steps', params);
type Ev<K extends RunEvent['event']> = Extract<RunEvent, { event: K }>;

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'unclip-redis-'));
  const port = await freePort();
  redis = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp], { stdio: ['ignore', 'pipe', 'pipe'] });
  redis.stdout!.on('data', (d) => (redisOut += d));
  redis.stderr!.on('data', (d) => (redisOut += d));
  for (let i = 0; !/Ready to accept connections/i.test(redisOut); i++) {
    if (redis.exitCode !== null || i > 100) throw new Error(`redis-server did not start:\n${redisOut}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = {
    REDIS_URL: `redis://127.0.0.1:${port}`,
    UNCLIP_DEBUG: '1',
    UNCLIP_WORKERS: '1',
    UNCLIP_MAX_QUEUED: '4',
    UNCLIP_WEIGHTS_DIR: WEIGHTS,
  };
  // the worker: one process, one node worker thread (so a second run waits in the queue)
  worker = spawn('npm', ['run', 'worker'], { cwd: ROOT, env: { ...process.env, ...env, UNCLIP_DATA_DIR: join(tmp, 'worker') }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  worker.stdout!.on('data', (d) => (workerOut += d));
  worker.stderr!.on('data', (d) => (workerOut += d));
  ;[s1, s2] = await Promise.all([
    startServer({ ui: false, env: { ...env, UNCLIP_DATA_DIR: join(tmp, 'data1') } }),
    startServer({ ui: false, env: { ...env, UNCLIP_DATA_DIR: join(tmp, 'data2') } }),
  ]);
  for (let i = 0; !workerOut.includes('[worker] taking runs'); i++) {
    if (worker.exitCode !== null || i > 600) throw new Error(`npm run worker did not start:\n${workerOut}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  a = await connect(s1.url);
  rec = new Recorder(a);
});

after(async () => {
  a?.close();
  await Promise.all([s1?.stop(), s2?.stop()]);
  if (worker?.pid && worker.exitCode === null) {
    const gone = new Promise((r) => worker!.once('exit', r));
    process.kill(-worker.pid, 'SIGTERM'); // npm, its shell and the worker: the group this test started
    await gone;
  }
  if (redis && redis.exitCode === null) {
    const gone = new Promise((r) => redis!.once('exit', r));
    redis.kill('SIGTERM');
    await gone;
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the socket server runs no ML: a debug graph runs on the worker process and streams steps, output and run:done', { timeout: 120_000, skip }, async () => {
  assert.match(s1.output(), /runs on `npm run worker` processes via 127\.0\.0\.1:\d+/);
  const mem = await (await fetch(`${s1.url}/api/debug/memory`)).json();
  assert.equal(mem.workers.length, 0, 'no node workers in the socket server');

  const g = graph([node('i', 'image-input', { key: 'noto:grapes' }), debug('d', { steps: 6, workMs: 5, size: 48, seed: 11 })]);
  const id = await startOk(a, g);
  const end = await rec.end(id, 60_000);
  assert.equal(end.event, 'run:done', JSON.stringify(end.payload));
  const evs = rec.of(id);
  assert.deepEqual(trace(evs), ['run:queued', 'node:start i', 'node:output i', 'node:start d', ...Array(6).fill('node:step d'), 'node:output d', 'run:done']);
  const steps = evs.filter((e): e is Ev<'node:step'> => e.event === 'node:step');
  assert.deepEqual(steps.map((e) => e.payload.step), [1, 2, 3, 4, 5, 6]);
  for (const st of steps) {
    const meta = await sharp(Buffer.from(st.payload.frame as Uint8Array)).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 48);
  }
  const out = evs.find((e): e is Ev<'node:output'> => e.event === 'node:output' && e.payload.nodeId === 'd')!.payload.outputs.image!;
  assert.ok(out.kind === 'image' && imageList(out.images).length === 1);
  assert.equal((await sharp(Buffer.from(imageList(out.images)[0] as Uint8Array)).metadata()).width, 48);

  // the worker process keeps its output cache: only the changed node reruns
  const again = await startOk(a, graph([node('i', 'image-input', { key: 'noto:grapes' }), debug('d', { steps: 6, workMs: 5, size: 48, seed: 12 })]));
  const done = (await rec.end(again, 60_000)) as Ev<'run:done'>;
  assert.equal(done.event, 'run:done');
  assert.deepEqual(done.payload.cached, ['i']);
  // the run is recorded on the socket server that took it
  const run = await (await fetch(`${s1.url}/api/runs/${again}`)).json();
  assert.equal(run.status, 'done');
  assert.equal(run.nodes.d.status, 'done');
  assert.ok(run.events.length >= 10);
});

test('a sweep runs on the worker process too: each variant\'s events and steps say whose they are; the unchanged node runs once', { timeout: 120_000, skip }, async () => {
  const g = graph([node('i', 'image-input', { key: 'noto:pear' }), debug('d', { steps: 3, workMs: 1, size: 16 }), node('s', 'sweep', { node: 'd', param: 'seed', values: '5, 6' })]);
  g.edges.push({ from: { node: 'd', port: 'image' }, to: { node: 's', port: 'image' } });
  const id = await startOk(a, g);
  const end = await rec.end(id, 60_000);
  assert.equal(end.event, 'run:done', JSON.stringify(end.payload));
  const evs = rec.of(id);
  const tagged = (event: string, nodeId: string) => evs.filter((e) => e.event === event && (e.payload as { nodeId?: string }).nodeId === nodeId).map((e) => (e.payload as { variant?: number }).variant);
  assert.deepEqual(tagged('node:start', 'i'), [0]);
  assert.deepEqual(tagged('node:cached', 'i'), [1]);
  assert.deepEqual(tagged('node:start', 'd'), [0, 1]);
  assert.deepEqual(tagged('node:step', 'd'), [0, 0, 0, 1, 1, 1], 'steps come back through Redis with their variant');
});

test('cancel travels through Redis: a running run stops between steps, a queued one never starts, the next run works', { timeout: 120_000, skip }, async () => {
  const long = await startOk(a, graph([debug('d', { steps: 400, workMs: 20, seed: 5 })]));
  await rec.wait(long, (e) => e.event === 'node:step' && e.payload.step >= 3, 60_000);
  // the worker process has one node worker: this one waits in the BullMQ queue
  const queued = await startOk(a, graph([debug('d', { steps: 3, workMs: 1, seed: 9 })]));
  const q = await a.timeout(5000).emitWithAck('run:cancel', { runId: queued });
  assert.ok(q.ok, JSON.stringify(q));
  assert.equal((await rec.end(queued, 10_000)).event, 'run:cancelled');
  assert.deepEqual(trace(rec.of(queued)), ['run:queued', 'run:cancelled'], 'a cancelled queued run never starts');

  const r = await a.timeout(5000).emitWithAck('run:cancel', { runId: long });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal((await rec.end(long, 20_000)).event, 'run:cancelled');
  const steps = rec.of(long).filter((e) => e.event === 'node:step').length;
  assert.ok(steps < 400, `${steps} steps`);
  assert.ok(!rec.of(long).some((e) => e.event === 'node:output'), 'a cancelled node has no output');

  const next = await startOk(a, graph([debug('d', { steps: 2, workMs: 1, seed: 6 })]));
  assert.equal((await rec.end(next, 60_000)).event, 'run:done');
  // nothing runs on behind the clients' backs
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(rec.of(queued).length, 2, 'the removed job stayed removed');
});

test('through Redis too: a node worker thread that dies ends its run with WORKER_CRASHED and is replaced; a frame sharp refuses is counted where it is encoded', { timeout: 120_000, skip }, async () => {
  const crash = await startOk(a, graph([debug('d', { steps: 10, workMs: 1, crashAt: 3, seed: 21 })]));
  const end = (await rec.end(crash, 60_000)) as Ev<'run:error'>;
  assert.equal(end.event, 'run:error', JSON.stringify(end.payload));
  assert.equal(end.payload.code, 'WORKER_CRASHED');
  const nodeErr = rec.of(crash).find((e): e is Ev<'node:error'> => e.event === 'node:error')!;
  assert.equal(nodeErr.payload.code, 'WORKER_CRASHED');

  const before = (await (await fetch(`${s1.url}/healthz`)).json()).stats.framesFailed as number;
  const next = await startOk(a, graph([debug('d', { steps: 3, workMs: 1, size: 16, badFrameAt: 2, seed: 22 })]));
  assert.equal((await rec.end(next, 60_000)).event, 'run:done', 'the replaced worker thread runs the next one');
  const frames = rec.of(next).filter((e): e is Ev<'node:step'> => e.event === 'node:step').map((e) => !!e.payload.frame);
  assert.deepEqual(frames, [true, false, true]);
  assert.equal((await (await fetch(`${s1.url}/healthz`)).json()).stats.framesFailed, before + 1);
});

test('a client on the other socket server watches the run through the Redis adapter: steps so far, then the live ones', { timeout: 120_000, skip }, async () => {
  const b = await connect(s2.url);
  const watch = new Recorder(b);
  try {
    const id = await startOk(a, graph([debug('d', { steps: 40, workMs: 20, size: 16, seed: 21 })]));
    await rec.wait(id, (e) => e.event === 'node:step' && e.payload.step >= 5, 60_000);
    const reply = await b.timeout(10_000).emitWithAck('run:watch', { runId: id });
    assert.ok(reply.ok, JSON.stringify(reply));
    assert.equal((await watch.end(id, 60_000)).event, 'run:done');
    await rec.end(id, 10_000);
    const steps = watch.of(id).filter((e): e is Ev<'node:step'> => e.event === 'node:step').map((e) => e.payload.step);
    assert.deepEqual(steps, Array.from({ length: 40 }, (_, i) => i + 1), 'every step once, in order');
    assert.deepEqual(trace(watch.of(id)), trace(rec.of(id)), 'the watcher sees what the owner saw');
    const unknown = await b.timeout(10_000).emitWithAck('run:watch', { runId: 'no-such-run' });
    assert.ok(!unknown.ok && unknown.error.code === 'UNKNOWN_RUN');
  } finally {
    b.close();
  }
});

test('a saved graph\'s run is recorded for its share link', { timeout: 120_000, skip }, async () => {
  const g = graph([debug('d', { steps: 4, workMs: 1, size: 16, seed: 31 })]);
  const saved = await (await fetch(`${s1.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ graph: g, title: 'redis' }) })).json();
  const id = await startOk(a, g, { graphId: saved.id, editToken: saved.editToken });
  assert.equal((await rec.end(id, 60_000)).event, 'run:done');
  const latest = await (await fetch(`${s1.url}/api/graphs/${saved.id}/runs/latest`)).json();
  assert.equal(latest.status, 'done');
  assert.equal(latest.events.filter((e: RunEvent) => e.event === 'node:step').length, 4);
});

test('the CLIP example (examples/clip-similarity.json) runs on the worker process', { timeout: 300_000, skip: skip || (HAVE_CLIP ? false : `no CLIP weights at ${join(WEIGHTS, 'clip')}`) }, async () => {
  const g = JSON.parse(readFileSync(join(ROOT, 'examples', 'clip-similarity.json'), 'utf8'));
  const id = await startOk(a, g);
  const end = await rec.end(id, 280_000);
  assert.equal(end.event, 'run:done', JSON.stringify(end.payload));
  const evs = rec.of(id);
  const out = (nodeId: string) => evs.find((e): e is Ev<'node:output'> => e.event === 'node:output' && e.payload.nodeId === nodeId)?.payload.outputs;
  const scores = out('scores')!.plot!;
  assert.ok(scores.kind === 'plot' && scores.plot.type === 'heatmap');
  assert.deepEqual(scores.plot.values.map((row) => row.length), [4, 4, 4, 4]);
  const map = out('map')!.plot!;
  assert.ok(map.kind === 'plot' && map.plot.type === 'embedding-map');
  assert.ok(evs.some((e) => e.event === 'node:output' && e.payload.nodeId === 'text-enc'));
});
