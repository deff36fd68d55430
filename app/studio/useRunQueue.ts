'use client';
// "Queue N runs": Run runs the graph N times, one after another: the next starts when the one
// before is done (so a client never has more than one run queued at the server, whatever its
// UNCLIP_MAX_QUEUED limits), each with fresh seeds where a seed is set to renew (nodeEdits.ts).
// An error or a cancel stops the rest.
import { useCallback, useEffect, useRef, useState } from 'react';
import { isBusy, type StudioStore } from './store';

/** The most runs one press of Run queues. */
export const MAX_QUEUED_RUNS = 50;

export function useRunQueue(store: StudioStore, runOnce: () => Promise<void> | void) {
  const [count, setCount] = useState(1);
  /** runs still to start after the current one */
  const [left, setLeft] = useState(0);
  const leftRef = useRef(0);
  const once = useRef(runOnce);
  once.current = runOnce;
  const setRest = useCallback((n: number) => {
    leftRef.current = n;
    setLeft(n);
  }, []);
  const next = useCallback(async () => {
    await once.current();
    // refused before it started (a field to fix, nothing to run): the rest are dropped too
    if (!isBusy(store.getState())) setRest(0);
  }, [store, setRest]);

  useEffect(
    () =>
      store.subscribe((s, prev) => {
        if (s.run.phase === prev.run.phase) return;
        if (s.run.phase === 'done' && leftRef.current > 0) {
          setRest(leftRef.current - 1);
          // after the store's subscribers have seen this run end
          setTimeout(() => void next(), 0);
        } else if (s.run.phase === 'error' || s.run.phase === 'cancelled') setRest(0);
      }),
    [store, next, setRest],
  );

  const start = useCallback(() => {
    setRest(Math.max(0, count - 1));
    void next();
  }, [count, next, setRest]);

  return { count, setCount: (n: number) => setCount(Math.min(MAX_QUEUED_RUNS, Math.max(1, Math.round(n) || 1))), left, start };
}
