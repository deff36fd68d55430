// A run outlives its client's connection for a grace period (UNCLIP_RUN_GRACE_MS), against the
// real server with real socket.io clients: the client that started a run disconnects mid-run,
// a new connection watches it with the run's owner key and gets every step (the ones before the
// reconnect replayed, then the live ones) and run:done, and may cancel it; a run whose owner
// never comes back is cancelled once the grace has passed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../protocol/index.js';
import { connect, graph, node, Recorder, sleep, start } from './helpers/graph.js';
import { startServer, type RunningServer } from './helpers/server.js';

const GRACE_MS = 3000;
let server: RunningServer;
let tmp: string;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'unclip-grace-'));
  server = await startServer({
    ui: false,
    env: { UNCLIP_DEBUG: '1', UNCLIP_WORKERS: '1', UNCLIP_DATA_DIR: join(tmp, 'data'), UNCLIP_WEIGHTS_DIR: join(tmp, 'weights'), UNCLIP_RUN_GRACE_MS: String(GRACE_MS) },
  });
});
after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const debug = (steps: number, workMs: number, seed: number) => graph([node('d', 'debug-steps', { steps, workMs, seed })]);
const stepsOf = (events: RunEvent[]) => events.flatMap((e) => (e.event === 'node:step' ? [e.payload.step] : []));

/** Starts a run on a new connection, waits for a few of its steps, and drops the connection. */
async function startAndLeave(steps: number, workMs: number, seed: number): Promise<{ runId: string; ownerKey: string; seen: number }> {
  const a = await connect(server.url);
  const rec = new Recorder(a);
  const reply = await start(a, debug(steps, workMs, seed));
  assert.ok(reply.ok, JSON.stringify(reply));
  await rec.wait(reply.runId, (e) => e.event === 'node:step' && e.payload.step >= 3);
  a.close();
  return { runId: reply.runId, ownerKey: reply.ownerKey, seen: stepsOf(rec.of(reply.runId)).length };
}

test('a client that reconnects mid-run watches its run again: every step once, in order, then run:done', async () => {
  const total = 40;
  const { runId, ownerKey, seen } = await startAndLeave(total, 60, 1);
  const b = await connect(server.url);
  const rec = new Recorder(b);
  const reply = await b.timeout(5000).emitWithAck('run:watch', { runId, ownerKey });
  assert.deepEqual(reply, { ok: true, status: 'running', owner: true }, 'still running after its starter left; the key makes this socket its owner');
  const end = await rec.end(runId);
  assert.equal(end.event, 'run:done');
  assert.ok(seen >= 3);
  assert.deepEqual(stepsOf(rec.of(runId)), Array.from({ length: total }, (_, i) => i + 1), 'the steps before the reconnect (replayed) and after, each once');
  assert.equal(rec.of(runId).filter((e) => e.event === 'node:output').length, 1);
  b.close();
});

test('the owner key makes the new connection the owner: it may cancel; a watcher without the key may not', async () => {
  const { runId, ownerKey } = await startAndLeave(400, 30, 2);
  const stranger = await connect(server.url);
  assert.equal((await stranger.timeout(5000).emitWithAck('run:watch', { runId, ownerKey: 'not-the-key' })).ok, true);
  const refused = await stranger.timeout(5000).emitWithAck('run:cancel', { runId });
  assert.equal(refused.ok ? 'ok' : refused.error.code, 'FORBIDDEN');
  const owner = await connect(server.url);
  const rec = new Recorder(owner);
  const reply = await owner.timeout(5000).emitWithAck('run:watch', { runId, ownerKey });
  assert.ok(reply.ok && reply.owner);
  assert.ok((await owner.timeout(5000).emitWithAck('run:cancel', { runId })).ok);
  assert.equal((await rec.end(runId)).event, 'run:cancelled');
  stranger.close();
  owner.close();
});

test('a run whose owner never comes back is cancelled once the grace has passed', async () => {
  const { runId } = await startAndLeave(1000, 60, 3);
  const status = async () => ((await (await fetch(`${server.url}/api/runs/${runId}`)).json()) as { status: string }).status;
  // waits out the grace (and then some, on a busy machine); nothing else stops this run sooner
  for (let i = 0; i < 200 && (await status()) === 'running'; i++) await sleep(100);
  assert.equal(await status(), 'cancelled');
  const late = await connect(server.url);
  const rec = new Recorder(late);
  assert.ok((await late.timeout(5000).emitWithAck('run:watch', { runId })).ok);
  assert.equal((await rec.end(runId)).event, 'run:cancelled', 'a late watcher sees how it ended');
  late.close();
});
