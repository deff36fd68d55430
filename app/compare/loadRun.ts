// One side of the compare page: a pasted ref (lib/runCompare.ts parseRef) fetched as a run,
// replayed through the studio's own event folding (lib/runState.ts), or a message saying why not.
import type { Graph } from '../../protocol';
import { parseRef } from '../lib/runCompare';
import { replay, type RunView } from '../lib/runState';
import { api, ApiError, type StoredRun } from '../studio/api';

export interface LoadedRun {
  ok: true;
  runId: string;
  graphId: string | null;
  /** the saved graph's title, where the ref named a graph */
  title?: string;
  status: string;
  graph: Graph;
  view: RunView;
}
export type Side = LoadedRun | { ok: false; message: string };

const missing = (e: unknown) => e instanceof ApiError && e.status === 404;

function loaded(r: StoredRun, title?: string): LoadedRun {
  return { ok: true, runId: r.id, graphId: r.graphId, title, status: r.status, graph: r.graph, view: replay(r.id, r.events) };
}

async function latestOf(id: string, bare: boolean): Promise<Side> {
  let rec;
  try {
    rec = await api.get(id);
  } catch (e) {
    if (missing(e)) return { ok: false, message: bare ? `no run or graph has the id ${id}` : `no graph ${id}: the share link is wrong, or the graph was deleted` };
    throw e;
  }
  const name = rec.title && rec.title !== 'untitled' ? `"${rec.title}"` : rec.id;
  // asked for only when there is one: runs/latest of a graph never run answers 404
  if (!rec.latestRunId) return { ok: false, message: `graph ${name} has not been run yet: nothing to compare (run it, then compare)` };
  return loaded(await api.latestRun(rec.id), rec.title);
}

/** What `text` names, loaded; never throws (a failed request becomes its message). */
export async function loadRun(text: string): Promise<Side> {
  const ref = parseRef(text);
  try {
    if (ref.kind === 'invalid') return { ok: false, message: ref.message };
    if (ref.kind === 'graph') return await latestOf(ref.id, false);
    try {
      return loaded(await api.run(ref.id));
    } catch (e) {
      if (!missing(e)) throw e;
      if (ref.kind === 'run') return { ok: false, message: `no run ${ref.id}: it never existed, or it is no longer kept (the server keeps a graph's newest runs)` };
    }
    return await latestOf(ref.id, true);
  } catch (e) {
    return { ok: false, message: `could not load ${text.trim().slice(0, 80)}: ${(e as Error).message}` };
  }
}
