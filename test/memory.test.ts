// Integration (issue 22, item 6): a heavy run's memory is given back. The wasm backend's heap grows
// to the largest batch a worker ran and never shrinks (a decoder run with count 64 took the server
// from about 550 to 1,700 MB and it stayed there), so the pool replaces a worker thread that holds
// more than UNCLIP_WORKER_RECYCLE_MB after a run. Here: the real server with one worker and no
// output cache, a small variations run, a 64-image one, then the server's RSS must come back
// within 20% (plus a little slack) of what it was after the small run, and the replacement thread
// must compute the small run's images again, byte for byte. Needs the shipped weights.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageList, type RunEvent } from '../protocol/index.js';
import { ROOT, startServer, type RunningServer } from './helpers/server.js';
import { connect, Recorder, sleep, startOk, type Client } from './helpers/graph.js';
import { missingWeights, WEIGHTS } from './helpers/weights.js';

const skip = missingWeights('clip', 'decoder', 'upsampler');

let server: RunningServer;
let tmp: string;
let s: Client;
let rec: Recorder;

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'unclip-memory-'));
  server = await startServer({ ui: false, env: { UNCLIP_DEBUG: '1', UNCLIP_WORKERS: '1', UNCLIP_CACHE_MB: '0', UNCLIP_DATA_DIR: join(tmp, 'data'), UNCLIP_WEIGHTS_DIR: WEIGHTS } });
  s = await connect(server.url);
  rec = new Recorder(s);
});
after(async () => {
  s?.close();
  await server?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** examples/variations.json with the decoder's count and steps (the upsampler at one step). */
function variations(count: number, steps: number): unknown {
  const g = JSON.parse(readFileSync(join(ROOT, 'examples', 'variations.json'), 'utf8')) as { nodes: { id: string; params: Record<string, unknown> }[] };
  Object.assign(g.nodes.find((n) => n.id === 'decoder')!.params, { count, steps });
  g.nodes.find((n) => n.id === 'upsample')!.params.steps = 1;
  return g;
}

/** Runs the graph to its end; the upsampler's images. */
async function run(g: unknown): Promise<Uint8Array[]> {
  const id = await startOk(s, g);
  const end = await rec.end(id, 300_000);
  assert.equal(end.event, 'run:done', JSON.stringify(end.payload));
  const out = rec.of(id).find((e): e is Extract<RunEvent, { event: 'node:output' }> => e.event === 'node:output' && e.payload.nodeId === 'upsample')!;
  const v = out.payload.outputs.image!;
  assert.ok(v.kind === 'image');
  return imageList(v.images).map((im) => new Uint8Array(im as Uint8Array));
}

const serverRss = async () => ((await (await fetch(`${server.url}/api/debug/memory`)).json()) as { serverRssMb: number }).serverRssMb;

test('after a 64-image decoder run the server gives its memory back, and the fresh worker computes the same images', { skip, timeout: 600_000 }, async () => {
  const small = variations(2, 2);
  const first = await run(small);
  await sleep(1000);
  const idle = await serverRss();

  await run(variations(64, 1));
  // the worker is replaced when its run ends; wait until RSS has settled (or a generous while)
  const bound = idle * 1.2 + 64;
  let rss = await serverRss();
  for (let i = 0; i < 20 && rss > bound; i++) {
    await sleep(500);
    rss = await serverRss();
  }
  assert.ok(rss <= bound, `RSS ${rss} MB after the heavy run; ${idle} MB before it (bound ${Math.round(bound)} MB)`);
  assert.match(server.output(), /worker 0 held \d+ MiB after a run .*replacing its thread/);

  // the replacement loads the models again and paints the same pixels (no output cache here)
  const again = await run(small);
  assert.equal(again.length, first.length);
  again.forEach((im, i) => assert.deepEqual(im, first[i], `image ${i}`));
});
