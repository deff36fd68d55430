// Integration: bypass and mute (protocol/modes.ts) in the real server, driven by a plain
// socket.io-client. A bypassed node does not run and what follows it gets the node before it (the
// same cache key as a direct link); a muted node and what needs it do not run, and the run is done,
// not an error. Needs no weights: debug-steps (UNCLIP_DEBUG=1) and the mask node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../protocol/index.js';
import { edge, graph, node, start, startGraphServer, startOk, trace, type GraphServer } from './helpers/graph.js';

let srv: GraphServer;
let weights: string;
before(async () => {
  weights = mkdtempSync(join(tmpdir(), 'unclip-modes-weights-'));
  srv = await startGraphServer(weights, 'unclip-modes-');
});
after(async () => {
  await srv?.stop();
  rmSync(weights, { recursive: true, force: true });
});

const steps = (id: string, seed = 1) => node(id, 'debug-steps', { steps: 2, workMs: 0, size: 16, seed });
// m2 differs from m in a param: the same input would otherwise give it m's key
const m2 = () => node('m2', 'mask', { left: 0.25 });
const withMode = (n: ReturnType<typeof node>, mode: 'bypass' | 'mute') => ({ ...n, mode });

async function run(g: unknown): Promise<RunEvent[]> {
  const id = await startOk(srv.socket, g);
  const end = await srv.recorder.end(id);
  assert.equal(end.event, 'run:done', JSON.stringify(end.payload));
  return srv.recorder.of(id).filter((e) => e.event !== 'node:step');
}
/** The key a node ran (or was served) under in a run. */
const keyOf = (events: RunEvent[], nodeId: string) => {
  const e = events.find((x) => (x.event === 'node:start' || x.event === 'node:cached') && x.payload.nodeId === nodeId);
  return e && 'key' in e.payload ? e.payload.key : undefined;
};
const nodeEvents = (events: RunEvent[]) => trace(events).filter((t) => t.startsWith('node:'));

test('a bypassed node does not run; the node after it takes the one before it, under the key of a direct link, and the old key comes back when the bypass is off', async () => {
  const edges = [edge('d', 'image', 'm', 'image'), edge('m', 'mask', 'm2', 'image')];
  const plain = await run(graph([steps('d'), node('m', 'mask'), m2()], edges));
  assert.deepEqual(nodeEvents(plain), ['node:start d', 'node:output d', 'node:start m', 'node:output m', 'node:start m2', 'node:output m2']);

  const bypassed = await run(graph([steps('d'), withMode(node('m', 'mask'), 'bypass'), m2()], edges));
  assert.deepEqual(nodeEvents(bypassed), ['node:cached d', 'node:output d', 'node:start m2', 'node:output m2'], 'm is not run and not reported');
  assert.notEqual(keyOf(bypassed, 'm2'), keyOf(plain, 'm2'), 'another input, another key');

  // the same as linking d to m2 directly: served from the cache
  const direct = await run(graph([steps('d'), m2()], [edge('d', 'image', 'm2', 'image')]));
  assert.deepEqual(nodeEvents(direct), ['node:cached d', 'node:output d', 'node:cached m2', 'node:output m2']);
  assert.equal(keyOf(direct, 'm2'), keyOf(bypassed, 'm2'));

  const back = await run(graph([steps('d'), node('m', 'mask'), m2()], edges));
  assert.equal(keyOf(back, 'm2'), keyOf(plain, 'm2'));
  assert.ok(nodeEvents(back).includes('node:cached m2'));
});

test('a muted node and what takes its output do not run: the run is done and the rest of the graph ran', async () => {
  const g = graph(
    [withMode(steps('d', 7), 'mute'), node('m', 'mask'), steps('other', 8), node('m3', 'mask')],
    [edge('d', 'image', 'm', 'image'), edge('other', 'image', 'm3', 'image')],
  );
  const events = await run(g);
  assert.deepEqual(nodeEvents(events), ['node:start other', 'node:output other', 'node:start m3', 'node:output m3']);
  // a muted node may be half-wired: its missing input is not a problem while it is muted
  const half = graph([steps('other', 8), withMode(node('u', 'upsample'), 'mute')], []);
  assert.deepEqual(nodeEvents(await run(half)), ['node:cached other', 'node:output other'], 'nor are the weights it would need (none here)');
  const unmuted = await start(srv.socket, graph([node('u', 'upsample')], []));
  assert.ok(!unmuted.ok);
  assert.deepEqual(unmuted.error.nodeErrors?.map((e) => e.code), ['MISSING_INPUT']);
});

test('a bypass that cannot work is refused before the run, saying why', async () => {
  const r = await start(srv.socket, graph([withMode(steps('d'), 'bypass'), node('m', 'mask')], [edge('d', 'image', 'm', 'image')]));
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'INVALID_GRAPH');
  assert.deepEqual(r.error.nodeErrors?.map((e) => [e.nodeId, e.code]), [['d', 'BYPASS_IMPOSSIBLE']]);
  assert.match(r.error.nodeErrors![0]!.message, /Debug steps cannot be bypassed: it has no input to pass on as its image output "image"/);
});
