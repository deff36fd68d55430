'use client';
// The tab's working copy, so work is never lost: the graph as it stands, its title, which saved
// graph it edits (if any), whether it differs from what was last loaded or saved, and the run
// the tab shows (with the key that makes the tab its owner again). It lives in sessionStorage:
// one per tab, kept across a reload, gone with the tab. Writes come at most every WRITE_MS while
// the graph changes, at once when a run starts (a reload may follow at once), and when the page
// is left. Leaving with unsaved changes asks first (beforeunload).
import { useCallback, useEffect, useRef } from 'react';
import { GraphSchema, type Graph } from '../../protocol';
import type { StudioStore } from './store';

export interface WorkingCopy {
  graph: Graph;
  title: string;
  /** the saved graph this edits (/?g=<id>), or null */
  savedId: string | null;
  /** differs from what was last loaded or saved */
  dirty: boolean;
  /** the run the tab shows; `ownerKey` where the tab started it */
  run: { id: string; ownerKey?: string } | null;
}

const KEY = 'unclip:working-copy';
const WRITE_MS = 400;

export function readWorkingCopy(): WorkingCopy | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    const d = raw ? (JSON.parse(raw) as Partial<WorkingCopy>) : null;
    // what another version of the studio left, or a hand-edited entry, is not loaded
    const graph = GraphSchema.safeParse(d?.graph);
    if (!d || !graph.success) return null;
    return { graph: graph.data, title: typeof d.title === 'string' ? d.title : '', savedId: d.savedId ?? null, dirty: !!d.dirty, run: d.run ?? null };
  } catch {
    return null;
  }
}

export function clearWorkingCopy(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* storage off: nothing was kept */
  }
}

function writeWorkingCopy(d: WorkingCopy | null): void {
  if (!d) return clearWorkingCopy();
  try {
    sessionStorage.setItem(KEY, JSON.stringify(d));
  } catch {
    // over the quota (large uploads) or storage off: an older copy must not come back in its
    // place, so none is kept; the tab works on without one
    clearWorkingCopy();
  }
}

/**
 * Autosaves the working copy while `active` (once the page has restored what it had, so an empty first
 * render never overwrites it). `snapshot` builds it from the current state (null: nothing worth
 * keeping); `revision` is anything outside the store that should trigger a write when it changes
 * (title, saved id, dirty). Returns `leave()`: the page is about to navigate on purpose with its
 * work kept (a fork), so no warning.
 */
export function useAutosave(store: StudioStore, active: boolean, snapshot: () => WorkingCopy | null, revision: string): { leave(): void } {
  const snap = useRef(snapshot);
  snap.current = snapshot;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const leaving = useRef(false);

  const flush = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = undefined;
    writeWorkingCopy(snap.current());
  }, []);
  const schedule = useCallback(() => {
    timer.current ??= setTimeout(flush, WRITE_MS);
  }, [flush]);

  useEffect(() => {
    if (!active) return;
    const unsubscribe = store.subscribe((s, prev) => {
      if (s.run.runId !== prev.run.runId) flush();
      else if (s.nodes !== prev.nodes || s.edges !== prev.edges) schedule();
    });
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      flush();
      if (!leaving.current && snap.current()?.dirty) {
        e.preventDefault();
        e.returnValue = ''; // older browsers need it set to ask
      }
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    window.addEventListener('pagehide', flush);
    return () => {
      unsubscribe();
      window.removeEventListener('beforeunload', onBeforeUnload);
      window.removeEventListener('pagehide', flush);
    };
  }, [active, store, flush, schedule]);

  useEffect(() => {
    if (active) schedule();
  }, [active, revision, schedule]);

  return { leave: useCallback(() => void (leaving.current = true), []) };
}
