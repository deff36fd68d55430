// The studio's actions in one table: what each is called, its keyboard shortcut, when it is
// offered and enabled, and what it does. The toolbar draws its buttons from it and the keyboard
// handler (useShortcuts.ts) matches keys against it, so a button's title, its shortcut and
// whether it may run can never disagree; the canvas's context menu (ContextMenu.tsx) reads the
// same table.

/** What an action may look at and do: the Workspace builds it from the store and its own flows. */
export interface ActionState {
  readOnly: boolean;
  busy: boolean;
  canUndo: boolean;
  canRedo: boolean;
  saved: boolean;
  dirty: boolean;
  notebook: boolean;
  /** The queue and history panel is open. */
  history: boolean;
  /** How many nodes are selected (the node actions: rename, collapse, duplicate, delete). */
  selected: number;
  do: {
    run(): void;
    cancel(): void;
    undo(): void;
    redo(): void;
    fit(): void;
    tidy(): void;
    toggleNotebook(): void;
    toggleHistory(): void;
    save(): void;
    share(): void;
    fork(): void;
    /** An empty canvas and the examples, asking first if work would be lost. */
    startOver(): void;
    exportJson(): void;
    /** Ask for a graph file (JSON or a studio PNG) to open. */
    pickFile(): void;
    copy(): void;
    paste(): void;
    selectAll(): void;
    // ---- node editing (nodeEdits.ts) ----
    rename(): void;
    toggleCollapsed(): void;
    duplicate(): void;
    remove(): void;
    /** The node search, where the context menu was opened (or the middle of the canvas). */
    search(): void;
    // ---- modes and groups (modesAndGroups.ts) ----
    bypass(): void;
    mute(): void;
    group(): void;
    ungroup(): void;
  };
}

export interface Shortcut {
  /** KeyboardEvent.key, lower case; with Ctrl (Cmd on a Mac) unless `ctrl` is false. */
  key: string;
  ctrl?: boolean;
  /** Alt must be held (else it must not be). */
  alt?: boolean;
  /** true: Shift must be held; false: must not be; absent: either. */
  shift?: boolean;
  /** Also while a text field has focus (else the field keeps its own Ctrl+Z, Ctrl+C, …). */
  whileTyping?: boolean;
}

export type ActionId = 'new' | 'run' | 'cancel' | 'undo' | 'redo' | 'fit' | 'tidy' | 'notebook' | 'history' | 'save' | 'share' | 'fork' | 'export' | 'import' | 'copy' | 'paste' | 'selectAll' | NodeActionId;
export type NodeActionId = 'rename' | 'collapse' | 'duplicate' | 'delete' | 'search' | 'bypass' | 'mute' | 'group' | 'ungroup';

export interface StudioAction {
  id: ActionId;
  /** What it does, in words (the tooltip, with the shortcut added). */
  title: string;
  /** The button's text; absent for an icon button, which has `aria`. */
  label?: string | ((s: ActionState) => string);
  aria?: string;
  /** The context menu's text, where it differs from the label. */
  menu?: string;
  /** A key that React Flow handles itself, named in the tooltip and the menu ("Delete"). */
  keyHint?: string;
  shortcuts?: Shortcut[];
  /** Not offered at all here (on the read-only share page, most editing). */
  hidden?(s: ActionState): boolean;
  enabled(s: ActionState): boolean;
  run(s: ActionState): void;
}

const editing = (s: ActionState) => s.readOnly;
const always = () => true;

export const ACTIONS: readonly StudioAction[] = [
  { id: 'new', title: 'New graph: back to the examples', label: 'New', hidden: editing, enabled: always, run: (s) => s.do.startOver() },
  { id: 'run', title: 'Run the graph', label: '▶ Run', shortcuts: [{ key: 'enter', whileTyping: true }], hidden: editing, enabled: (s) => !s.busy, run: (s) => s.do.run() },
  { id: 'cancel', title: 'Cancel the run', label: '■ Cancel', hidden: editing, enabled: (s) => s.busy, run: (s) => s.do.cancel() },
  { id: 'undo', title: 'Undo', label: '↶', aria: 'undo', shortcuts: [{ key: 'z', shift: false }], hidden: editing, enabled: (s) => s.canUndo, run: (s) => s.do.undo() },
  { id: 'redo', title: 'Redo', label: '↷', aria: 'redo', shortcuts: [{ key: 'z', shift: true }, { key: 'y' }], hidden: editing, enabled: (s) => s.canRedo, run: (s) => s.do.redo() },
  { id: 'fit', title: 'Fit the graph in view', label: '⤢', aria: 'fit view', enabled: always, run: (s) => s.do.fit() },
  { id: 'tidy', title: 'Tidy: columns by run order, no overlaps', label: 'Tidy', hidden: editing, enabled: always, run: (s) => s.do.tidy() },
  { id: 'notebook', title: 'Notebook view: nodes in run order with their outputs', label: (s) => (s.notebook ? 'Canvas' : 'Notebook'), enabled: always, run: (s) => s.do.toggleNotebook() },
  { id: 'history', title: "Queue and history: this browser's runs", label: 'History', shortcuts: [{ key: 'h', ctrl: false, alt: true }], hidden: editing, enabled: always, run: (s) => s.do.toggleHistory() },
  { id: 'save', title: 'Save', label: (s) => (s.saved ? (s.dirty ? 'Save*' : 'Saved') : 'Save'), shortcuts: [{ key: 's', whileTyping: true }], hidden: editing, enabled: always, run: (s) => s.do.save() },
  { id: 'share', title: 'Copy the read-only link', label: 'Share', enabled: always, run: (s) => s.do.share() },
  { id: 'fork', title: 'Make your own editable copy', label: 'Fork', enabled: always, run: (s) => s.do.fork() },
  { id: 'export', title: 'Download the graph as JSON', label: 'Export', enabled: always, run: (s) => s.do.exportJson() },
  { id: 'import', title: 'Open a graph JSON or a studio PNG', label: 'Import', hidden: editing, enabled: always, run: (s) => s.do.pickFile() },
  { id: 'copy', title: 'Copy the selected nodes', menu: 'Copy', shortcuts: [{ key: 'c' }], hidden: editing, enabled: always, run: (s) => s.do.copy() },
  { id: 'paste', title: 'Paste', menu: 'Paste', shortcuts: [{ key: 'v' }], hidden: editing, enabled: always, run: (s) => s.do.paste() },
  { id: 'selectAll', title: 'Select every node', menu: 'Select all', shortcuts: [{ key: 'a' }], hidden: editing, enabled: always, run: (s) => s.do.selectAll() },
  // ---- node editing (nodeEdits.ts; the context menu and keys) ----
  { id: 'rename', title: 'Rename the node', menu: 'Rename…', shortcuts: [{ key: 'f2', ctrl: false }], hidden: editing, enabled: (s) => s.selected === 1, run: (s) => s.do.rename() },
  { id: 'collapse', title: 'Collapse or expand the selected nodes', menu: 'Collapse / expand', shortcuts: [{ key: 'c', ctrl: false, alt: true }], hidden: editing, enabled: (s) => s.selected > 0, run: (s) => s.do.toggleCollapsed() },
  { id: 'duplicate', title: 'Duplicate the selected nodes', menu: 'Duplicate', shortcuts: [{ key: 'd' }], hidden: editing, enabled: (s) => s.selected > 0, run: (s) => s.do.duplicate() },
  { id: 'delete', title: 'Delete the selected nodes', menu: 'Delete', keyHint: 'Delete', hidden: editing, enabled: (s) => s.selected > 0, run: (s) => s.do.remove() },
  // ---- modes and groups (modesAndGroups.ts, protocol/modes.ts) ----
  { id: 'bypass', title: 'Bypass the selected nodes: each output passes on an input of its type (again: run them)', menu: 'Bypass', shortcuts: [{ key: 'b', shift: false }], hidden: editing, enabled: (s) => s.selected > 0, run: (s) => s.do.bypass() },
  { id: 'mute', title: 'Mute the selected nodes: they and what needs them do not run (again: run them)', menu: 'Mute', shortcuts: [{ key: 'm', shift: false }], hidden: editing, enabled: (s) => s.selected > 0, run: (s) => s.do.mute() },
  { id: 'group', title: 'Group the selected nodes in a titled frame', menu: 'Group', shortcuts: [{ key: 'g', shift: false }], hidden: editing, enabled: (s) => s.selected > 0, run: (s) => s.do.group() },
  { id: 'ungroup', title: 'Remove the frames around the selected nodes (the nodes stay)', menu: 'Ungroup', shortcuts: [{ key: 'g', shift: true }], hidden: editing, enabled: (s) => s.selected > 0, run: (s) => s.do.ungroup() },
  { id: 'search', title: 'Add a node by name (or double-click the canvas)', menu: 'Add node…', shortcuts: [{ key: 'k' }], hidden: editing, enabled: always, run: (s) => s.do.search() },
];

export function action(id: ActionId): StudioAction {
  return ACTIONS.find((a) => a.id === id)!;
}

const keyName = (k: string) => (k === 'enter' ? 'Enter' : k.toUpperCase());

/** The first shortcut in words ("Ctrl+Shift+Z", "F2", "Alt+C"), or the key React Flow handles. */
export function keysOf(a: StudioAction): string | undefined {
  const k = a.shortcuts?.[0];
  if (!k) return a.keyHint;
  return `${k.ctrl === false ? '' : 'Ctrl+'}${k.alt ? 'Alt+' : ''}${k.shift ? 'Shift+' : ''}${keyName(k.key)}`;
}

/** The tooltip: the title and, where there is one, the first shortcut ("Undo (Ctrl+Z)"). */
export function tooltip(a: StudioAction): string {
  const k = keysOf(a);
  return k ? `${a.title} (${k})` : a.title;
}

export function labelOf(a: StudioAction, s: ActionState): string | undefined {
  return typeof a.label === 'function' ? a.label(s) : a.label;
}

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey?: boolean;
  /** KeyboardEvent.code ("KeyC"): with Alt a Mac types another character ("ç") in `key`. */
  code?: string;
}

/**
 * The action a key press asks for, or null. `typing`: a text field has focus. An action that is
 * offered but not enabled still owns its key (Ctrl+Z with nothing to undo does nothing, rather
 * than reaching the browser).
 */
export function actionForKey(e: KeyPress, typing: boolean, s: ActionState): StudioAction | null {
  const ctrl = e.ctrlKey || e.metaKey;
  const key = (e.altKey && e.code?.startsWith('Key') ? e.code.slice(3) : e.key).toLowerCase();
  for (const a of ACTIONS) {
    if (a.hidden?.(s)) continue;
    const hit = a.shortcuts?.some(
      (k) => k.key === key && (k.ctrl ?? true) === ctrl && !!k.alt === !!e.altKey && (k.shift === undefined || k.shift === e.shiftKey) && (k.whileTyping || !typing),
    );
    if (hit) return a;
  }
  return null;
}
