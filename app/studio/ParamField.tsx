'use client';
// One param's editor, chosen by its declared kind: slider + number field within min/max, a dice
// for seeds, a select for enums (samplers), a textarea for multi-line text, a checkbox, an image
// upload (read as a data: URL: a graph never names a file path).
import { useId } from 'react';
import type { ParamDecl } from '../../protocol';

const SEED_MAX = 2 ** 31 - 1;

function NumberField({ p, value, onChange, disabled }: { p: ParamDecl; value: unknown; onChange: (v: unknown) => void; disabled: boolean }) {
  const id = useId();
  const n = typeof value === 'number' ? value : Number(p.default ?? 0);
  const step = p.kind === 'integer' ? 1 : p.max !== undefined && p.min !== undefined ? (p.max - p.min) / 200 : 0.01;
  // a slider only where the range is small enough to steer by hand
  const slider = p.min !== undefined && p.max !== undefined && p.max - p.min <= 10_000 && p.name !== 'seed';
  const clamp = (v: number) => Math.min(p.max ?? Infinity, Math.max(p.min ?? -Infinity, p.kind === 'integer' ? Math.round(v) : v));
  return (
    <div className="field">
      <label htmlFor={id}>{p.title}</label>
      <div className="row">
        {slider ? <input type="range" min={p.min} max={p.max} step={step} value={n} disabled={disabled} aria-label={`${p.title} slider`} onChange={(e) => onChange(clamp(Number(e.target.value)))} /> : null}
        <input
          id={id}
          type="number"
          className="num"
          min={p.min}
          max={p.max}
          step={p.kind === 'integer' ? 1 : 'any'}
          value={Number.isFinite(n) ? n : ''}
          disabled={disabled}
          onChange={(e) => e.target.value !== '' && Number.isFinite(Number(e.target.value)) && onChange(clamp(Number(e.target.value)))}
        />
        {p.name === 'seed' ? (
          <button type="button" className="mini" disabled={disabled} aria-label="random seed" title="random seed" onClick={() => onChange(Math.floor(Math.random() * Math.min(SEED_MAX, p.max ?? SEED_MAX)))}>
            🎲
          </button>
        ) : null}
      </div>
      {p.min !== undefined || p.max !== undefined ? <span className="hint">{p.min ?? '−∞'} … {p.max ?? '∞'}</span> : null}
    </div>
  );
}

export function ParamField({ p, value, onChange, disabled }: { p: ParamDecl; value: unknown; onChange: (v: unknown) => void; disabled: boolean }) {
  const id = useId();
  const desc = p.description ? <span className="hint">{p.description}</span> : null;
  switch (p.kind) {
    case 'number':
    case 'integer':
      return <NumberField p={p} value={value} onChange={onChange} disabled={disabled} />;
    case 'enum':
      return (
        <div className="field">
          <label htmlFor={id}>{p.title}</label>
          <select id={id} value={String(value ?? p.default ?? '')} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
            {(p.options ?? []).map((o) => <option key={o} value={o}>{o}</option>)}
          </select>
          {desc}
        </div>
      );
    case 'boolean':
      return (
        <div className="field check">
          <input id={id} type="checkbox" checked={Boolean(value ?? p.default)} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />
          <label htmlFor={id}>{p.title}</label>
        </div>
      );
    case 'string': {
      const v = String(value ?? p.default ?? '');
      const common = { id, value: v, disabled, maxLength: p.maxLength, onChange: (e: { target: { value: string } }) => onChange(e.target.value) };
      return (
        <div className="field">
          <label htmlFor={id}>{p.title}</label>
          {p.multiline ? <textarea rows={p.name === 'markdown' ? 8 : 3} {...common} /> : <input type="text" {...common} />}
          {desc}
        </div>
      );
    }
    case 'image':
      return (
        <div className="field">
          <label htmlFor={id}>{p.title}</label>
          <input
            id={id}
            type="file"
            accept="image/png,image/jpeg,image/webp"
            disabled={disabled}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (!file) return;
              const r = new FileReader();
              r.onload = () => onChange(String(r.result));
              r.readAsDataURL(file);
            }}
          />
          {typeof value === 'string' && value.startsWith('data:image/') ? <img src={value} alt="uploaded" width={48} height={48} className="upload-preview" /> : null}
          {desc}
        </div>
      );
  }
}
