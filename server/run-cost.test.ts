// The run cost model: every node type has an estimate, every example fits the default budget, and
// the heavy run (decoder steps 1000 x count 10) does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogue, migrations, nodeDefs } from '../nodes/index.js';
import { DEFAULT_LIMITS, validateGraph, type ValidGraph } from '../protocol/index.js';
import { REPO_ROOT } from './config.js';
import { FRAME_ROWS } from '../ml/pipeline.js';
import { CLIP_PATH_ROWS, estimateRunCost, NODE_COSTS } from './run-cost.js';

const cat = catalogue({ debug: true });
const plan = (g: unknown): ValidGraph => {
  const v = validateGraph(g, { catalogue: cat, migrations: migrations({ debug: true }) });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.value;
};
const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({ id, type, version: 1, params, position: { x: 0, y: 0 } });
const edge = (from: string, fromPort: string, to: string, toPort: string) => ({ from: { node: from, port: fromPort }, to: { node: to, port: toPort } });

test('every node type has a cost estimate', () => {
  for (const d of nodeDefs({ debug: true })) assert.ok(NODE_COSTS.has(d.decl.type), `${d.decl.type} has no entry in NODE_COSTS`);
});

test('every example fits the default budget; the issue\'s heavy decoder run does not', () => {
  const dir = join(REPO_ROOT, 'examples');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const cost = estimateRunCost(plan(JSON.parse(readFileSync(join(dir, f), 'utf8'))), DEFAULT_LIMITS);
    assert.ok(cost.total <= DEFAULT_LIMITS.maxRunCost, `${f}: ${cost.total}`);
  }
  const heavy = (count: number, steps: number) =>
    plan({
      version: 1,
      nodes: [node('i', 'image-input'), node('e', 'clip-image-encode'), node('d', 'decoder', { steps, count })],
      edges: [edge('i', 'image', 'e', 'image'), edge('e', 'embedding', 'd', 'embedding')],
    });
  const c = estimateRunCost(heavy(10, 1000), DEFAULT_LIMITS);
  assert.ok(c.total > DEFAULT_LIMITS.maxRunCost, `${c.total}`);
  assert.equal(c.nodes[0]!.nodeId, 'd', 'the decoder is the dearest node');
  // steps x (images x 1 (guidance on by default) + the CLIP path's encode of 8 of them x 0.05)
  assert.equal(c.nodes[0]!.units, 10_400);
  // a full batch at the default steps still fits
  assert.ok(estimateRunCost(heavy(64, 25), DEFAULT_LIMITS).total <= DEFAULT_LIMITS.maxRunCost);
});

test('rows flow along edges: a sweep multiplies the images a decoder paints', () => {
  const g = plan({
    version: 1,
    nodes: [node('t', 'text', { text: 'a\nb\n\nc', perLine: true }), node('e', 'clip-text-encode'), node('s', 'interpolate', { sweep: 4 }), node('d', 'decoder', { steps: 10, count: 2, guidance: 1, clipPath: false })],
    edges: [edge('t', 'text', 'e', 'text'), edge('e', 'embedding', 's', 'a'), edge('e', 'embedding', 's', 'b'), edge('s', 'embedding', 'd', 'embedding')],
  });
  const c = estimateRunCost(g, DEFAULT_LIMITS);
  // 3 prompts x sweep 4 x count 2 = 24 images, 10 steps, no guidance (half a unit)
  assert.equal(c.nodes.find((n) => n.nodeId === 'd')!.units, 24 * 10 * 0.5);
  // capped at the batch limit, as the decoder refuses more
  assert.equal(estimateRunCost(g, { ...DEFAULT_LIMITS, maxBatch: 8 }).nodes.find((n) => n.nodeId === 'd')!.units, 8 * 10 * 0.5);
});

test('a sweep costs every variant: 2 seeds x 3 step counts of a decoder add up each variant\'s steps', () => {
  const g = plan({
    version: 1,
    nodes: [
      node('i', 'image-input'), node('e', 'clip-image-encode'), node('d', 'decoder', { steps: 10, guidance: 1, clipPath: false }),
      node('s', 'sweep', { node: 'd', param: 'seed', values: '1, 2', node2: 'd', param2: 'steps', values2: '5\n10\n20' }),
    ],
    edges: [edge('i', 'image', 'e', 'image'), edge('e', 'embedding', 'd', 'embedding'), edge('d', 'image', 's', 'image')],
  });
  assert.equal(g.sweep!.variants.length, 6);
  const c = estimateRunCost(g, DEFAULT_LIMITS);
  // no guidance: half a unit per step; each seed at 5, 10 and 20 steps
  assert.equal(c.nodes.find((n) => n.nodeId === 'd')!.units, 2 * (5 + 10 + 20) * 0.5);
});

test('the decoder\'s CLIP path costs a CLIP encode per step of each image its frame shows (at most 8)', () => {
  const decoder = (count: number, clipPath: boolean) =>
    estimateRunCost(plan({
      version: 1,
      nodes: [node('i', 'image-input'), node('e', 'clip-image-encode'), node('d', 'decoder', { steps: 100, count, guidance: 3, clipPath })],
      edges: [edge('i', 'image', 'e', 'image'), edge('e', 'embedding', 'd', 'embedding')],
    }), DEFAULT_LIMITS).nodes.find((n) => n.nodeId === 'd')!.units;
  assert.equal(CLIP_PATH_ROWS, FRAME_ROWS, 'the rows the decoder\'s frame and CLIP path cover');
  assert.equal(decoder(1, false), 100);
  assert.equal(decoder(1, true), 105, 'one image: 5% more');
  assert.equal(decoder(8, true) - decoder(8, false), 100 * 8 * 0.05);
  assert.equal(decoder(20, true) - decoder(20, false), 100 * 8 * 0.05, 'only the first 8 images are embedded');
});
