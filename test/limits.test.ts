// Integration: what one visitor may take of the machine and the disk (issue 22, items 3 and 5), in
// the real server process with socket.io clients, fetch and the real SQLite file. Small limits
// come from the environment. Server `a` trusts X-Forwarded-For (UNCLIP_TRUST_PROXY=1), so clients
// on loopback can stand for several addresses; server `b` runs on the defaults and does not.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { DEFAULT_LIMITS, ERROR_CODES, type RunEvent, type RunStartReply } from '../protocol/index.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { edge, graph, node, Recorder, start, startOk, type Client } from './helpers/graph.js';

let tmp: string;
let a: RunningServer;
let b: RunningServer;
const clients: Client[] = [];

const LIMITS = {
  UNCLIP_MAX_QUEUED: '2',
  UNCLIP_MAX_QUEUED_PER_ADDRESS: '3',
  UNCLIP_MAX_QUEUED_TOTAL: '5',
  UNCLIP_MAX_RUN_COST: '200',
  UNCLIP_WRITE_BURST: '5',
  UNCLIP_WRITES_PER_MINUTE: '6',
  UNCLIP_MAX_GRAPH_BYTES: '4096',
  UNCLIP_MAX_STORED_RUN_BYTES: '20000',
  UNCLIP_KEEP_STORED_RUNS: '2',
  UNCLIP_STORED_RUN_DAYS: '30',
};

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'unclip-limits-'));
  const base = { UNCLIP_DEBUG: '1', UNCLIP_WORKERS: '1', UNCLIP_WEIGHTS_DIR: join(tmp, 'weights') };
  [a, b] = await Promise.all([
    startServer({ ui: false, env: { ...base, ...LIMITS, UNCLIP_TRUST_PROXY: '1', UNCLIP_DATA_DIR: join(tmp, 'a') } }),
    startServer({ ui: false, env: { ...base, UNCLIP_DATA_DIR: join(tmp, 'b') } }),
  ]);
});
after(async () => {
  for (const c of clients) c.close();
  await Promise.all([a?.stop(), b?.stop()]);
  rmSync(tmp, { recursive: true, force: true });
});

/** A socket.io client whose requests say they come from `from` (through a proxy). */
async function connectFrom(url: string, from: string): Promise<Client> {
  const s: Client = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { 'x-forwarded-for': `203.0.113.9, ${from}` } });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', reject);
  });
  clients.push(s);
  return s;
}

async function call(server: RunningServer, method: string, path: string, opts: { body?: unknown; token?: string; from?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.from) headers['x-forwarded-for'] = opts.from;
  const r = await fetch(`${server.url}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : null) as any };
}

const refusal = (r: RunStartReply) => (r.ok ? 'accepted' : r.error.code);
// about 143 units (500 steps x 20 ms, 70 ms a unit) and 10 s: long enough to hold a queue slot
const long = (seed: number) => graph([node('d', 'debug-steps', { steps: 500, workMs: 20, size: 8, seed })]);
const quick = (seed: number, steps = 2) => graph([node('d', 'debug-steps', { steps, workMs: 1, size: 32, seed })]);

test('runs are limited per client address (all its sockets) and in all, with codes from the table', async () => {
  const [s1, s2, s3] = await Promise.all([connectFrom(a.url, '198.51.100.1'), connectFrom(a.url, '198.51.100.1'), connectFrom(a.url, '198.51.100.1')]);
  const other = await connectFrom(a.url, '198.51.100.2');
  const third = await connectFrom(a.url, '198.51.100.3');
  const ids: [Client, string][] = [];
  const ok = async (s: Client, seed: number) => ids.push([s, await startOk(s, long(seed))]);
  await ok(s1, 1);
  await ok(s1, 2);
  await ok(s2, 3);
  // the address has 3 (UNCLIP_MAX_QUEUED_PER_ADDRESS) though this socket has only one or none
  const sameAddress = await start(s2, long(4));
  assert.equal(refusal(sameAddress), 'TOO_MANY_QUEUED');
  assert.match((sameAddress as { error: { message: string } }).error.message, /address has 3 runs/);
  assert.equal(refusal(await start(s3, long(5))), 'TOO_MANY_QUEUED');
  // another address is not held back by that one ...
  await ok(other, 6);
  await ok(other, 7);
  // ... until the server holds UNCLIP_MAX_QUEUED_TOTAL in all
  const busy = await start(third, long(8));
  assert.equal(refusal(busy), 'SERVER_BUSY');
  assert.ok(!busy.ok && busy.error.code in ERROR_CODES);
  // a refused run left nothing queued: cancel the five, and a new one starts at once
  const recs = new Map(ids.map(([s]) => [s, new Recorder(s)]));
  for (const [s, id] of ids) assert.equal((await s.timeout(5000).emitWithAck('run:cancel', { runId: id })).ok, true);
  for (const [s, id] of ids) assert.equal((await recs.get(s)!.end(id)).event, 'run:cancelled');
  const rec = new Recorder(third);
  const next = await startOk(third, quick(9));
  assert.equal((await rec.end(next)).event, 'run:done');
});

test('a run over the compute budget is refused before it is queued: RUN_TOO_EXPENSIVE with its cost and the limit', async () => {
  const s = await connectFrom(a.url, '198.51.100.4');
  const rec = new Recorder(s);
  const r = await start(s, graph([node('cheap', 'debug-steps', { steps: 2, workMs: 1 }), node('dear', 'debug-steps', { steps: 1000, workMs: 20 })]));
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'RUN_TOO_EXPENSIVE');
  assert.match(r.error.message, /about 286 units/);
  assert.match(r.error.message, /at most 200 per run/);
  assert.deepEqual(r.error.nodeErrors.map((e) => [e.nodeId, e.code]), [['dear', 'RUN_TOO_EXPENSIVE'], ['cheap', 'RUN_TOO_EXPENSIVE']]);
  assert.equal(rec.events.size, 0, 'nothing was queued');
  // the catalogue tells the studio the budget
  assert.equal((await call(a, 'GET', '/api/nodes')).body.limits.maxRunCost, 200);
});

test('defaults: the issue\'s heavy decoder run (steps 1000, count 10) is refused, the examples\' sizes are not', async () => {
  const s = await connectFrom(b.url, '198.51.100.5');
  const decoder = (steps: number, count: number) =>
    graph(
      [node('i', 'image-input'), node('e', 'clip-image-encode'), node('d', 'decoder', { steps, count })],
      [edge('i', 'image', 'e', 'image'), edge('e', 'embedding', 'd', 'embedding')],
    );
  const heavy = await start(s, decoder(1000, 10));
  assert.ok(!heavy.ok && heavy.error.code === 'RUN_TOO_EXPENSIVE', JSON.stringify(heavy));
  assert.match(heavy.error.message, new RegExp(`about 10401 units .* at most ${DEFAULT_LIMITS.maxRunCost} per run.*d: decoder costs about 10400 units`));
  // a normal one passes the budget (and is refused only because this server has no weights)
  const normal = await start(s, decoder(25, 4));
  assert.ok(!normal.ok && normal.error.code === 'INVALID_GRAPH' && normal.error.nodeErrors.every((e) => e.code === 'MODEL_MISSING'), JSON.stringify(normal));
});

test('state-changing requests are paced per address: 429 RATE_LIMITED with Retry-After; reads and other addresses are not held back', async () => {
  const save = (from: string) => call(a, 'POST', '/api/graphs', { body: { graph: quick(1) }, from });
  for (let i = 0; i < 5; i++) assert.equal((await save('198.51.100.10')).status, 201, `write ${i} within the burst`);
  const limited = await save('198.51.100.10');
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error.code, 'RATE_LIMITED');
  assert.ok(limited.body.error.code in ERROR_CODES);
  const retry = Number(limited.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 10, `Retry-After: ${limited.headers.get('retry-after')}`);
  // PUT and DELETE count too; GET does not
  assert.equal((await call(a, 'DELETE', '/api/graphs/nope', { from: '198.51.100.10' })).status, 429);
  assert.equal((await call(a, 'GET', '/api/nodes', { from: '198.51.100.10' })).status, 200);
  assert.equal((await save('198.51.100.11')).status, 201, 'another address has its own bucket');
  // a new graph takes tokens in proportion to its size (the largest, 4096 bytes here, the whole
  // burst of 5), so pacing bounds the bytes an address adds too
  const large = graph([node('n', 'note', { markdown: 'x'.repeat(3000) })]);
  assert.equal((await call(a, 'POST', '/api/graphs', { body: { graph: large }, from: '198.51.100.12' })).status, 201);
  const second = await call(a, 'POST', '/api/graphs', { body: { graph: large }, from: '198.51.100.12' });
  assert.equal(second.status, 429, 'a second graph of 3000 bytes is over the burst');
  assert.equal(second.body.error.code, 'RATE_LIMITED');
});

test('without a trusted proxy, X-Forwarded-For does not make one client many', async () => {
  // server b: default burst (60), peer address only
  let status = 0;
  let n = 0;
  for (; n < 200 && status !== 429; n++) status = (await call(b, 'POST', '/api/graphs', { body: { graph: quick(1) }, from: `192.0.2.${n % 250}` })).status;
  assert.equal(status, 429);
  // the burst is 60; the bucket refills a token a second, so a slow machine gets a few more in
  assert.ok(n >= 61 && n < 100, `one peer is paced as one client whatever it claims: refused at write ${n}`);
});

test('a graph over UNCLIP_MAX_GRAPH_BYTES is refused with 413 GRAPH_TOO_LARGE, saving and editing', async () => {
  const big = graph([node('n', 'note', { markdown: 'x'.repeat(5000) })]);
  const r = await call(a, 'POST', '/api/graphs', { body: { graph: big }, from: '198.51.100.20' });
  assert.equal(r.status, 413);
  assert.equal(r.body.error.code, 'GRAPH_TOO_LARGE');
  assert.match(r.body.error.message, /at most 4096/);
  const saved = await call(a, 'POST', '/api/graphs', { body: { graph: quick(1) }, from: '198.51.100.20' });
  assert.equal(saved.status, 201);
  const put = await call(a, 'PUT', `/api/graphs/${saved.body.id}`, { body: { graph: big }, token: saved.body.editToken, from: '198.51.100.20' });
  assert.equal(put.status, 413);
  assert.equal(put.body.error.code, 'GRAPH_TOO_LARGE');
});

const db = () => new Database(join(tmp, 'a', 'studio.sqlite'), { readonly: true, fileMustExist: true });
function storedRuns(graphId: string): string[] {
  const d = db();
  try {
    return (d.prepare(`SELECT id FROM runs WHERE graph_id = ? ORDER BY started_at, rowid`).all(graphId) as { id: string }[]).map((r) => r.id);
  } finally {
    d.close();
  }
}

test('DELETE /api/graphs/:id needs the edit token (403), deletes the graph and its runs, then answers 404', async () => {
  const from = '198.51.100.30';
  const saved = (await call(a, 'POST', '/api/graphs', { body: { graph: quick(2) }, from })).body as { id: string; editToken: string };
  const s = await connectFrom(a.url, from);
  const rec = new Recorder(s);
  const runId = await startOk(s, quick(2), { graphId: saved.id, editToken: saved.editToken });
  assert.equal((await rec.end(runId)).event, 'run:done');
  assert.deepEqual(storedRuns(saved.id), [runId]);
  for (const token of [undefined, 'wrong-token']) {
    const r = await call(a, 'DELETE', `/api/graphs/${saved.id}`, { token, from });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'FORBIDDEN');
  }
  assert.equal((await call(a, 'GET', `/api/graphs/${saved.id}`)).status, 200, 'still there');
  assert.equal((await call(a, 'DELETE', `/api/graphs/${saved.id}`, { token: saved.editToken, from })).status, 204);
  assert.equal((await call(a, 'GET', `/api/graphs/${saved.id}`)).status, 404);
  assert.equal((await call(a, 'GET', `/api/graphs/${saved.id}/runs/latest`)).status, 404);
  assert.equal((await call(a, 'GET', `/api/runs/${runId}`)).status, 404, 'its run is gone from memory too');
  assert.deepEqual(storedRuns(saved.id), []);
  const d = db();
  try {
    assert.equal((d.prepare(`SELECT count(*) AS n FROM run_events WHERE run_id = ?`).get(runId) as { n: number }).n, 0);
  } finally {
    d.close();
  }
  const again = await call(a, 'DELETE', `/api/graphs/${saved.id}`, { token: saved.editToken, from: '198.51.100.31' });
  assert.equal(again.status, 404);
  assert.equal(again.body.error.code, 'NOT_FOUND');
});

test('stored runs are pruned on write: the newest UNCLIP_KEEP_STORED_RUNS per graph plus the one its share link shows, none past the age limit', async () => {
  const from = '198.51.100.40';
  const saved = (await call(a, 'POST', '/api/graphs', { body: { graph: quick(3) }, from })).body as { id: string; editToken: string };
  const s = await connectFrom(a.url, from);
  const rec = new Recorder(s);
  const run = async (seed: number) => {
    const id = await startOk(s, quick(seed), { graphId: saved.id, editToken: saved.editToken });
    assert.equal((await rec.end(id)).event, 'run:done');
    return id;
  };
  const done: string[] = [];
  for (let i = 0; i < 4; i++) done.push(await run(10 + i));
  assert.deepEqual(storedRuns(saved.id), done.slice(2), 'the newest two of four');
  // two cancelled runs after them: the last finished one stays, as the share link shows it
  const cancelled: string[] = [];
  for (let i = 0; i < 2; i++) {
    const id = await startOk(s, long(20 + i), { graphId: saved.id, editToken: saved.editToken });
    await s.timeout(5000).emitWithAck('run:cancel', { runId: id });
    assert.equal((await rec.end(id)).event, 'run:cancelled');
    cancelled.push(id);
  }
  assert.deepEqual(storedRuns(saved.id), [done[3], ...cancelled]);
  assert.equal((await call(a, 'GET', `/api/graphs/${saved.id}/runs/latest`)).body.id, done[3]);

  // the age limit (30 days here), for every graph: a run from 2020 on another graph goes at the
  // next write; that graph's newest finished run stays however old
  const other = (await call(a, 'POST', '/api/graphs', { body: { graph: quick(4) }, from })).body as { id: string };
  const w = new Database(join(tmp, 'a', 'studio.sqlite'));
  try {
    w.pragma('busy_timeout = 5000');
    const ins = w.prepare(`INSERT INTO runs (id, graph_id, status, graph, started_at, finished_at, ms) VALUES (?, ?, ?, '{}', ?, ?, 1)`);
    ins.run('old-done', other.id, 'done', '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:01.000Z');
    ins.run('old-cancelled', other.id, 'cancelled', '2020-01-02T00:00:00.000Z', '2020-01-02T00:00:01.000Z');
  } finally {
    w.close();
  }
  assert.deepEqual(storedRuns(other.id), ['old-done', 'old-cancelled']);
  await run(30);
  assert.deepEqual(storedRuns(other.id), ['old-done']);
});

test('a stored run over UNCLIP_MAX_STORED_RUN_BYTES keeps its steps, outputs and end, without its later frames', async () => {
  const from = '198.51.100.50';
  const g = quick(5, 40);
  const saved = (await call(a, 'POST', '/api/graphs', { body: { graph: g }, from })).body as { id: string; editToken: string };
  const s = await connectFrom(a.url, from);
  const rec = new Recorder(s);
  const id = await startOk(s, g, { graphId: saved.id, editToken: saved.editToken });
  assert.equal((await rec.end(id)).event, 'run:done');
  const live = rec.of(id).filter((e) => e.event === 'node:step');
  assert.equal(live.filter((e) => e.event === 'node:step' && e.payload.frame).length, 40, 'the client got every frame');
  const stored = (await call(a, 'GET', `/api/graphs/${saved.id}/runs/latest`)).body as { status: string; events: RunEvent[] };
  assert.equal(stored.status, 'done');
  const steps = stored.events.filter((e) => e.event === 'node:step');
  assert.equal(steps.length, 40, 'every step is stored');
  const framed = steps.filter((e) => e.event === 'node:step' && e.payload.frame).length;
  assert.ok(framed > 0 && framed < 40, `${framed} of 40 frames stored`);
  assert.ok(stored.events.some((e) => e.event === 'node:output'));
  assert.equal(stored.events.at(-1)!.event, 'run:done');
  assert.ok(JSON.stringify(stored.events).length < 2 * 20000, 'about the limit in all');
  assert.ok((await call(a, 'GET', '/healthz')).body.stats.storedFramesDropped >= 40 - framed);
});
