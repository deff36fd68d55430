// The differences between two graphs, node by node, for the compare page (/compare): which
// nodes only one has, and for nodes both have, the params whose values differ (with both values)
// and the links only one has. Nodes are matched by id (same id, same type) first; what is left is
// matched by type and position (a graph rebuilt by hand gets fresh ids, but its nodes usually sit
// where they were), the nearest pairs first. Pure: the page renders what this returns.
import type { Graph, GraphNode } from '../../protocol';

/** How far apart (canvas pixels) two nodes of one type may sit and still be taken for the same node. */
export const POSITION_TOLERANCE = 48;

export interface ParamChange {
  name: string;
  /** undefined: the graph does not set it (and no default was known) */
  a: unknown;
  b: unknown;
}

export interface NodeMatch {
  a: GraphNode;
  b: GraphNode;
  by: 'id' | 'position';
  changes: ParamChange[];
}

export interface GraphDiff {
  matched: NodeMatch[];
  onlyA: GraphNode[];
  onlyB: GraphNode[];
  /** links (as `from.port → to.port`, in A's node ids where matched) that only one graph has */
  linksOnlyA: string[];
  linksOnlyB: string[];
  /** no node of one graph matches a node of the other */
  nothingInCommon: boolean;
  /** matched nodes with no param and no link changed, and no node added or removed */
  same: boolean;
}

/** A node type's default params (from the catalogue), so an unset param compares as its default. */
export type DefaultsOf = (type: string) => Record<string, unknown> | undefined;

const dist2 = (a: GraphNode, b: GraphNode) => (a.position.x - b.position.x) ** 2 + (a.position.y - b.position.y) ** 2;

function same(x: unknown, y: unknown): boolean {
  return x === y || JSON.stringify(x) === JSON.stringify(y);
}

function paramChanges(a: GraphNode, b: GraphNode, defaults?: DefaultsOf): ParamChange[] {
  const dA = defaults?.(a.type) ?? {};
  const dB = defaults?.(b.type) ?? {};
  const names = [...new Set([...Object.keys(dA), ...Object.keys(a.params), ...Object.keys(b.params)])];
  const out: ParamChange[] = [];
  for (const name of names) {
    const va = a.params[name] ?? dA[name];
    const vb = b.params[name] ?? dB[name];
    if (!same(va, vb)) out.push({ name, a: va, b: vb });
  }
  return out;
}

export function diffGraphs(a: Graph, b: Graph, defaults?: DefaultsOf): GraphDiff {
  const bById = new Map(b.nodes.map((n) => [n.id, n]));
  const pairs: { a: GraphNode; b: GraphNode; by: NodeMatch['by'] }[] = [];
  const usedB = new Set<string>();
  const leftA: GraphNode[] = [];
  for (const n of a.nodes) {
    const m = bById.get(n.id);
    if (m && m.type === n.type) {
      pairs.push({ a: n, b: m, by: 'id' });
      usedB.add(m.id);
    } else leftA.push(n);
  }
  // the rest by type and position, nearest first
  const candidates: { a: GraphNode; b: GraphNode; d: number }[] = [];
  for (const na of leftA)
    for (const nb of b.nodes)
      if (!usedB.has(nb.id) && nb.type === na.type && dist2(na, nb) <= POSITION_TOLERANCE ** 2) candidates.push({ a: na, b: nb, d: dist2(na, nb) });
  candidates.sort((x, y) => x.d - y.d);
  const usedA = new Set<string>();
  for (const c of candidates) {
    if (usedA.has(c.a.id) || usedB.has(c.b.id)) continue;
    usedA.add(c.a.id);
    usedB.add(c.b.id);
    pairs.push({ a: c.a, b: c.b, by: 'position' });
  }
  const order = new Map(a.nodes.map((n, i) => [n.id, i]));
  pairs.sort((x, y) => order.get(x.a.id)! - order.get(y.a.id)!);
  const matched = pairs.map((p) => ({ ...p, changes: paramChanges(p.a, p.b, defaults) }));

  // links, with B's node ids renamed to their A partners so a renamed node's links still match
  const toA = new Map(matched.map((m) => [m.b.id, m.a.id]));
  const link = (e: Graph['edges'][number], rename?: Map<string, string>) =>
    `${rename?.get(e.from.node) ?? e.from.node}.${e.from.port} → ${rename?.get(e.to.node) ?? e.to.node}.${e.to.port}`;
  const linksA = new Set(a.edges.map((e) => link(e)));
  const linksB = new Set(b.edges.map((e) => link(e, toA)));
  const linksOnlyA = [...linksA].filter((l) => !linksB.has(l));
  const linksOnlyB = [...linksB].filter((l) => !linksA.has(l));

  const onlyA = a.nodes.filter((n) => !pairs.some((p) => p.a === n));
  const onlyB = b.nodes.filter((n) => !usedB.has(n.id));
  return {
    matched,
    onlyA,
    onlyB,
    linksOnlyA,
    linksOnlyB,
    nothingInCommon: matched.length === 0 && a.nodes.length + b.nodes.length > 0,
    same: !onlyA.length && !onlyB.length && !linksOnlyA.length && !linksOnlyB.length && matched.every((m) => !m.changes.length),
  };
}

/** A param value as the diff list shows it: short, and an image upload as a word, not its data URL. */
export function showValue(v: unknown): string {
  if (v === undefined) return '(unset)';
  if (typeof v === 'string') {
    if (v.startsWith('data:')) return `(${v.slice(5, v.indexOf(';') > 0 ? v.indexOf(';') : 20) || 'data'}, ${Math.round(v.length / 1024)} kB)`;
    return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}…` : v);
  }
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** Object keys in one order, so two graphs read back from different places compare as JSON. */
const canonical = (x: unknown): string =>
  JSON.stringify(x, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) : v));

/**
 * The same graph exactly (params, links, positions, groups): saving one in place of the other
 * would change nothing. Keys may come in any order (the server's copy went through its schema).
 */
export function identicalGraphs(a: Graph, b: Graph): boolean {
  return canonical(a) === canonical(b);
}
