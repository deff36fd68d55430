// Sweeps: a `sweep` node names one or two params of other nodes (node id + param name) and a list
// of values for each; the run then executes the graph once per combination (a variant), one after
// another in the same run and on the same output cache, so every node the swept params do not
// reach is computed once and served from the cache afterwards. The sweep node itself runs nothing
// (passive); its `image` input names the output the studio lays out as a grid.
//
// Variant i holds column value i % cols of the first axis and row value floor(i / cols) of the
// second. validateGraph (validate.ts) calls planSweep, so the studio checks a sweep before sending
// it with the same code as the server; the values are checked as the swept param's own values.
import { echo, type ErrorCode } from './events.js';
import type { Limits, NodeDecl, ParamDecl } from './graph.js';

export const SWEEP_NODE_TYPE = 'sweep';

export interface SweepAxis {
  nodeId: string;
  param: string;
  values: (number | string | boolean)[];
  /** each value as the grid labels it */
  labels: string[];
}

export interface SweepPlan {
  /** the sweep node */
  nodeId: string;
  /** columns, then (optionally) rows */
  axes: SweepAxis[];
  /** per variant: node id → the params it overrides */
  variants: Record<string, Record<string, unknown>>[];
}

/** The axes a sweep node's params describe: `node`/`param`/`values`, then `node2`/`param2`/`values2` (used when node2 is set). */
export const SWEEP_AXIS_PARAMS = [
  { node: 'node', param: 'param', values: 'values' },
  { node: 'node2', param: 'param2', values: 'values2' },
] as const;

/**
 * A value list as its entries' texts: one per line; for a number, integer or boolean param also
 * split at commas and spaces ("1, 2, 4"). A prompt list is one prompt per line.
 */
export function sweepValueTexts(text: string, kind: ParamDecl['kind'] | undefined): string[] {
  const parts = kind === 'string' ? text.split('\n') : text.split(/[\n,\s]+/);
  return parts.map((s) => (kind === 'string' ? s : s.trim())).filter((s) => s.trim() !== '');
}

/** One entry's text as the param's value, or null when it does not parse as that kind. */
function parseValue(text: string, kind: ParamDecl['kind']): number | string | boolean | null {
  if (kind === 'number' || kind === 'integer') {
    const n = Number(text);
    return Number.isFinite(n) ? n : null;
  }
  if (kind === 'boolean') return text === 'true' ? true : text === 'false' ? false : null;
  return text;
}

/** Whether a node of this kind runs something a sweep can vary (the sweep node and passive nodes run nothing). */
export function sweepableNode(decl: NodeDecl): boolean {
  return decl.type !== SWEEP_NODE_TYPE && !decl.passive;
}

/** The params of a node a sweep can vary: all but image uploads (the studio's pickers list these). */
export function sweepableParams(decl: NodeDecl): ParamDecl[] {
  return decl.params.filter((p) => p.kind !== 'image');
}

type Err = (nodeId: string | null, code: ErrorCode, message: string, port?: string) => void;
/** The problems with one value for a declared param (validate.ts's param checks). */
export type CheckValue = (decl: NodeDecl, param: ParamDecl, value: unknown) => { code: ErrorCode; message: string }[];

/**
 * The sweep a graph asks for, or null (no sweep node, or its problems were reported through
 * `err`, each on the sweep node and the param at fault).
 */
export function planSweep(
  sweeps: { id: string; params: Record<string, unknown> }[],
  declById: Map<string, NodeDecl>,
  limits: Limits,
  checkValue: CheckValue,
  err: Err,
): SweepPlan | null {
  if (sweeps.length === 0) return null;
  for (const extra of sweeps.slice(1)) err(extra.id, 'BAD_SWEEP', `a graph holds one sweep node; "${sweeps[0]!.id}" is the first`);
  const { id, params } = sweeps[0]!;
  const axes: SweepAxis[] = [];
  let ok = sweeps.length === 1;
  for (const [i, names] of SWEEP_AXIS_PARAMS.entries()) {
    const target = String(params[names.node] ?? '').trim();
    if (i > 0 && target === '') continue; // one axis
    const bad = (code: ErrorCode, message: string, port: string) => {
      ok = false;
      err(id, code, message, port);
    };
    const decl = declById.get(target);
    if (!target) bad('BAD_SWEEP', 'names no node to sweep', names.node);
    else if (!decl) bad('BAD_SWEEP', `no node "${echo(target)}" in the graph`, names.node);
    else if (!sweepableNode(decl)) bad('BAD_SWEEP', `"${echo(target)}" (${decl.type}) runs nothing to sweep`, names.node);
    if (!decl || !sweepableNode(decl)) continue;
    const name = String(params[names.param] ?? '');
    const p = decl.params.find((q) => q.name === name);
    if (!p) {
      bad('UNKNOWN_PARAM', `${decl.type} has no param "${echo(name)}" (has ${decl.params.map((q) => q.name).join(', ')})`, names.param);
      continue;
    }
    if (!sweepableParams(decl).includes(p)) {
      bad('BAD_SWEEP', `${name} is an image; sweeps take numbers, text, options or booleans`, names.param);
      continue;
    }
    if (axes.some((a) => a.nodeId === target && a.param === name)) {
      bad('BAD_SWEEP', `both axes sweep ${echo(target)}.${name}`, names.param);
      continue;
    }
    const texts = sweepValueTexts(String(params[names.values] ?? ''), p.kind);
    if (texts.length === 0) bad('BAD_SWEEP', `no values to sweep ${echo(target)}.${name} over`, names.values);
    const values: SweepAxis['values'] = [];
    for (const t of texts) {
      const v = parseValue(t, p.kind);
      if (v === null) {
        bad('PARAM_TYPE', `"${echo(t)}" is not a ${p.kind} for ${name}`, names.values);
        continue;
      }
      for (const e of checkValue(decl, p, v)) bad(e.code, `${echo(target)}.${e.message}`, names.values);
      values.push(v);
    }
    axes.push({ nodeId: target, param: name, values, labels: texts.map((t) => echo(t.trim(), 40)) });
  }
  if (!ok) return null;
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > limits.maxBatch) {
    err(id, 'BATCH_TOO_LARGE', `${axes.map((a) => a.values.length).join(' × ')} = ${count} variants; this server allows a batch or sweep of at most ${limits.maxBatch}`, SWEEP_AXIS_PARAMS[axes.length - 1]!.values);
    return null;
  }
  const cols = axes[0]!.values.length;
  const variants = Array.from({ length: count }, (_, i) => {
    const over: Record<string, Record<string, unknown>> = {};
    axes.forEach((a, k) => {
      const v = a.values[k === 0 ? i % cols : Math.floor(i / cols)];
      (over[a.nodeId] ??= {})[a.param] = v;
    });
    return over;
  });
  return { nodeId: id, axes, variants };
}

/** A node's params in one variant of a plan (its own, or the sweep's values over them). */
export function variantParams(params: Map<string, Record<string, unknown>>, sweep: SweepPlan | undefined, variant: number, nodeId: string): Record<string, unknown> {
  const own = params.get(nodeId)!;
  const over = sweep?.variants[variant]?.[nodeId];
  return over ? { ...own, ...over } : own;
}
