'use client';
// Words a string param's declaration suggests (the Text node: the style words the corpus captions
// end in, which steer the models): one button each, adding it to every prompt line.
import type { ParamDecl } from '../../protocol';
import { styleOf, withStyle } from '../lib/styles';

export function Suggestions({ p, value, onChange, disabled }: { p: ParamDecl; value: string; onChange: (v: string) => void; disabled: boolean }) {
  const known = p.suggestions ?? [];
  if (!known.length) return null;
  const current = styleOf(value, known);
  return (
    <div className="suggestions" role="group" aria-label={`${p.title}: styles the models know`} data-testid={`suggestions-${p.name}`}>
      <span className="hint">styles:</span>
      {known.map((s) => (
        <button key={s} type="button" className={`mini chip${s === current ? ' on' : ''}`} disabled={disabled} aria-pressed={s === current} onClick={() => onChange(withStyle(value, s, known))}>
          {s.replace(/ style$/, '')}
        </button>
      ))}
    </div>
  );
}
