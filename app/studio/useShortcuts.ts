'use client';
// Studio keyboard shortcuts. Ctrl+Enter runs from anywhere (even while typing a prompt); the
// editing keys are left alone while a text field has focus, so Ctrl+Z there undoes typing.
import { useEffect, useRef } from 'react';

export interface ShortcutActions {
  run(): void;
  undo(): void;
  redo(): void;
  copy(): void;
  paste(): void;
  selectAll(): void;
  save(): void;
}

function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function useShortcuts(actions: ShortcutActions, enabled: boolean): void {
  const ref = useRef(actions);
  ref.current = actions;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const a = ref.current;
      const key = e.key.toLowerCase();
      if (key === 'enter') {
        e.preventDefault();
        a.run();
        return;
      }
      if (key === 's') {
        e.preventDefault();
        a.save();
        return;
      }
      if (typing(e.target)) return;
      if (key === 'z' && e.shiftKey) a.redo();
      else if (key === 'z' || key === 'y') (key === 'y' ? a.redo : a.undo)();
      else if (key === 'c') a.copy();
      else if (key === 'v') a.paste();
      else if (key === 'a') a.selectAll();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}
