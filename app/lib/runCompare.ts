// The compare page's (/compare?a=<ref>&b=<ref>) pure parts: what a pasted ref names, which
// nodes' filmstrips are shown side by side, and which step each strip shows for the one scrubber.
import type { GraphDiff } from './graphDiff';
import type { NodeRun, RunView } from './runState';
import { StepHistory } from './stepHistory';

/**
 * What a ref names: a run (`GET /api/runs/:id`), a saved graph whose latest run is meant (a share
 * link `…/g/<id>`, an editor link `…/?g=<id>`), or a bare id, which is tried as a run and then as
 * a graph (runs and graphs have ids of one shape).
 */
export type Ref = { kind: 'run' | 'graph' | 'run-or-graph'; id: string } | { kind: 'invalid'; message: string };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseRef(text: string): Ref {
  const s = text.trim();
  if (!s) return { kind: 'invalid', message: 'paste a share link or a run id' };
  if (ID.test(s)) return { kind: 'run-or-graph', id: s };
  let url: URL;
  try {
    url = new URL(s, 'http://studio.invalid/');
  } catch {
    return { kind: 'invalid', message: `"${s.slice(0, 80)}" is neither a link nor an id` };
  }
  const path = url.pathname.replace(/\/+$/, '');
  let m: RegExpExecArray | null;
  if ((m = /^\/?g\/([^/]+)$/.exec(path)) || (m = /^\/api\/graphs\/([^/]+)(?:\/runs\/latest)?$/.exec(path))) return idRef('graph', m[1]!);
  if ((m = /^\/api\/runs\/([^/]+)$/.exec(path))) return idRef('run', m[1]!);
  const g = url.searchParams.get('g');
  if ((path === '' || path === '/') && g) return idRef('graph', g);
  return { kind: 'invalid', message: `"${s.slice(0, 80)}" is not a share link (…/g/<id>), an editor link (…/?g=<id>) or a run id` };
}

function idRef(kind: 'run' | 'graph', raw: string): Ref {
  let id = raw;
  try {
    id = decodeURIComponent(raw);
  } catch {
    /* kept as it is: the id test below refuses it */
  }
  return ID.test(id) ? { kind, id } : { kind: 'invalid', message: `"${id.slice(0, 80)}" is not an id` };
}

/** The ref as the page's URL carries it (`/g/<id>` for a graph, the id for a run). */
export function refParam(ref: Ref): string {
  if (ref.kind === 'invalid') return '';
  return ref.kind === 'graph' ? `/g/${ref.id}` : ref.id;
}

/** The compare page's URL for two refs as typed (B may be left to paste: the share page's "Compare with…"). */
export function compareUrl(a: string, b = ''): string {
  const q = new URLSearchParams({ a });
  if (b) q.set('b', b);
  return `/compare?${q.toString().replace(/%2F/g, '/')}`;
}

/**
 * A node served from the output cache in one run streamed no steps there; where the other run
 * ran it with the same cache key, those are its steps (the same outputs), as the studio itself
 * carries them across runs (stepHistory.ts). Returns both runs with such nodes filled in.
 */
export function shareCachedSteps(a: RunView, b: RunView): [RunView, RunView] {
  const fill = (to: RunView, from: RunView): RunView => {
    const h = new StepHistory(Infinity);
    for (const n of Object.values(from.nodes)) h.keep(n);
    let nodes: Record<string, NodeRun> | null = null;
    for (const [id, n] of Object.entries(to.nodes)) {
      if (!n.cached || n.frames.length || n.key === undefined) continue;
      const kept = h.get(n.key);
      if (!kept) continue;
      nodes ??= { ...to.nodes };
      nodes[id] = { ...n, ...kept };
    }
    return nodes ? { ...to, nodes } : to;
  };
  return [fill(a, b), fill(b, a)];
}

export interface FilmPair {
  /** node ids in run A and run B (differ where matched by position) */
  a: string;
  b: string;
  type: string;
  framesA: number;
  framesB: number;
}

/** The matched nodes that have step frames in either run, in A's order. */
export function filmPairs(diff: GraphDiff, a: RunView, b: RunView): FilmPair[] {
  return diff.matched
    .map((m) => ({ a: m.a.id, b: m.b.id, type: m.a.type, framesA: a.nodes[m.a.id]?.frames.length ?? 0, framesB: b.nodes[m.b.id]?.frames.length ?? 0 }))
    .filter((p) => p.framesA > 0 || p.framesB > 0);
}

/** Whether a run has any stored step frame at all. */
export const hasSteps = (run: RunView) => Object.values(run.nodes).some((n) => n.frames.length > 0);

/**
 * The frame a strip of `length` frames shows when the shared scrubber, which runs over `span`
 * positions (the longest strip), is at `at`: the same fraction of the way through, so runs with
 * different step counts stay at the same noise level; equal counts show equal steps.
 */
export function alignedIndex(at: number, span: number, length: number): number {
  if (length <= 1 || span <= 1) return 0;
  return Math.min(length - 1, Math.round((Math.min(Math.max(at, 0), span - 1) * (length - 1)) / (span - 1)));
}

/** A row of final outputs: a node of A and/or its partner in B, each where it made images. */
export interface FinalRow {
  a?: string;
  b?: string;
}

/**
 * The final outputs side by side: each run's nodes that made images and feed no other node (the
 * graph's results), a matched pair on one row, the rest on rows of their own.
 */
export function finalRows(diff: GraphDiff, finalA: string[], finalB: string[]): FinalRow[] {
  const partnerOfA = new Map(diff.matched.map((m) => [m.a.id, m.b.id]));
  const inB = new Set(finalB);
  const rows: FinalRow[] = [];
  const usedB = new Set<string>();
  for (const a of finalA) {
    const b = partnerOfA.get(a);
    if (b !== undefined && inB.has(b)) {
      rows.push({ a, b });
      usedB.add(b);
    } else rows.push({ a });
  }
  for (const b of finalB) if (!usedB.has(b)) rows.push({ b });
  return rows;
}

/** A run's result nodes: those with an image output that no link leaves from, in graph order. */
export function finalImageNodes(graph: { nodes: { id: string }[]; edges: { from: { node: string } }[] }, run: RunView): string[] {
  const feeds = new Set(graph.edges.map((e) => e.from.node));
  return graph.nodes.map((n) => n.id).filter((id) => !feeds.has(id) && Object.values(run.nodes[id]?.outputs ?? {}).some((v) => v.kind === 'image'));
}
