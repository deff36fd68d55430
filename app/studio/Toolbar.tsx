'use client';
// The top bar's actions. Every button has a visible label or an aria-label and a title with its
// keyboard shortcut.
import { useRef } from 'react';

export interface ToolbarProps {
  readOnly: boolean;
  busy: boolean;
  canUndo: boolean;
  canRedo: boolean;
  saved: boolean;
  dirty: boolean;
  onRun(): void;
  onCancel(): void;
  onUndo(): void;
  onRedo(): void;
  onFit(): void;
  onSave(): void;
  onShare(): void;
  onFork(): void;
  onExport(): void;
  onImport(file: File): void;
  onNotebook(): void;
  onTidy(): void;
  notebook: boolean;
}

export function Toolbar(p: ToolbarProps) {
  const file = useRef<HTMLInputElement>(null);
  return (
    <div className="toolbar" role="toolbar" aria-label="studio actions">
      {!p.readOnly ? (
        <>
          {p.busy ? (
            <button type="button" className="btn danger" onClick={p.onCancel} title="Cancel the run" data-testid="cancel">
              ■ Cancel
            </button>
          ) : (
            <button type="button" className="btn primary" onClick={p.onRun} title="Run the graph (Ctrl+Enter)" data-testid="run">
              ▶ Run
            </button>
          )}
          <button type="button" className="btn" onClick={p.onUndo} disabled={!p.canUndo} title="Undo (Ctrl+Z)" aria-label="undo">
            ↶
          </button>
          <button type="button" className="btn" onClick={p.onRedo} disabled={!p.canRedo} title="Redo (Ctrl+Shift+Z)" aria-label="redo">
            ↷
          </button>
        </>
      ) : null}
      <button type="button" className="btn" onClick={p.onFit} title="Fit the graph in view" aria-label="fit view">
        ⤢
      </button>
      {!p.readOnly ? (
        <button type="button" className="btn" onClick={p.onTidy} title="Tidy: columns by run order, no overlaps" data-testid="tidy">
          Tidy
        </button>
      ) : null}
      <button type="button" className="btn" onClick={p.onNotebook} aria-pressed={p.notebook} title="Notebook view: nodes in run order with their outputs" data-testid="notebook-toggle">
        {p.notebook ? 'Canvas' : 'Notebook'}
      </button>
      <span className="sep" aria-hidden />
      {!p.readOnly ? (
        <button type="button" className="btn" onClick={p.onSave} title="Save (Ctrl+S)" data-testid="save">
          {p.saved ? (p.dirty ? 'Save*' : 'Saved') : 'Save'}
        </button>
      ) : null}
      <button type="button" className="btn" onClick={p.onShare} title="Copy the read-only link" data-testid="share">
        Share
      </button>
      <button type="button" className="btn" onClick={p.onFork} title="Make your own editable copy" data-testid="fork">
        Fork
      </button>
      <button type="button" className="btn" onClick={p.onExport} title="Download the graph as JSON" data-testid="export">
        Export
      </button>
      {!p.readOnly ? (
        <>
          <button type="button" className="btn" onClick={() => file.current?.click()} title="Open a graph JSON or a studio PNG" data-testid="import">
            Import
          </button>
          <input
            ref={file}
            type="file"
            accept="application/json,.json,image/png"
            className="sr-only"
            tabIndex={-1}
            aria-label="import a graph file"
            data-testid="import-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) p.onImport(f);
              e.target.value = '';
            }}
          />
        </>
      ) : null}
    </div>
  );
}
