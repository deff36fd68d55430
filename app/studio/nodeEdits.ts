// The editing people know from ComfyUI, as a slice of the studio store (store.ts): rename a node,
// collapse it to its header, duplicate or delete the selection (the context menu's and keys'
// actions), and seeds renewed before each run. Each edit is one undo step (the editor's record).
// Title, collapse and the seeds to renew are saved in the graph (the schema's `title`,
// `collapsed`, `reseed`), so they survive save and reload.
import type { StateCreator } from 'zustand';
import { duplicate, type StudioNode } from '../lib/graphModel';
import type { StudioState } from './store';

const SEED_MAX = 2 ** 31 - 1;
/** Duplicates land this far from their originals. */
const DUPLICATE_OFFSET = 40;

export interface NodeEditsSlice {
  /** The node whose title is being edited on its card (F2, the menu, a double-click on the title). */
  renaming: string | null;
  setRenaming(id: string | null): void;
  /** A blank title goes back to the node type's. */
  rename(id: string, title: string): void;
  /** Collapse the selected nodes, or expand them if all are collapsed. */
  toggleCollapsed(): void;
  /** Give `param` of node `id` a fresh random value before each run, or stop. */
  setReseed(id: string, param: string, on: boolean): void;
  /** Before a run: a fresh random value for each param marked to renew (one undo step); how many. */
  reseed(random?: () => number): number;
  /** Select this node alone, unless it is already in the selection (a right-click keeps a selection it is part of). */
  selectForMenu(id: string): void;
  duplicateSelected(): number;
  deleteSelected(): number;
}

const picked = (nodes: StudioNode[]) => nodes.filter((n) => n.selected);

export const nodeEditsSlice: StateCreator<StudioState, [], [], NodeEditsSlice> = (set, get) => {
  const edit = (ids: Set<string>, f: (d: StudioNode['data']) => StudioNode['data']) => {
    get().record();
    set((s) => ({ nodes: s.nodes.map((n) => (ids.has(n.id) ? { ...n, data: f(n.data) } : n)) }));
  };
  return {
    renaming: null,
    setRenaming: (renaming) => set({ renaming }),
    rename(id, title) {
      const t = title.trim().slice(0, 200);
      const node = get().nodes.find((n) => n.id === id);
      set({ renaming: null });
      if (!node || (node.data.title ?? '') === t) return;
      edit(new Set([id]), ({ title: _, ...d }) => (t ? { ...d, title: t } : d));
    },
    toggleCollapsed() {
      const sel = picked(get().nodes);
      if (!sel.length) return;
      const on = !sel.every((n) => n.data.collapsed);
      edit(new Set(sel.map((n) => n.id)), ({ collapsed: _, ...d }) => (on ? { ...d, collapsed: true } : d));
    },
    setReseed(id, param, on) {
      edit(new Set([id]), ({ reseed = [], ...d }) => {
        const next = reseed.filter((p) => p !== param).concat(on ? [param] : []);
        return next.length ? { ...d, reseed: next } : d;
      });
    },
    reseed(random = Math.random) {
      const marked = get().nodes.filter((n) => n.data.reseed?.length);
      if (!marked.length) return 0;
      let count = 0;
      edit(new Set(marked.map((n) => n.id)), (d) => {
        const params = { ...d.params };
        for (const p of d.reseed ?? []) (params[p] = Math.floor(random() * SEED_MAX)), count++;
        return { ...d, params };
      });
      return count;
    },
    selectForMenu(id) {
      const node = get().nodes.find((n) => n.id === id);
      if (!node || node.selected) return;
      set((s) => ({ nodes: s.nodes.map((n) => (n.selected === (n.id === id) ? n : { ...n, selected: n.id === id })) }));
    },
    duplicateSelected() {
      const { nodes, edges } = get();
      const sel = picked(nodes);
      if (!sel.length) return 0;
      get().record();
      const ids = new Set(sel.map((n) => n.id));
      const copies = duplicate(sel, edges.filter((e) => ids.has(e.source) && ids.has(e.target)), nodes.map((n) => n.id), DUPLICATE_OFFSET);
      set({ nodes: [...nodes.map((n) => ({ ...n, selected: false })), ...copies.nodes], edges: [...edges, ...copies.edges] });
      return copies.nodes.length;
    },
    deleteSelected() {
      const { nodes, edges } = get();
      const ids = new Set(picked(nodes).map((n) => n.id));
      if (!ids.size) return 0;
      get().record();
      set({ nodes: nodes.filter((n) => !ids.has(n.id)), edges: edges.filter((e) => !ids.has(e.source) && !ids.has(e.target)) });
      return ids.size;
    },
  };
};
