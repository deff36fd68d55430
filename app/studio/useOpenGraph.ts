'use client';
// What a page shows when it opens. The share page: its saved graph and the latest run (followed
// live if it is still going), or that it has never run. The editor: the saved graph of
// /?g=<id> (after a save or fork; with this tab's unsaved edits of it where the tab's working copy has
// some), else the tab's working copy (a reload), else nothing (the examples); with the run the tab
// showed, followed again (its owner key makes the tab its owner again). `?run=1` (Run in a
// fork) asks the Workspace to run the graph once it can.
import { useCallback, useEffect, useState } from 'react';
import { IDLE_RUN, replay } from '../lib/runState';
import { api, editToken, type SavedGraph } from './api';
import type { StudioStore } from './store';
import { readWorkingCopy, type WorkingCopy } from './useAutosave';
import type { useRun } from './useRun';
import type { useSaved } from './useSaved';

export interface OpenDeps {
  /** the share page's graph */
  viewId?: string;
  store: StudioStore;
  run: ReturnType<typeof useRun>;
  sv: ReturnType<typeof useSaved>;
  say(text: string, bad?: boolean): void;
  /** the title to show; `unsaved`: the graph shown differs from the saved one (restored edits) */
  onTitle(title: string, unsaved: boolean): void;
}

export interface Opened {
  /** the page shows what it had (from here on the autosave may write) */
  ready: boolean;
  /** the share page of a graph that has never run */
  notRun: boolean;
  /** opened by Run in a fork: run once the catalogue and the connection are there */
  runOnOpen: boolean;
  ranOnOpen(): void;
}

export function useOpenGraph({ viewId, store, run, sv, say, onTitle }: OpenDeps): Opened {
  const [ready, setReady] = useState(false);
  const [notRun, setNotRun] = useState(false);
  const [runOnOpen, setRunOnOpen] = useState(false);
  const ed = store.getState();

  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    const mine = viewId ? null : readWorkingCopy();
    const id = viewId ?? params.get('g') ?? mine?.savedId ?? null;
    const resume = (d: WorkingCopy, onGone: () => void) => d.run && run.follow(d.run.id, [], onGone, d.run.ownerKey);
    if (!id) {
      if (mine) {
        ed.load(mine.graph);
        onTitle(mine.title, mine.dirty);
        ed.requestFit({ follow: true });
        resume(mine, () => run.show(IDLE_RUN));
      }
      setReady(true);
      return;
    }
    if (!viewId && !editToken(id)) {
      window.location.replace(`/g/${encodeURIComponent(id)}`); // not ours to edit: the read-only page
      return;
    }
    if (!viewId) window.history.replaceState(null, '', `/?g=${encodeURIComponent(id)}`);
    let live = true;
    /** The saved graph's latest run, asked for only when there is one. */
    const showLatest = (rec: SavedGraph) => {
      if (!rec.latestRunId) return setNotRun(!!viewId);
      api.latestRun(rec.id).then(
        (r) => {
          if (!live) return;
          if (r.status === 'running' || r.status === 'queued') run.watch(r.id, replay(r.id, r.events));
          else run.show(replay(r.id, r.events));
        },
        () => undefined,
      );
    };
    api
      .get(id)
      .then((rec) => {
        if (!live) return;
        const ours = mine?.savedId === id ? mine : null;
        const edits = ours?.dirty ? ours : null;
        ed.load(edits ? edits.graph : rec.graph);
        sv.adopt(rec.id, rec.title);
        onTitle(edits ? edits.title : rec.title === 'untitled' ? '' : rec.title, !!edits);
        // the run's outputs make the cards taller as they are drawn: follow them until the user moves
        ed.requestFit({ follow: true });
        if (!ours?.run) showLatest(rec);
        else resume(ours, () => showLatest(rec));
        if (params.get('run') === '1') setRunOnOpen(true);
      })
      .catch((e: Error) => say(`could not open graph ${id}: ${e.message}`, true))
      .finally(() => live && setReady(true));
    return () => {
      live = false;
    };
    // opened once per page (the share page's id never changes under it)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [viewId]);

  return { ready, notRun, runOnOpen, ranOnOpen: useCallback(() => setRunOnOpen(false), []) };
}
