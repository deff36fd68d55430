// This browser's runs, newest first, for the queue and history panel (studio/RunHistory.tsx).
// Each run is its own localStorage entry (`unclip:run:<id>`), written only by the tab that
// follows that run, so two tabs never overwrite each other's runs (a tab that read the list,
// changed one entry and wrote the list back would drop what the other tab added in between).
// Bounded: past MAX_HISTORY entries the oldest go. The run's results stay on the server (a saved
// graph's runs in its database, an unsaved graph's among the last UNCLIP_KEEP_RUNS finished
// runs it holds in memory); an entry keeps what the panel shows (title, state, a small
// thumbnail) and the graph where it is small, so it can be opened even when the results are gone.
import type { Graph } from '../../protocol';
import type { RunView } from './runState';

export const MAX_HISTORY = 50;
/** A graph larger than this as JSON (uploads) is not kept in the entry: the run's own copy on the server is used. */
export const MAX_KEPT_GRAPH_CHARS = 64_000;
const PREFIX = 'unclip:run:';

export type HistoryState = 'queued' | 'running' | 'done' | 'error' | 'cancelled';

export interface HistoryEntry {
  /** The run's id, or `local-…` for a queued run cancelled before it reached the server. */
  id: string;
  /** null: the run never reached the server (nothing to reopen or compare). */
  runId: string | null;
  title: string;
  /** The saved graph the run was recorded for (its runs are kept in the server's database). */
  graphId: string | null;
  state: HistoryState;
  /** queued: how many runs are ahead of it at the server */
  position?: number;
  /** running: nodes done of all */
  done?: number;
  total?: number;
  /** when it was queued (ms since the epoch) */
  at: number;
  ms?: number;
  error?: string;
  /** a small PNG data: URL of the run's last image output */
  thumb?: string;
  /** the server no longer has the run's results */
  gone?: boolean;
  graph?: Graph;
}

/** The entry's state from a run's view, or null while it has not started. */
export function stateOf(v: RunView): Pick<HistoryEntry, 'state' | 'position' | 'done' | 'total' | 'ms' | 'error'> | null {
  if (v.phase === 'idle' || v.phase === 'starting') return null;
  if (v.phase === 'queued') return { state: 'queued', position: v.position ?? 0 };
  const nodes = Object.values(v.nodes);
  if (v.phase === 'running') return { state: 'running', done: nodes.filter((n) => n.status === 'done').length, total: nodes.length };
  if (v.phase === 'error') return { state: 'error', error: v.error?.message ?? 'failed' };
  if (v.phase === 'done') return { state: 'done', ms: v.ms ?? 0 };
  return { state: 'cancelled' };
}

export const isFinished = (e: Pick<HistoryEntry, 'state'>) => e.state === 'done' || e.state === 'error' || e.state === 'cancelled';

/** What the panel's state column says. */
export function describe(e: HistoryEntry): string {
  switch (e.state) {
    case 'queued':
      return e.position ? `queued · ${e.position} ahead` : 'queued';
    case 'running':
      return `running ${e.done ?? 0}/${e.total ?? 0}`;
    case 'done':
      return `done · ${fmtMs(e.ms ?? 0)}`;
    case 'error':
      return 'error';
    case 'cancelled':
      return 'cancelled';
  }
}

const fmtMs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** Every entry in `storage`, newest first; unreadable ones are skipped. */
export function readHistory(storage: Storage): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (let i = 0; i < storage.length; i++) {
    const k = storage.key(i);
    if (!k?.startsWith(PREFIX)) continue;
    const e = parse(storage.getItem(k));
    if (e) out.push(e);
  }
  return out.sort((a, b) => b.at - a.at);
}

function parse(raw: string | null): HistoryEntry | null {
  try {
    const e = raw ? (JSON.parse(raw) as HistoryEntry) : null;
    return e && typeof e.id === 'string' && typeof e.at === 'number' && typeof e.state === 'string' ? e : null;
  } catch {
    return null;
  }
}

export function readEntry(storage: Storage, id: string): HistoryEntry | null {
  return parse(storage.getItem(PREFIX + id));
}

/**
 * Writes one entry (merged over what is stored under its id) and drops the oldest past `max`.
 * Returns the entry as written. Over the quota, the oldest entries go until it fits (the
 * thumbnail and graph last of all); with storage off, nothing is kept.
 */
export function putEntry(storage: Storage, patch: Partial<HistoryEntry> & { id: string }, max = MAX_HISTORY): HistoryEntry | null {
  const was = readEntry(storage, patch.id);
  const e = { ...was, ...patch } as HistoryEntry;
  if (e.graph && JSON.stringify(e.graph).length > MAX_KEPT_GRAPH_CHARS) delete e.graph;
  for (let tries = 0; ; tries++) {
    try {
      storage.setItem(PREFIX + e.id, JSON.stringify(e));
      break;
    } catch {
      const oldest = readHistory(storage).filter((x) => x.id !== e.id).at(-1);
      if (oldest && tries < max) storage.removeItem(PREFIX + oldest.id);
      else if (e.graph || e.thumb) (delete e.graph, delete e.thumb);
      else return null;
    }
  }
  for (const old of readHistory(storage).slice(max)) storage.removeItem(PREFIX + old.id);
  return e;
}

/** Whether a `storage` event concerns the history (another tab changed it). */
export const isHistoryKey = (key: string | null) => key === null || key.startsWith(PREFIX);
