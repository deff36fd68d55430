// Cards that grew push the cards they cover straight down, cascading, and nothing else moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StudioNode } from './graphModel';
import { pushApart } from './pushApart';

const card = (id: string, x: number, y: number, w = 240, h = 120): StudioNode => ({ id, type: 'studio', position: { x, y }, measured: { width: w, height: h }, data: { type: 'text', params: {} } }) as StudioNode;
const ys = (nodes: StudioNode[]) => Object.fromEntries(nodes.map((n) => [n.id, n.position.y]));

test('a grown card pushes the column below it down, cascading; other columns stay', () => {
  const nodes = [card('a', 0, 0, 240, 500), card('b', 0, 200), card('c', 0, 340), card('side', 260, 200)];
  const out = pushApart(nodes, 20);
  assert.deepEqual(ys(out), { a: 0, b: 520, c: 660, side: 200 });
  assert.ok(out.every((n) => n.position.x === nodes.find((m) => m.id === n.id)!.position.x), 'columns kept');
  assert.equal(out[3], nodes[3], 'an unmoved card is the same object');
});

test('no overlap: the same array back; unmeasured cards are left alone', () => {
  const nodes = [card('a', 0, 0), card('b', 0, 200), { ...card('c', 0, 10), measured: undefined } as StudioNode];
  assert.equal(pushApart(nodes), nodes);
});
