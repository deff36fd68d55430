// The one action table: the keys it claims (and when), what the toolbar's titles say, and that
// a disabled action owns its key without running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIONS, action, actionForKey, labelOf, tooltip, type ActionState } from './actions';

function state(over: Partial<ActionState> = {}): ActionState & { ran: string[] } {
  const ran: string[] = [];
  const names = ['run', 'cancel', 'undo', 'redo', 'fit', 'tidy', 'toggleNotebook', 'toggleHistory', 'save', 'share', 'fork', 'startOver', 'exportJson', 'pickFile', 'copy', 'paste', 'selectAll', 'rename', 'toggleCollapsed', 'duplicate', 'remove', 'search'] as const;
  const ops = Object.fromEntries(names.map((n) => [n, () => void ran.push(n)])) as unknown as ActionState['do'];
  return { readOnly: false, busy: false, canUndo: true, canRedo: true, saved: false, dirty: false, notebook: false, history: false, selected: 0, do: ops, ran, ...over };
}
const key = (k: string, mods: { shift?: boolean; meta?: boolean; ctrl?: boolean; alt?: boolean } = { ctrl: true }) => ({ key: k, ctrlKey: !!mods.ctrl, metaKey: !!mods.meta, shiftKey: !!mods.shift, altKey: !!mods.alt });

test('shortcuts: Ctrl or Cmd; Shift tells undo from redo; Ctrl+Y redoes', () => {
  const s = state();
  assert.equal(actionForKey(key('z'), false, s)?.id, 'undo');
  assert.equal(actionForKey(key('Z', { ctrl: true, shift: true }), false, s)?.id, 'redo');
  assert.equal(actionForKey(key('y'), false, s)?.id, 'redo');
  assert.equal(actionForKey(key('Enter', { meta: true }), false, s)?.id, 'run');
  assert.equal(actionForKey(key('c'), false, s)?.id, 'copy');
  assert.equal(actionForKey(key('v'), false, s)?.id, 'paste');
  assert.equal(actionForKey(key('a'), false, s)?.id, 'selectAll');
  assert.equal(actionForKey(key('s'), false, s)?.id, 'save');
  assert.equal(actionForKey(key('z', {}), false, s), null, 'no modifier, no action');
  assert.equal(actionForKey(key('q'), false, s), null);
});

test('while typing only run and save answer; on the read-only page no key is taken', () => {
  const s = state();
  assert.deepEqual(['enter', 's', 'z', 'c', 'v', 'a'].map((k) => actionForKey(key(k), true, s)?.id ?? null), ['run', 'save', null, null, null, null]);
  const ro = state({ readOnly: true });
  assert.deepEqual(['enter', 's', 'z', 'y', 'c', 'v', 'a'].map((k) => actionForKey(key(k), false, ro)), [null, null, null, null, null, null, null]);
});

test('enabled follows the state: no run while busy, no undo with no history', () => {
  assert.equal(action('run').enabled(state({ busy: true })), false);
  assert.equal(action('cancel').enabled(state({ busy: true })), true);
  assert.equal(action('undo').enabled(state({ canUndo: false })), false);
  assert.equal(action('redo').enabled(state({ canRedo: false })), false);
  const s = state();
  action('tidy').run(s);
  action('import').run(s);
  action('new').run(s);
  assert.deepEqual(s.ran, ['tidy', 'pickFile', 'startOver']);
  assert.equal(action('new').hidden?.(state({ readOnly: true })), true, 'the share page has its title link home instead');
});

test('titles carry the first shortcut; labels follow the state', () => {
  assert.equal(tooltip(action('run')), 'Run the graph (Ctrl+Enter)');
  assert.equal(tooltip(action('undo')), 'Undo (Ctrl+Z)');
  assert.equal(tooltip(action('redo')), 'Redo (Ctrl+Shift+Z)');
  assert.equal(tooltip(action('save')), 'Save (Ctrl+S)');
  assert.equal(tooltip(action('share')), 'Copy the read-only link');
  assert.equal(labelOf(action('save'), state({ saved: true, dirty: true })), 'Save*');
  assert.equal(labelOf(action('save'), state({ saved: true })), 'Saved');
  assert.equal(labelOf(action('notebook'), state({ notebook: true })), 'Canvas');
  // one entry per id, and every entry with a visible label or an aria-label (or keys, or a menu entry)
  assert.equal(new Set(ACTIONS.map((a) => a.id)).size, ACTIONS.length);
  for (const a of ACTIONS) assert.ok(a.label || a.aria || a.shortcuts?.length || a.menu, a.id);
});

test('node keys: F2 renames, Alt+C collapses, Ctrl+D duplicates; each needs a selection to run', () => {
  const s = state({ selected: 1 });
  assert.equal(actionForKey(key('F2', {}), false, s)?.id, 'rename');
  assert.equal(actionForKey(key('F2', {}), true, s), null, 'F2 in a text field is the field\'s');
  assert.equal(actionForKey(key('c', { alt: true }), false, s)?.id, 'collapse');
  assert.equal(actionForKey({ ...key('ç', { alt: true }), code: 'KeyC' }, false, s)?.id, 'collapse', 'Option+C on a Mac');
  assert.equal(actionForKey(key('c', { ctrl: true, alt: true }), false, s), null, 'Ctrl+Alt+C is neither copy nor collapse');
  assert.equal(actionForKey(key('c'), false, s)?.id, 'copy');
  assert.equal(actionForKey(key('d'), false, s)?.id, 'duplicate');
  assert.equal(actionForKey(key('k'), false, s)?.id, 'search');
  assert.equal(tooltip(action('rename')), 'Rename the node (F2)');
  assert.equal(tooltip(action('collapse')), 'Collapse or expand the selected nodes (Alt+C)');
  assert.equal(tooltip(action('delete')), 'Delete the selected nodes (Delete)');
  assert.equal(actionForKey({ ...key('h', { alt: true }), code: 'KeyH' }, false, s)?.id, 'history', 'Alt+H opens the run history');
  assert.equal(actionForKey(key('h', { alt: true }), false, state({ readOnly: true })), null, 'not on the share page');
  assert.equal(tooltip(action('history')), "Queue and history: this browser's runs (Alt+H)");
  const none = state({ selected: 0 });
  for (const id of ['rename', 'collapse', 'duplicate', 'delete'] as const) assert.equal(action(id).enabled(none), false, id);
  assert.equal(action('rename').enabled(state({ selected: 2 })), false, 'rename is for one node');
});
