'use client';
// The canvas's right-click menu: entries from the one action table (actions.ts), so a menu entry,
// its toolbar button and its key share their title, shortcut and whether they may run. Arrows
// move, Enter runs, Esc (or a click elsewhere) closes.
import { useEffect, useRef } from 'react';
import { action, keysOf, labelOf, type ActionId, type ActionState } from './actions';

/** What each menu offers, in order; null is a separator. */
export const NODE_MENU: (ActionId | null)[] = ['rename', 'collapse', 'duplicate', 'copy', 'delete', null, 'bypass', 'mute', 'group', 'ungroup', null, 'run'];
export const PANE_MENU: (ActionId | null)[] = ['search', 'paste', 'selectAll', null, 'run', 'tidy', 'fit', 'undo', 'redo'];

export interface MenuAt {
  kind: 'node' | 'pane';
  /** px from the canvas's top left */
  x: number;
  y: number;
}

export function ContextMenu({ at, state, onClose }: { at: MenuAt; state: ActionState; onClose(): void }) {
  const box = useRef<HTMLDivElement>(null);
  const items = (at.kind === 'node' ? NODE_MENU : PANE_MENU).filter((id) => id === null || !action(id).hidden?.(state));
  useEffect(() => {
    box.current?.querySelector<HTMLElement>('[role=menuitem]:not([disabled])')?.focus();
    const away = (e: PointerEvent) => !box.current?.contains(e.target as Node) && onClose();
    window.addEventListener('pointerdown', away, true);
    return () => window.removeEventListener('pointerdown', away, true);
  }, [onClose]);
  const onKey = (e: React.KeyboardEvent) => {
    const all = [...(box.current?.querySelectorAll<HTMLElement>('[role=menuitem]:not([disabled])') ?? [])];
    const i = all.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      all[(i + (e.key === 'ArrowDown' ? 1 : all.length - 1)) % all.length]?.focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      onClose();
    }
  };
  return (
    <div ref={box} className="context-menu panel" role="menu" aria-label={`${at.kind} actions`} data-testid="context-menu" style={{ left: at.x, top: at.y }} onKeyDown={onKey}>
      {items.map((id, i) => {
        if (id === null) return i > 0 && i < items.length - 1 ? <hr key={i} /> : null;
        const a = action(id);
        const keys = keysOf(a);
        return (
          <button
            key={id}
            type="button"
            role="menuitem"
            data-testid={`menu-${id}`}
            disabled={!a.enabled(state)}
            title={a.title}
            onClick={() => {
              // run first: "Add node…" opens the search where this menu is
              a.run(state);
              onClose();
            }}
          >
            <span>{a.menu ?? labelOf(a, state) ?? a.title}</span>
            {keys ? <kbd>{keys}</kbd> : null}
          </button>
        );
      })}
    </div>
  );
}
