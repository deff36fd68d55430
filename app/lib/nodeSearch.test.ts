// The canvas's node search: what is typed filters by title, type or category (title prefixes
// first); a dropped link keeps only the types with a port it fits (the protocol's rule: the
// clip-text / clip-image mix-up is refused here as the server refuses it), naming that port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Catalogue, NodeDecl, PortType } from '../../protocol';
import { linkTo, searchNodes } from './nodeSearch';

const port = (name: string, type: PortType) => ({ name, title: name, type });
const decl = (type: string, title: string, category: NodeDecl['category'], inputs: NodeDecl['inputs'], outputs: NodeDecl['outputs']): NodeDecl => ({ type, version: 1, title, category, description: '', inputs, outputs, params: [], models: [] });
const textEmb = { kind: 'embedding', space: 'clip-text' } as const;
const imageEmb = { kind: 'embedding', space: 'clip-image' } as const;
const catalogue = {
  nodes: [
    decl('text', 'Text', 'input', [], [port('text', { kind: 'text' })]),
    decl('clip-text', 'CLIP text encoder', 'clip', [port('text', { kind: 'text' })], [port('embedding', textEmb)]),
    decl('prior', 'Prior', 'diffusion', [port('text_embedding', textEmb)], [port('image_embedding', imageEmb)]),
    decl('decoder', 'Diffusion decoder', 'diffusion', [port('image_embedding', imageEmb)], [port('image', { kind: 'image' })]),
    decl('interpolate', 'Interpolate', 'embedding', [port('a', { kind: 'embedding', space: 'any' }), port('b', { kind: 'embedding', space: 'any' })], [port('out', { kind: 'embedding', space: 'any' })]),
    decl('note', 'Note', 'doc', [], []),
  ],
  planned: [],
  limits: {},
} as unknown as Catalogue;
const types = (q: string, from?: Parameters<typeof searchNodes>[2]) => searchNodes(catalogue, q, from).map((h) => h.decl.type);

test('typing filters by title, type or category; titles that start with it come first', () => {
  assert.equal(types('').length, 6);
  assert.deepEqual(types('deco'), ['decoder']);
  assert.deepEqual(types('diffusion'), ['decoder', 'prior'], 'a title prefix first, then the category');
  assert.deepEqual(types('CLIP'), ['clip-text']);
  assert.deepEqual(types('zzz'), []);
});

test('a dropped link keeps the types with a port it fits, and names the first', () => {
  const fromText = { nodeId: 'clip-text-1', port: 'embedding', side: 'out', type: textEmb } as const;
  const hits = searchNodes(catalogue, '', fromText);
  assert.deepEqual(hits.map((h) => [h.decl.type, h.port]), [['prior', 'text_embedding'], ['interpolate', 'a']], 'not the decoder: it wants clip-image');
  // dragged from an input: the types with an output that feeds it
  const intoDecoder = { nodeId: 'decoder-1', port: 'image_embedding', side: 'in', type: imageEmb } as const;
  assert.deepEqual(searchNodes(catalogue, '', intoDecoder).map((h) => [h.decl.type, h.port]), [['prior', 'image_embedding'], ['interpolate', 'out']]);
  assert.deepEqual(types('inter', intoDecoder), ['interpolate']);
  // the link runs from output to input whichever end was dragged
  assert.deepEqual(linkTo(fromText, 'prior-1', 'text_embedding'), { source: 'clip-text-1', sourceHandle: 'embedding', target: 'prior-1', targetHandle: 'text_embedding' });
  assert.deepEqual(linkTo(intoDecoder, 'prior-1', 'image_embedding'), { source: 'prior-1', sourceHandle: 'image_embedding', target: 'decoder-1', targetHandle: 'image_embedding' });
});
