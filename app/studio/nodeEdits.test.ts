// Node edits (nodeEdits.ts): rename, collapse and seeds to renew are one undo step each and go
// into the graph JSON (which the protocol's schema accepts, so save and reload keep them);
// renewing seeds changes only the marked params; duplicate and delete act on the selection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphSchema, type Catalogue } from '../../protocol';
import { createStudioStore } from './store';

const catalogue = {
  nodes: [
    { type: 'gen', version: 1, title: 'Generator', category: 'debug', description: '', inputs: [], outputs: [{ name: 'image', title: 'Image', type: { kind: 'image' } }], models: [],
      params: [{ name: 'seed', title: 'Seed', kind: 'integer', default: 0, min: 0, max: 2 ** 31 - 1 }, { name: 'steps', title: 'Steps', kind: 'integer', default: 4 }] },
  ],
  planned: [],
  limits: {},
} as unknown as Catalogue;

test('rename, collapse and seeds to renew are undoable and saved in the graph', () => {
  const store = createStudioStore({ catalogue });
  const s = () => store.getState();
  const n = s().addNode('gen', { x: 0, y: 0 })!;
  s().setRenaming(n.id);
  s().rename(n.id, '  Hero shot  ');
  assert.equal(s().renaming, null);
  assert.equal(s().nodes[0]!.data.title, 'Hero shot');
  s().toggleCollapsed();
  s().setReseed(n.id, 'seed', true);
  const g = s().currentGraph();
  assert.deepEqual([g.nodes[0]!.title, g.nodes[0]!.collapsed, g.nodes[0]!.reseed], ['Hero shot', true, ['seed']]);
  assert.ok(GraphSchema.safeParse(g).success, 'the schema takes the UI fields');
  // a reload: the same graph back
  s().load(JSON.parse(JSON.stringify(g)));
  assert.deepEqual(s().currentGraph(), g);
  // undo takes them back one by one; a blank title is the type's again
  s().setReseed(n.id, 'seed', false);
  assert.equal(s().currentGraph().nodes[0]!.reseed, undefined);
  s().undo();
  assert.deepEqual(s().nodes[0]!.data.reseed, ['seed']);
  s().rename(n.id, ' ');
  assert.equal(s().currentGraph().nodes[0]!.title, undefined);
});

test('renewing seeds sets a new value on the marked params only, in one undo step', () => {
  const store = createStudioStore({ catalogue });
  const s = () => store.getState();
  const a = s().addNode('gen', { x: 0, y: 0 })!;
  const b = s().addNode('gen', { x: 300, y: 0 })!;
  assert.equal(s().reseed(), 0, 'nothing marked, nothing changes');
  s().setReseed(a.id, 'seed', true);
  assert.equal(s().reseed(() => 0.5), 1);
  const params = (id: string) => s().nodes.find((n) => n.id === id)!.data.params;
  assert.equal(params(a.id).seed, Math.floor(0.5 * (2 ** 31 - 1)));
  assert.equal(params(a.id).steps, 4);
  assert.equal(params(b.id).seed, 0);
  s().undo();
  assert.equal(params(a.id).seed, 0);
});

test('duplicate and delete act on the selection; a right-click outside it selects that node alone', () => {
  const store = createStudioStore({ catalogue });
  const s = () => store.getState();
  const a = s().addNode('gen', { x: 0, y: 0 })!;
  const b = s().addNode('gen', { x: 300, y: 0 })!;
  s().selectForMenu(a.id);
  assert.deepEqual(s().nodes.filter((n) => n.selected).map((n) => n.id), [a.id]);
  assert.equal(s().duplicateSelected(), 1);
  const copy = s().nodes.find((n) => n.selected)!;
  assert.deepEqual([s().nodes.length, copy.position], [3, { x: 40, y: 40 }]);
  s().selectAll();
  s().selectForMenu(b.id);
  assert.equal(s().nodes.filter((n) => n.selected).length, 3, 'b was in the selection: it stays whole');
  assert.equal(s().deleteSelected(), 3);
  assert.equal(s().nodes.length, 0);
  s().undo();
  assert.equal(s().nodes.length, 3);
});
