'use client';
// Beside Run: how many times Run runs the graph, one after another (useRunQueue.ts), and how
// many of them are still to come.
import { MAX_QUEUED_RUNS } from './useRunQueue';

export function RunCount({ count, left, onCount }: { count: number; left: number; onCount(n: number): void }) {
  return (
    <span className="run-count">
      <span aria-hidden>×</span>
      <input
        type="number"
        min={1}
        max={MAX_QUEUED_RUNS}
        value={count}
        aria-label="runs to queue"
        title="Run the graph this many times, one after another (with a new seed each time where one is set to renew)"
        data-testid="run-count"
        onChange={(e) => onCount(Number(e.target.value))}
      />
      {left > 0 ? <span className="muted small" data-testid="queue-left">{left} more queued</span> : null}
    </span>
  );
}
