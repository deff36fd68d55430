// Bypass, mute and groups in the studio store (modesAndGroups.ts): a node that cannot be bypassed
// says why and nothing changes; modes and groups are undo steps and go into the graph JSON the
// schema takes; the canvas's "will not run" is the server's planModes; undo keeps cards apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphSchema, type Catalogue } from '../../protocol';
import { heldNodes } from '../lib/graphModel';
import { createStudioStore } from './store';

const img = { kind: 'image' } as const;
const catalogue = {
  nodes: [
    { type: 'gen', version: 1, title: 'Generator', category: 'debug', description: '', inputs: [], outputs: [{ name: 'image', title: 'Image', type: img }], models: [], params: [] },
    { type: 'edit', version: 1, title: 'Edit', category: 'debug', description: '', inputs: [{ name: 'image', title: 'Image', type: img }], outputs: [{ name: 'image', title: 'Image', type: img }], models: [], params: [] },
    { type: 'note', version: 1, title: 'Note', category: 'doc', description: '', inputs: [], outputs: [], models: [], params: [], passive: true },
  ],
  planned: [],
  limits: {},
} as unknown as Catalogue;

function graphOfThree() {
  const store = createStudioStore({ catalogue });
  const s = () => store.getState();
  const a = s().addNode('gen', { x: 0, y: 0 })!;
  const b = s().addNode('edit', { x: 300, y: 0 })!;
  const c = s().addNode('edit', { x: 600, y: 0 })!;
  s().connect({ source: a.id, sourceHandle: 'image', target: b.id, targetHandle: 'image' });
  s().connect({ source: b.id, sourceHandle: 'image', target: c.id, targetHandle: 'image' });
  const only = (id: string) => store.setState({ nodes: s().nodes.map((n) => ({ ...n, selected: n.id === id })) });
  return { s, store, a, b, c, only };
}
const held = (s: ReturnType<typeof graphOfThree>['s']) => Object.fromEntries(heldNodes(s().nodes, s().edges, s().catalogue));

test('bypass and mute toggle on the selection, are undoable, saved in the graph, and shown as the server plans them', () => {
  const { s, a, b, c, only } = graphOfThree();
  only(b.id);
  assert.equal(s().toggleMode('bypass'), null);
  assert.equal(s().currentGraph().nodes[1]!.mode, 'bypass');
  assert.deepEqual(held(s), { [b.id]: 'bypassed' });
  assert.equal(s().toggleMode('bypass'), null, 'again: it runs');
  assert.equal(s().nodes[1]!.data.mode, undefined);
  only(a.id);
  s().toggleMode('mute');
  assert.deepEqual(held(s), { [a.id]: 'muted', [b.id]: 'skipped', [c.id]: 'skipped' });
  assert.ok(GraphSchema.safeParse(s().currentGraph()).success);
  s().undo();
  assert.deepEqual(held(s), {});
});

test('a node with an output none of its inputs fits cannot be bypassed: it says why, and nothing changes', () => {
  const { s, a, only } = graphOfThree();
  only(a.id);
  const rev = s().revision;
  assert.match(s().toggleMode('bypass') ?? '', /^Generator cannot be bypassed: it has no input to pass on as its image output "image"\. Mute it instead/);
  assert.equal(s().revision, rev, 'no edit, no undo step');
  assert.equal(s().nodes[0]!.data.mode, undefined);
  const note = s().addNode('note', { x: 0, y: 400 })!;
  only(note.id);
  assert.match(s().toggleMode('mute') ?? '', /does not run/);
});

test('a group frames the selection, is renamed and removed, each an undo step; it is saved in the graph and loads back', () => {
  const { s, a, b, c, only } = graphOfThree();
  s().selectAll();
  const id = s().groupSelected()!;
  assert.equal(s().renamingGroup, id, 'its title is edited at once');
  s().renameGroup(id, '  Inputs ');
  assert.deepEqual(s().groups, [{ id, title: 'Inputs', nodes: [a.id, b.id, c.id] }]);
  s().moveGroup(id, 10, -5);
  assert.deepEqual(s().nodes.map((n) => n.position), [{ x: 10, y: -5 }, { x: 310, y: -5 }, { x: 610, y: -5 }]);
  // a node taken into a new group leaves the old one; a deleted node leaves the saved group
  only(c.id);
  const second = s().groupSelected()!;
  assert.deepEqual(s().groups.map((g) => g.nodes), [[a.id, b.id], [c.id]]);
  s().deleteSelected();
  const g = s().currentGraph();
  assert.deepEqual(g.groups, [{ id, title: 'Inputs', nodes: [a.id, b.id] }], `${second} is empty and goes`);
  assert.ok(GraphSchema.safeParse(g).success);
  s().load(g);
  assert.deepEqual(s().groups, g.groups);
  only(a.id);
  assert.equal(s().ungroup(), 1);
  assert.deepEqual(s().groups, []);
  assert.equal(s().currentGraph().groups, undefined, 'a graph without groups has no groups field');
  s().undo();
  assert.equal(s().groups.length, 1);
});

test('undo puts cards back where they were, moved apart where they have grown since', () => {
  const { s, store, a, b } = graphOfThree();
  const sized = (h: number) => store.setState({ nodes: s().nodes.map((n) => ({ ...n, measured: { width: 240, height: n.id === a.id ? h : 120 } })) });
  const moveB = (y: number) => (s().record(), store.setState({ nodes: s().nodes.map((n) => (n.id === b.id ? { ...n, position: { x: 0, y } } : n)) }));
  sized(120);
  moveB(150); // under a, clear of it
  moveB(900);
  sized(500); // a grew (a run's outputs): b's place before is under a's card now
  s().undo();
  const nb = s().nodes.find((n) => n.id === b.id)!;
  assert.deepEqual(nb.position, { x: 0, y: 524 }, 'below a (500 px) and the gap');
});
