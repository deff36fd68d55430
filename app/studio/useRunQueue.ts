'use client';
// "Queue N runs": Run runs the graph N times, one after another: the next starts when the one
// before is done (so a client never has more than one run queued at the server, whatever its
// UNCLIP_MAX_QUEUED limits), each with fresh seeds where a seed is set to renew (nodeEdits.ts).
// An error or a cancel stops the rest, except a cancel from the history panel (RunHistory.tsx),
// which ends that one run only: `keepGoing` says so before it cancels. The runs still to start
// are listed (`pending`), so the panel can show each and drop one.
import { useCallback, useEffect, useRef, useState } from 'react';
import { isBusy, type StudioStore } from './store';

/** The most runs one press of Run queues. */
export const MAX_QUEUED_RUNS = 50;

/** A run still to start in this tab: `at` is when Run was pressed. */
export interface PendingRun {
  id: string;
  at: number;
}

let pendingIds = 0;

export function useRunQueue(store: StudioStore, runOnce: () => Promise<void> | void) {
  const [count, setCount] = useState(1);
  /** runs still to start after the current one, first to start first */
  const [pending, setPending] = useState<PendingRun[]>([]);
  const pendingRef = useRef<PendingRun[]>([]);
  const goOn = useRef(false);
  const once = useRef(runOnce);
  once.current = runOnce;
  const setRest = useCallback((p: PendingRun[]) => {
    pendingRef.current = p;
    setPending(p);
  }, []);
  const next = useCallback(async () => {
    await once.current();
    // refused before it started (a field to fix, nothing to run): the rest are dropped too
    if (!isBusy(store.getState())) setRest([]);
  }, [store, setRest]);

  useEffect(
    () =>
      store.subscribe((s, prev) => {
        if (s.run.phase === prev.run.phase) return;
        const cancelledOnly = s.run.phase === 'cancelled' && goOn.current;
        if (s.run.phase === 'done' || s.run.phase === 'cancelled' || s.run.phase === 'error') goOn.current = false;
        if ((s.run.phase === 'done' || cancelledOnly) && pendingRef.current.length > 0) {
          setRest(pendingRef.current.slice(1));
          // after the store's subscribers have seen this run end
          setTimeout(() => void next(), 0);
        } else if (s.run.phase === 'error' || s.run.phase === 'cancelled') setRest([]);
      }),
    [store, next, setRest],
  );

  const start = useCallback(() => {
    const at = Date.now();
    setRest(Array.from({ length: Math.max(0, count - 1) }, () => ({ id: `pending-${++pendingIds}`, at })));
    void next();
  }, [count, next, setRest]);

  /** One run still to start is not run (the others are); false: it has started meanwhile. */
  const drop = useCallback(
    (id: string) => {
      const rest = pendingRef.current.filter((p) => p.id !== id);
      if (rest.length === pendingRef.current.length) return false;
      setRest(rest);
      return true;
    },
    [setRest],
  );
  /** The run going now is about to be cancelled on its own: the runs after it still start. */
  const keepGoing = useCallback(() => void (goOn.current = true), []);

  return {
    count,
    setCount: (n: number) => setCount(Math.min(MAX_QUEUED_RUNS, Math.max(1, Math.round(n) || 1))),
    left: pending.length,
    pending,
    start,
    drop,
    keepGoing,
  };
}
