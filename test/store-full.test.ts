// Integration: a write the store cannot take is reported and never leaves a run cut short
// (issue 22, item 10). On a full disk the client got run:done while the store kept the run as
// "running" with 5 of its 17 events. Here the database is genuinely full: UNCLIP_MAX_DB_MB caps it
// (SQLite's max_page_count), so writes fail with SQLITE_FULL as on a full disk. Real server
// process, real socket.io client, real SQLite.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_CODES, type RunEvent } from '../protocol/index.js';
import { connect, graph, node, Recorder, start, type Client } from './helpers/graph.js';
import { startServer, type RunningServer } from './helpers/server.js';

let server: RunningServer;
let tmp: string;
let a: Client;
let rec: Recorder;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'unclip-store-full-'));
  server = await startServer({ ui: false, env: { UNCLIP_DEBUG: '1', UNCLIP_WORKERS: '1', UNCLIP_DATA_DIR: join(tmp, 'data'), UNCLIP_MAX_DB_MB: '1' } });
});
beforeEach(async () => {
  a = await connect(server.url);
  rec = new Recorder(a);
});
afterEach(() => a?.close());
after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}
const latest = async (id: string) => (await (await fetch(`${server.url}/api/graphs/${id}/runs/latest`)).json()) as { status: string; events: RunEvent[] };

// 12 frames of 256² noise: about 3 MB of data: URLs to store, three times the 1 MiB database
const big = graph([node('d', 'debug-steps', { steps: 12, size: 256, workMs: 1, seed: 1 })]);
const small = graph([node('d', 'debug-steps', { steps: 3, size: 8, workMs: 1, seed: 2 })]);

test('a run the full database cannot hold ends STORE_FAILED for the client and in the store; the next one that fits is stored whole', async () => {
  const saved = (await post('/api/graphs', { graph: big, title: 'too big to record' })).body as { id: string; editToken: string };
  const reply = await start(a, big, { graphId: saved.id, editToken: saved.editToken });
  assert.ok(reply.ok, JSON.stringify(reply));
  const end = await rec.end(reply.runId);
  // the client saw the whole run, and is told it was not recorded (not run:done)
  assert.equal(rec.of(reply.runId).filter((e) => e.event === 'node:step').length, 12);
  assert.ok(rec.of(reply.runId).some((e) => e.event === 'node:output'));
  assert.equal(end.event, 'run:error', JSON.stringify(end));
  assert.ok(end.event === 'run:error' && end.payload.code === 'STORE_FAILED' && end.payload.code in ERROR_CODES);
  assert.match(end.payload.message, /full/);
  // the store says the same, and keeps no half of it
  const stored = await latest(saved.id);
  assert.equal(stored.status, 'error');
  assert.deepEqual(stored.events.map((e) => e.event), ['run:error']);
  assert.ok(stored.events[0]!.event === 'run:error' && stored.events[0]!.payload.code === 'STORE_FAILED');
  // so does the server's own copy of the run
  const live = (await (await fetch(`${server.url}/api/runs/${reply.runId}`)).json()) as { status: string; events: RunEvent[] };
  assert.equal(live.status, 'error');
  assert.equal(live.events.at(-1)!.event, 'run:error');

  // the failed run's partial events were dropped, so a run that fits is recorded, every event of it
  const ok = await start(a, small, { graphId: saved.id, editToken: saved.editToken });
  assert.ok(ok.ok);
  assert.equal((await rec.end(ok.runId)).event, 'run:done');
  const whole = await latest(saved.id);
  assert.equal(whole.status, 'done');
  assert.deepEqual(whole.events.map((e) => e.event), rec.of(ok.runId).map((e) => e.event));
});

test('saving into a full database answers 507 STORE_FAILED, and a run on it never ends as done', async () => {
  const saved = (await post('/api/graphs', { graph: small, title: 'before the disk filled' })).body as { id: string; editToken: string };
  // fill it: big notes, then small ones, until even a small graph does not fit
  let refused: { status: number; body: any } | undefined;
  for (const chars of [60_000, 2_000, 10]) {
    for (let i = 0; i < 1000; i++) {
      const r = await post('/api/graphs', { graph: graph([node('n', 'note', { markdown: 'x'.repeat(chars) })]) });
      if (r.status !== 201) {
        refused = r;
        break;
      }
    }
  }
  assert.ok(refused, 'the database filled up');
  assert.equal(refused.status, 507);
  assert.equal(refused.body.error.code, 'STORE_FAILED');
  assert.ok(refused.body.error.code in ERROR_CODES);
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  // refused at once (its run could not be recorded), or run and then reported unrecorded
  const reply = await start(a, big, { graphId: saved.id, editToken: saved.editToken });
  if (!reply.ok) assert.equal(reply.error.code, 'STORE_FAILED');
  else {
    const end = await rec.end(reply.runId);
    assert.ok(end.event === 'run:error' && end.payload.code === 'STORE_FAILED', JSON.stringify(end));
    assert.notEqual((await latest(saved.id)).status, 'running');
  }
  // a run of an unsaved graph records nothing, so it still runs
  const free = await start(a, small);
  assert.ok(free.ok);
  assert.equal((await rec.end(free.runId)).event, 'run:done');
});
