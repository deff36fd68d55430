'use client';
// The queue and history panel (the toolbar's History, Alt+H): this browser's runs, newest first,
// each with a thumbnail of its last image output, the graph's title, its state and when it was
// queued. A queued run has Cancel (only that run ends; the others go on); a finished one opens
// on the canvas with its outputs and steps (useReopenRun.ts). Two ticked runs open side by side
// in /compare. It docks beside the canvas (the canvas shrinks, globals.css), and Esc closes it
// (unless a menu or a field outside it takes the key). Data: useRunHistory.ts.
import { useEffect, useRef, useState } from 'react';
import { describe, isFinished } from '../lib/runHistory';
import { useStudio, useStudioApi } from './store';
import { useHistoryRows, type HistoryRow } from './useRunHistory';
import type { PendingRun } from './useRunQueue';
import { typing } from './useShortcuts';

export interface RunHistoryProps {
  /** the runs this tab has still to start, and what the graph is called */
  pending: PendingRun[];
  title: string;
  /** a run is going in this tab: nothing else opens meanwhile */
  busy: boolean;
  onOpen(row: HistoryRow): void;
  onCancel(row: HistoryRow): void;
  onClose(): void;
}

function when(at: number): string {
  const d = new Date(at);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : d.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
}

/** Why a row does not open (its title says), or null where it does. */
function notOpenable(r: HistoryRow, busy: boolean): string | null {
  if (!r.runId) return r.state === 'cancelled' ? 'cancelled before it started: nothing to show' : 'not started yet';
  if (!isFinished(r)) return 'still going';
  if (busy) return 'a run is going in this tab';
  return null;
}

export function RunHistory({ pending, title, busy, onOpen, onCancel, onClose }: RunHistoryProps) {
  const rows = useHistoryRows(useStudioApi(), pending, title);
  // the ticked runs, in the order they were ticked
  const [picked, setPicked] = useState<string[]>([]);
  // a queued run another tab started is that tab's to cancel
  const mine = useStudio((s) => s.run.runId);
  const shown = new Set(rows.map((r) => r.runId));
  const ticked = picked.filter((id) => shown.has(id));
  const compare = () => {
    const [a, b] = ticked.map((id) => rows.find((r) => r.runId === id)!).sort((x, y) => x.at - y.at);
    window.location.assign(`/compare?a=${encodeURIComponent(a!.runId!)}&b=${encodeURIComponent(b!.runId!)}`);
  };
  const box = useRef<HTMLElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return; // a menu or popup closed itself first
      if (typing(e.target) && !box.current?.contains(e.target as Node)) return; // Esc in a field elsewhere is that field's
      close.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <aside ref={box} className="run-history" data-testid="run-history" aria-label="queue and history">
      <header>
        <h2>Runs in this browser</h2>
        <button type="button" className="mini" disabled={ticked.length !== 2} onClick={compare} title="Open the two ticked runs side by side" data-testid="history-compare">
          Compare
        </button>
        <button type="button" className="mini" onClick={onClose} aria-label="close the run history" title="Close (Esc)">
          ×
        </button>
      </header>
      {rows.length === 0 ? <p className="muted small">No runs yet: the runs you start here are listed, newest first.</p> : null}
      <ul>
        {rows.map((r) => {
          const why = notOpenable(r, busy);
          return (
            <li key={r.id} className={`history-entry state-${r.state}`} data-testid="history-entry" data-run-id={r.runId ?? ''} data-state={r.state}>
              <input
                type="checkbox"
                aria-label={`compare ${r.title || 'untitled'}`}
                disabled={!r.runId || (!ticked.includes(r.runId) && ticked.length >= 2)}
                checked={!!r.runId && ticked.includes(r.runId)}
                onChange={(e) => setPicked(e.target.checked ? [...ticked, r.runId!] : ticked.filter((id) => id !== r.runId))}
                data-testid="history-pick"
              />
              <button type="button" className="history-open" disabled={why !== null} title={why ?? 'Show this run on the canvas'} onClick={() => onOpen(r)} data-testid="history-open">
                {r.thumb ? <img src={r.thumb} alt="" className="history-thumb" data-testid="history-thumb" /> : <span className="history-thumb none" aria-hidden />}
                <span className="history-text">
                  <span className="history-title">{r.title || 'untitled'}</span>
                  <span className="history-state" data-testid="history-state">
                    {describe(r)}
                    {r.error && r.state === 'error' && !r.gone ? <span className="muted">: {r.error}</span> : null}
                  </span>
                  <span className="muted small">{when(r.at)}</span>
                  {r.gone ? <span className="history-gone small" data-testid="history-gone">results no longer on the server{r.graph ? ' (its graph opens)' : ''}</span> : null}
                </span>
              </button>
              {r.state === 'queued' && (r.pending || r.runId === mine) ? (
                <button type="button" className="mini" onClick={() => onCancel(r)} data-testid="history-cancel">
                  Cancel
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
