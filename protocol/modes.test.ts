import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bypassRoutes, DEFAULT_LIMITS, validateGraph, type Catalogue, type NodeDecl } from './index.js';

const decl = (d: Partial<NodeDecl> & Pick<NodeDecl, 'type'>): NodeDecl => ({
  version: 1, title: d.type, category: 'input', description: '', inputs: [], outputs: [], params: [], models: [], ...d,
});
const emb = { kind: 'embedding', space: 'any' } as const;
const catalogue: Catalogue = {
  limits: DEFAULT_LIMITS,
  planned: [],
  nodes: [
    decl({ type: 'src', outputs: [{ name: 'emb', title: 'e', type: emb }] }),
    decl({ type: 'text', outputs: [{ name: 'text', title: 't', type: { kind: 'text' } }] }),
    decl({ type: 'enc', inputs: [{ name: 'text', title: 't', type: { kind: 'text' } }], outputs: [{ name: 'emb', title: 'e', type: { kind: 'embedding', space: 'clip-text' } }] }),
    // the second input fits the output too; the first that fits is the one passed on
    decl({ type: 'mix', inputs: [{ name: 'a', title: 'a', type: emb, required: false }, { name: 'b', title: 'b', type: emb }], outputs: [{ name: 'out', title: 'o', type: emb }] }),
    decl({ type: 'sink', inputs: [{ name: 'x', title: 'x', type: emb }] }),
  ],
};
const node = (id: string, type: string, mode?: 'bypass' | 'mute') => ({ id, type, version: 1, params: {}, position: { x: 0, y: 0 }, ...(mode ? { mode } : {}) });
const edge = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });
const check = (nodes: ReturnType<typeof node>[], edges: ReturnType<typeof edge>[], extra: Record<string, unknown> = {}) => validateGraph({ version: 1, nodes, edges, ...extra }, { catalogue });
const byType = (t: string) => catalogue.nodes.find((d) => d.type === t)!;

test('bypass routes each output from the first input of a fitting type; a node with an output no input fits cannot be bypassed, and says why', () => {
  const mix = bypassRoutes(byType('mix'));
  assert.ok(mix.ok);
  assert.deepEqual([...mix.routes], [['out', 'a']]);
  const text = bypassRoutes(byType('text'));
  assert.ok(!text.ok);
  assert.match(text.reason, /text cannot be bypassed: it has no input to pass on as its text output "text"/);
  const enc = bypassRoutes(byType('enc'));
  assert.ok(!enc.ok);
  assert.match(enc.reason, /none of its inputs \(text\) gives its embedding\(clip-text\) output "emb"/);
  // a node without outputs has nothing to route: it may be bypassed (it just does not run)
  assert.ok(bypassRoutes(byType('sink')).ok);
});

test('a bypassed node does not run; what it feeds takes its input from the node before it, through chains of bypasses', () => {
  const r = check([node('s', 'src'), node('m1', 'mix', 'bypass'), node('m2', 'mix', 'bypass'), node('k', 'sink')], [edge('s', 'emb', 'm1', 'a'), edge('s', 'emb', 'm1', 'b'), edge('m1', 'out', 'm2', 'a'), edge('s', 'emb', 'm2', 'b'), edge('m2', 'out', 'k', 'x')]);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.deepEqual(r.value.order, ['s', 'k']);
  assert.deepEqual([...r.value.held], [['m1', 'bypassed'], ['m2', 'bypassed']]);
  assert.deepEqual([...r.value.inputs.get('k')!], [['x', ['s', 'emb']]]);
  assert.equal(r.value.inputs.has('m1'), false);
});

test('bypass where it cannot work is refused with BYPASS_IMPOSSIBLE: an output no input fits, or one that would pass an unlinked input', () => {
  const r = check([node('t', 'text'), node('e', 'enc', 'bypass'), node('k', 'sink')], [edge('t', 'text', 'e', 'text'), edge('e', 'emb', 'k', 'x')]);
  assert.ok(!r.ok);
  assert.deepEqual(r.errors.map((e) => [e.nodeId, e.code]), [['e', 'BYPASS_IMPOSSIBLE']]);
  assert.match(r.errors[0]!.message, /cannot be bypassed/);
  // mix passes `a`, which is optional and unlinked here: refused only because k takes it
  const open = check([node('s', 'src'), node('m', 'mix', 'bypass'), node('k', 'sink')], [edge('s', 'emb', 'm', 'b'), edge('m', 'out', 'k', 'x')]);
  assert.ok(!open.ok);
  assert.deepEqual(open.errors.map((e) => [e.nodeId, e.port, e.code]), [['m', 'out', 'BYPASS_IMPOSSIBLE']]);
  assert.match(open.errors[0]!.message, /would pass its input "a", which is not linked \(k takes it\)/);
  assert.ok(check([node('s', 'src'), node('m', 'mix', 'bypass')], [edge('s', 'emb', 'm', 'b')]).ok, 'nothing takes it: fine');
});

test('a muted node and everything that takes its output (through bypasses too) do not run, and need none of their inputs; the rest runs', () => {
  const r = check(
    [node('s', 'src', 'mute'), node('m', 'mix', 'bypass'), node('k', 'sink'), node('s2', 'src'), node('k2', 'sink'), node('half', 'mix', 'mute')],
    [edge('s', 'emb', 'm', 'a'), edge('s', 'emb', 'm', 'b'), edge('m', 'out', 'k', 'x'), edge('s2', 'emb', 'k2', 'x')],
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.deepEqual(r.value.order, ['s2', 'k2']);
  assert.deepEqual(Object.fromEntries(r.value.held), { s: 'muted', m: 'skipped', k: 'skipped', half: 'muted' });
  // unmuted, the half-wired node is a problem again
  const again = check([node('half', 'mix')], []);
  assert.ok(!again.ok);
  assert.deepEqual(again.errors.map((e) => e.code), ['MISSING_INPUT']);
});

test('groups and modes are part of the schema; a graph saved without them loads as before', () => {
  assert.ok(check([node('s', 'src')], []).ok);
  const g = check([node('s', 'src'), node('k', 'sink')], [edge('s', 'emb', 'k', 'x')], { groups: [{ id: 'group-1', title: 'Inputs', nodes: ['s', 'k'] }] });
  assert.ok(g.ok);
  assert.deepEqual(g.value.graph.groups, [{ id: 'group-1', title: 'Inputs', nodes: ['s', 'k'] }]);
  const bad = validateGraph({ version: 1, nodes: [{ ...node('s', 'src'), mode: 'off' }], edges: [] }, { catalogue });
  assert.ok(!bad.ok);
  assert.equal(bad.errors[0]!.code, 'GRAPH_SCHEMA');
});
