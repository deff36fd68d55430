'use client';
// One line under the top bar: what the run is doing (or why it was refused), the last notice,
// the share link once there is one, and on the share page that it is read-only.
import type { RunView } from '../lib/runState';

export function RunStatus({ view, notice, link, readOnly, title }: { view: RunView; notice: { text: string; bad?: boolean } | null; link: string | null; readOnly: boolean; title?: string }) {
  let run: string | null = null;
  if (view.phase === 'starting') run = 'starting…';
  else if (view.phase === 'queued') run = `queued${view.position ? ` (${view.position} ahead)` : ''}`;
  else if (view.phase === 'running') {
    const n = Object.values(view.nodes);
    run = `running · ${n.filter((x) => x.status === 'done').length}/${n.length} nodes done`;
  } else if (view.phase === 'done') run = `done in ${Math.round(view.ms ?? 0)} ms`;
  else if (view.phase === 'cancelled') run = 'cancelled';
  else if (view.phase === 'error') run = `refused: ${view.error?.message ?? 'error'}`;
  else if (!readOnly) run = 'ready · Ctrl+Enter runs the graph';
  return (
    <div className="runbar" role="status" aria-live="polite">
      {readOnly ? (
        <span className="readonly-tag" data-testid="read-only">
          read-only{title ? `: ${title}` : ''} · Fork to edit and run
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
