// The editable graph, as a slice of the studio store (store.ts): React Flow nodes and edges,
// undo/redo as whole snapshots (graphs are small, so a snapshot per edit is cheap and can never
// go out of step), and an in-page clipboard. History and clipboard are not state anyone draws,
// so they live beside the store, not in it; what the toolbar shows of them (canUndo, canRedo)
// is state.
import { applyEdgeChanges, applyNodeChanges, type Connection, type Edge, type EdgeChange, type NodeChange } from '@xyflow/react';
import type { StateCreator } from 'zustand';
import type { Catalogue, Graph, GraphGroup } from '../../protocol';
import { addLink, declOf, duplicate, fromGraph, makeNode, tidy, type StudioNode } from '../lib/graphModel';
import { pushApart } from '../lib/pushApart';
import type { StudioState } from './store';

interface Snapshot {
  nodes: StudioNode[];
  edges: Edge[];
  groups?: GraphGroup[];
}
const HISTORY = 100;
// typing into one field is one undo step, not one per key: edits of the same param this close
// together share a step
const PARAM_STEP_MS = 1500;

export interface EditorSlice {
  catalogue: Catalogue | null;
  nodes: StudioNode[];
  edges: Edge[];
  /** Titled frames around nodes (groups.ts). */
  groups: GraphGroup[];
  /** Bumps on every edit: "unsaved changes". */
  revision: number;
  canUndo: boolean;
  canRedo: boolean;
  /** Call before an edit: the graph as it is now becomes one undo step. */
  record(): void;
  undo(): void;
  redo(): void;
  onNodesChange(changes: NodeChange<StudioNode>[]): void;
  onEdgesChange(changes: EdgeChange[]): void;
  connect(c: Connection): void;
  unlink(target: string, port: string): void;
  addNode(type: string, position: { x: number; y: number }): StudioNode | null;
  setParam(nodeId: string, name: string, value: unknown): void;
  /** Copy the selected nodes (and the links between them); returns how many. */
  copy(): number;
  paste(): number;
  selectAll(): void;
  arrange(): void;
  load(graph: Graph, opts?: { keepHistory?: boolean }): void;
}

/**
 * The editor slice. `onTouch` is told of every recorded edit and of every change the user makes
 * on the canvas (select, drag, delete; not React Flow measuring the cards): the store then stops
 * following the view (store.ts `fit`).
 */
export function editorSlice(onTouch: () => void): StateCreator<StudioState, [], [], EditorSlice> {
  return (set, get) => {
    const past: Snapshot[] = [];
    let future: Snapshot[] = [];
    let clipboard: Snapshot | null = null;
    let lastParam: { key: string; at: number } | null = null;
    const now = (): Snapshot => ({ nodes: get().nodes, edges: get().edges, groups: get().groups });
    const history = () => ({ canUndo: past.length > 0, canRedo: future.length > 0 });
    const show = (s: Snapshot) => set({ nodes: s.nodes, edges: s.edges, ...(s.groups ? { groups: s.groups } : {}) });

    const record = () => {
      past.push(now());
      if (past.length > HISTORY) past.shift();
      future = [];
      lastParam = null;
      set((s) => ({ revision: s.revision + 1, ...history() }));
      onTouch();
    };
    const step = (from: Snapshot[], to: Snapshot[]) => {
      const snap = from.pop();
      if (!snap) return;
      to.push(now());
      // the cards may have grown since (a run's outputs): the old layout must not put them over each other
      const sizes = new Map(get().nodes.map((n) => [n.id, n.measured]));
      const nodes = pushApart(snap.nodes.map((n) => (sizes.get(n.id) ? { ...n, measured: sizes.get(n.id) } : n)));
      set((s) => ({ nodes, edges: snap.edges, groups: snap.groups ?? s.groups, revision: s.revision + 1, ...history() }));
    };

    return {
      catalogue: null,
      nodes: [],
      edges: [],
      groups: [],
      revision: 0,
      canUndo: false,
      canRedo: false,
      record,
      undo: () => step(past, future),
      redo: () => step(future, past),
      onNodesChange(changes) {
        if (changes.some((c) => c.type !== 'dimensions')) onTouch();
        set((s) => ({ nodes: applyNodeChanges(changes, s.nodes) }));
      },
      onEdgesChange: (changes) => set((s) => ({ edges: applyEdgeChanges(changes, s.edges) })),
      connect(c) {
        record();
        set((s) => ({ edges: addLink(s.edges, c) }));
      },
      unlink(target, port) {
        record();
        set((s) => ({ edges: s.edges.filter((e) => !(e.target === target && e.targetHandle === port)) }));
      },
      addNode(type, position) {
        const decl = declOf(get().catalogue, type);
        if (!decl) return null;
        record();
        const { nodes, edges } = now();
        const node = { ...makeNode(decl, position, nodes.map((n) => n.id)), selected: true };
        show({ nodes: [...nodes.map((n) => ({ ...n, selected: false })), node], edges });
        return node;
      },
      setParam(id, name, value) {
        const key = `${id}:${name}`;
        const at = Date.now();
        if (!lastParam || lastParam.key !== key || at - lastParam.at > PARAM_STEP_MS) record();
        else set((s) => ({ revision: s.revision + 1 }));
        lastParam = { key, at };
        set((s) => ({ nodes: s.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, params: { ...n.data.params, [name]: value } } } : n)) }));
      },
      copy() {
        const { nodes, edges } = now();
        const picked = nodes.filter((n) => n.selected);
        if (!picked.length) return 0;
        const ids = new Set(picked.map((n) => n.id));
        clipboard = structuredClone({ nodes: picked, edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)) });
        return picked.length;
      },
      paste() {
        const clip = clipboard;
        if (!clip) return 0;
        record();
        const { nodes, edges } = now();
        const copies = duplicate(clip.nodes, clip.edges, nodes.map((n) => n.id), 40);
        // paste again and the next copy lands 40 px further on
        clipboard = { nodes: copies.nodes, edges: copies.edges };
        show({ nodes: [...nodes.map((n) => ({ ...n, selected: false })), ...copies.nodes], edges: [...edges.map((e) => ({ ...e, selected: false })), ...copies.edges] });
        return copies.nodes.length;
      },
      arrange() {
        record();
        set((s) => ({ nodes: tidy(s.nodes, s.edges) }));
      },
      selectAll: () => set((s) => ({ nodes: s.nodes.map((n) => ({ ...n, selected: true })) })),
      load(graph, opts = {}) {
        if (opts.keepHistory) record();
        else {
          past.length = 0;
          future = [];
          set(history());
        }
        show(fromGraph(graph));
      },
    };
  };
}
