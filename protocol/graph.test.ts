import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, portsCompatible, validateGraph, type Catalogue, type NodeDecl } from './index.js';

const decl = (d: Partial<NodeDecl> & Pick<NodeDecl, 'type'>): NodeDecl => ({
  version: 1, title: d.type, category: 'input', description: '', inputs: [], outputs: [], params: [], models: [], ...d,
});
const catalogue: Catalogue = {
  limits: { ...DEFAULT_LIMITS, maxNodes: 6, maxTextChars: 10, maxSteps: 50, maxUploadBytes: 100 },
  planned: ['decoder'],
  nodes: [
    decl({ type: 'text', outputs: [{ name: 'text', title: 't', type: { kind: 'text' } }], params: [{ name: 'text', title: 'p', kind: 'string', default: 'x', limit: 'text' }] }),
    decl({
      type: 'enc',
      version: 2,
      inputs: [{ name: 'text', title: 't', type: { kind: 'text' } }],
      outputs: [{ name: 'emb', title: 'e', type: { kind: 'embedding', space: 'clip-text' } }],
      params: [
        { name: 'steps', title: 's', kind: 'integer', default: 10, min: 1, max: 1000, limit: 'steps' },
        { name: 'mode', title: 'm', kind: 'enum', default: 'a', options: ['a', 'b'] },
        { name: 'img', title: 'i', kind: 'image', default: null },
      ],
    }),
    decl({ type: 'img', inputs: [{ name: 'emb', title: 'e', type: { kind: 'embedding', space: 'clip-image' } }] }),
    decl({ type: 'any', inputs: [{ name: 'x', title: 'x', type: { kind: 'embedding', space: 'any' } }, { name: 'y', title: 'y', type: { kind: 'embedding', space: 'any' }, required: false }], outputs: [{ name: 'out', title: 'o', type: { kind: 'embedding', space: 'any' } }] }),
  ],
};
const node = (id: string, type: string, params: Record<string, unknown> = {}, version = type === 'enc' ? 2 : 1) => ({ id, type, version, params, position: { x: 0, y: 0 } });
const edge = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });

test('port compatibility: same kind; embedding spaces equal or any; widths equal when both known', () => {
  assert.ok(portsCompatible({ kind: 'text' }, { kind: 'text' }));
  assert.ok(!portsCompatible({ kind: 'text' }, { kind: 'image' }));
  assert.ok(!portsCompatible({ kind: 'embedding', space: 'clip-text' }, { kind: 'embedding', space: 'clip-image' }));
  assert.ok(portsCompatible({ kind: 'embedding', space: 'clip-text' }, { kind: 'embedding', space: 'any' }));
  assert.ok(portsCompatible({ kind: 'embedding', space: 'any' }, { kind: 'embedding', space: 'clip-image' }));
  assert.ok(!portsCompatible({ kind: 'embedding', space: 'any', width: 3 }, { kind: 'embedding', space: 'any', width: 4 }));
});

test('a good graph gives a topological order and params with defaults', () => {
  const r = validateGraph({ version: 1, nodes: [node('e', 'enc'), node('t', 'text', { text: 'hi' }), node('a', 'any')], edges: [edge('t', 'text', 'e', 'text'), edge('e', 'emb', 'a', 'x')] }, { catalogue });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.deepEqual(r.value.order, ['t', 'e', 'a']);
  assert.deepEqual(r.value.params.get('e'), { steps: 10, mode: 'a', img: null });
});

test("the studio's UI-only node fields (title, collapsed, reseed) validate and change nothing the server runs", () => {
  const g = { version: 1, nodes: [node('e', 'enc'), node('t', 'text', { text: 'hi' })], edges: [edge('t', 'text', 'e', 'text')] };
  const plain = validateGraph(g, { catalogue });
  const ui = validateGraph({ ...g, nodes: [{ ...node('e', 'enc'), title: 'Encoder', collapsed: true, reseed: ['steps'] }, g.nodes[1]] }, { catalogue });
  assert.ok(plain.ok && ui.ok, JSON.stringify(!ui.ok && ui.errors));
  assert.deepEqual([ui.value.order, ui.value.params.get('e')], [plain.value.order, plain.value.params.get('e')]);
  const bad = validateGraph({ ...g, nodes: [{ ...node('e', 'enc'), collapsed: 'yes', reseed: 'steps' }, g.nodes[1]] }, { catalogue });
  assert.ok(!bad.ok);
  assert.equal(bad.errors[0]!.code, 'GRAPH_SCHEMA');
});

test('one node feeding two inputs of another is planned once, in order', () => {
  const r = validateGraph({ version: 1, nodes: [node('a', 'any'), node('t', 'text'), node('e', 'enc')], edges: [edge('t', 'text', 'e', 'text'), edge('e', 'emb', 'a', 'x'), edge('e', 'emb', 'a', 'y')] }, { catalogue });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.deepEqual(r.value.order, ['t', 'e', 'a']);
});

test('every problem is listed with node, port and code', () => {
  const r = validateGraph(
    {
      version: 1,
      nodes: [
        node('t', 'text', { text: 'far too long a prompt' }),
        node('e', 'enc', { steps: 0, mode: 'c', img: 'not an image', extra: 1 }),
        node('e2', 'enc', { steps: 51, mode: 3 }),
        node('i', 'img'),
        node('u', 'nope'),
        node('d', 'decoder'),
      ],
      edges: [edge('t', 'text', 'e', 'text'), edge('e', 'emb', 'i', 'emb'), edge('t', 'bogus', 'e2', 'text'), edge('ghost', 'x', 'i', 'emb')],
    },
    { catalogue },
  );
  assert.ok(!r.ok);
  const got = r.errors.map((e) => `${e.nodeId}:${e.port ?? ''}:${e.code}`).sort();
  assert.deepEqual(got, [
    'd::NODE_UNAVAILABLE',
    'e2::MISSING_INPUT'.replace('::', ':text:'),
    'e2:mode:PARAM_TYPE',
    'e2:steps:TOO_MANY_STEPS',
    'e:extra:UNKNOWN_PARAM',
    'e:img:PARAM_TYPE',
    'e:mode:PARAM_OUT_OF_RANGE',
    'e:steps:PARAM_OUT_OF_RANGE',
    'i:emb:INCOMPATIBLE_LINK',
    'i:emb:MISSING_INPUT',
    'i:emb:UNKNOWN_NODE',
    't:bogus:UNKNOWN_PORT',
    't:text:TEXT_TOO_LONG',
    'u::UNKNOWN_NODE_TYPE',
  ].sort());
});

test('cycles name the nodes on them; schema, size and upload limits have their codes', () => {
  const cyc = validateGraph({ version: 1, nodes: [node('a', 'any'), node('b', 'any'), node('c', 'any')], edges: [edge('a', 'out', 'b', 'x'), edge('b', 'out', 'a', 'x'), edge('b', 'out', 'c', 'x')] }, { catalogue });
  assert.ok(!cyc.ok);
  assert.deepEqual(cyc.errors.map((e) => `${e.nodeId}:${e.code}`).sort(), ['a:CYCLE', 'b:CYCLE']);

  const schema = validateGraph({ version: 1, nodes: [{ id: 'x', type: 'text', version: 1, params: {} }] }, { catalogue });
  assert.ok(!schema.ok);
  assert.equal(schema.errors[0]!.code, 'GRAPH_SCHEMA');
  assert.equal(schema.errors[0]!.nodeId, 'x');
  assert.ok(!validateGraph('nope', { catalogue }).ok);

  const big = validateGraph({ version: 1, nodes: Array.from({ length: 7 }, (_, i) => node(`n${i}`, 'text')), edges: [] }, { catalogue });
  assert.ok(!big.ok);
  assert.equal(big.errors[0]!.code, 'GRAPH_TOO_LARGE');

  const upload = validateGraph({ version: 1, nodes: [node('t', 'text'), node('e', 'enc', { img: new Uint8Array(101) })], edges: [edge('t', 'text', 'e', 'text')] }, { catalogue });
  assert.ok(!upload.ok);
  assert.deepEqual(upload.errors.map((e) => `${e.nodeId}:${e.port}:${e.code}`), ['e:img:IMAGE_TOO_LARGE']);
});

test('old node versions migrate through the hook; newer ones are refused', () => {
  const g = (version: number, params: Record<string, unknown>) => ({ version: 1, nodes: [node('t', 'text'), { ...node('e', 'enc', params), version }], edges: [edge('t', 'text', 'e', 'text')] });
  const noHook = validateGraph(g(1, { nsteps: 5 }), { catalogue });
  assert.ok(!noHook.ok && noHook.errors[0]!.code === 'NODE_VERSION');
  const migrated = validateGraph(g(1, { nsteps: 5 }), {
    catalogue,
    migrations: { enc: (v, p) => (v === 1 ? { steps: p.nsteps } : p) },
  });
  assert.ok(migrated.ok, JSON.stringify(!migrated.ok && migrated.errors));
  assert.equal(migrated.value.params.get('e')!.steps, 5);
  const newer = validateGraph(g(3, {}), { catalogue });
  assert.ok(!newer.ok && newer.errors[0]!.code === 'NODE_VERSION');
});
