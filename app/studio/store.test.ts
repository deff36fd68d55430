// The studio store: a run's step replaces only the node it concerns (what lets a card select
// its own node and sleep through the others' steps), the editor's undo/redo and its one undo
// step per burst of typing, and when the view stops following the cards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Catalogue } from '../../protocol';
import { applyEvent, startRun } from '../lib/runState';
import { startDownload } from './download';
import { blockingDrafts, createStudioStore, draftOf, draftsOf, isBusy, unknownWordsOf } from './store';

const catalogue: Catalogue = {
  nodes: [
    { type: 'text', version: 1, title: 'Text', category: 'input', description: '', inputs: [], outputs: [{ name: 'text', title: 'Text', type: { kind: 'text' } }], params: [{ name: 'text', title: 'Prompt', kind: 'string', default: '' }], models: [] },
  ],
  planned: [],
  limits: {},
} as unknown as Catalogue;

test('a node:step replaces that node only; the others keep their identity', () => {
  const store = createStudioStore();
  store.getState().setRun(() => startRun('r', ['a', 'b']));
  const before = store.getState().run;
  store.getState().setRun((v) => applyEvent(v, { event: 'node:step', payload: { runId: 'r', nodeId: 'a', step: 1, total: 4 } }));
  const after = store.getState().run;
  assert.notEqual(after.nodes.a, before.nodes.a);
  assert.equal(after.nodes.a!.step, 1);
  assert.equal(after.nodes.b, before.nodes.b, 'b is the same object: a selector on it does not fire');
  assert.equal(after.problems, before.problems);
  assert.equal(isBusy(store.getState()), true);
});

test('editor: add, undo, redo; typing into one field is one undo step', () => {
  const store = createStudioStore({ catalogue });
  const ed = store.getState();
  const n = ed.addNode('text', { x: 0, y: 0 })!;
  assert.equal(store.getState().nodes.length, 1);
  assert.equal(store.getState().canUndo, true);
  for (const t of ['r', 're', 'red']) store.getState().setParam(n.id, 'text', t);
  assert.equal(store.getState().nodes[0]!.data.params.text, 'red');
  store.getState().undo();
  assert.equal(store.getState().nodes[0]!.data.params.text, '', 'the whole word goes in one step');
  store.getState().undo();
  assert.equal(store.getState().nodes.length, 0);
  assert.equal(store.getState().canUndo, false);
  store.getState().redo();
  assert.equal(store.getState().nodes.length, 1);
  assert.equal(store.getState().canRedo, true);
  assert.equal(store.getState().currentGraph().nodes[0]!.type, 'text');
});

test('a fit that follows the cards stops at the first edit or canvas change, not at React Flow measuring', () => {
  const store = createStudioStore({ catalogue });
  store.getState().requestFit({ follow: true });
  assert.deepEqual(store.getState().fit, { request: 1, follow: true });
  store.getState().load({ version: 1, nodes: [{ id: 'text-1', type: 'text', params: { text: 'x' }, position: { x: 0, y: 0 } }], edges: [] } as never);
  store.getState().onNodesChange([{ type: 'dimensions', id: 'text-1', dimensions: { width: 100, height: 50 } }]);
  assert.equal(store.getState().fit.follow, true, 'measuring is not the user');
  store.getState().onNodesChange([{ type: 'select', id: 'text-1', selected: true }]);
  assert.deepEqual(store.getState().fit, { request: 1, follow: false });
  store.getState().requestFit();
  assert.deepEqual(store.getState().fit, { request: 2, follow: false });
});

test('unknown words reach the text node through the encoders it feeds', () => {
  const store = createStudioStore({
    edges: [
      { id: 'e1', source: 't', sourceHandle: 'text', target: 'enc', targetHandle: 'text' },
      { id: 'e2', source: 't', sourceHandle: 'text', target: 'other', targetHandle: 'prompt' },
    ],
  });
  store.getState().setRun(() => startRun('r', ['enc']));
  store.getState().setRun((v) =>
    applyEvent(v, { event: 'node:output', payload: { runId: 'r', nodeId: 'enc', outputs: { tokens: { kind: 'tokens', tokens: [['zzq']], unknownWords: [['zzq']], truncatedWords: [[]] } } } }),
  );
  assert.deepEqual(unknownWordsOf(store.getState(), 't'), ['zzq']);
  assert.deepEqual(unknownWordsOf(store.getState(), 'enc'), []);
});

test('number field drafts: kept per node and param, block Run only for nodes in the graph, dropped by loading a graph', () => {
  const store = createStudioStore({ catalogue });
  const s = () => store.getState();
  s().addNode('text', { x: 0, y: 0 });
  const id = s().nodes[0]!.id;
  const draft = { nodeId: id, param: 'steps', title: 'Steps', text: '0', message: '0 is outside 1 … 100' };
  s().setDraft(id, 'steps', draft);
  s().setDraft('gone', 'steps', { ...draft, nodeId: 'gone' });
  assert.deepEqual(draftOf(s(), id, 'steps'), draft);
  assert.deepEqual(draftsOf(s(), id), [draft]);
  assert.deepEqual(blockingDrafts(s()), [draft], 'a deleted node\'s draft blocks nothing');
  s().setDraft(id, 'steps', null);
  assert.equal(draftOf(s(), id, 'steps'), undefined);
  s().setDraft(id, 'steps', draft);
  s().load({ version: 1, nodes: [{ id, type: 'text', version: 1, params: {}, position: { x: 0, y: 0 } }], edges: [] });
  assert.deepEqual(blockingDrafts(s()), [], 'the loaded graph\'s node of the same id has no draft');
});

test('a card that grows pushes the card it now covers down; a first measurement or a drag moves nothing', () => {
  const store = createStudioStore({ catalogue });
  const a = store.getState().addNode('text', { x: 0, y: 0 })!;
  const b = store.getState().addNode('text', { x: 0, y: 150 })!;
  const measure = (id: string, height: number) => store.getState().onNodesChange([{ type: 'dimensions', id, dimensions: { width: 240, height } }]);
  measure(a.id, 120);
  measure(b.id, 120);
  const yOf = (id: string) => store.getState().nodes.find((n) => n.id === id)!.position.y;
  assert.equal(yOf(b.id), 150);
  const revision = store.getState().revision;
  measure(a.id, 400); // its run's frames arrived
  assert.ok(yOf(b.id) >= 400, `b moved below a (y ${yOf(b.id)})`);
  assert.equal(store.getState().revision, revision, 'not an edit: no unsaved change, no undo step');
  store.getState().onNodesChange([{ type: 'position', id: b.id, position: { x: 0, y: 100 } }]);
  assert.equal(yOf(b.id), 100, 'a card the user drags onto another stays there');
});

test('a failed download says why in the notice line, which any card can set', async () => {
  const store = createStudioStore();
  const setNotice = store.getState().setNotice;
  startDownload('step 4', async () => {
    throw new Error('the picture is gone');
  }, setNotice);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(store.getState().notice, { text: 'Could not download step 4: the picture is gone', bad: true });
  setNotice((n) => (n?.bad ? null : n));
  assert.equal(store.getState().notice, null);
});
