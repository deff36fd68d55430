// Folds a run's events (live from the socket, or replayed from a stored run) into what each node
// card shows: its state, step n/N, every step frame, outputs and errors. Pure: binary frames and
// images are turned into URLs before they get here (see toImageUrl in useRun.ts), so the share
// page can replay a stored run (data: URLs) through the same code as the live editor.
import type { ErrorCode, NodeError, RunEvent, WireValue } from '../../protocol';

export type NodeStatus = 'idle' | 'queued' | 'running' | 'done' | 'error' | 'cancelled' | 'skipped';

export interface StepFrame {
  step: number;
  total: number;
  t?: number;
  /** image URL (blob: or data:) */
  url?: string;
}

export interface NodeRun {
  status: NodeStatus;
  cached: boolean;
  step?: number;
  total?: number;
  t?: number;
  /** Every step that carried a frame, in order (the filmstrip). */
  frames: StepFrame[];
  /** Every t seen (the schedule plot), even for steps whose frame was skipped. */
  ts: { step: number; t: number }[];
  points?: [number, number][];
  /** Every step that carried map points, in order: an embedding's path (the prior's trajectory). */
  track: { step: number; points: [number, number][] }[];
  /** Every step that carried CLIP embeddings (the decoder's CLIP path: lib/clipPath.ts). */
  clipPath: { step: number; embeddings: number[][] }[];
  outputs?: Record<string, WireValue>;
  error?: { code: ErrorCode | string; message: string; port?: string };
  ms?: number;
  /** The node's output cache key, as node:start / node:cached said (stepHistory.ts keeps steps by it). */
  key?: string;
}

export type RunPhase = 'idle' | 'starting' | 'queued' | 'running' | 'done' | 'cancelled' | 'error';

export interface RunView {
  runId: string | null;
  phase: RunPhase;
  position?: number;
  ms?: number;
  error?: { code: string; message: string };
  nodes: Record<string, NodeRun>;
  /** Problems the server found before running (validation), by node and port. */
  problems: NodeError[];
  /** Why the studio cancelled the run itself (an edit deleted a node or link it uses: lib/runEdits.ts). */
  cancelReason?: string;
  /**
   * Steps kept from earlier runs, by node id: a node that comes back `node:cached` gets its
   * frames, schedule and map track from here (when the cache keys match), so a rerun with only a
   * later seed changed still shows the prior's trajectory and the earlier nodes' filmstrips.
   * useRun.ts fills it from its step history (stepHistory.ts), which outlives any one run.
   */
  carried?: Record<string, NodeRun>;
  /**
   * A sweep's variants (protocol/sweep.ts), by index: each variant's nodes as its own events made
   * them (the sweep card's grid and per-cell filmstrips). `nodes` shows variant 0.
   */
  variants?: Record<string, NodeRun>[];
}

export const IDLE_RUN: RunView = { runId: null, phase: 'idle', nodes: {}, problems: [] };

export function emptyNode(status: NodeStatus = 'idle'): NodeRun {
  return { status, cached: false, frames: [], ts: [], track: [], clipPath: [] };
}

/** A run has been accepted: every node that runs something is queued. `carried`: the last run's nodes. */
export function startRun(runId: string, nodeIds: string[], carried: Record<string, NodeRun> = {}): RunView {
  return { runId, phase: 'queued', nodes: Object.fromEntries(nodeIds.map((id) => [id, emptyNode('queued')])), problems: [], carried };
}

export function refused(code: string, message: string, problems: NodeError[]): RunView {
  return { runId: null, phase: 'error', error: { code, message }, nodes: {}, problems };
}

type NodeLevelEvent = Extract<RunEvent, { event: 'node:start' | 'node:cached' | 'node:step' | 'node:output' | 'node:error' }>;

export function applyEvent(state: RunView, ev: RunEvent): RunView {
  if (state.runId !== null && ev.payload.runId !== state.runId) return state; // another run's late event
  switch (ev.event) {
    case 'run:queued':
      return { ...state, phase: 'queued', position: ev.payload.position };
    case 'node:start':
    case 'node:cached':
    case 'node:step':
    case 'node:output':
    case 'node:error': {
      const phase = ev.event === 'node:start' || ev.event === 'node:cached' ? 'running' : state.phase;
      const v = ev.payload.variant;
      if (v === undefined) return { ...state, phase, nodes: foldNode(state.nodes, state.carried, ev) };
      // a sweep's variant: its own nodes, and variant 0 also in `nodes` (the cards)
      const variants = [...(state.variants ?? [])];
      const carried = ev.event === 'node:cached' ? { ...state.carried, ...sameKeyElsewhere(variants, ev.payload.nodeId, ev.payload.key) } : state.carried;
      variants[v] = foldNode(variants[v] ?? {}, carried, ev);
      return { ...state, phase, variants, nodes: v === 0 ? foldNode(state.nodes, state.carried, ev) : state.nodes };
    }
    case 'run:done': {
      const nodes = { ...state.nodes };
      for (const [id, ms] of Object.entries(ev.payload.timings ?? {})) if (nodes[id]) nodes[id] = { ...nodes[id]!, ms };
      for (const id of ev.payload.cached ?? []) if (nodes[id]) nodes[id] = { ...nodes[id]!, status: 'done', cached: true };
      // a node the run finished without touching says so, rather than looking queued forever
      return { ...state, phase: 'done', ms: ev.payload.ms, nodes: settle(nodes, 'skipped'), ...settleVariants(state, 'skipped') };
    }
    case 'run:cancelled':
      return { ...state, phase: 'cancelled', nodes: settle(state.nodes, 'cancelled'), ...settleVariants(state, 'cancelled') };
    case 'run:error':
      return { ...state, phase: 'error', error: { code: ev.payload.code, message: ev.payload.message }, nodes: settle(state.nodes, 'idle'), ...settleVariants(state, 'idle') };
  }
}

/** One node event folded into a map of nodes; `carried`: steps a cached node may show again (by key). */
function foldNode(nodes: Record<string, NodeRun>, carried: Record<string, NodeRun> | undefined, ev: NodeLevelEvent): Record<string, NodeRun> {
  const node = (id: string, f: (n: NodeRun) => NodeRun) => ({ ...nodes, [id]: f(nodes[id] ?? emptyNode()) });
  switch (ev.event) {
    case 'node:start': {
      const key = ev.payload.key;
      return node(ev.payload.nodeId, () => (key === undefined ? emptyNode('running') : { ...emptyNode('running'), key }));
    }
    case 'node:cached': {
      const { nodeId, key } = ev.payload;
      const was = carried?.[nodeId];
      // with a key, only steps kept under that same key are the cached outputs' steps
      const keep = was && (key === undefined || was.key === key) ? { frames: was.frames, ts: was.ts, track: was.track, clipPath: was.clipPath, points: was.points, step: was.step, total: was.total, t: was.t } : {};
      return node(nodeId, (n) => ({ ...n, ...keep, status: 'done', cached: true, ...(key === undefined ? {} : { key }) }));
    }
    case 'node:step': {
      const p = ev.payload;
      return node(p.nodeId, (n) => ({
        ...n,
        status: 'running',
        step: p.step,
        total: p.total,
        t: p.t,
        frames: typeof p.frame === 'string' ? [...n.frames, { step: p.step, total: p.total, t: p.t, url: p.frame }] : n.frames,
        ts: p.t !== undefined ? [...n.ts, { step: p.step, t: p.t }] : n.ts,
        points: p.points ?? n.points,
        track: p.points ? [...n.track, { step: p.step, points: p.points }] : n.track,
        clipPath: p.embeddings ? [...n.clipPath, { step: p.step, embeddings: p.embeddings }] : n.clipPath,
      }));
    }
    case 'node:output':
      return node(ev.payload.nodeId, (n) => ({ ...n, status: 'done', outputs: ev.payload.outputs }));
    case 'node:error': {
      const p = ev.payload;
      return node(p.nodeId, (n) => ({ ...n, status: 'error', error: p.port ? { code: p.code, message: p.message, port: p.port } : { code: p.code, message: p.message } }));
    }
  }
}

/** A node another variant ran under the same key (a sweep's cache hit shows the steps that variant streamed). */
function sameKeyElsewhere(variants: (Record<string, NodeRun> | undefined)[], nodeId: string, key: string | undefined): Record<string, NodeRun> {
  if (key === undefined) return {};
  const ran = variants.find((v) => v?.[nodeId]?.key === key && v[nodeId]!.frames.length > 0)?.[nodeId];
  return ran ? { [nodeId]: ran } : {};
}

/**
 * The variant of this run whose events streamed the steps `nodeId` shows in `variant` (the server
 * animates those: `?variant=N`): that variant, or for a cache hit the one that ran under the same
 * key; -1 when none of this run did (the steps came from an earlier run, or are still coming).
 */
export function streamedVariant(variants: RunView['variants'], nodeId: string, variant: number): number {
  const shown = variants?.[variant]?.[nodeId];
  if (!variants || !shown || shown.status !== 'done') return -1;
  return variants.findIndex((v) => {
    const n = v?.[nodeId];
    return !!n && !n.cached && n.frames.length > 0 && n.key === shown.key;
  });
}

function settleVariants(state: RunView, to: NodeStatus): Pick<RunView, 'variants'> {
  return state.variants ? { variants: [...state.variants].map((v) => settle(v ?? {}, to)) } : {};
}

/** Nodes still waiting or running when a run ends become `to`. */
function settle(nodes: Record<string, NodeRun>, to: NodeStatus): Record<string, NodeRun> {
  const out: Record<string, NodeRun> = {};
  for (const [id, n] of Object.entries(nodes)) out[id] = n.status === 'queued' || n.status === 'running' ? { ...n, status: to } : n;
  return out;
}

/** Replay a stored run's events (binary already as data: URLs). */
export function replay(runId: string, events: RunEvent[]): RunView {
  let s: RunView = { ...IDLE_RUN, runId, phase: 'queued' };
  for (const ev of events) s = applyEvent(s, ev);
  return s;
}

/**
 * The problems that concern one node: the run's validation problems (`RunView.problems`) that
 * name it, and its own error while running (`node`: its NodeRun).
 */
export function problemsFor(problems: NodeError[], nodeId: string, node: NodeRun | undefined): { code: string; message: string; port?: string }[] {
  const out: { code: string; message: string; port?: string }[] = problems.filter((p) => p.nodeId === nodeId);
  const e = node?.error;
  if (e) out.push(e);
  return out;
}
