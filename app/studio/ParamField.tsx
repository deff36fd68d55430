'use client';
// One param's editor, chosen by its declared kind: slider + number field (the field keeps the text
// as typed and says why it is not a value yet, with the range: lib/numberField.ts, store.ts's
// drafts), a dice for seeds, a select for enums (samplers), a textarea for multi-line text, a
// checkbox, an image upload (read as a data: URL: a graph never names a file path).
import { useEffect, useId, useRef, useState } from 'react';
import { paramRange, stringMaxLength, type ParamDecl } from '../../protocol';
import { formatNumber, parseNumberField } from '../lib/numberField';
import { SeedToggle } from './SeedToggle';
import { draftOf, useStudio } from './store';
import { Suggestions } from './Suggestions';

interface FieldProps {
  /** The node the param belongs to (a number field's draft is kept per node and param). */
  nodeId: string;
  p: ParamDecl;
  value: unknown;
  onChange: (v: unknown) => void;
  disabled: boolean;
}

const SEED_MAX = 2 ** 31 - 1;

function NumberField({ nodeId, p, value, onChange, disabled }: FieldProps) {
  const id = useId();
  const draft = useStudio((s) => draftOf(s, nodeId, p.name));
  const setDraft = useStudio((s) => s.setDraft);
  const stored = typeof value === 'number' ? value : Number(p.default ?? 0);
  // the text as typed: never rewritten under the cursor ("0" on the way to "0.5" stays "0")
  const [text, setText] = useState(() => draft?.text ?? formatNumber(stored));
  const seen = useRef(stored);
  useEffect(() => {
    // the value changed elsewhere (slider, dice, undo): show it, unless the text already reads as it
    if (seen.current === stored) return;
    seen.current = stored;
    const r = parseNumberField(text, p);
    if (r.ok && r.value === stored) return;
    setText(formatNumber(stored));
    setDraft(nodeId, p.name, null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stored]);
  const edit = (t: string) => {
    setText(t);
    const r = parseNumberField(t, p);
    if (!r.ok) return setDraft(nodeId, p.name, { nodeId, param: p.name, title: p.title, text: t, message: r.message });
    setDraft(nodeId, p.name, null);
    if (r.value !== stored) {
      seen.current = r.value;
      onChange(r.value);
    }
  };
  const step = p.kind === 'integer' ? 1 : p.max !== undefined && p.min !== undefined ? (p.max - p.min) / 200 : 0.01;
  // a slider only where the range is small enough to steer by hand
  const slider = p.min !== undefined && p.max !== undefined && p.max - p.min <= 10_000 && p.name !== 'seed';
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{p.title}</label>
      <div className="row">
        {slider ? <input type="range" min={p.min} max={p.max} step={step} value={Number.isFinite(stored) ? stored : 0} disabled={disabled} aria-label={`${p.title} slider`} onChange={(e) => onChange(p.kind === 'integer' ? Math.round(Number(e.target.value)) : Number(e.target.value))} /> : null}
        <input
          id={id}
          type="text"
          inputMode={p.kind === 'integer' ? 'numeric' : 'decimal'}
          className="num"
          value={text}
          disabled={disabled}
          aria-invalid={draft ? true : undefined}
          aria-describedby={draft ? errorId : undefined}
          onChange={(e) => edit(e.target.value)}
        />
        {p.name === 'seed' ? (
          <button type="button" className="mini" disabled={disabled} aria-label="random seed" title="random seed" onClick={() => onChange(Math.floor(Math.random() * Math.min(SEED_MAX, p.max ?? SEED_MAX)))}>
            🎲
          </button>
        ) : null}
      </div>
      {draft ? (
        <span className="field-error" id={errorId} role="alert" data-testid={`field-error-${p.name}`}>
          {draft.message}
        </span>
      ) : p.min !== undefined || p.max !== undefined ? (
        <span className="hint">{paramRange(p)}</span>
      ) : null}
      {p.name === 'seed' ? <SeedToggle nodeId={nodeId} param={p.name} disabled={disabled} /> : null}
    </div>
  );
}

/** Text; a prompt counts its characters against the server's limit (the catalogue's limits). */
function StringField({ p, value, onChange, disabled }: FieldProps) {
  const id = useId();
  const limits = useStudio((s) => s.catalogue?.limits);
  const max = limits ? stringMaxLength(p, limits) : p.maxLength;
  const v = String(value ?? p.default ?? '');
  const common = { id, value: v, disabled, maxLength: max, onChange: (e: { target: { value: string } }) => onChange(e.target.value) };
  return (
    <div className="field">
      <label htmlFor={id}>{p.title}</label>
      {p.multiline ? <textarea rows={p.name === 'markdown' ? 8 : 3} {...common} /> : <input type="text" {...common} />}
      {p.limit === 'text' && max !== undefined ? (
        <span className={`hint counter${v.length > max * 0.9 ? ' near' : ''}`} data-testid={`count-${p.name}`}>
          {v.length} / {max} characters
        </span>
      ) : null}
      <Suggestions p={p} value={v} onChange={onChange} disabled={disabled} />
      {p.description ? <span className="hint">{p.description}</span> : null}
    </div>
  );
}

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

/** Whether the browser can read `file` as a PNG, JPEG or WebP image (its type and its bytes). */
async function readableImage(file: File): Promise<boolean> {
  if (!IMAGE_TYPES.includes(file.type)) return false;
  try {
    (await createImageBitmap(file)).close();
    return true;
  } catch {
    return false;
  }
}

/** An upload, read as a data: URL; a file that is not an image is refused here (as a draft: shown on the card, blocking Run), never sent. */
function ImageField({ nodeId, p, value, onChange, disabled }: FieldProps) {
  const id = useId();
  const draft = useStudio((s) => draftOf(s, nodeId, p.name));
  const setDraft = useStudio((s) => s.setDraft);
  const pick = async (file: File) => {
    if (!(await readableImage(file))) return setDraft(nodeId, p.name, { nodeId, param: p.name, title: p.title, text: file.name, message: 'not a PNG, JPEG or WebP image' });
    const r = new FileReader();
    r.onload = () => {
      setDraft(nodeId, p.name, null);
      onChange(String(r.result));
    };
    r.readAsDataURL(file);
  };
  return (
    <div className="field">
      <label htmlFor={id}>{p.title}</label>
      <input id={id} type="file" accept={IMAGE_TYPES.join(',')} disabled={disabled} aria-invalid={draft ? true : undefined} onChange={(e) => e.target.files?.[0] && void pick(e.target.files[0])} />
      {draft ? (
        <span className="field-error" role="alert" data-testid={`field-error-${p.name}`}>
          {draft.text}: {draft.message}
        </span>
      ) : typeof value === 'string' && value.startsWith('data:image/') ? (
        <img src={value} alt="uploaded" width={48} height={48} className="upload-preview" />
      ) : null}
      {p.description ? <span className="hint">{p.description}</span> : null}
    </div>
  );
}

export function ParamField({ nodeId, p, value, onChange, disabled }: FieldProps) {
  const id = useId();
  const desc = p.description ? <span className="hint">{p.description}</span> : null;
  switch (p.kind) {
    case 'number':
    case 'integer':
      return <NumberField nodeId={nodeId} p={p} value={value} onChange={onChange} disabled={disabled} />;
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
    case 'string':
      return <StringField nodeId={nodeId} p={p} value={value} onChange={onChange} disabled={disabled} />;
    case 'image':
      return <ImageField nodeId={nodeId} p={p} value={value} onChange={onChange} disabled={disabled} />;
  }
}
