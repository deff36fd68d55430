'use client';
// The editable graph: React Flow nodes and edges, undo/redo as whole snapshots (graphs are small,
// so a snapshot per edit is cheap and can never go out of step), and an in-page clipboard.
import { useCallback, useRef, useState } from 'react';
import { applyEdgeChanges, applyNodeChanges, type Connection, type Edge, type EdgeChange, type NodeChange } from '@xyflow/react';
import type { Catalogue, Graph } from '../../protocol';
import { addLink, declOf, duplicate, fromGraph, makeNode, tidy, type StudioNode } from '../lib/graphModel';

interface Snapshot {
  nodes: StudioNode[];
  edges: Edge[];
}
const HISTORY = 100;

export function useGraphEditor(catalogue: Catalogue | null) {
  const [nodes, setNodes] = useState<StudioNode[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  // refs mirror the state so keyboard handlers and callbacks never read a stale graph
  const cur = useRef<Snapshot>({ nodes, edges });
  cur.current = { nodes, edges };
  const past = useRef<Snapshot[]>([]);
  const future = useRef<Snapshot[]>([]);
  const clipboard = useRef<Snapshot | null>(null);
  const lastParam = useRef<{ key: string; at: number } | null>(null);
  const [revision, setRevision] = useState(0); // bumps on every edit: "unsaved changes"
  const [, setHistoryTick] = useState(0);

  const set = useCallback((s: Snapshot) => {
    cur.current = s;
    setNodes(s.nodes);
    setEdges(s.edges);
  }, []);

  /** Call before an edit: the graph as it is now becomes one undo step. */
  const record = useCallback(() => {
    past.current.push(cur.current);
    if (past.current.length > HISTORY) past.current.shift();
    future.current = [];
    lastParam.current = null;
    setRevision((r) => r + 1);
    setHistoryTick((t) => t + 1);
  }, []);

  const undo = useCallback(() => {
    const prev = past.current.pop();
    if (!prev) return;
    future.current.push(cur.current);
    set(prev);
    setRevision((r) => r + 1);
    setHistoryTick((t) => t + 1);
  }, [set]);

  const redo = useCallback(() => {
    const next = future.current.pop();
    if (!next) return;
    past.current.push(cur.current);
    set(next);
    setRevision((r) => r + 1);
    setHistoryTick((t) => t + 1);
  }, [set]);

  const onNodesChange = useCallback((changes: NodeChange<StudioNode>[]) => {
    setNodes((ns) => (cur.current = { ...cur.current, nodes: applyNodeChanges(changes, ns) }).nodes);
  }, []);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    setEdges((es) => (cur.current = { ...cur.current, edges: applyEdgeChanges(changes, es) }).edges);
  }, []);

  const connect = useCallback(
    (c: Connection) => {
      record();
      set({ ...cur.current, edges: addLink(cur.current.edges, c) });
    },
    [record, set],
  );

  const unlink = useCallback(
    (target: string, port: string) => {
      record();
      set({ ...cur.current, edges: cur.current.edges.filter((e) => !(e.target === target && e.targetHandle === port)) });
    },
    [record, set],
  );

  const addNode = useCallback(
    (type: string, position: { x: number; y: number }) => {
      const decl = declOf(catalogue, type);
      if (!decl) return null;
      record();
      const node = { ...makeNode(decl, position, cur.current.nodes.map((n) => n.id)), selected: true };
      set({ nodes: [...cur.current.nodes.map((n) => ({ ...n, selected: false })), node], edges: cur.current.edges });
      return node;
    },
    [catalogue, record, set],
  );

  const setParam = useCallback(
    (id: string, name: string, value: unknown) => {
      // typing into one field is one undo step, not one per key
      const key = `${id}:${name}`;
      const now = Date.now();
      if (!lastParam.current || lastParam.current.key !== key || now - lastParam.current.at > 1500) record();
      lastParam.current = { key, at: now };
      setRevision((r) => r + 1);
      set({ ...cur.current, nodes: cur.current.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, params: { ...n.data.params, [name]: value } } } : n)) });
    },
    [record, set],
  );

  const copy = useCallback(() => {
    const picked = cur.current.nodes.filter((n) => n.selected);
    if (!picked.length) return 0;
    const ids = new Set(picked.map((n) => n.id));
    clipboard.current = structuredClone({ nodes: picked, edges: cur.current.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) });
    return picked.length;
  }, []);

  const paste = useCallback(() => {
    const clip = clipboard.current;
    if (!clip) return 0;
    record();
    const copies = duplicate(clip.nodes, clip.edges, cur.current.nodes.map((n) => n.id), 40);
    // paste again and the next copy lands 40 px further on
    clipboard.current = { nodes: copies.nodes, edges: copies.edges };
    set({ nodes: [...cur.current.nodes.map((n) => ({ ...n, selected: false })), ...copies.nodes], edges: [...cur.current.edges.map((e) => ({ ...e, selected: false })), ...copies.edges] });
    return copies.nodes.length;
  }, [record, set]);

  const arrange = useCallback(() => {
    record();
    set({ ...cur.current, nodes: tidy(cur.current.nodes, cur.current.edges) });
  }, [record, set]);

  const selectAll = useCallback(() => {
    set({ nodes: cur.current.nodes.map((n) => ({ ...n, selected: true })), edges: cur.current.edges });
  }, [set]);

  const load = useCallback(
    (graph: Graph, opts: { keepHistory?: boolean } = {}) => {
      if (opts.keepHistory) record();
      else {
        past.current = [];
        future.current = [];
      }
      set(fromGraph(graph));
    },
    [record, set],
  );

  return {
    nodes,
    edges,
    revision,
    canUndo: past.current.length > 0,
    canRedo: future.current.length > 0,
    record,
    undo,
    redo,
    onNodesChange,
    onEdgesChange,
    connect,
    unlink,
    addNode,
    setParam,
    copy,
    paste,
    selectAll,
    arrange,
    load,
    current: () => cur.current,
  };
}
export type GraphEditor = ReturnType<typeof useGraphEditor>;
