// A filmstrip's animated WebP (server/animation.ts) gives its graph back when dropped on the
// canvas: the studio's RIFF reader (app/lib/webp.ts) finds the XMP chunk sharp wrote and the graph
// in it, XML escapes and non-ASCII included; the canvas's file reader (app/studio/fileDrop.ts)
// opens it as it opens a studio PNG. The GIF carries no graph and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { graphFromFile } from '../app/studio/fileDrop.js';
import { extractWebpGraphText, isWebp, webpChunks } from '../app/lib/webp.js';
import type { Graph } from '../protocol/index.js';
import { animate, type StepFrame } from '../server/animation.js';

const graph: Graph = {
  version: 1,
  nodes: [
    { id: 'prompt', type: 'text', version: 1, position: { x: 0, y: 0 }, params: { text: 'a <red> & "shiny" apple 🍎 — café' } },
    { id: 'encode', type: 'clip-text-encode', version: 1, position: { x: 260, y: 0 }, params: {} },
  ],
  edges: [{ from: { node: 'prompt', port: 'text' }, to: { node: 'encode', port: 'text' } }],
};

async function frames(n: number): Promise<StepFrame[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => ({
      png: await sharp({ create: { width: 64, height: 32, channels: 3, background: { r: 40 * i, g: 100, b: 200 } } }).png().toBuffer(),
      step: i + 1,
      total: n,
    })),
  );
}

test('the graph comes back from the XMP of an animated WebP the server made', async () => {
  const webp = new Uint8Array(await animate(await frames(3), 'webp', { graph }));
  assert.ok(isWebp(webp));
  const types = webpChunks(webp).map((c) => c.type);
  assert.ok(types.includes('ANIM') && types.filter((t) => t === 'ANMF').length === 3, `an animation of 3 frames: ${types.join(' ')}`);
  assert.ok(types.includes('XMP '), 'with an XMP chunk');
  assert.deepEqual(JSON.parse(extractWebpGraphText(webp)!), graph);
  const g = await graphFromFile(new File([webp], 'decoder.webp', { type: 'image/webp' }));
  assert.deepEqual(g.nodes.map((n) => n.params), graph.nodes.map((n) => n.params));
  assert.equal(g.edges.length, 1);
});

test('a WebP without a graph, and the GIF, are refused with a plain message', async () => {
  const plain = new Uint8Array(await animate(await frames(2), 'webp'));
  assert.equal(extractWebpGraphText(plain), null);
  await assert.rejects(graphFromFile(new File([plain], 'plain.webp')), /plain\.webp is a WebP without a studio graph in it/);
  const gif = new Uint8Array(await animate(await frames(2), 'gif', { graph }));
  assert.equal(isWebp(gif), false);
  await assert.rejects(graphFromFile(new File([gif], 'decoder.gif')));
  assert.throws(() => webpChunks(plain.subarray(0, 40)), /truncated WebP chunk/);
});
