// Conversions between the canvas (React Flow nodes and edges) and the protocol's graph JSON, and
// the checks the canvas makes while a link is dragged. Pure functions (no React, no DOM), so the
// unit tests and the share page use exactly what the editor uses.
import type { Connection, Edge, Node } from '@xyflow/react';
import {
  GRAPH_FORMAT_VERSION,
  GraphSchema,
  describePortType,
  portsCompatible,
  type Catalogue,
  type Graph,
  type GraphGroup,
  planModes,
  type NodeDecl,
  type NodeHold,
  type NodeMode,
} from '../../protocol';

export interface StudioNodeData extends Record<string, unknown> {
  type: string;
  params: Record<string, unknown>;
  title?: string;
  /** UI only (the graph schema's `collapsed`, `reseed`): shown as its header; seeds renewed before each run. */
  collapsed?: boolean;
  reseed?: string[];
  /** Bypassed or muted (protocol/modes.ts): saved with the graph, honoured by the server. */
  mode?: NodeMode;
  /** The node version its params were saved with, when loaded from a graph. The browser has no
   * migrations, so an older node goes back as it came and the server migrates it on the run. */
  version?: number;
}
export type StudioNode = Node<StudioNodeData, 'studio'>;

export function declOf(catalogue: Catalogue | null, type: string): NodeDecl | undefined {
  return catalogue?.nodes.find((d) => d.type === type);
}

export function defaultParams(decl: NodeDecl): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of decl.params) out[p.name] = p.default;
  return out;
}

/** A fresh id like `text-3` that no node in `taken` has (ids must match the graph schema's pattern). */
export function newNodeId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base = type.replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 48) || 'node';
  for (let i = 1; ; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
}

export function makeNode(decl: NodeDecl, position: { x: number; y: number }, taken: Iterable<string>): StudioNode {
  return { id: newNodeId(decl.type, taken), type: 'studio', position, data: { type: decl.type, params: defaultParams(decl) } };
}

export function edgeId(source: string, sourceHandle: string, target: string, targetHandle: string): string {
  return `${source}.${sourceHandle}->${target}.${targetHandle}`;
}

export function toGraph(nodes: StudioNode[], edges: Edge[], catalogue: Catalogue | null, groups: readonly GraphGroup[] = []): Graph {
  // a group keeps only nodes still on the canvas; one left empty goes
  const ids = new Set(nodes.map((n) => n.id));
  const kept = groups.map((g) => ({ ...g, nodes: g.nodes.filter((id) => ids.has(id)) })).filter((g) => g.nodes.length);
  return {
    version: GRAPH_FORMAT_VERSION,
    nodes: nodes.map((n) => {
      const out: Graph['nodes'][number] = {
        id: n.id,
        type: n.data.type,
        version: n.data.version ?? declOf(catalogue, n.data.type)?.version ?? 1,
        // null params mean "the default": send them as absent so the server fills them in
        params: Object.fromEntries(Object.entries(n.data.params).filter(([, v]) => v !== null && v !== undefined)),
        position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      };
      if (n.data.title) out.title = n.data.title;
      if (n.data.collapsed) out.collapsed = true;
      if (n.data.reseed?.length) out.reseed = [...n.data.reseed];
      if (n.data.mode) out.mode = n.data.mode;
      return out;
    }),
    edges: edges.map((e) => ({ from: { node: e.source, port: e.sourceHandle ?? '' }, to: { node: e.target, port: e.targetHandle ?? '' } })),
    ...(kept.length ? { groups: kept } : {}),
  };
}

export function fromGraph(graph: Graph): { nodes: StudioNode[]; edges: Edge[]; groups: GraphGroup[] } {
  return {
    nodes: graph.nodes.map((n) => ({
      id: n.id,
      type: 'studio' as const,
      position: { ...n.position },
      data: { type: n.type, params: { ...n.params }, version: n.version, ...(n.title ? { title: n.title } : {}), ...(n.collapsed ? { collapsed: true } : {}), ...(n.reseed?.length ? { reseed: [...n.reseed] } : {}), ...(n.mode ? { mode: n.mode } : {}) },
    })),
    edges: graph.edges.map((e) => ({
      id: edgeId(e.from.node, e.from.port, e.to.node, e.to.port),
      source: e.from.node,
      sourceHandle: e.from.port,
      target: e.to.node,
      targetHandle: e.to.port,
    })),
    groups: structuredClone(graph.groups ?? []),
  };
}

/** Parse graph JSON text (an import, a dropped file, a PNG's text chunk); throws with a readable message. */
export function parseGraphText(text: string): Graph {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  // accept a saved record too ({id, title, graph, ...}) so an API response can be imported as is
  if (raw && typeof raw === 'object' && 'graph' in raw && !('nodes' in raw)) raw = (raw as { graph: unknown }).graph;
  const r = GraphSchema.safeParse(raw);
  if (!r.success) throw new Error(`not a studio graph: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * Why a link may not be made, or null when it may. The same rule as the server's validation
 * (portsCompatible), plus what the canvas can see at once: self links and cycles. An input that
 * is already linked is not a problem: the new link replaces the old one.
 */
export function connectionProblem(c: Connection | Edge, nodes: StudioNode[], edges: Edge[], catalogue: Catalogue | null): string | null {
  const from = nodes.find((n) => n.id === c.source);
  const to = nodes.find((n) => n.id === c.target);
  if (!from || !to) return 'unknown node';
  if (from.id === to.id) return 'a node cannot feed itself';
  const out = declOf(catalogue, from.data.type)?.outputs.find((p) => p.name === c.sourceHandle);
  const inp = declOf(catalogue, to.data.type)?.inputs.find((p) => p.name === c.targetHandle);
  if (!out || !inp) return 'links go from an output (right side) to an input (left side)';
  if (!portsCompatible(out.type, inp.type)) return `${describePortType(out.type)} cannot feed ${describePortType(inp.type)} (${to.data.type}.${inp.name})`;
  if (reaches(to.id, from.id, edges)) return 'this link would make a cycle';
  return null;
}

function reaches(start: string, target: string, edges: Edge[]): boolean {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const e of edges) if (e.source === id) stack.push(e.target);
  }
  return false;
}

/** Add a link, replacing whatever fed the same input before. */
export function addLink(edges: Edge[], c: Connection): Edge[] {
  const kept = edges.filter((e) => !(e.target === c.target && e.targetHandle === c.targetHandle));
  return [...kept, { id: edgeId(c.source, c.sourceHandle ?? '', c.target, c.targetHandle ?? ''), source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle }];
}

/** Copies of `nodes` (and the edges among them) with fresh ids, moved by `offset`, selected. */
export function duplicate(nodes: StudioNode[], edges: Edge[], taken: Iterable<string>, offset: number): { nodes: StudioNode[]; edges: Edge[] } {
  const used = new Set(taken);
  const ids = new Map<string, string>();
  const copies = nodes.map((n) => {
    const id = newNodeId(n.data.type, used);
    used.add(id);
    ids.set(n.id, id);
    return { ...n, id, selected: true, position: { x: n.position.x + offset, y: n.position.y + offset }, data: structuredClone(n.data) };
  });
  const links = edges
    .filter((e) => ids.has(e.source) && ids.has(e.target))
    .map((e) => {
      const source = ids.get(e.source)!;
      const target = ids.get(e.target)!;
      return { ...e, id: edgeId(source, e.sourceHandle ?? '', target, e.targetHandle ?? ''), source, target, selected: false };
    });
  return { nodes: copies, edges: links };
}

/** Node ids in run order (topological, ties in canvas order); nodes on a cycle come last. */
export function runOrder(nodes: StudioNode[], edges: Edge[]): string[] {
  const indeg = new Map(nodes.map((n) => [n.id, 0]));
  for (const e of edges) if (indeg.has(e.target) && indeg.has(e.source)) indeg.set(e.target, indeg.get(e.target)! + 1);
  const order: string[] = [];
  const ready = nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const n of nodes) {
      if (!edges.some((e) => e.source === id && e.target === n.id)) continue;
      const d = indeg.get(n.id)! - edges.filter((e) => e.source === id && e.target === n.id).length;
      indeg.set(n.id, d);
      if (d === 0) ready.push(n.id);
    }
  }
  return [...order, ...nodes.map((n) => n.id).filter((id) => !order.includes(id))];
}

/**
 * The links that lead into `nodeId`, directly or through other nodes, nearest first (breadth
 * first, each node once): what fed a node, e.g. the prompt behind a decoder, or the diffusion
 * node behind a CLIP encode on the map.
 */
export function upstream<L extends Pick<Edge, 'source' | 'target'>>(edges: readonly L[], nodeId: string): L[] {
  const seen = new Set([nodeId]);
  const out: L[] = [];
  const queue = [nodeId];
  for (let q = 0; q < queue.length; q++) {
    for (const e of edges) {
      if (e.target !== queue[q] || seen.has(e.source)) continue;
      seen.add(e.source);
      out.push(e);
      queue.push(e.source);
    }
  }
  return out;
}

/**
 * The free place nearest `p` for a new node (about w×h), so a clicked-in node never hides another.
 * Side by side is preferred to below: cards grow downwards once a run fills them with outputs.
 */
export function freeSpot(p: { x: number; y: number }, nodes: StudioNode[], w = 240, h = 110, view?: { x0: number; y0: number; x1: number; y1: number }): { x: number; y: number } {
  // a card with outputs grows when it runs (frames, plots): keep room below it for that
  const boxes = nodes.map((n) => ({ x: n.position.x, y: n.position.y, w: n.measured?.width ?? 240, h: Math.max(n.measured?.height ?? 120, n.data.type === 'note' ? 0 : 320) }));
  const free = (q: { x: number; y: number }) => boxes.every((b) => q.x + w + 16 <= b.x || b.x + b.w + 16 <= q.x || q.y + h + 16 <= b.y || b.y + b.h + 16 <= q.y);
  const candidates: { x: number; y: number }[] = [];
  for (let i = -3; i <= 3; i++) for (let j = -6; j <= 12; j++) candidates.push({ x: p.x + i * (w + 30), y: p.y + j * 50 });
  // right before left at the same distance: graphs read left to right
  const cost = (q: { x: number; y: number }) => Math.hypot(q.x - p.x, (q.y - p.y) * 4) + (q.x < p.x ? 1 : 0);
  candidates.sort((a, b) => cost(a) - cost(b));
  // somewhere the user can see first, anywhere free after that
  const visible = (q: { x: number; y: number }) => !view || (q.x >= view.x0 && q.x + w <= view.x1 && q.y >= view.y0 && q.y + h <= view.y1);
  return candidates.find((q) => free(q) && visible(q)) ?? candidates.find(free) ?? { x: p.x + 30, y: p.y + 30 };
}

/**
 * Columns by depth (longest path from an input), each column stacked top to bottom in its
 * current order with the cards' measured heights, so cards that grew with their outputs stop
 * covering each other. Notes (no ports) stay where they are.
 */
export function tidy(nodes: StudioNode[], edges: Edge[], gapX = 60, gapY = 28): StudioNode[] {
  const linked = new Set(edges.flatMap((e) => [e.source, e.target]));
  const depth = new Map<string, number>();
  for (const id of runOrder(nodes, edges)) {
    const preds = edges.filter((e) => e.target === id).map((e) => (depth.get(e.source) ?? 0) + 1);
    depth.set(id, Math.max(0, ...preds));
  }
  const moving = nodes.filter((n) => linked.has(n.id));
  if (!moving.length) return nodes;
  const left = Math.min(...moving.map((n) => n.position.x));
  const top = Math.min(...moving.map((n) => n.position.y));
  const widths = new Map<number, number>();
  for (const n of moving) widths.set(depth.get(n.id)!, Math.max(widths.get(depth.get(n.id)!) ?? 0, n.measured?.width ?? 240));
  const xs = new Map<number, number>();
  let x = left;
  for (const d of [...widths.keys()].sort((a, b) => a - b)) {
    xs.set(d, x);
    x += widths.get(d)! + gapX;
  }
  const placed = new Map<string, { x: number; y: number }>();
  for (const d of xs.keys()) {
    let y = top;
    for (const n of moving.filter((m) => depth.get(m.id) === d).sort((a, b) => a.position.y - b.position.y)) {
      placed.set(n.id, { x: xs.get(d)!, y });
      y += (n.measured?.height ?? 120) + gapY;
    }
  }
  return nodes.map((n) => (placed.has(n.id) ? { ...n, position: placed.get(n.id)! } : n));
}

// What the canvas shows of bypass and mute: which nodes will not run and why, from the same
// planModes the server plans runs with (protocol/modes.ts). Every card asks on every store
// change (a run's steps too), so the answer is kept for the nodes, edges and catalogue it was
// made from and made again only when one of them changes.
let last: { nodes: StudioNode[]; edges: Edge[]; catalogue: Catalogue | null; held: Map<string, NodeHold> } | null = null;

/** The nodes that will not run (bypassed, muted, skipped after a muted one). */
export function heldNodes(nodes: StudioNode[], edges: Edge[], catalogue: Catalogue | null): Map<string, NodeHold> {
  if (last && last.nodes === nodes && last.edges === edges && last.catalogue === catalogue) return last.held;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const inputs = new Map<string, Map<string, [string, string]>>();
  for (const e of edges) {
    if (!byId.has(e.source) || !byId.has(e.target)) continue;
    let m = inputs.get(e.target);
    if (!m) inputs.set(e.target, (m = new Map()));
    m.set(e.targetHandle ?? '', [e.source, e.sourceHandle ?? '']);
  }
  const { held } = planModes({
    ids: nodes.map((n) => n.id),
    mode: (id) => byId.get(id)?.data.mode,
    decl: (id) => declOf(catalogue, byId.get(id)?.data.type ?? ''),
    inputs: (id) => inputs.get(id),
  });
  last = { nodes, edges, catalogue, held };
  return held;
}
