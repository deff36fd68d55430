// A node's denoising steps as an animated WebP or GIF (GET /api/runs/:runId/animation/:nodeId.webp
// |.gif), from a real server's run: one frame per step, the WebP carrying the graph in its XMP,
// and made from the store as well once the server has let go of the run. Needs no weights (the
// debug-steps node streams frames).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { sampleFrames } from '../server/animation.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { connect, graph, node, Recorder, type Client } from './helpers/graph.js';

let server: RunningServer;
let tmp: string;
let s: Client;
let rec: Recorder;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'unclip-anim-'));
  server = await startServer({
    ui: false,
    // one finished run kept in memory: the one before it is read back from the store
    env: { UNCLIP_DEBUG: '1', UNCLIP_WORKERS: '1', UNCLIP_DATA_DIR: join(tmp, 'data'), UNCLIP_WEIGHTS_DIR: join(tmp, 'weights'), UNCLIP_KEEP_RUNS: '1' },
  });
  s = await connect(server.url);
  rec = new Recorder(s);
});
after(async () => {
  s?.close();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

// a new seed each time: the same graph again would come from the output cache, with no steps
const stepsGraph = (seed: number) => graph([node('d', 'debug-steps', { steps: 6, workMs: 0, size: 16, seed })]);

async function runSaved(seed: number): Promise<string> {
  const steps = stepsGraph(seed);
  const saved = (await (await fetch(`${server.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ graph: steps }) })).json()) as { id: string; editToken: string };
  const reply = (await s.emitWithAck('run:start', { graph: steps, graphId: saved.id, editToken: saved.editToken })) as { ok: boolean; runId: string };
  assert.ok(reply.ok, JSON.stringify(reply));
  assert.equal((await rec.end(reply.runId)).event, 'run:done');
  return reply.runId;
}

test('a run\'s steps as an animated WebP (graph in its XMP) and GIF, one frame per step; from memory and from the store', async () => {
  const first = await runSaved(1);
  const second = await runSaved(2); // the server now holds only this one in memory
  for (const runId of [second, first]) {
    const webp = await fetch(`${server.url}/api/runs/${runId}/animation/d.webp`);
    assert.equal(webp.status, 200, `${runId}: ${webp.status === 200 ? "" : await webp.clone().text()}`);
    assert.equal(webp.headers.get('content-type'), 'image/webp');
    const bytes = Buffer.from(await webp.arrayBuffer());
    const meta = await sharp(bytes, { animated: true }).metadata();
    assert.equal(meta.pages, 6, 'one frame per step');
    assert.ok(meta.xmp && meta.xmp.toString().includes('debug-steps'), 'the graph rides in the XMP');
    const gif = await fetch(`${server.url}/api/runs/${runId}/animation/d.gif`);
    assert.equal(gif.headers.get('content-type'), 'image/gif');
    assert.equal((await sharp(Buffer.from(await gif.arrayBuffer()), { animated: true }).metadata()).pages, 6);
  }
  const none = await fetch(`${server.url}/api/runs/${second}/animation/nope.webp`);
  assert.equal(none.status, 404);
  // a node served from the cache streamed nothing in that run: its animation is the steps of the
  // stored run that made its output (server/store.ts links them)
  const again = await runSaved(2);
  const cached = await fetch(`${server.url}/api/runs/${again}/animation/d.webp`);
  assert.equal(cached.status, 200);
  assert.equal((await sharp(Buffer.from(await cached.arrayBuffer()), { animated: true }).metadata()).pages, 6, 'the steps that made the cached output');
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  assert.equal((await fetch(`${server.url}/api/runs/no-such-run/animation/d.gif`)).status, 404);
});

test('long runs are sampled evenly to at most 120 frames, keeping the first and the last', () => {
  const frames = Array.from({ length: 1000 }, (_, i) => i);
  const kept = sampleFrames(frames);
  assert.equal(kept.length, 120);
  assert.equal(kept[0], 0);
  assert.equal(kept.at(-1), 999);
  assert.deepEqual(sampleFrames([1, 2, 3]), [1, 2, 3]);
});
