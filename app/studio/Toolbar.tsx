'use client';
// The top bar's buttons, drawn from the one action table (actions.ts): each has a visible label
// or an aria-label, and a title with its keyboard shortcut. The file input behind Import lives
// here; the Workspace opens it through the table's `pickFile`.
import { Fragment, type ReactNode, type RefObject } from 'react';
import { action, labelOf, tooltip, type ActionId, type ActionState } from './actions';

// the toolbar's order; null is a separator. Run and Cancel share a place: Cancel while busy.
const LAYOUT: (ActionId | null)[] = ['new', null, 'run', 'undo', 'redo', 'fit', 'tidy', 'notebook', 'history', null, 'save', 'share', 'fork', 'export', 'import'];
const TONE: Partial<Record<ActionId, string>> = { run: 'primary', cancel: 'danger' };
// the ids the e2e tests (and people's scripts) find the buttons by
const TEST_ID: Partial<Record<ActionId, string>> = { new: 'new', run: 'run', cancel: 'cancel', tidy: 'tidy', notebook: 'notebook-toggle', history: 'history-toggle', save: 'save', share: 'share', fork: 'fork', export: 'export', import: 'import' };

function ActionButton({ id, s }: { id: ActionId; s: ActionState }) {
  const a = action(id);
  if (a.hidden?.(s)) return null;
  return (
    <button
      type="button"
      className={`btn${TONE[id] ? ` ${TONE[id]}` : ''}`}
      onClick={() => a.run(s)}
      disabled={!a.enabled(s)}
      title={tooltip(a)}
      aria-label={a.aria}
      aria-pressed={id === 'notebook' ? s.notebook : id === 'history' ? s.history : undefined}
      data-testid={TEST_ID[id]}
    >
      {labelOf(a, s)}
    </button>
  );
}

/** `afterRun`: what sits beside Run (the number of runs to queue). */
export function Toolbar({ state, fileInput, onFile, afterRun }: { state: ActionState; fileInput: RefObject<HTMLInputElement | null>; onFile(file: File): void; afterRun?: ReactNode }) {
  return (
    <div className="toolbar" role="toolbar" aria-label="studio actions">
      {LAYOUT.map((id, i) =>
        id === null ? (
          <span key={i} className="sep" aria-hidden />
        ) : (
          <Fragment key={id}>
            <ActionButton id={id === 'run' && state.busy ? 'cancel' : id} s={state} />
            {id === 'run' && !state.readOnly ? afterRun : null}
          </Fragment>
        ),
      )}
      {!state.readOnly ? (
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json,image/png,image/webp"
          className="sr-only"
          tabIndex={-1}
          aria-label="import a graph file"
          data-testid="import-file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) onFile(f);
            e.target.value = '';
          }}
        />
      ) : null}
    </div>
  );
}
