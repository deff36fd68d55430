'use client';
// Beside Run: how many times Run runs the graph, one after another (useRunQueue.ts), and how
// many of them are still to come.
import { useEffect, useState } from 'react';
import { MAX_QUEUED_RUNS } from './useRunQueue';

export function RunCount({ count, left, onCount }: { count: number; left: number; onCount(n: number): void }) {
  // the text as typed (it may be empty on the way to "12"); a whole number in range is used at once
  const [text, setText] = useState(String(count));
  useEffect(() => setText(String(count)), [count]);
  const edit = (t: string) => {
    setText(t);
    const n = Number(t);
    if (t.trim() && Number.isInteger(n) && n >= 1 && n <= MAX_QUEUED_RUNS) onCount(n);
  };
  return (
    <span className="run-count">
      <span aria-hidden>×</span>
      <input
        type="number"
        min={1}
        max={MAX_QUEUED_RUNS}
        value={text}
        aria-label="runs to queue"
        title="Run the graph this many times, one after another (with a new seed each time where one is set to renew)"
        data-testid="run-count"
        aria-invalid={text !== String(count) ? true : undefined}
        onChange={(e) => edit(e.target.value)}
        onBlur={() => setText(String(count))}
      />
      {left > 0 ? <span className="muted small" data-testid="queue-left">{left} more queued</span> : null}
    </span>
  );
}
