'use client';
// The queue and history panel's data (RunHistory.tsx shows it): this browser's runs from
// localStorage (lib/runHistory.ts), the runs this tab has still to start (useRunQueue.ts), and
// the recording of the runs this tab follows. A run this tab starts gets an entry when the server
// accepts it; the entry follows the run's state (queued with position, running n/N, its end) and,
// once it is done, gets a thumbnail of its last image output. A run the tab shows again (after a
// reload, or reopened) updates its entry if it has one. Another tab's changes arrive as
// `storage` events; entries left queued or running by a tab that went away are asked about at
// the server when the panel opens. The Workspace holds only the recorder and whether the panel
// is open; the entries are read by the panel (useHistoryRows).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { imageList } from '../../protocol';
import { isFinished, putEntry, readEntry, readHistory, isHistoryKey, stateOf, type HistoryEntry } from '../lib/runHistory';
import { replay, type RunView } from '../lib/runState';
import { api, ApiError } from './api';
import type { StudioStore } from './store';
import type { PendingRun, useRunQueue } from './useRunQueue';

/** A row of the panel: a stored entry, or a run this tab has still to start (`pending`). */
export type HistoryRow = HistoryEntry & { pending?: boolean };

export interface HistoryDeps {
  queue: ReturnType<typeof useRunQueue>;
  /** run:cancel of the run this tab follows */
  cancelRun(): void;
  /** what a run started now is called, and the saved graph it is recorded for */
  context(): { title: string; graphId: string | null };
}

const THUMB_PX = 56;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

// Entries change here (put) and in other tabs (`storage` events); the panel, while open, is the
// only reader, so a run's progress re-renders it and not the Workspace.
const changed = new Set<() => void>();

function putEntryHere(patch: Partial<HistoryEntry> & { id: string }): void {
  const s = storage();
  if (s) putEntry(s, patch);
  changed.forEach((f) => f());
}

export function useRunHistory(store: StudioStore, { queue, cancelRun, context }: HistoryDeps) {
  const [open, setOpen] = useState(false);
  const ctx = useRef(context);
  ctx.current = context;
  useRecorder(store, putEntryHere, ctx);
  const { drop, keepGoing } = queue;

  /** Cancel a queued run: one this tab has still to start is dropped, the one at the server is cancelled there. */
  const cancel = useCallback(
    (row: HistoryRow) => {
      if (row.pending) {
        if (!drop(row.id)) return; // it started meanwhile: its own entry has Cancel now
        const { title, graphId } = ctx.current();
        putEntryHere({ id: `local-${Date.now().toString(36)}-${row.id}`, runId: null, title, graphId, state: 'cancelled', at: row.at });
      } else if (row.runId && row.runId === store.getState().run.runId) {
        keepGoing();
        cancelRun();
      }
    },
    [drop, keepGoing, cancelRun, store],
  );

  return { open, toggle: useCallback(() => setOpen((o) => !o), []), close: useCallback(() => setOpen(false), []), cancel, put: putEntryHere };
}

/**
 * The panel's rows: the runs this tab has still to start (`pending`, called `title`), then this
 * browser's entries, kept current. Entries another tab left queued or running are asked about
 * at the server once (the tab may have gone away with them).
 */
export function useHistoryRows(store: StudioStore, pending: PendingRun[], title: string): HistoryRow[] {
  const [stored, setStored] = useState<HistoryEntry[]>([]);
  useEffect(() => {
    const reload = () => {
      const s = storage();
      setStored(s ? readHistory(s) : []);
    };
    reload();
    const onStorage = (e: StorageEvent) => isHistoryKey(e.key) && reload();
    window.addEventListener('storage', onStorage);
    changed.add(reload);
    return () => {
      window.removeEventListener('storage', onStorage);
      changed.delete(reload);
    };
  }, []);

  useEffect(() => {
    const s = storage();
    const mine = store.getState().run.runId;
    for (const e of s ? readHistory(s) : []) {
      if (!e.runId || isFinished(e) || e.runId === mine) continue;
      const id = e.runId;
      api.run(id).then(
        (r) => {
          const st = stateOf(replay(id, r.events));
          if (st && isFinished(st)) putEntryHere({ id, ...st });
        },
        (err: unknown) => err instanceof ApiError && err.status === 404 && putEntryHere({ id, state: 'error', error: 'the server no longer has this run', gone: true }),
      );
    }
  }, [store]);

  return useMemo(() => {
    // the last to start is the newest; each has the run going now and those before it ahead
    const waiting = pending.map((p, i): HistoryRow => ({ id: p.id, runId: null, title, graphId: null, state: 'queued', position: i + 1, at: p.at, pending: true })).reverse();
    return [...waiting, ...stored];
  }, [pending, stored, title]);
}

/** Records the runs this tab follows into their entries (see the file's comment). */
function useRecorder(store: StudioStore, put: (patch: Partial<HistoryEntry> & { id: string }) => void, ctx: { current: HistoryDeps['context'] }) {
  // the run followed now: whether it has an entry, what was last written, its last image
  const live = useRef<{ runId: string; recorded: boolean; sig: string; image?: string; thumbed: boolean } | null>(null);
  useEffect(
    () =>
      store.subscribe((s, prev) => {
        const v = s.run;
        if (v === prev.run || !v.runId) return;
        const st = stateOf(v);
        if (!st) return;
        let l = live.current;
        if (prev.run.phase === 'starting') {
          // accepted by the server just now: a run this tab started
          const { title, graphId } = ctx.current();
          l = live.current = { runId: v.runId, recorded: true, sig: '', thumbed: false };
          put({ id: v.runId, runId: v.runId, title, graphId, at: Date.now(), graph: s.currentGraph(), ...st });
        } else if (l?.runId !== v.runId) {
          const ls = storage();
          const had = ls ? readEntry(ls, v.runId) : null;
          l = live.current = { runId: v.runId, recorded: !!had, sig: '', thumbed: !!had?.thumb };
        }
        if (!l.recorded) return;
        l.image = lastImage(v, prev.run.runId === v.runId ? prev.run : null) ?? l.image;
        const sig = JSON.stringify(st);
        if (sig !== l.sig) {
          l.sig = sig;
          put({ id: v.runId, ...st, gone: false });
        }
        if (isFinished(st) && l.image && !l.thumbed) {
          l.thumbed = true;
          const id = v.runId;
          thumbnail(l.image).then((thumb) => put({ id, thumb }), () => undefined);
        }
      }),
    [store, put, ctx],
  );
}

/** The URL of the newest image output in `v` that `before` did not have yet (every one when there is no `before`). */
function lastImage(v: RunView, before: RunView | null): string | undefined {
  let url: string | undefined;
  for (const [id, n] of Object.entries(v.nodes)) {
    if (!n.outputs || n.outputs === before?.nodes[id]?.outputs) continue;
    for (const out of Object.values(n.outputs)) {
      if (out.kind !== 'image') continue;
      const last = imageList(out.images).at(-1);
      if (typeof last === 'string') url = last;
    }
  }
  return url;
}

/** A small PNG data: URL of the image at `url` (a blob: or data: URL of this page). */
function thumbnail(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const r = Math.min(1, THUMB_PX / Math.max(img.naturalWidth, img.naturalHeight, 1));
      const c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(img.naturalWidth * r));
      c.height = Math.max(1, Math.round(img.naturalHeight * r));
      const g = c.getContext('2d');
      if (!g) return reject(new Error('no 2d canvas'));
      g.drawImage(img, 0, 0, c.width, c.height);
      resolve(c.toDataURL('image/png'));
    };
    img.onerror = () => reject(new Error('thumbnail: image did not load'));
    img.src = url;
  });
}
