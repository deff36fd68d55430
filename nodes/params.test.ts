// Node params are typed from each node's own declaration (defineNode, protocol's ParamValues),
// and the types hold at run time because validateGraph checks every param against the same
// declaration before a run is queued. The first test is checked by tsc (`npx tsc --noEmit`):
// each @ts-expect-error line must stay an error, so a typing that lets anything through fails
// to compile. The others check, for every node type, that what validation hands execute() has
// the promised type, and that a value of the wrong type never gets that far.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateGraph, type Catalogue, type ParamDecl } from '../protocol/index.js';
import { catalogue as buildCatalogue } from './index.js';
import { samplingParams, spacingParam } from './lib/diffusion.js';
import { defineNode, type Outputs } from './types.js';

test('params are typed from the declaration (checked by tsc)', async () => {
  const seen: unknown[] = [];
  const probe = defineNode({
    decl: {
      type: 'probe',
      version: 1,
      title: 'probe',
      category: 'debug',
      description: '',
      inputs: [],
      outputs: [],
      models: [],
      params: [
        ...samplingParams({ steps: 10, sampler: 'ddim' }),
        spacingParam('linear'),
        { name: 'mode', title: 'Mode', kind: 'enum', default: 'slerp', options: ['slerp', 'lerp'] },
        { name: 'label', title: 'Label', kind: 'string', default: '' },
        { name: 'on', title: 'On', kind: 'boolean', default: false },
        { name: 'upload', title: 'Upload', kind: 'image', default: null },
      ] as const,
    },
    async execute(ctx): Promise<Outputs> {
      const steps: number = ctx.params.steps;
      const sampler: 'ddpm' | 'ddim' | 'dpmpp2m' = ctx.params.sampler;
      const spacing: 'linear' | 'quadratic' = ctx.params.spacing;
      const mode: 'slerp' | 'lerp' = ctx.params.mode;
      const label: string = ctx.params.label;
      const on: boolean = ctx.params.on;
      seen.push(steps, sampler, spacing, mode, label, on, ctx.params.upload);
      // @ts-expect-error a param the declaration does not have
      seen.push(ctx.params.stepz);
      // @ts-expect-error an integer param is a number, not a string
      const s: string = ctx.params.steps;
      // @ts-expect-error an enum param is one of its options only
      const m: 'slerp' = ctx.params.mode;
      // @ts-expect-error an image param may be null (its default)
      const u: string | Uint8Array | ArrayBuffer = ctx.params.upload;
      seen.push(s, m, u);
      return {};
    },
  });
  assert.equal(probe.decl.params.length, 8);
});

/** The JS type validation promises for a param of this declaration (protocol's ParamValue). */
function holds(p: ParamDecl, v: unknown): boolean {
  switch (p.kind) {
    case 'number':
    case 'integer':
      return typeof v === 'number' && Number.isFinite(v) && (p.kind === 'number' || Number.isInteger(v));
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'enum':
      return typeof v === 'string' && (p.options ?? []).includes(v);
    case 'image':
      return v === null || typeof v === 'string' || v instanceof Uint8Array || v instanceof ArrayBuffer;
  }
}

/** Every node type, debug ones included, with its inputs dropped so a lone node validates. */
function lone(): Catalogue {
  const cat = buildCatalogue({ debug: true });
  return { ...cat, nodes: cat.nodes.map((d) => ({ ...d, inputs: [] })) };
}
const graphOf = (cat: Catalogue, params: (type: string) => Record<string, unknown>) => ({
  version: 1,
  nodes: cat.nodes.map((d) => ({ id: d.type, type: d.type, version: d.version, params: params(d.type), position: { x: 0, y: 0 } })),
  edges: [],
});

test('every node type: validation hands execute its params, defaults filled in, of the declared types', () => {
  const cat = lone();
  // a sweep node must name what it sweeps; every other node runs on its defaults
  const v = validateGraph(graphOf(cat, (type) => (type === 'sweep' ? { node: 'decoder', param: 'seed', values: '1' } : {})), { catalogue: cat });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  let checked = 0;
  for (const d of cat.nodes) {
    const got: Record<string, unknown> = v.value.params.get(d.type)!;
    assert.deepEqual(Object.keys(got).sort(), d.params.map((p) => p.name).sort(), d.type);
    for (const p of d.params) {
      assert.ok(holds(p, got[p.name]), `${d.type}.${p.name} = ${JSON.stringify(got[p.name])} is not a ${p.kind}`);
      checked++;
    }
  }
  assert.ok(checked >= 20, `${checked} params`);
});

test('every param of every node type: a value of the wrong type is refused before any run', () => {
  const cat = lone();
  // a value of another JS type for each kind (a number where text goes, text where a number goes, ...)
  const wrong: Record<ParamDecl['kind'], unknown> = { number: '12', integer: 2.5, string: 12, boolean: 'yes', enum: 'no-such-option', image: 42 };
  for (const d of cat.nodes) {
    for (const p of d.params) {
      const v = validateGraph(graphOf(cat, (type) => (type === d.type ? { [p.name]: wrong[p.kind] } : {})), { catalogue: cat });
      assert.ok(!v.ok, `${d.type}.${p.name} = ${JSON.stringify(wrong[p.kind])} was accepted`);
      const e = v.errors.find((x) => x.nodeId === d.type && x.port === p.name);
      assert.ok(e && ['PARAM_TYPE', 'PARAM_OUT_OF_RANGE'].includes(e.code), `${d.type}.${p.name}: ${JSON.stringify(v.errors)}`);
    }
  }
});

test('prior v1 graphs keep the guidance they ran with (2); v2 defaults to 4; an explicit value is kept', async () => {
  const { migrations } = await import('./index.js');
  const cat = buildCatalogue();
  const graph = (version: number, params: Record<string, unknown>) => ({
    version: 1,
    nodes: [
      { id: 't', type: 'text', version: 1, params: { text: 'red apple' }, position: { x: 0, y: 0 } },
      { id: 'e', type: 'clip-text-encode', version: 1, params: {}, position: { x: 0, y: 0 } },
      { id: 'p', type: 'prior', version, params, position: { x: 0, y: 0 } },
    ],
    edges: [
      { from: { node: 't', port: 'text' }, to: { node: 'e', port: 'text' } },
      { from: { node: 'e', port: 'embedding' }, to: { node: 'p', port: 'embedding' } },
    ],
  });
  const guidance = (version: number, params: Record<string, unknown>) => {
    const v = validateGraph(graph(version, params), { catalogue: cat, migrations: migrations() });
    assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
    return v.value.params.get('p')!.guidance;
  };
  assert.equal(guidance(1, {}), 2);
  assert.equal(guidance(1, { guidance: 6 }), 6);
  assert.equal(guidance(2, {}), 4);
});
