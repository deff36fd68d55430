// Integration: a run's kept log within UNCLIP_MAX_STORED_RUN_BYTES covers the decoder's CLIP-path
// embeddings as well as its frames (server/run-log.ts). A saved graph's decoder run of 60 steps
// and 2 images, with a 50 kB limit, in the real server with real SQLite: every step is stored,
// the later ones without frame and embeddings (their map points kept), the stored row stays about
// the limit, the in-memory log REST serves is as lean, and /healthz counts what was left out.
// Needs the shipped weights.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RunEvent } from '../protocol/index.js';
import { type GraphServer, startGraphServer, startOk, trace } from './helpers/graph.js';
import { missingWeights, WEIGHTS } from './helpers/weights.js';

const skip = missingWeights('clip', 'decoder');
// a step with its frame (2 noisy x_t | x0 rows) and embeddings is about 20 kB: a few fit
const LIMIT = 50_000;
const STEPS = 60;

let server: GraphServer;
before(async () => {
  if (!skip) server = await startGraphServer(WEIGHTS, 'unclip-run-bound-', { UNCLIP_MAX_STORED_RUN_BYTES: String(LIMIT) });
});
after(() => server?.stop());

const graph = {
  version: 1,
  nodes: [
    { id: 'prompt', type: 'text', version: 1, position: { x: 0, y: 0 }, params: { text: 'red apple' } },
    { id: 'encode', type: 'clip-text-encode', version: 1, position: { x: 200, y: 0 }, params: {} },
    { id: 'decoder', type: 'decoder', version: 1, position: { x: 400, y: 0 }, params: { steps: STEPS, sampler: 'ddim', guidance: 1, seed: 0, count: 2, clipPath: true } },
  ],
  edges: [
    { from: { node: 'prompt', port: 'text' }, to: { node: 'encode', port: 'text' } },
    { from: { node: 'encode', port: 'embedding' }, to: { node: 'decoder', port: 'embedding' } },
  ],
};
type Step = Extract<RunEvent, { event: 'node:step' }>['payload'];
const stepsOf = (evs: RunEvent[]) => evs.filter((e) => e.event === 'node:step' && e.payload.nodeId === 'decoder').map((e) => e.payload as Step);

test('a long decoder run keeps its CLIP-path embeddings only up to UNCLIP_MAX_STORED_RUN_BYTES, in the store and in memory', { skip, timeout: 600_000 }, async () => {
  const saved = (await (await fetch(`${server.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ graph }) })).json()) as { id: string; editToken: string };
  const { socket: s, recorder: rec } = server;
  const id = await startOk(s, graph, { graphId: saved.id, editToken: saved.editToken });
  const end = await rec.end(id, 590_000);
  assert.equal(end.event, 'run:done', `${JSON.stringify(end.payload)} ${trace(rec.of(id)).join(', ')}`);
  const live = stepsOf(rec.of(id));
  assert.equal(live.length, STEPS);
  assert.ok(live.every((p) => p.embeddings?.length === 2 && p.frame), 'the client got every step whole');
  const liveBytes = JSON.stringify(live.map((p) => p.embeddings)).length;
  assert.ok(liveBytes > 2 * LIMIT, `the embeddings alone (${liveBytes} bytes) are over twice the limit`);

  const stored = (await (await fetch(`${server.url}/api/graphs/${saved.id}/runs/latest`)).json()) as { id: string; status: string; events: RunEvent[] };
  assert.equal(stored.id, id);
  assert.equal(stored.status, 'done');
  const inMemory = ((await (await fetch(`${server.url}/api/runs/${id}`)).json()) as { events: RunEvent[] }).events;
  for (const [where, events] of [['store', stored.events], ['memory', inMemory]] as const) {
    const steps = stepsOf(events);
    assert.equal(steps.length, STEPS, `${where}: every step is kept`);
    const kept = steps.filter((p) => p.embeddings).length;
    assert.ok(kept > 0 && kept < STEPS, `${where}: ${kept} of ${STEPS} steps keep their embeddings`);
    assert.ok(steps.every((p, i) => (i < kept) === (p.embeddings !== undefined)), `${where}: the first steps keep them, the later ones not`);
    assert.ok(steps.every((p) => p.points?.length === 2), `${where}: every step keeps its map points`);
    assert.ok(steps.every((p) => p.embeddings || !p.frame), `${where}: no frame kept past the limit either`);
    assert.ok(events.some((e) => e.event === 'node:output' && e.payload.nodeId === 'decoder'), `${where}: the outputs are kept`);
    assert.equal(events.at(-1)!.event, 'run:done');
    const bytes = events.reduce((n, e) => n + JSON.stringify(e.payload).length, 0);
    const others = events.filter((e) => e.event !== 'node:step').reduce((n, e) => n + JSON.stringify(e.payload).length, 0);
    // within the limit, and past it only the lean steps (about 300 bytes each) and the outputs and end
    assert.ok(bytes <= LIMIT + others + STEPS * 400, `${where}: ${bytes} bytes kept (limit ${LIMIT}, outputs and end ${others})`);
    console.log(`${where}: ${bytes} bytes kept, ${kept} of ${STEPS} steps whole (limit ${LIMIT}; the live steps' embeddings alone ${liveBytes})`);
  }
  const stats = ((await (await fetch(`${server.url}/healthz`)).json()) as { stats: Record<string, number> }).stats;
  const leanSteps = stepsOf(stored.events).filter((p) => !p.embeddings).length;
  assert.equal(stats.storedEmbeddingsDropped, leanSteps);
  assert.equal(stats.storedFramesDropped, leanSteps);
});
