import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, type Catalogue, type NodeDecl } from '../../protocol';
import { addLink, connectionProblem, duplicate, fromGraph, makeNode, parseGraphText, toGraph } from './graphModel';

const decl = (type: string, inputs: NodeDecl['inputs'], outputs: NodeDecl['outputs']): NodeDecl => ({
  type, version: 1, title: type, category: 'input', description: '', inputs, outputs, params: [{ name: 'n', title: 'n', kind: 'integer', default: 3, min: 1, max: 9 }], models: [],
});
const catalogue: Catalogue = {
  nodes: [
    decl('text', [], [{ name: 'text', title: 'text', type: { kind: 'text' } }]),
    decl('enc', [{ name: 'text', title: 'text', type: { kind: 'text' } }], [{ name: 'embedding', title: 'e', type: { kind: 'embedding', space: 'clip-text' } }]),
    decl('img', [{ name: 'e', title: 'e', type: { kind: 'embedding', space: 'clip-image' } }], []),
    decl('any', [{ name: 'e', title: 'e', type: { kind: 'embedding', space: 'any' } }], [{ name: 'e', title: 'e', type: { kind: 'embedding', space: 'any' } }]),
  ],
  planned: [],
  limits: DEFAULT_LIMITS,
};
const d = (t: string) => catalogue.nodes.find((n) => n.type === t)!;

test('graph JSON round-trips through the canvas model', () => {
  const a = makeNode(d('text'), { x: 1.4, y: 2 }, []);
  const b = makeNode(d('enc'), { x: 100, y: 0 }, [a.id]);
  assert.equal(a.id, 'text-1');
  const edges = addLink([], { source: a.id, sourceHandle: 'text', target: b.id, targetHandle: 'text' });
  const g = toGraph([a, b], edges, catalogue);
  assert.deepEqual(g.edges, [{ from: { node: 'text-1', port: 'text' }, to: { node: 'enc-1', port: 'text' } }]);
  assert.equal(g.nodes[0]!.position.x, 1);
  const back = fromGraph(parseGraphText(JSON.stringify(g)));
  assert.deepEqual(toGraph(back.nodes, back.edges, catalogue), g);
  assert.throws(() => parseGraphText('{"version":2}'), /not a studio graph/);
  assert.throws(() => parseGraphText('nope'), /not JSON/);
});

test('a node saved by an older version goes back with its version, so the server migrates it', () => {
  const v2: Catalogue = { ...catalogue, nodes: catalogue.nodes.map((n) => (n.type === 'enc' ? { ...n, version: 2 } : n)) };
  const old = { version: 1, nodes: [{ id: 'e', type: 'enc', version: 1, params: {}, position: { x: 0, y: 0 } }], edges: [] };
  const back = fromGraph(parseGraphText(JSON.stringify(old)));
  assert.equal(toGraph(back.nodes, back.edges, v2).nodes[0]!.version, 1);
  // a node added in the studio is at the catalogue's version
  assert.equal(toGraph([makeNode(d('enc'), { x: 0, y: 0 }, [])], [], v2).nodes[0]!.version, 2);
});

test('links are refused with a reason', () => {
  const t = makeNode(d('text'), { x: 0, y: 0 }, []);
  const e = makeNode(d('enc'), { x: 0, y: 0 }, []);
  const i = makeNode(d('img'), { x: 0, y: 0 }, []);
  const a = makeNode(d('any'), { x: 0, y: 0 }, []);
  const nodes = [t, e, i, a];
  assert.equal(connectionProblem({ source: t.id, sourceHandle: 'text', target: e.id, targetHandle: 'text' }, nodes, [], catalogue), null);
  assert.match(connectionProblem({ source: e.id, sourceHandle: 'embedding', target: i.id, targetHandle: 'e' }, nodes, [], catalogue)!, /embedding\(clip-text\) cannot feed embedding\(clip-image\)/);
  assert.match(connectionProblem({ source: t.id, sourceHandle: 'text', target: i.id, targetHandle: 'e' }, nodes, [], catalogue)!, /text cannot feed/);
  assert.match(connectionProblem({ source: a.id, sourceHandle: 'e', target: a.id, targetHandle: 'e' }, nodes, [], catalogue)!, /itself/);
  const a2 = { ...makeNode(d('any'), { x: 0, y: 0 }, [a.id]) };
  const loop = addLink([], { source: a.id, sourceHandle: 'e', target: a2.id, targetHandle: 'e' });
  assert.match(connectionProblem({ source: a2.id, sourceHandle: 'e', target: a.id, targetHandle: 'e' }, [...nodes, a2], loop, catalogue)!, /cycle/);
});

test('a second link into an input replaces the first; duplicates get fresh ids', () => {
  let edges = addLink([], { source: 'x', sourceHandle: 'o', target: 'y', targetHandle: 'i' });
  edges = addLink(edges, { source: 'z', sourceHandle: 'o', target: 'y', targetHandle: 'i' });
  assert.equal(edges.length, 1);
  assert.equal(edges[0]!.source, 'z');
  const t = makeNode(d('text'), { x: 0, y: 0 }, []);
  const e = makeNode(d('enc'), { x: 0, y: 0 }, []);
  const link = addLink([], { source: t.id, sourceHandle: 'text', target: e.id, targetHandle: 'text' });
  const copy = duplicate([t, e], link, [t.id, e.id], 40);
  assert.deepEqual(copy.nodes.map((n) => n.id), ['text-2', 'enc-2']);
  assert.equal(copy.edges[0]!.source, 'text-2');
  assert.equal(copy.nodes[0]!.position.x, 40);
});

test('a clicked-in node lands where no other node is', async () => {
  const { freeSpot } = await import('./graphModel');
  const a = makeNode(d('text'), { x: 0, y: 0 }, []);
  const spot = freeSpot({ x: 10, y: 10 }, [a]);
  assert.ok(spot.y >= 120 + 16 || spot.x >= 240 + 16 || spot.y + 110 + 16 <= 0 || spot.x + 240 + 16 <= 0);
  assert.deepEqual(freeSpot({ x: 5, y: 5 }, []), { x: 5, y: 5 });
});

test('tidy puts nodes in columns by depth without overlaps', async () => {
  const { tidy } = await import('./graphModel');
  const t = { ...makeNode(d('text'), { x: 0, y: 0 }, []), measured: { width: 240, height: 300 } };
  const t2 = { ...makeNode(d('text'), { x: 0, y: 50 }, [t.id]), measured: { width: 240, height: 100 } };
  const e = makeNode(d('enc'), { x: 10, y: 10 }, []);
  const edges = addLink([], { source: t.id, sourceHandle: 'text', target: e.id, targetHandle: 'text' });
  const edges2 = [...edges, { id: 'x', source: t2.id, sourceHandle: 'text', target: 'nowhere', targetHandle: 'text' }];
  const out = tidy([t, t2, e], edges2);
  assert.deepEqual(out.map((n) => n.position), [{ x: 0, y: 0 }, { x: 0, y: 328 }, { x: 300, y: 0 }]);
});

test('a clicked-in node prefers a free place inside the view', async () => {
  const { freeSpot } = await import('./graphModel');
  const a = { ...makeNode(d('text'), { x: 0, y: 0 }, []), measured: { width: 240, height: 100 } };
  const spot = freeSpot({ x: 0, y: 0 }, [a], 300, 110, { x0: -50, y0: -50, x1: 400, y1: 600 });
  assert.ok(spot.x >= -50 && spot.x + 300 <= 400, `inside the view: ${JSON.stringify(spot)}`);
});
