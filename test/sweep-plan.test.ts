// Sweep specs as validateGraph plans them (protocol/sweep.ts): the variants in grid order (columns
// first), and every bad spec refused on the sweep node with the code of what is wrong. In test/, not
// beside its code: it checks against the real catalogue from nodes/, which protocol/ may not import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogue, migrations } from '../nodes/index.js';
import { sweepableNode, sweepableParams, validateGraph } from '../protocol/index.js';

const cat = catalogue();
const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({ id, type, version: 1, params, position: { x: 0, y: 0 } });
const edge = (from: string, fromPort: string, to: string, toPort: string) => ({ from: { node: from, port: fromPort }, to: { node: to, port: toPort } });
const chain = (sweep: Record<string, unknown>, more: ReturnType<typeof node>[] = []) => ({
  version: 1,
  nodes: [node('t', 'text', { text: 'red apple' }), node('e', 'clip-text-encode'), node('d', 'decoder', { steps: 4 }), node('s', 'sweep', sweep), node('n', 'note'), ...more],
  edges: [edge('t', 'text', 'e', 'text'), edge('e', 'embedding', 'd', 'embedding'), edge('d', 'image', 's', 'image')],
});
const check = (g: unknown) => validateGraph(g, { catalogue: cat, migrations: migrations() });
const problems = (g: unknown) => {
  const v = check(g);
  assert.equal(v.ok, false, 'refused');
  return v.ok ? [] : v.errors.map((e) => `${e.nodeId}.${e.port}: ${e.code}`);
};

test('two axes: variants column-major within a row, labels as typed', () => {
  const v = check(chain({ node: 'd', param: 'seed', values: '3, 7', node2: 'd', param2: 'guidance', values2: '1\n2.5\n4' }));
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  const s = v.value.sweep!;
  assert.deepEqual(s.axes.map((a) => a.labels), [['3', '7'], ['1', '2.5', '4']]);
  assert.deepEqual(s.variants.map((x) => [x.d!.seed, x.d!.guidance]), [[3, 1], [7, 1], [3, 2.5], [7, 2.5], [3, 4], [7, 4]]);
});

test('a list of prompts, one per line, on a text node; an enum param', () => {
  const v = check(chain({ node: 't', param: 'text', values: 'red apple\ngreen pear, ripe\n', node2: 'd', param2: 'sampler', values2: 'ddim, ddpm' }));
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  assert.deepEqual(v.value.sweep!.axes[0]!.values, ['red apple', 'green pear, ripe']);
  assert.equal(v.value.sweep!.variants[3]!.d!.sampler, 'ddpm');
});

test('no sweep node: no sweep in the plan', () => {
  const g = chain({ node: 'd' });
  g.nodes = g.nodes.filter((n) => n.id !== 's');
  g.edges = g.edges.filter((e) => e.to.node !== 's');
  const v = check(g);
  assert.ok(v.ok && v.value.sweep === undefined);
});

test('bad specs: each names the sweep node, the param at fault and its code', () => {
  assert.deepEqual(problems(chain({ node: '', values: '1' })), ['s.node: BAD_SWEEP']);
  assert.deepEqual(problems(chain({ node: 'nope', values: '1' })), ['s.node: BAD_SWEEP']);
  assert.deepEqual(problems(chain({ node: 'n', param: 'markdown', values: 'x' })), ['s.node: BAD_SWEEP']);
  assert.deepEqual(problems(chain({ node: 'd', param: 'colour', values: '1' })), ['s.param: UNKNOWN_PARAM']);
  assert.deepEqual(problems(chain({ node: 'd', param: 'seed', values: ' ,\n' })), ['s.values: BAD_SWEEP']);
  assert.deepEqual(problems(chain({ node: 'd', param: 'seed', values: '1, two' })), ['s.values: PARAM_TYPE']);
  assert.deepEqual(problems(chain({ node: 'd', param: 'guidance', values: '2, 99' })), ['s.values: PARAM_OUT_OF_RANGE']);
  assert.deepEqual(problems(chain({ node: 'd', param: 'seed', values: '1.5' })), ['s.values: PARAM_TYPE']);
  assert.deepEqual(problems(chain({ node: 'd', param: 'sampler', values: 'euler' })), ['s.values: PARAM_OUT_OF_RANGE']);
  assert.deepEqual(problems(chain({ node: 'd', param: 'steps', values: '4, 0' })), ['s.values: PARAM_OUT_OF_RANGE']);
  assert.deepEqual(problems(chain({ node: 'd', param: 'seed', values: '1 2', node2: 'd', param2: 'seed', values2: '3' })), ['s.param2: BAD_SWEEP']);
  const many = Array.from({ length: 9 }, (_, i) => i).join(',');
  assert.deepEqual(problems(chain({ node: 'd', param: 'seed', values: many, node2: 'd', param2: 'steps', values2: many.replace('0,', '') })), ['s.values2: BATCH_TOO_LARGE']);
  // one sweep per graph: the second is refused
  assert.ok(problems(chain({ node: 'd', param: 'seed', values: '1' }, [node('s2', 'sweep', { node: 'd', values: '1' })])).includes('s2.undefined: BAD_SWEEP'));
});

test('bypass and mute: sweeping a node that does not run is refused; a muted sweep node sweeps nothing', () => {
  const muted = { ...node('d2', 'decoder', { steps: 4 }), mode: 'mute' as const };
  const g = chain({ node: 'd2', param: 'seed', values: '1, 2' }, [muted]);
  g.edges.push(edge('e', 'embedding', 'd2', 'embedding'));
  assert.deepEqual(problems(g), ['s.undefined: BAD_SWEEP']);
  const off = chain({ node: 'd', param: 'seed', values: '1, 2' });
  off.nodes = off.nodes.map((n) => (n.id === 's' ? { ...n, mode: 'mute' as const } : n));
  const v = check(off);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  assert.equal(v.value.sweep, undefined);
  assert.equal(v.value.held.get('s'), 'muted');
});

test('what the studio offers to sweep is what the plan accepts: runnable nodes, their params but images', () => {
  const byType = new Map(cat.nodes.map((d) => [d.type, d]));
  assert.deepEqual(['sweep', 'note', 'similarity', 'decoder', 'image-input'].map((t) => sweepableNode(byType.get(t)!)), [false, false, true, true, true]);
  assert.deepEqual(sweepableParams(byType.get('image-input')!).map((p) => p.name), ['source', 'key'], 'its upload is not offered');
  assert.ok(sweepableParams(byType.get('decoder')!).some((p) => p.name === 'seed'));
  // every offered param of every runnable node plans (with its default as the one value)
  for (const d of cat.nodes.filter(sweepableNode)) {
    for (const p of sweepableParams(d)) {
      const g = { version: 1, nodes: [node('x', d.type), node('s', 'sweep', { node: 'x', param: p.name, values: String(p.default ?? '') })], edges: [] };
      const codes = check(g).ok ? [] : (check(g) as { errors: { code: string; port?: string }[] }).errors.filter((e) => e.port === 'node' || e.port === 'param').map((e) => e.code);
      assert.deepEqual(codes, [], `${d.type}.${p.name} is offered and accepted`);
    }
  }
});
