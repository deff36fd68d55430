// Integration: the text-to-image example in the real server with a plain socket.io-client (issue
// 5's "done when"): a node:step with a decodable x_t|x0 PNG frame for every decoder step, the
// outputs, run:done; a rerun with a new decoder seed serves text, CLIP and prior from the cache;
// a cancel mid-decode leaves no tensor behind. Needs the shipped weights (skipped without them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageList, type RunEvent } from '../protocol/index.js';
import { ROOT } from './helpers/server.js';
import { type GraphServer, type Recorder, startGraphServer, startOk, trace, type Client } from './helpers/graph.js';
import { missingWeights, WEIGHTS } from './helpers/weights.js';

const skip = missingWeights('clip', 'prior', 'decoder', 'upsampler');

let server: GraphServer;
let s: Client;
let rec: Recorder;

before(async () => {
  if (skip) return;
  server = await startGraphServer(WEIGHTS, 'unclip-diffusion-');
  ({ socket: s, recorder: rec } = server);
});
after(() => server?.stop());

const example = () => JSON.parse(readFileSync(join(ROOT, 'examples', 'text-to-image.json'), 'utf8')) as { nodes: { id: string; params: Record<string, unknown> }[] };
const setParam = (g: ReturnType<typeof example>, id: string, k: string, v: unknown) => (g.nodes.find((n) => n.id === id)!.params[k] = v);
type StepEv = Extract<RunEvent, { event: 'node:step' }>;
type OutEv = Extract<RunEvent, { event: 'node:output' }>;

test('text-to-image: a PNG frame (x_t | x0) for every decoder step, the 32 and 64 px images, then run:done', { skip, timeout: 600_000 }, async () => {
  const g = example();
  const id = await startOk(s, g);
  const end = await rec.end(id, 590_000);
  assert.equal(end.event, 'run:done', JSON.stringify(end.payload));
  const evs = rec.of(id);
  const steps = evs.filter((e): e is StepEv => e.event === 'node:step' && e.payload.nodeId === 'decoder');
  const total = g.nodes.find((n) => n.id === 'decoder')!.params.steps as number;
  assert.deepEqual(steps.map((e) => e.payload.step), Array.from({ length: total }, (_, i) => i + 1), trace(evs).join(', '));
  for (const e of steps) {
    assert.equal(e.payload.total, total);
    const meta = await sharp(Buffer.from(e.payload.frame!)).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 64, 32], 'x_t and x0 side by side');
  }
  const ups = evs.filter((e): e is StepEv => e.event === 'node:step' && e.payload.nodeId === 'upsample');
  assert.equal(ups.length, 10);
  const out = (nodeId: string) => (evs.find((e) => e.event === 'node:output' && e.payload.nodeId === nodeId) as OutEv).payload.outputs;
  const img = out('decoder').image!;
  assert.ok(img.kind === 'image' && img.width === 32 && imageList(img.images).length === 1);
  const big = out('upsample').image!;
  assert.ok(big.kind === 'image' && big.width === 64);
  assert.equal((await sharp(Buffer.from(imageList(big.images)[0] as Uint8Array)).metadata()).width, 64);
  const pe = out('prior').embedding!;
  assert.ok(pe.kind === 'embedding' && pe.space === 'clip-image' && pe.vectors.length === 1);
  const summary = await (await fetch(`${server.url}/api/runs/${id}`)).json();
  for (const [nodeId, n] of Object.entries(summary.nodes as Record<string, { leaked?: number }>)) if (nodeId !== 'about') assert.equal(n.leaked, 0, `${nodeId} leaked tensors`);
});

test('rerun with a new decoder seed: node:cached for text, CLIP and prior; decoder and upsampler run', { skip, timeout: 600_000 }, async () => {
  const g = example();
  setParam(g, 'decoder', 'seed', 11);
  const id = await startOk(s, g);
  const end = await rec.end(id, 590_000);
  assert.equal(end.event, 'run:done');
  const evs = rec.of(id);
  const first = (nodeId: string) => evs.find((e) => e.event !== 'node:step' && 'nodeId' in e.payload && e.payload.nodeId === nodeId)?.event;
  for (const n of ['prompt', 'encode', 'prior', 'map']) assert.equal(first(n), 'node:cached', n);
  for (const n of ['decoder', 'upsample']) assert.equal(first(n), 'node:start', n);
});

test('cancel during the decoder: run:cancelled, nothing leaks, the next run works', { skip, timeout: 600_000 }, async () => {
  const g = example();
  setParam(g, 'decoder', 'seed', 12);
  const id = await startOk(s, g);
  await rec.wait(id, (e) => e.event === 'node:step' && e.payload.nodeId === 'decoder' && e.payload.step === 2, 300_000);
  const ack = await (s.timeout(10_000) as unknown as Client).emitWithAck('run:cancel', { runId: id } as never);
  assert.ok((ack as { ok: boolean }).ok);
  assert.equal((await rec.end(id, 60_000)).event, 'run:cancelled');
  const decSteps = rec.of(id).filter((e) => e.event === 'node:step' && e.payload.nodeId === 'decoder').length;
  assert.ok(decSteps < 25, `stopped between steps (${decSteps} of 25)`);
  const mem = await (await fetch(`${server.url}/api/debug/memory`)).json();
  assert.equal(mem.workers[0].numTensors, mem.workers[0].resident, 'only the loaded models hold tensors');
  setParam(g, 'decoder', 'steps', 3);
  setParam(g, 'upsample', 'steps', 2);
  const again = await startOk(s, g);
  assert.equal((await rec.end(again, 300_000)).event, 'run:done');
});
