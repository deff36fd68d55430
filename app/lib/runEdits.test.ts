import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph } from '../../protocol';
import { runEditEnds } from './runEdits.js';

const ran: Graph = {
  version: 1,
  nodes: [
    { id: 't', type: 'text', version: 1, params: {}, position: { x: 0, y: 0 } },
    { id: 'enc', type: 'clip-text-encode', version: 1, params: {}, position: { x: 0, y: 0 } },
    { id: 'note', type: 'note', version: 1, params: {}, position: { x: 0, y: 0 } },
  ],
  edges: [{ from: { node: 't', port: 'text' }, to: { node: 'enc', port: 'text' } }],
};
const runnable = ['t', 'enc'];
const nodes = [{ id: 't' }, { id: 'enc' }, { id: 'note' }];
const edges = [{ source: 't', sourceHandle: 'text', target: 'enc', targetHandle: 'text' }];

test('the graph as it ran, or with edits the run does not use, leaves the run alone', () => {
  assert.equal(runEditEnds(ran, runnable, nodes, edges), null);
  // a new node and link, and the passive note deleted
  assert.equal(runEditEnds(ran, runnable, [{ id: 't' }, { id: 'enc' }, { id: 'x' }], [...edges, { source: 't', sourceHandle: 'text', target: 'x', targetHandle: 'text' }]), null);
});

test('deleting a node or a link of the run names it', () => {
  assert.equal(runEditEnds(ran, runnable, [{ id: 't' }], []), 'node enc was deleted');
  assert.equal(runEditEnds(ran, runnable, nodes, []), 'the link t.text → enc.text was deleted');
  // relinked to another port: the run's link is gone
  assert.match(runEditEnds(ran, runnable, nodes, [{ ...edges[0]!, sourceHandle: 'other' }]) ?? '', /link t\.text → enc\.text/);
});
