'use client';
// Studio keyboard shortcuts, from the one action table (actions.ts). Ctrl+Enter runs from
// anywhere (even while typing a prompt); the editing keys are left alone while a text field has
// focus, so Ctrl+Z there undoes typing.
import { useEffect, useRef } from 'react';
import { actionForKey, type ActionState } from './actions';

/** The key goes to a text field (or a select) being edited. */
export function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function useShortcuts(state: ActionState): void {
  // the listener is added once; it reads the state of the latest render
  const ref = useRef(state);
  ref.current = state;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const s = ref.current;
      const a = actionForKey(e, typing(e.target), s);
      if (!a) return;
      e.preventDefault();
      if (a.enabled(s)) a.run(s);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
