// Integration: sweeps in the real server with a plain socket.io-client (issue 24, item 3). The
// sweep-guidance example (decoder seed 1, 2 × guidance 1, 4) runs 4 variants in one run: the
// prompt, CLIP and prior start once and are cache hits in the other three variants, the decoder
// runs in each, and its images differ wherever the swept params differ. Bad sweep specs and a
// sweep over the run budget are refused before anything runs, with their codes. Needs the shipped
// weights (skipped without them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageList, type RunEvent } from '../protocol/index.js';
import { ROOT } from './helpers/server.js';
import { type Client, type GraphServer, type Recorder, start, startGraphServer, startOk, trace } from './helpers/graph.js';
import { missingWeights, WEIGHTS } from './helpers/weights.js';

const skip = missingWeights('clip', 'prior', 'decoder');

let server: GraphServer;
let s: Client;
let rec: Recorder;

before(async () => {
  if (skip) return;
  server = await startGraphServer(WEIGHTS, 'unclip-sweep-');
  ({ socket: s, recorder: rec } = server);
});
after(() => server?.stop());

type G = { nodes: { id: string; params: Record<string, unknown> }[] };
const example = () => JSON.parse(readFileSync(join(ROOT, 'examples', 'sweep-guidance.json'), 'utf8')) as G;
const sweepParams = (g: G) => g.nodes.find((n) => n.id === 'sweep')!.params;
type NodeEv = Extract<RunEvent, { event: 'node:start' | 'node:cached' | 'node:output' }>;

test('a 2 × 2 sweep: 4 variants, upstream nodes computed once, images differ where the param matters', { skip, timeout: 600_000 }, async () => {
  const id = await startOk(s, example());
  const end = await rec.end(id, 590_000);
  assert.equal(end.event, 'run:done', JSON.stringify(end.payload));
  const evs = rec.of(id);
  const of = (event: string, nodeId: string) => evs.filter((e): e is NodeEv => e.event === event && (e.payload as { nodeId?: string }).nodeId === nodeId).map((e) => e.payload.variant);
  for (const n of ['prompt', 'encode', 'prior']) {
    assert.deepEqual(of('node:start', n), [0], `${n} runs once: ${trace(evs).join(', ')}`);
    assert.deepEqual(of('node:cached', n), [1, 2, 3], `${n} is a cache hit in the other variants`);
  }
  assert.deepEqual(of('node:start', 'decoder'), [0, 1, 2, 3]);
  // every decoder step says whose it is
  const steps = evs.filter((e) => e.event === 'node:step' && e.payload.nodeId === 'decoder');
  assert.equal(steps.length, 4 * 8);
  assert.deepEqual([...new Set(steps.map((e) => (e.payload as { variant?: number }).variant))], [0, 1, 2, 3]);
  const done = end.payload as Extract<RunEvent, { event: 'run:done' }>['payload'];
  assert.deepEqual(done.cached, [], 'no node was served from the cache in every variant');
  // variant i: seed [1, 2][i % 2], guidance [1, 4][i / 2]
  const image = (events: RunEvent[], v: number) => {
    const out = events.find((e): e is Extract<RunEvent, { event: 'node:output' }> => e.event === 'node:output' && e.payload.nodeId === 'decoder' && e.payload.variant === v)!;
    const im = out.payload.outputs.image!;
    assert.ok(im.kind === 'image');
    return Buffer.from(imageList(im.images)[0] as Uint8Array).toString('base64');
  };
  const imgs = [0, 1, 2, 3].map((v) => image(evs, v));
  assert.equal(new Set(imgs).size, 4, 'each seed × guidance paints its own image');
  // the animation of one variant's steps: ?variant=N, its 8 steps alone
  const anim = await fetch(`${server.url}/api/runs/${id}/animation/decoder.webp?variant=3`);
  assert.equal(anim.status, 200);
  assert.equal((await sharp(Buffer.from(await anim.arrayBuffer()), { animated: true }).metadata()).pages, 8);
  assert.equal((await fetch(`${server.url}/api/runs/${id}/animation/decoder.gif?variant=4`)).status, 404, 'no fifth variant');
  // the same variant again is the same image: the whole sweep is served from the cache
  const again = await startOk(s, example());
  assert.equal((await rec.end(again, 120_000)).event, 'run:done');
  const evs2 = rec.of(again);
  assert.ok(!evs2.some((e) => e.event === 'node:start'), trace(evs2).join(', '));
  assert.equal(image(evs2, 3), imgs[3]);
});

test('a sweep over prompts on one axis: one row, the prompt and everything after it run per variant', { skip, timeout: 600_000 }, async () => {
  const g = example();
  Object.assign(sweepParams(g), { node: 'prompt', param: 'text', values: 'red apple\nbanana', node2: '' });
  g.nodes.find((n) => n.id === 'decoder')!.params.steps = 4;
  const id = await startOk(s, g);
  const end = await rec.end(id, 590_000);
  assert.equal(end.event, 'run:done', JSON.stringify(end.payload));
  const evs = rec.of(id);
  const starts = (n: string) => evs.filter((e) => e.event === 'node:start' && e.payload.nodeId === n).map((e) => (e.payload as { variant?: number }).variant);
  // "red apple" ran before (the first test), so variant 0 is all cache hits but the decoder's new steps
  for (const n of ['prompt', 'encode', 'prior']) assert.deepEqual(starts(n), [1], n);
  assert.deepEqual(starts('decoder'), [0, 1]);
});

test('bad sweep specs are refused before anything runs, on the sweep node with their codes', { skip, timeout: 120_000 }, async () => {
  const refusal = async (over: Record<string, unknown>) => {
    const g = example();
    Object.assign(sweepParams(g), over);
    const r = await start(s, g);
    assert.equal(r.ok, false, JSON.stringify(over));
    return r.ok ? null : { code: r.error.code, problems: r.error.nodeErrors.map((e) => `${e.nodeId}.${e.port}: ${e.code}`) };
  };
  assert.deepEqual(await refusal({ node: 'nowhere' }), { code: 'INVALID_GRAPH', problems: ['sweep.node: BAD_SWEEP'] });
  assert.deepEqual(await refusal({ param: 'colour' }), { code: 'INVALID_GRAPH', problems: ['sweep.param: UNKNOWN_PARAM'] });
  assert.deepEqual(await refusal({ values2: '1, 40' }), { code: 'INVALID_GRAPH', problems: ['sweep.values2: PARAM_OUT_OF_RANGE'] });
  assert.deepEqual(await refusal({ values: '' }), { code: 'INVALID_GRAPH', problems: ['sweep.values: BAD_SWEEP'] });
  const many = Array.from({ length: 9 }, (_, i) => i).join(', ');
  assert.deepEqual(await refusal({ values: many, param2: 'seed', node2: 'prior', values2: many }), { code: 'INVALID_GRAPH', problems: ['sweep.values2: BATCH_TOO_LARGE'] });
  // one variant of 400 decoder steps fits the default budget (2000 units); six do not
  const dear = await refusal({ param: 'steps', values: '400, 401, 402', values2: '2, 3' });
  assert.equal(dear?.code, 'RUN_TOO_EXPENSIVE');
  assert.equal(dear?.problems[0], 'decoder.undefined: RUN_TOO_EXPENSIVE', 'the decoder is the dearest');
});
