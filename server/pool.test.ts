// A pool worker whose thread dies (the debug node's crashAt: process.exit inside the worker)
// must answer every request it held, its job and a memory probe queued behind it, with
// WORKER_CRASHED, and come back as a fresh thread that runs the next job.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_LIMITS, ERROR_CODES } from '../protocol/index.js';
import { PoolWorker, WorkerCrashed, type JobRequest } from './pool.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'unclip-pool-'));
const worker = new PoolWorker(0, { debug: true, cacheDir });
after(async () => {
  await worker.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

const job = (params: Record<string, number>): JobRequest => ({
  nodeType: 'debug-steps',
  nodeId: 'd',
  params: { steps: 5, workMs: 1, size: 8, seed: 1, failAt: 0, crashAt: 0, badFrameAt: 0, ...params },
  inputs: {},
  models: {},
  limits: DEFAULT_LIMITS,
  cancel: new SharedArrayBuffer(4),
});

test('a worker that dies answers its job and its queued memory probe with WORKER_CRASHED, and is replaced', { timeout: 120_000 }, async () => {
  await worker.ready;
  const steps: number[] = [];
  const crashing = worker.run(job({ crashAt: 3 }), (info) => steps.push(info.step));
  // sent while the job holds the thread: only the thread's death can answer it now
  const probe = worker.memory();
  const res = await crashing;
  assert.equal(res.ok, false);
  assert.ok(!res.ok && res.code === 'WORKER_CRASHED' && res.code in ERROR_CODES, JSON.stringify(res));
  assert.match(!res.ok ? res.message : '', /exited \(70\)/);
  assert.deepEqual(steps, [1, 2], 'the steps before the crash arrived');
  await assert.rejects(probe, (e: unknown) => e instanceof WorkerCrashed && e.code in ERROR_CODES);

  // the replacement thread starts and runs the next job, and its memory probe is answered
  await worker.ready;
  const ok = await worker.run(job({ steps: 2 }));
  assert.ok(ok.ok, JSON.stringify(ok));
  const mem = await worker.memory();
  assert.equal(mem.numTensors, mem.resident, 'the replacement leaks nothing');
});

test('a replaced worker (a heavy run left it holding too much) answers requests sent meanwhile on its fresh thread', { timeout: 120_000 }, async () => {
  await worker.ready;
  assert.ok((await worker.run(job({ steps: 2 }))).ok);
  assert.ok(worker.ownMb > 0, 'each job reports what the thread holds');
  worker.replace();
  // sent before the old thread has gone: they wait for the replacement instead of dying with it
  const [ran, mem] = await Promise.all([worker.run(job({ steps: 2 })), worker.memory()]);
  assert.ok(ran.ok, JSON.stringify(ran));
  assert.equal(mem.numTensors, mem.resident);
});
