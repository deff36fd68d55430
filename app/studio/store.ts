'use client';
// The studio's state in one zustand store, as React Flow's own docs keep theirs: the editor
// (editor.ts), the current run's view, and the view's own flags. Components read it through
// selectors (`useStudio(s => s.run.nodes[id])`), so a `node:step` that replaces one node's run
// state re-renders the card that shows that node and nothing else. One store per Workspace,
// handed down by context (the zustand pattern for Next.js: a module-level store would be shared
// by every request the server renders).
import { createContext, createElement, useContext, useState, type ReactNode } from 'react';
import { createStore, useStore, type StoreApi } from 'zustand';
import type { Graph, WireValue } from '../../protocol';
import { toGraph } from '../lib/graphModel';
import { pushApart } from '../lib/pushApart';
import { IDLE_RUN, type RunView } from '../lib/runState';
import { editorSlice, type EditorSlice } from './editor';
import { modesAndGroupsSlice, type ModesAndGroupsSlice } from './modesAndGroups';
import { nodeEditsSlice, type NodeEditsSlice } from './nodeEdits';

/** The line under the top bar (RunStatus). `passing`: about one gesture (a refused link); the next edit clears it. */
export interface Notice {
  text: string;
  bad?: boolean;
  passing?: boolean;
}

export interface StudioState extends EditorSlice, NodeEditsSlice, ModesAndGroupsSlice {
  run: RunView;
  notebook: boolean;
  /**
   * A fit of the view that is wanted (AutoFit.tsx does it once React Flow has measured the
   * nodes): `request` counts the asks; while `follow` holds, the view is fitted again whenever
   * the cards change size (a stored run's frames load after the cards are first drawn), until
   * the user moves the view, edits, or starts a run.
   */
  fit: { request: number; follow: boolean };
  setRun(f: (v: RunView) => RunView): void;
  setNotebook(on: boolean): void;
  requestFit(opts?: { follow?: boolean }): void;
  stopFollowing(): void;
  /** The graph as it stands (embedded in downloaded PNGs). */
  currentGraph(): Graph;
  /** In the store so that a card's buttons (downloads) can say why they failed, as the toolbar's do. */
  notice: Notice | null;
  setNotice(n: Notice | null | ((n: Notice | null) => Notice | null)): void;
  // ---- field drafts (see the section at the end) ----
  drafts: Record<string, FieldDraft>;
  setDraft(nodeId: string, param: string, draft: FieldDraft | null): void;
}

export type StudioStore = StoreApi<StudioState>;
export type StudioInit = Partial<Pick<StudioState, 'catalogue' | 'run' | 'nodes' | 'edges'>>;

export function createStudioStore(init: StudioInit = {}): StudioStore {
  const store = createStore<StudioState>()((set, get, api) => ({
    ...editorSlice(() => get().stopFollowing())(set, get, api),
    run: IDLE_RUN,
    notebook: false,
    fit: { request: 0, follow: false },
    setRun: (f) => set((s) => ({ run: f(s.run) })),
    setNotebook: (notebook) => set({ notebook }),
    requestFit: (opts = {}) => set((s) => ({ fit: { request: s.fit.request + 1, follow: !!opts.follow } })),
    stopFollowing: () => set((s) => (s.fit.follow ? { fit: { ...s.fit, follow: false } } : s)),
    currentGraph: () => toGraph(get().nodes, get().edges, get().catalogue, get().groups),
    notice: null,
    setNotice: (n) => set((s) => ({ notice: typeof n === 'function' ? n(s.notice) : n })),
    ...draftsSlice(set),
    ...nodeEditsSlice(set, get, api),
    ...modesAndGroupsSlice(set, get, api),
    ...init,
  }));
  dropDraftsOnLoad(store);
  keepCardsApart(store);
  return store;
}

const StoreContext = createContext<StudioStore | null>(null);

/** Makes a store for its children; `init` is read once. */
export function StudioProvider({ init, children }: { init?: StudioInit; children: ReactNode }) {
  const [store] = useState(() => createStudioStore(init));
  return createElement(StoreContext.Provider, { value: store }, children);
}

export function useStudioApi(): StudioStore {
  const s = useContext(StoreContext);
  if (!s) throw new Error('useStudio outside <StudioProvider>');
  return s;
}

/** Select from the studio store; the component re-renders only when the selected value changes (Object.is). */
export function useStudio<T>(selector: (s: StudioState) => T): T {
  return useStore(useStudioApi(), selector);
}

export const isBusy = (s: StudioState) => s.run.phase === 'starting' || s.run.phase === 'queued' || s.run.phase === 'running';

/** Unknown words for one text node, learned from the CLIP text encoders its prompt feeds. */
export function unknownWordsOf(s: Pick<StudioState, 'edges' | 'run'>, textNodeId: string): string[] {
  return tokensOf(s, textNodeId).flatMap((t) => t.unknownWords.flat());
}

/** The words CLIP read in one text node's prompts (emoji as their names), one string per prompt, from the first encoder it feeds. */
export function readWordsOf(s: Pick<StudioState, 'edges' | 'run'>, textNodeId: string): string[] {
  return tokensOf(s, textNodeId)[0]?.tokens.map((t) => t.join(' ')) ?? [];
}

function tokensOf(s: Pick<StudioState, 'edges' | 'run'>, textNodeId: string): Extract<WireValue, { kind: 'tokens' }>[] {
  const out: Extract<WireValue, { kind: 'tokens' }>[] = [];
  for (const e of s.edges) {
    if (e.source !== textNodeId || e.targetHandle !== 'text') continue;
    const tokens = s.run.nodes[e.target]?.outputs?.tokens as Extract<WireValue, { kind: 'tokens' }> | undefined;
    if (tokens?.kind === 'tokens') out.push(tokens);
  }
  return out;
}

// ---- field drafts ----
// A number field's text that is not a value its param allows ("", "0" where the minimum is 1):
// kept here, not in the field, so it survives the inspector showing another node, and Run can
// refuse while one stands (naming the field). A valid text is committed to the graph at once and
// leaves no draft; loading another graph drops them all.

export interface FieldDraft {
  nodeId: string;
  param: string;
  /** The param's title, for messages ("Steps"). */
  title: string;
  text: string;
  /** Why it is not a value (with the allowed range). */
  message: string;
}

const draftKey = (nodeId: string, param: string) => `${nodeId}\n${param}`;

function draftsSlice(set: (f: (s: StudioState) => Partial<StudioState>) => void): Pick<StudioState, 'drafts' | 'setDraft'> {
  return {
    drafts: {},
    setDraft: (nodeId, param, draft) =>
      set((s) => {
        const k = draftKey(nodeId, param);
        if (!draft && !(k in s.drafts)) return {};
        const drafts = { ...s.drafts };
        if (draft) drafts[k] = draft;
        else delete drafts[k];
        return { drafts };
      }),
  };
}

/** Another graph loaded: its nodes may share ids with the old ones, never their drafts. */
function dropDraftsOnLoad(store: StudioStore): void {
  const load = store.getState().load;
  store.setState({
    load: (graph, opts) => {
      store.setState({ drafts: {} });
      load(graph, opts);
    },
  });
}

/** One field's draft, if it has one. */
export const draftOf = (s: Pick<StudioState, 'drafts'>, nodeId: string, param: string): FieldDraft | undefined => s.drafts[draftKey(nodeId, param)];

/** One node's drafts (its card shows them while the inspector shows another node). */
export function draftsOf(s: Pick<StudioState, 'drafts'>, nodeId: string): FieldDraft[] {
  return Object.values(s.drafts).filter((d) => d.nodeId === nodeId);
}

/** The drafts that block Run: those of nodes still in the graph. */
export function blockingDrafts(s: Pick<StudioState, 'drafts' | 'nodes'>): FieldDraft[] {
  const ids = new Set(s.nodes.map((n) => n.id));
  return Object.values(s.drafts).filter((d) => ids.has(d.nodeId));
}

// ---- cards kept apart ----
// A card that grows (a run's frames, plots and maps arrive) pushes the cards it now covers
// downward (lib/pushApart.ts), in the same store update as React Flow's measurement, so cards
// never overlap after a run without the user pressing Tidy. Only a card growing moves others:
// a card dropped or dragged onto another stays where the user put it. It is not an undo step
// (nor an unsaved change): it follows from the run, not from an edit.

function keepCardsApart(store: StudioStore): void {
  const onNodesChange = store.getState().onNodesChange;
  store.setState({
    onNodesChange: (changes) => {
      const before = new Map(store.getState().nodes.map((n) => [n.id, n.measured?.height]));
      onNodesChange(changes);
      const grew = changes.some((c) => c.type === 'dimensions' && c.dimensions && c.dimensions.height > (before.get(c.id) ?? Infinity));
      if (!grew) return;
      const { nodes } = store.getState();
      const apart = pushApart(nodes);
      if (apart !== nodes) store.setState({ nodes: apart });
    },
  });
}
