import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, problemsFor, replay, startRun, streamedVariant } from './runState';

test('events fold into node states, frames and outputs', () => {
  let s = startRun('r1', ['a', 'b']);
  assert.equal(s.nodes.a!.status, 'queued');
  s = applyEvent(s, { event: 'node:cached', payload: { runId: 'r1', nodeId: 'a' } });
  s = applyEvent(s, { event: 'node:start', payload: { runId: 'r1', nodeId: 'b' } });
  s = applyEvent(s, { event: 'node:step', payload: { runId: 'r1', nodeId: 'b', step: 1, total: 2, t: 0.5, frame: 'data:image/png;base64,AA' } });
  s = applyEvent(s, { event: 'node:step', payload: { runId: 'r1', nodeId: 'b', step: 2, total: 2, t: 0 } });
  assert.equal(s.nodes.b!.status, 'running');
  assert.equal(s.nodes.b!.step, 2);
  assert.equal(s.nodes.b!.frames.length, 1);
  assert.equal(s.nodes.b!.ts.length, 2);
  s = applyEvent(s, { event: 'node:output', payload: { runId: 'r1', nodeId: 'b', outputs: { text: { kind: 'text', texts: ['x'] } } } });
  s = applyEvent(s, { event: 'node:step', payload: { runId: 'other', nodeId: 'b', step: 9, total: 9 } });
  assert.equal(s.nodes.b!.step, 2, 'events of another run are ignored');
  s = applyEvent(s, { event: 'run:done', payload: { runId: 'r1', ms: 12, timings: { b: 10 }, cached: ['a'] } });
  assert.equal(s.phase, 'done');
  assert.equal(s.nodes.a!.cached, true);
  assert.equal(s.nodes.b!.ms, 10);
});

test('errors and cancel', () => {
  const s = replay('r', [
    { event: 'node:start', payload: { runId: 'r', nodeId: 'a' } },
    { event: 'node:error', payload: { runId: 'r', nodeId: 'a', code: 'MODEL_MISSING', message: 'no clip', port: 'text' } },
    { event: 'node:start', payload: { runId: 'r', nodeId: 'b' } },
    { event: 'run:cancelled', payload: { runId: 'r' } },
  ]);
  assert.equal(s.nodes.a!.status, 'error');
  assert.deepEqual(problemsFor(s.problems, 'a', s.nodes.a), [{ code: 'MODEL_MISSING', message: 'no clip', port: 'text' }]);
  assert.equal(s.nodes.b!.status, 'cancelled');
  assert.equal(s.phase, 'cancelled');
});

test('a node the run never reached is marked skipped at run:done', () => {
  let s = startRun('r', ['a', 'b']);
  s = applyEvent(s, { event: 'node:start', payload: { runId: 'r', nodeId: 'a' } });
  s = applyEvent(s, { event: 'node:output', payload: { runId: 'r', nodeId: 'a', outputs: {} } });
  s = applyEvent(s, { event: 'run:done', payload: { runId: 'r', ms: 1, timings: {}, cached: [] } });
  assert.equal(s.nodes.a!.status, 'done');
  assert.equal(s.nodes.b!.status, 'skipped');
});

test('a node that comes back cached keeps the previous run\'s frames and map track; a node that reruns starts empty', () => {
  let first = startRun('r1', ['prior', 'dec']);
  first = applyEvent(first, { event: 'node:start', payload: { runId: 'r1', nodeId: 'prior' } });
  first = applyEvent(first, { event: 'node:step', payload: { runId: 'r1', nodeId: 'prior', step: 1, total: 2, t: 0.5, points: [[1, 2]] } });
  first = applyEvent(first, { event: 'node:start', payload: { runId: 'r1', nodeId: 'dec' } });
  first = applyEvent(first, { event: 'node:step', payload: { runId: 'r1', nodeId: 'dec', step: 1, total: 1, t: 0.1, frame: 'blob:x', embeddings: [[0.6, 0.8]] } });
  assert.deepEqual(first.nodes.dec!.clipPath, [{ step: 1, embeddings: [[0.6, 0.8]] }], 'the decoder’s CLIP path, step by step');
  let s = startRun('r2', ['prior', 'dec'], first.nodes);
  s = applyEvent(s, { event: 'node:cached', payload: { runId: 'r2', nodeId: 'prior' } });
  s = applyEvent(s, { event: 'node:start', payload: { runId: 'r2', nodeId: 'dec' } });
  assert.deepEqual(s.nodes.prior!.track, [{ step: 1, points: [[1, 2]] }]);
  assert.equal(s.nodes.prior!.cached, true);
  assert.deepEqual(s.nodes.dec!.frames, []);
  assert.deepEqual(s.nodes.dec!.clipPath, []);
  s = startRun('r3', ['dec'], first.nodes);
  s = applyEvent(s, { event: 'node:cached', payload: { runId: 'r3', nodeId: 'dec' } });
  assert.deepEqual(s.nodes.dec!.clipPath, [{ step: 1, embeddings: [[0.6, 0.8]] }], 'a cached decoder keeps its CLIP path');
});

test('a sweep: each variant folds into its own nodes, variant 0 also into the cards; a cache hit shows the steps its key streamed', () => {
  const img = (u: string) => ({ image: { kind: 'image' as const, width: 1, height: 1, images: [u], labels: ['x'] } });
  const s = replay('r', [
    { event: 'node:start', payload: { runId: 'r', nodeId: 'e', key: 'k-e', variant: 0 } },
    { event: 'node:output', payload: { runId: 'r', nodeId: 'e', outputs: {}, variant: 0 } },
    { event: 'node:start', payload: { runId: 'r', nodeId: 'd', key: 'k0', variant: 0 } },
    { event: 'node:step', payload: { runId: 'r', nodeId: 'd', step: 1, total: 1, frame: 'data:f0', variant: 0 } },
    { event: 'node:output', payload: { runId: 'r', nodeId: 'd', outputs: img('data:i0'), variant: 0 } },
    { event: 'node:cached', payload: { runId: 'r', nodeId: 'e', key: 'k-e', variant: 1 } },
    { event: 'node:start', payload: { runId: 'r', nodeId: 'd', key: 'k1', variant: 1 } },
    { event: 'node:step', payload: { runId: 'r', nodeId: 'd', step: 1, total: 1, frame: 'data:f1', variant: 1 } },
    { event: 'node:output', payload: { runId: 'r', nodeId: 'd', outputs: img('data:i1'), variant: 1 } },
    // a third variant equal to the first (same key): served from the cache, with variant 0's steps
    { event: 'node:cached', payload: { runId: 'r', nodeId: 'd', key: 'k0', variant: 2 } },
    { event: 'node:output', payload: { runId: 'r', nodeId: 'd', outputs: img('data:i0'), variant: 2 } },
    { event: 'run:done', payload: { runId: 'r', ms: 1, timings: {}, cached: [] } },
  ]);
  assert.equal(s.variants!.length, 3);
  assert.deepEqual(s.variants!.map((v) => v.d!.frames.map((f) => f.url)), [['data:f0'], ['data:f1'], ['data:f0']]);
  assert.equal(s.variants![1]!.e!.cached, true);
  assert.deepEqual(s.nodes.d!.frames.map((f) => f.url), ['data:f0'], 'the cards show variant 0');
  assert.equal(s.nodes.e!.cached, false);
  // the steps each variant shows were streamed in: itself, itself, and variant 0 (same key)
  assert.deepEqual([0, 1, 2].map((v) => streamedVariant(s.variants, 'd', v)), [0, 1, 0]);
  assert.equal(streamedVariant(s.variants, 'd', 3), -1, 'no such variant');
  assert.equal(streamedVariant(s.variants, 'e', 1), -1, 'a node that streamed no steps');
});
