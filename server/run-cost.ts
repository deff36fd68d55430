// The compute a run will cost, estimated before it is queued from its nodes' params (the one cost
// model; run-checks.ts refuses a run over UNCLIP_MAX_RUN_COST with RUN_TOO_EXPENSIVE). Queue
// limits count runs, not their size: one run of a decoder with `steps: 1000, count: 10` holds a
// worker for minutes, so each run also gets a budget.
//
// Unit: one decoder step on one 32x32 image with guidance (a batch-1 step is 57 to 91 ms on the
// reference 2-core CPU with wasm, docs/figures.md). A node costs steps x images x its model's cost
// per image-step in that unit (the decoder's CLIP path adds a CLIP encode per step of up to 8 of
// its images, about 5% of a guided step); the rows a node makes flow along the edges, so a
// decoder fed by a sweep of 8 paints 8 images per `count`. Rows are capped at the batch limit, since the nodes
// refuse more (checkBatch) before they work.
import { variantParams, type Limits, type ValidGraph } from '../protocol/index.js';

/** Per image-step, in decoder-steps-with-guidance (from docs/figures.md's generation timings). */
export const MODEL_COST = {
  /** 32x32 U-Net; guidance runs it twice per step */
  decoder: 1,
  /** the upsampler's 64x64 U-Net without guidance: ~40 ms a step against the decoder's ~72 */
  upsampler: 0.55,
  /** the prior's transformer on 128-d vectors, per candidate (bestOf), with guidance: ~7 ms */
  prior: 0.1,
  /**
   * one CLIP encode (one row, one pass); also the decoder's CLIP path per step and row it embeds.
   * Measured inside the decoder's onStep (wasm, shared 2-core machine): 6 ms a step for 1 row
   * (decoder step 79 ms, guidance 3), 18 ms for 8 rows (342 ms): 0.03-0.09 units a row.
   */
  clip: 0.05,
} as const;

/**
 * The images a decoder step's frame and CLIP path cover: ml/pipeline.ts FRAME_ROWS (not imported:
 * it would load tfjs into the REST handler; run-cost.test.ts checks they agree).
 */
export const CLIP_PATH_ROWS = 8;

/** What one decoder step of one image costs in ms, for the debug node's `workMs`. */
const UNIT_MS = 70;

type Params = Record<string, unknown>;
/** Rows arriving on an input port (0 when it is not linked). */
type RowsIn = (port: string) => number;
interface NodeCost {
  /** rows on the node's outputs */
  rows: number;
  /** compute, in units */
  units: number;
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const guided = (p: Params) => (num(p.guidance, 1) > 1 ? 1 : 0.5);
const free = (rows: number): NodeCost => ({ rows, units: 0 });

/** Every node type's estimate; `server/run-cost.test.ts` checks that each type has one. */
export const NODE_COSTS: ReadonlyMap<string, (p: Params, rowsIn: RowsIn, limits: Limits) => NodeCost> = new Map([
  ['text', (p) => free(p.perLine === true ? String(p.text ?? '').split('\n').filter((l) => l.trim()).length : 1)],
  ['image-input', (p) => free(p.source === 'upload' ? 1 : String(p.key ?? '').split(/[\s,]+/).filter(Boolean).length)],
  ['mask', () => free(1)],
  ['clip-text-encode', (_p, r) => ({ rows: r('text'), units: r('text') * MODEL_COST.clip })],
  ['clip-image-encode', (_p, r) => ({ rows: r('image'), units: r('image') * MODEL_COST.clip })],
  ['prior', (p, r, l) => ({ rows: r('embedding'), units: num(p.steps, 1) * Math.min(l.maxBatch, r('embedding') * num(p.bestOf, 1)) * MODEL_COST.prior * guided(p) })],
  ['decoder', (p, r, l) => {
    const rows = Math.min(l.maxBatch, r('embedding') * num(p.count, 1));
    // the CLIP path (nodes/lib/clip-path.ts) encodes each step's x0 of the rows its frame shows
    const clipPath = p.clipPath === true ? Math.min(rows, CLIP_PATH_ROWS) * MODEL_COST.clip : 0;
    return { rows, units: num(p.steps, 1) * (rows * MODEL_COST.decoder * guided(p) + clipPath) };
  }],
  ['upsample', (p, r) => ({ rows: r('image'), units: num(p.steps, 1) * r('image') * MODEL_COST.upsampler })],
  ['interpolate', (p, r) => free(Math.max(r('a'), r('b')) * num(p.sweep, 1))],
  ['text-diff', (p, r) => free(r('image') * num(p.sweep, 1))],
  ['similarity', () => free(0)],
  ['embedding-plot', () => free(0)],
  ['note', () => free(0)],
  ['sweep', () => free(0)],
  ['debug-steps', (p) => ({ rows: 1, units: (num(p.steps, 1) * num(p.workMs, 0)) / UNIT_MS })],
]);

export interface RunCost {
  /** units for the whole run, rounded up */
  total: number;
  /** nodes that cost anything, dearest first */
  nodes: { nodeId: string; type: string; units: number }[];
}

/**
 * The run's estimated cost: each node's, in topological order so input rows are known. A sweep
 * costs every variant's estimate added up (the cache may spare some of it; the budget does not
 * count on that), so a sweep of steps costs each variant its own steps.
 */
export function estimateRunCost(plan: ValidGraph, limits: Limits): RunCost {
  const byNode = new Map<string, { type: string; units: number }>();
  const types = new Map(plan.graph.nodes.map((n) => [n.id, n.type]));
  let total = 0;
  for (let variant = 0; variant < (plan.sweep?.variants.length ?? 1); variant++) {
    const rows = new Map<string, number>();
    for (const id of plan.order) {
      const type = types.get(id)!;
      const links = plan.inputs.get(id);
      const rowsIn: RowsIn = (port) => {
        const from = links?.get(port);
        return from ? (rows.get(from[0]) ?? 0) : 0;
      };
      // a type without an estimate (none today: the test) passes its first input's rows on at no cost
      const estimate = NODE_COSTS.get(type) ?? ((_p: Params, r: RowsIn) => free(Math.max(0, ...[...(links?.keys() ?? [])].map(r))));
      const c = estimate(variantParams(plan.params, plan.sweep, variant, id), rowsIn, limits);
      rows.set(id, Math.min(limits.maxBatch, Math.max(0, c.rows)));
      if (c.units > 0) byNode.set(id, { type, units: (byNode.get(id)?.units ?? 0) + c.units });
      total += c.units;
    }
  }
  const nodes = [...byNode].map(([nodeId, n]) => ({ nodeId, type: n.type, units: Math.ceil(n.units) }));
  nodes.sort((a, b) => b.units - a.units);
  return { total: Math.ceil(total), nodes };
}
