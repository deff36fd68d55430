'use client';
// One line under the top bar: what the run is doing (or why it was refused), the last notice,
// the share link once there is one, and on the share page that it is read-only (and, for a
// graph never run, that it has no results yet, with Run in a fork; for one that ran, Compare with…).
import { useShallow } from 'zustand/react/shallow';
import { compareUrl, refParam } from '../lib/runCompare';
import { useStudio } from './store';

export interface RunStatusProps {
  notice: { text: string; bad?: boolean } | null;
  link: string | null;
  readOnly: boolean;
  title?: string;
  /** the share page of a graph that has never run */
  notRun?: boolean;
  onRunInFork?(): void;
  /** the share page's graph: "Compare with…" opens /compare with it as A */
  viewId?: string;
}

export function RunStatus({ notice, link, readOnly, title, notRun, onRunInFork, viewId }: RunStatusProps) {
  // only what the line says: it re-renders when a node finishes, not at every step
  const view = useStudio(
    useShallow((s) => {
      const n = Object.values(s.run.nodes);
      return { phase: s.run.phase, position: s.run.position, ms: s.run.ms, error: s.run.error?.message, why: s.run.cancelReason, total: n.length, done: n.filter((x) => x.status === 'done').length };
    }),
  );
  let run: string | null = null;
  if (view.phase === 'starting') run = 'starting…';
  else if (view.phase === 'queued') run = `queued${view.position ? ` (${view.position} ahead)` : ''}`;
  else if (view.phase === 'running') run = `running · ${view.done}/${view.total} nodes done`;
  else if (view.phase === 'done') run = `done in ${Math.round(view.ms ?? 0)} ms`;
  else if (view.phase === 'cancelled') run = view.why ? `cancelled: ${view.why}` : 'cancelled';
  else if (view.phase === 'error') run = `refused: ${view.error ?? 'error'}`;
  else if (!readOnly) run = 'ready · Ctrl+Enter runs the graph';
  return (
    <div className="runbar" role="status" aria-live="polite">
      {readOnly ? (
        <span className="readonly-tag" data-testid="read-only">
          read-only{title ? `: ${title}` : ''} · Fork to edit and run
        </span>
      ) : null}
      {viewId && !notRun ? (
        <a className="mini" href={compareUrl(refParam({ kind: 'graph', id: viewId }))} data-testid="compare-with" title="Set this graph's latest run beside another run: param differences, steps, outputs, embeddings">
          Compare with…
        </a>
      ) : null}
      {notRun && view.phase === 'idle' ? (
        <span className="not-run" data-testid="not-run">
          not run yet: no results to show{' '}
          <button type="button" className="btn primary" data-testid="run-in-fork" onClick={onRunInFork} title="Make your own editable copy and run it">
            ▶ Run in a fork
          </button>
        </span>
      ) : null}
      {run ? (
        <span className={`run-phase phase-${view.phase}`} data-testid="run-phase" data-phase={view.phase}>
          {run}
        </span>
      ) : null}
      {notice ? (
        <span className={notice.bad ? 'notice bad' : 'notice'} data-testid="notice">
          {notice.text}
        </span>
      ) : null}
      {link ? (
        <label className="share-link">
          <span>link</span>
          <input readOnly value={link} data-testid="share-link" aria-label="read-only share link" onFocus={(e) => e.target.select()} />
        </label>
      ) : null}
    </div>
  );
}
