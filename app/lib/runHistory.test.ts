// The run history's storage: one entry per run (two tabs writing their own runs keep each
// other's), newest first, bounded, and what a full storage gives up first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, startRun } from './runState.js';
import { describe, isHistoryKey, MAX_KEPT_GRAPH_CHARS, putEntry, readHistory, stateOf, type HistoryEntry } from './runHistory.js';

/** The Web Storage interface over a Map, with an optional quota in characters (as browsers count it). */
class MemoryStorage implements Storage {
  private m = new Map<string, string>();
  constructor(private readonly quota = Infinity) {}
  get length() {
    return this.m.size;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    let used = k.length + v.length;
    for (const [key, val] of this.m) if (key !== k) used += key.length + val.length;
    if (used > this.quota) throw new Error('QuotaExceededError');
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  clear() {
    this.m.clear();
  }
}

const entry = (id: string, at: number, more: Partial<HistoryEntry> = {}): HistoryEntry => ({ id, runId: id, title: `graph ${id}`, graphId: null, state: 'done', at, ...more });

test('entries are kept one per run, newest first; an update merges into its own entry only', () => {
  const s = new MemoryStorage();
  s.setItem('unclip:working-copy', '{}'); // other keys are not history
  putEntry(s, entry('a', 1, { state: 'running', done: 0, total: 2 }));
  // a second tab writes its run between the first tab's writes
  putEntry(s, entry('b', 2, { state: 'queued', position: 1 }));
  putEntry(s, { id: 'a', state: 'done', ms: 1500 });
  assert.deepEqual(readHistory(s).map((e) => [e.id, e.state, e.title]), [['b', 'queued', 'graph b'], ['a', 'done', 'graph a']]);
  assert.equal(describe(readHistory(s)[1]!), 'done · 1.5 s');
  assert.equal(describe(readHistory(s)[0]!), 'queued · 1 ahead');
  assert.ok(isHistoryKey('unclip:run:a') && isHistoryKey(null) && !isHistoryKey('unclip:working-copy'));
  s.setItem('unclip:run:broken', 'not json');
  assert.equal(readHistory(s).length, 2, 'an unreadable entry is skipped');
});

test('bounded: past the limit the oldest go', () => {
  const s = new MemoryStorage();
  for (let i = 0; i < 7; i++) putEntry(s, entry(`r${i}`, 100 + i), 5);
  assert.deepEqual(readHistory(s).map((e) => e.id), ['r6', 'r5', 'r4', 'r3', 'r2']);
});

test('a large graph is not kept in the entry; over the quota the oldest entries go first, then the thumbnail', () => {
  const s = new MemoryStorage(3000);
  const big = { version: 1, nodes: [{ id: 'x', type: 'text', params: { text: 'y'.repeat(MAX_KEPT_GRAPH_CHARS) } }], edges: [] };
  const kept = putEntry(s, entry('g', 1, { graph: big as never }))!;
  assert.equal(kept.graph, undefined);
  putEntry(s, entry('old', 2, { thumb: 'data:image/png;base64,' + 'A'.repeat(1400) }));
  putEntry(s, entry('new', 3, { thumb: 'data:image/png;base64,' + 'B'.repeat(1400) }));
  const ids = readHistory(s).map((e) => e.id);
  assert.ok(ids.includes('new') && !ids.includes('g'), `the oldest went: ${ids}`);
  const huge = putEntry(s, entry('huge', 4, { thumb: 'data:image/png;base64,' + 'C'.repeat(5000) }));
  assert.equal(huge?.thumb, undefined, 'kept without the thumbnail rather than not at all');
  assert.equal(readHistory(s)[0]!.id, 'huge');
});

test("the entry's state follows the run's view: queued with position, running n/N, its end", () => {
  let v = startRun('r', ['a', 'b']);
  assert.equal(stateOf({ ...v, phase: 'starting' }), null);
  v = applyEvent(v, { event: 'run:queued', payload: { runId: 'r', position: 2 } });
  assert.deepEqual(stateOf(v), { state: 'queued', position: 2 });
  v = applyEvent(v, { event: 'node:start', payload: { runId: 'r', nodeId: 'a' } });
  v = applyEvent(v, { event: 'node:output', payload: { runId: 'r', nodeId: 'a', outputs: {} } });
  assert.deepEqual(stateOf(v), { state: 'running', done: 1, total: 2 });
  assert.equal(describe(entry('r', 1, stateOf(v)!)), 'running 1/2');
  assert.deepEqual(stateOf(applyEvent(v, { event: 'run:cancelled', payload: { runId: 'r' } })), { state: 'cancelled' });
  assert.deepEqual(stateOf(applyEvent(v, { event: 'run:error', payload: { runId: 'r', code: 'NODE_FAILED', message: 'boom' } })), { state: 'error', error: 'boom' });
  assert.deepEqual(stateOf(applyEvent(v, { event: 'run:done', payload: { runId: 'r', ms: 12, timings: {}, cached: [] } })), { state: 'done', ms: 12 });
});
