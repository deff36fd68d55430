// Integration: saved graphs and runs over REST against the real server process, surviving a
// clean restart and a kill -9 in the middle of writes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../protocol/index.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { connect, graph, node, Recorder, sleep, start, startOk } from './helpers/graph.js';

let tmp: string;
let dataDir: string;
let server: RunningServer;
const env = () => ({ UNCLIP_DEBUG: '1', UNCLIP_WORKERS: '1', UNCLIP_DATA_DIR: dataDir, UNCLIP_WEIGHTS_DIR: join(tmp, 'weights') });

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'unclip-store-'));
  dataDir = join(tmp, 'data');
  server = await startServer({ ui: false, env: env() });
});
after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const g1 = graph([node('i', 'image-input', { key: 'noto:cat-face' }), node('d', 'debug-steps', { steps: 4, workMs: 1, seed: 3 })]);

async function call(method: string, path: string, body?: unknown, token?: string, raw?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${server.url}${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  return { status: r.status, body: (await r.json()) as any };
}

let saved: { id: string; editToken: string };
let runId: string;

test('POST, GET, PUT (edit token) and fork of a graph', async () => {
  const c = await call('POST', '/api/graphs', { graph: g1, title: 'cat and noise' });
  assert.equal(c.status, 201);
  saved = c.body;
  assert.match(saved.id, /^[A-Za-z0-9_-]{22}$/, '128 random bits, base64url');
  assert.match(saved.editToken, /^[A-Za-z0-9_-]{22}$/);

  const got = await call('GET', `/api/graphs/${saved.id}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body.graph, g1);
  assert.equal(got.body.title, 'cat and noise');
  assert.equal(got.body.forkOf, null);
  assert.ok(got.body.createdAt && got.body.updatedAt);
  assert.ok(!('editToken' in got.body) && !JSON.stringify(got.body).includes(saved.editToken), 'reading never shows the token');

  const g2 = graph([...g1.nodes, node('n', 'note', { markdown: 'edited' })]);
  assert.equal((await call('PUT', `/api/graphs/${saved.id}`, { graph: g2 })).status, 403);
  assert.equal((await call('PUT', `/api/graphs/${saved.id}`, { graph: g2 }, 'wrong-token')).status, 403);
  assert.equal((await call('PUT', `/api/graphs/nope`, { graph: g2 }, saved.editToken)).status, 404);
  const put = await call('PUT', `/api/graphs/${saved.id}`, { graph: g2, title: 'edited' }, saved.editToken);
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal((await call('GET', `/api/graphs/${saved.id}`)).body.graph.nodes.length, 3);

  const fork = await call('POST', `/api/graphs/${saved.id}/fork`);
  assert.equal(fork.status, 201);
  assert.notEqual(fork.body.id, saved.id);
  const forked = await call('GET', `/api/graphs/${fork.body.id}`);
  assert.equal(forked.body.forkOf, saved.id);
  assert.deepEqual(forked.body.graph, g2);
  assert.equal((await call('PUT', `/api/graphs/${fork.body.id}`, { graph: g1 }, saved.editToken)).status, 403, "the original's token does not edit the fork");
  assert.equal((await call('PUT', `/api/graphs/${fork.body.id}`, { graph: g1 }, fork.body.editToken)).status, 200);
  assert.equal((await call('GET', `/api/graphs/${saved.id}`)).body.graph.nodes.length, 3, 'the original is untouched');

  assert.equal((await call('GET', '/api/graphs/unknownid')).status, 404);
  assert.equal((await call('POST', `/api/graphs/unknownid/fork`)).status, 404);
  const bad = await call('POST', '/api/graphs', undefined, undefined, '{"graph": ');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'GRAPH_SCHEMA');
  assert.equal((await call('POST', '/api/graphs', { graph: { version: 2, nodes: [] } })).body.error.code, 'GRAPH_SCHEMA');
  const huge = await call('POST', '/api/graphs', { graph: graph(Array.from({ length: 100 }, (_, i) => node(`n${i}`, 'note'))) });
  assert.equal(huge.status, 413);
  assert.equal(huge.body.error.code, 'GRAPH_TOO_LARGE');
});

test('a run of a saved graph is kept: runs/latest shows frames and outputs without rerunning', async () => {
  const s = await connect(server.url);
  const rec = new Recorder(s);
  try {
    const forbidden = await start(s, g1, { graphId: saved.id, editToken: 'nope' });
    assert.ok(!forbidden.ok && forbidden.error.code === 'FORBIDDEN');
    const unknown = await start(s, g1, { graphId: 'nope', editToken: 'nope' });
    assert.ok(!unknown.ok && unknown.error.code === 'NOT_FOUND');
    assert.equal((await call('GET', `/api/graphs/${saved.id}/runs/latest`)).status, 404, 'no runs yet');
    assert.equal((await call('GET', `/api/graphs/${saved.id}`)).body.latestRunId, null, 'the graph says so, so a client need not ask');
    runId = await startOk(s, g1, { graphId: saved.id, editToken: saved.editToken });
    assert.equal((await rec.end(runId)).event, 'run:done');
  } finally {
    s.close();
  }
  const latest = await call('GET', `/api/graphs/${saved.id}/runs/latest`);
  assert.equal(latest.status, 200);
  assert.equal(latest.body.id, runId);
  assert.equal((await call('GET', `/api/graphs/${saved.id}`)).body.latestRunId, runId);
  assert.equal(latest.body.status, 'done');
  assert.deepEqual(latest.body.graph, g1);
  const steps = latest.body.events.filter((e: RunEvent) => e.event === 'node:step');
  assert.equal(steps.length, 4);
  for (const st of steps) assert.match(st.payload.frame, /^data:image\/png;base64,/);
  assert.match(latest.body.outputs.i.image.images[0], /^data:image\/png;base64,/);
  assert.equal(latest.body.events.at(-1).event, 'run:done');
});

test('the edit token is stored only as its sha-256', async () => {
  const db = new Database(join(dataDir, 'studio.sqlite'), { readonly: true });
  try {
    const row = db.prepare('SELECT token_sha256 FROM graphs WHERE id = ?').get(saved.id) as { token_sha256: Buffer };
    assert.deepEqual(Buffer.from(row.token_sha256), createHash('sha256').update(saved.editToken).digest());
  } finally {
    db.close();
  }
  for (const f of readdirSync(dataDir)) assert.ok(!readFileSync(join(dataDir, f)).includes(saved.editToken), `${f} holds the plain token`);
});

test('graphs and runs survive a restart', async () => {
  assert.equal(await server.stop(), 0);
  server = await startServer({ ui: false, env: env() });
  assert.deepEqual((await call('GET', `/api/graphs/${saved.id}`)).body.graph.nodes.length, 3);
  const latest = await call('GET', `/api/graphs/${saved.id}/runs/latest`);
  assert.equal(latest.body.id, runId);
  assert.equal(latest.body.events.filter((e: RunEvent) => e.event === 'node:step').length, 4);
  assert.equal((await call('GET', `/api/runs/${runId}`)).body.status, 'done', 'a run by id, from the store');
});

test('kill -9 in the middle of writes loses nothing that was acknowledged, and the database opens clean', async () => {
  // a long run of a saved graph writes its steps as it goes ...
  const s = await connect(server.url);
  const rec = new Recorder(s);
  const longRun = await startOk(s, graph([node('d', 'debug-steps', { steps: 400, workMs: 10, seed: 9 })]), { graphId: saved.id, editToken: saved.editToken });
  await rec.wait(longRun, (e) => e.event === 'node:step' && e.payload.step >= 40);
  // ... while clients save graphs as fast as they can
  const acked: string[] = [];
  let stop = false;
  const writer = async (w: number) => {
    for (let i = 0; !stop; i++) {
      try {
        const r = await call('POST', '/api/graphs', { graph: graph([node('n', 'note', { markdown: `writer ${w} #${i} ${'x'.repeat(2000)}` })]) });
        if (r.status === 201) acked.push(r.body.id);
      } catch {
        return; // the server is gone
      }
    }
  };
  const writers = Array.from({ length: 6 }, (_, w) => writer(w));
  while (acked.length < 60) await sleep(5);
  server.child.kill('SIGKILL');
  stop = true;
  await Promise.all(writers);
  s.close();
  const exit = await server.stop();
  assert.equal(exit, null, 'killed by a signal');

  // the files open and check clean
  const db = new Database(join(dataDir, 'studio.sqlite'));
  try {
    assert.equal((db.pragma('integrity_check') as { integrity_check: string }[])[0]!.integrity_check, 'ok');
  } finally {
    db.close();
  }
  server = await startServer({ ui: false, env: env() });
  for (const id of acked) assert.equal((await call('GET', `/api/graphs/${id}`)).status, 200, `acknowledged graph ${id} lost`);
  assert.equal((await call('GET', `/api/graphs/${saved.id}`)).status, 200);
  const interrupted = await call('GET', `/api/runs/${longRun}`);
  assert.equal(interrupted.body.status, 'interrupted');
  const kept = interrupted.body.events.filter((e: RunEvent) => e.event === 'node:step').length;
  assert.ok(kept >= 20, `${kept} steps kept of the run killed mid-way`);
  // the latest finished run is still the one shown on the share link
  assert.equal((await call('GET', `/api/graphs/${saved.id}/runs/latest`)).body.id, runId);
});
