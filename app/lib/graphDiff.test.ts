import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph } from '../../protocol';
import { diffGraphs, identicalGraphs, showValue } from './graphDiff.js';

const n = (id: string, type: string, params: Record<string, unknown> = {}, x = 0, y = 0) => ({ id, type, version: 1, params, position: { x, y } });
const g = (nodes: Graph['nodes'], edges: Graph['edges'] = []): Graph => ({ version: 1, nodes, edges });
const e = (from: string, fp: string, to: string, tp: string) => ({ from: { node: from, port: fp }, to: { node: to, port: tp } });

test('nodes matched by id: the params that differ, with both values; equal params are not listed', () => {
  const d = diffGraphs(g([n('t', 'text', { text: 'cat' }), n('d', 'decoder', { seed: 1, guidance: 3, steps: 20 })]), g([n('t', 'text', { text: 'cat' }), n('d', 'decoder', { seed: 2, guidance: 5, steps: 20 })]));
  assert.equal(d.matched.length, 2);
  assert.deepEqual(d.matched.map((m) => m.by), ['id', 'id']);
  assert.deepEqual(d.matched[0]!.changes, []);
  assert.deepEqual(d.matched[1]!.changes, [{ name: 'seed', a: 1, b: 2 }, { name: 'guidance', a: 3, b: 5 }]);
  assert.equal(d.same, false);
  assert.equal(d.nothingInCommon, false);
});

test('added and removed nodes; a same id with another type is not a match', () => {
  const d = diffGraphs(g([n('a', 'text'), n('x', 'prior', {}, 500, 0)]), g([n('a', 'text'), n('x', 'decoder', {}, 900, 0), n('y', 'note')]));
  assert.deepEqual(d.matched.map((m) => m.a.id), ['a']);
  assert.deepEqual(d.onlyA.map((x) => x.id), ['x']);
  assert.deepEqual(d.onlyB.map((x) => x.id), ['x', 'y']);
});

test('unmatched ids fall back to type and position (nearest first, within the tolerance), and links follow the match', () => {
  const a = g([n('text-1', 'text', { text: 'cat' }, 0, 0), n('dec-1', 'decoder', { seed: 1 }, 300, 0), n('dec-2', 'decoder', { seed: 1 }, 300, 200)], [e('text-1', 'text', 'dec-1', 'text')]);
  const b = g([n('t', 'text', { text: 'dog' }, 10, 5), n('late', 'decoder', { seed: 9 }, 300, 190), n('early', 'decoder', { seed: 1 }, 290, 0), n('far', 'decoder', {}, 900, 900)], [e('t', 'text', 'early', 'text')]);
  const d = diffGraphs(a, b);
  assert.deepEqual(d.matched.map((m) => [m.a.id, m.b.id, m.by]), [['text-1', 't', 'position'], ['dec-1', 'early', 'position'], ['dec-2', 'late', 'position']]);
  assert.deepEqual(d.matched[0]!.changes, [{ name: 'text', a: 'cat', b: 'dog' }]);
  assert.deepEqual(d.matched[2]!.changes, [{ name: 'seed', a: 1, b: 9 }]);
  assert.deepEqual(d.onlyB.map((x) => x.id), ['far']);
  assert.deepEqual([d.linksOnlyA, d.linksOnlyB], [[], []], 'the renamed nodes\' link is the same link');
});

test('links only one graph has are listed', () => {
  const d = diffGraphs(g([n('a', 'text'), n('b', 'clip')], [e('a', 'text', 'b', 'text')]), g([n('a', 'text'), n('b', 'clip')]));
  assert.deepEqual(d.linksOnlyA, ['a.text → b.text']);
  assert.deepEqual(d.linksOnlyB, []);
});

test('an unset param compares as its default where the defaults are known', () => {
  const defaults = (type: string) => (type === 'decoder' ? { seed: 0, guidance: 3 } : undefined);
  const a = g([n('d', 'decoder', { seed: 0 })]);
  const b = g([n('d', 'decoder', { guidance: 4 })]);
  assert.deepEqual(diffGraphs(a, b, defaults).matched[0]!.changes, [{ name: 'guidance', a: 3, b: 4 }]);
  // without the defaults, both unset sides are shown as unset
  assert.deepEqual(diffGraphs(a, b).matched[0]!.changes, [{ name: 'seed', a: 0, b: undefined }, { name: 'guidance', a: undefined, b: 4 }]);
});

test('graphs with nothing in common, and identical graphs', () => {
  const d = diffGraphs(g([n('a', 'text')]), g([n('b', 'decoder', {}, 500, 500)]));
  assert.equal(d.nothingInCommon, true);
  assert.equal(d.matched.length, 0);
  const same = diffGraphs(g([n('a', 'text', { text: 'x' })]), g([n('a', 'text', { text: 'x' })]));
  assert.equal(same.same, true);
  assert.equal(same.nothingInCommon, false);
  assert.equal(diffGraphs(g([]), g([])).nothingInCommon, false);
});

test('values are shown short; an uploaded image as its type and size, not its data URL', () => {
  assert.equal(showValue(7), '7');
  assert.equal(showValue('cat'), '"cat"');
  assert.equal(showValue(undefined), '(unset)');
  assert.equal(showValue(`data:image/png;base64,${'A'.repeat(4096)}`), '(image/png, 4 kB)');
  assert.ok(showValue('x'.repeat(500)).length < 90);
  assert.equal(showValue([1, 2]), '[1,2]');
});

test('identicalGraphs: the same JSON whatever the key order; any param, link or position differs', () => {
  const a = g([n('t', 'text', { text: 'cat', n: 1 }, 10, 20), n('d', 'decoder', { seed: 1 })], [e('t', 'text', 'd', 'text')]);
  const reordered = JSON.parse(JSON.stringify({ edges: a.edges, nodes: a.nodes.map((x) => ({ position: { y: x.position.y, x: x.position.x }, params: Object.fromEntries(Object.entries(x.params).reverse()), version: x.version, type: x.type, id: x.id })), version: 1 })) as Graph;
  assert.equal(identicalGraphs(a, reordered), true);
  assert.equal(identicalGraphs(a, g([n('t', 'text', { text: 'cat', n: 1 }, 10, 21), n('d', 'decoder', { seed: 1 })], a.edges)), false, 'a moved node');
  assert.equal(identicalGraphs(a, g([n('t', 'text', { text: 'cat', n: 2 }, 10, 20), n('d', 'decoder', { seed: 1 })], a.edges)), false, 'a param');
  assert.equal(identicalGraphs(a, g(a.nodes, [])), false, 'a link');
});
