import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph } from '../../protocol';
import { diffGraphs } from './graphDiff.js';
import { alignedIndex, compareUrl, filmPairs, finalImageNodes, finalRows, hasSteps, parseRef, refParam, shareCachedSteps } from './runCompare.js';
import { replay } from './runState.js';

const RID = 'Xk3v9QeL0m_-aZ1bC2dE3f';

test('refs: bare ids, share links, editor links, REST urls', () => {
  assert.deepEqual(parseRef(` ${RID} `), { kind: 'run-or-graph', id: RID });
  assert.deepEqual(parseRef(`http://localhost:3000/g/${RID}`), { kind: 'graph', id: RID });
  assert.deepEqual(parseRef(`/g/${RID}/`), { kind: 'graph', id: RID });
  assert.deepEqual(parseRef(`g/${RID}`), { kind: 'graph', id: RID });
  assert.deepEqual(parseRef(`https://studio.example.com/?g=${RID}`), { kind: 'graph', id: RID });
  assert.deepEqual(parseRef(`/api/graphs/${RID}/runs/latest`), { kind: 'graph', id: RID });
  assert.deepEqual(parseRef(`http://h/api/runs/${RID}`), { kind: 'run', id: RID });
});

test('refs that name nothing say why', () => {
  for (const bad of ['', '   ', 'http://h/studio/x', '/g/a/b', 'not an id!', `/g/${'x'.repeat(65)}`, 'http://h/?x=1'])
    assert.equal(parseRef(bad).kind, 'invalid', bad);
  const r = parseRef('http://h/elsewhere');
  assert.match(r.kind === 'invalid' ? r.message : '', /not a share link/);
});

test('refParam round-trips through parseRef', () => {
  for (const r of [{ kind: 'graph', id: RID }, { kind: 'run', id: RID }] as const) {
    const back = parseRef(refParam(r));
    assert.equal(back.kind === 'invalid' ? '' : back.id, RID);
  }
  assert.equal(parseRef(refParam({ kind: 'graph', id: RID })).kind, 'graph');
});

test('the shared scrubber: equal strips step together; unequal ones keep the same fraction of the way', () => {
  assert.deepEqual([0, 3, 9].map((i) => alignedIndex(i, 10, 10)), [0, 3, 9]);
  assert.deepEqual([0, 5, 9].map((i) => alignedIndex(i, 10, 4)), [0, 2, 3]);
  assert.equal(alignedIndex(50, 10, 10), 9);
  assert.equal(alignedIndex(-1, 10, 10), 0);
  assert.equal(alignedIndex(3, 1, 1), 0);
});

const steps = (runId: string, nodeId: string, n: number, key = 'k') => [
  { event: 'node:start' as const, payload: { runId, nodeId, key } },
  ...Array.from({ length: n }, (_, i) => ({ event: 'node:step' as const, payload: { runId, nodeId, step: i + 1, total: n, t: 1 - (i + 1) / n, frame: `data:${runId}-${i}` } })),
  { event: 'node:output' as const, payload: { runId, nodeId, outputs: {} } },
];

test('film pairs: matched nodes with frames in either run; a run without any frame has no steps', () => {
  const ga: Graph = { version: 1, nodes: [{ id: 'd', type: 'debug-steps', version: 1, params: {}, position: { x: 0, y: 0 } }, { id: 't', type: 'text', version: 1, params: {}, position: { x: 0, y: 0 } }], edges: [] };
  const a = replay('a', steps('a', 'd', 3));
  const b = replay('b', [{ event: 'node:output', payload: { runId: 'b', nodeId: 't', outputs: {} } }]);
  assert.deepEqual(filmPairs(diffGraphs(ga, ga), a, b), [{ a: 'd', b: 'd', type: 'debug-steps', framesA: 3, framesB: 0 }]);
  assert.equal(hasSteps(a), true);
  assert.equal(hasSteps(b), false);
});

test('a node cached in one run shows the steps the other run made under the same key, never another key\'s', () => {
  const a = replay('a', [...steps('a', 'prior', 2, 'kp'), ...steps('a', 'dec', 3, 'kd1')]);
  const b = replay('b', [
    { event: 'node:cached', payload: { runId: 'b', nodeId: 'prior', key: 'kp' } },
    { event: 'node:cached', payload: { runId: 'b', nodeId: 'dec', key: 'other' } },
  ]);
  const [a2, b2] = shareCachedSteps(a, b);
  assert.equal(a2, a, 'nothing to fill in A');
  assert.deepEqual(b2.nodes.prior!.frames.map((f) => f.url), ['data:a-0', 'data:a-1']);
  assert.equal(b2.nodes.prior!.cached, true);
  assert.deepEqual(b2.nodes.dec!.frames, []);
});

test('final outputs: matched result nodes share a row, the others get rows of their own', () => {
  const node = (id: string, type = 'decoder') => ({ id, type, version: 1, params: {}, position: { x: 0, y: 0 } });
  const a: Graph = { version: 1, nodes: [node('t', 'text'), node('d'), node('x', 'up')], edges: [{ from: { node: 't', port: 'text' }, to: { node: 'd', port: 'text' } }] };
  const b: Graph = { version: 1, nodes: [node('t', 'text'), node('d'), node('y', 'other')], edges: [] };
  const img = { image: { kind: 'image' as const, width: 1, height: 1, images: ['data:x'], labels: [] } };
  const out = (runId: string, ids: string[]) => replay(runId, ids.map((nodeId) => ({ event: 'node:output' as const, payload: { runId, nodeId, outputs: nodeId === 't' ? {} : img } })));
  const ra = out('a', ['t', 'd', 'x']);
  const rb = out('b', ['t', 'd', 'y']);
  const fa = finalImageNodes(a, ra);
  const fb = finalImageNodes(b, rb);
  assert.deepEqual(fa, ['d', 'x']);
  assert.deepEqual(fb, ['d', 'y']);
  assert.deepEqual(finalRows(diffGraphs(a, b), fa, fb), [{ a: 'd', b: 'd' }, { a: 'x' }, { b: 'y' }]);
});

test('compare URLs carry both refs, a graph as /g/<id>', () => {
  assert.equal(compareUrl(refParam({ kind: 'graph', id: RID })), `/compare?a=/g/${RID}`);
  const u = new URL(compareUrl(RID, `http://h:1/g/${RID}`), 'http://x');
  assert.deepEqual([u.searchParams.get('a'), u.searchParams.get('b')], [RID, `http://h:1/g/${RID}`]);
});
