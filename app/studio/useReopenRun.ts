'use client';
// Reopen a past run from the history panel: its graph on the canvas and its outputs and step
// history on the cards, as the share page shows a saved graph's last run (replayed from the
// events `GET /api/runs/:runId` answers with). A run of a saved graph this browser may edit
// reopens as that graph (/?g=<id>); its graph as it ran is marked unsaved only where it differs
// from the graph saved now (the next Run saves it first, so the run recorded is of the graph
// saved), so reopening the last run of an unchanged graph leaves nothing to save; any other run opens as an unsaved
// canvas. Where the server no longer has the run, the entry says so and the graph kept in the
// entry (if any) opens without results.
import { useCallback } from 'react';
import { identicalGraphs } from '../lib/graphDiff';
import type { HistoryEntry } from '../lib/runHistory';
import { IDLE_RUN, replay } from '../lib/runState';
import { api, ApiError, editToken, type StoredRun } from './api';
import { isBusy, type StudioStore } from './store';
import type { useRun } from './useRun';
import type { useSaved } from './useSaved';

export interface ReopenDeps {
  store: StudioStore;
  run: ReturnType<typeof useRun>;
  sv: ReturnType<typeof useSaved>;
  dirty: boolean;
  say(text: string, bad?: boolean): void;
  /** the title to show; `unsaved`: the graph shown differs from the saved one */
  onTitle(title: string, unsaved: boolean): void;
  /** the entry's run is no longer on the server */
  markGone(id: string): void;
}

export function useReopenRun({ store, run, sv, dirty, say, onTitle, markGone }: ReopenDeps) {
  return useCallback(
    async (e: HistoryEntry) => {
      if (!e.runId) return;
      if (isBusy(store.getState())) return say('A run is going: wait for it to end (or cancel it) before opening another.', true);
      if (dirty && !window.confirm('Drop the unsaved changes and open this run?')) return;
      let r: StoredRun | null = null;
      try {
        r = await api.run(e.runId);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) return say(`could not open the run: ${(err as Error).message}`, true);
        markGone(e.id);
      }
      const graph = r?.graph ?? e.graph;
      const name = e.title || 'untitled';
      if (!graph) return say(`The results of “${name}” are no longer on the server, and its graph was not kept in this browser.`, true);
      const editable = !!e.graphId && !!editToken(e.graphId);
      // the graph as saved now (null: deleted, or unreachable: then the run's graph is unsaved work)
      const saved = editable ? await api.get(e.graphId!).catch(() => null) : null;
      const ed = store.getState();
      ed.load(graph, { keepHistory: true });
      if (editable) {
        const same = !!saved && identicalGraphs(saved.graph, graph);
        const title = same ? (saved.title === 'untitled' ? '' : saved.title) : e.title;
        sv.adopt(e.graphId!, title);
        window.history.replaceState(null, '', `/?g=${encodeURIComponent(e.graphId!)}`);
        onTitle(title, !same);
      } else {
        sv.reset();
        window.history.replaceState(null, '', '/');
        onTitle(e.title, false);
      }
      run.show(r ? replay(r.id, r.events) : IDLE_RUN);
      ed.requestFit({ follow: true });
      const when = new Date(e.at).toLocaleString();
      say(r ? `Showing the run of “${name}” from ${when}.` : `The results of “${name}” (${when}) are no longer on the server: its graph is open, without them.`, !r);
    },
    [store, run, sv, dirty, say, onTitle, markGone],
  );
}
