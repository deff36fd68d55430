import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, emptyNode, startRun, type NodeRun } from './runState.js';
import { StepHistory } from './stepHistory.js';

const ran = (key: string, urls: string[]): NodeRun => ({ ...emptyNode('done'), key, frames: urls.map((url, i) => ({ step: i + 1, total: urls.length, url })), ts: urls.map((_, i) => ({ step: i + 1, t: 1 - i / urls.length })) });

test('steps are kept by cache key and served to a cached node with that key only', () => {
  const h = new StepHistory();
  h.keep(ran('k1', ['blob:a', 'blob:b']));
  h.keep(ran('k2', ['blob:c']));
  assert.deepEqual(h.get('k1')?.frames.map((f) => f.url), ['blob:a', 'blob:b']);
  assert.equal(h.get('k3'), undefined);
  assert.ok(h.holds('blob:c'));
  // a node without steps, or without a key, is not kept
  assert.deepEqual(h.keep({ ...emptyNode('done'), key: 'k4' }), []);
  assert.equal(h.get('k4'), undefined);
  assert.deepEqual(h.keep({ ...ran('x', ['blob:z']), key: undefined }), []);
  assert.equal(h.holds('blob:z'), false);
});

test('bounded: the least recently shown entry goes, and its frame URLs are handed back', () => {
  const h = new StepHistory(2);
  h.keep(ran('k1', ['blob:a']));
  h.keep(ran('k2', ['blob:b']));
  h.get('k1'); // shown again: k2 is now the oldest
  assert.deepEqual(h.keep(ran('k3', ['blob:c'])), ['blob:b']);
  assert.equal(h.holds('blob:b'), false);
  assert.ok(h.get('k1') && h.get('k3'));
  // the same key kept again with the same frames frees nothing
  const same = h.get('k3')!;
  assert.deepEqual(h.keep({ ...emptyNode('done'), ...same }), []);
});

test('a cached rerun shows the kept steps; a stale carry for other params is ignored', () => {
  const h = new StepHistory();
  h.keep(ran('seed1', ['blob:a', 'blob:b']));
  // the node's last shown steps were for another key (seed 2); the rerun is cached under seed1
  let s = startRun('r3', ['dec'], { dec: ran('seed2', ['blob:x']) });
  s = applyEvent(s, { event: 'node:cached', payload: { runId: 'r3', nodeId: 'dec', key: 'seed1' } });
  assert.equal(s.nodes.dec!.frames.length, 0, 'seed 2\'s frames are not seed 1\'s');
  s = startRun('r4', ['dec'], { dec: { ...emptyNode('done'), ...h.get('seed1')! } });
  s = applyEvent(s, { event: 'node:cached', payload: { runId: 'r4', nodeId: 'dec', key: 'seed1' } });
  assert.deepEqual(s.nodes.dec!.frames.map((f) => f.url), ['blob:a', 'blob:b']);
  assert.equal(s.nodes.dec!.key, 'seed1');
});
