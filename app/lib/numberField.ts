// A number param's field as typed: the raw text is the user's while they edit (never clamped or
// rewritten under their cursor), and becomes the param's value only once it parses as a number the
// declaration allows. Anything else is an error shown on the field with the allowed range, and
// blocks Run (store.ts's field errors). The range and whole-number checks are protocol's, the same
// validateGraph applies on the server.
import { numberParamProblem, paramRange, type ParamDecl } from '../../protocol';

export type FieldParse = { ok: true; value: number } | { ok: false; message: string };

// plain decimal notation as people type it ("8", "-1", "0.5", ".5", "1e-3"); not "0x10" or "1_000"
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

export function parseNumberField(text: string, p: Pick<ParamDecl, 'kind' | 'min' | 'max'>): FieldParse {
  const t = text.trim();
  const range = p.min !== undefined || p.max !== undefined ? ` (${paramRange(p)})` : '';
  if (t === '') return { ok: false, message: `enter a ${p.kind === 'integer' ? 'whole number' : 'number'}${range}` };
  const v = Number(t);
  if (!DECIMAL.test(t) || !Number.isFinite(v)) return { ok: false, message: `“${t}” is not a number${range}` };
  const wrong = numberParamProblem(p, v);
  if (wrong) return { ok: false, message: wrong.code === 'PARAM_OUT_OF_RANGE' ? `${t} is outside ${paramRange(p)}` : `wants a whole number${range}` };
  return { ok: true, value: v };
}

/** The text a field shows for a stored value. */
export function formatNumber(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
}
