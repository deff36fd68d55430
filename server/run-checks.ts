// The checks a graph passes before it may run: protocol/validate.ts's validateGraph (the same code
// the studio runs before sending), then the run's compute budget (server/run-cost.ts), then what
// only the server can see: installed weights and each node's own `check` (an upload's pixel
// count, a prompt CLIP can read). Split from the runner, which queues what passes.
import { relative } from 'node:path';
import { MAX_LISTED_PROBLEMS, validateGraph, type Catalogue, type ErrorCode, type Migrations, type NodeError, type ValidGraph } from '../protocol/index.js';
import type { NodeDef } from '../nodes/index.js';
import type { EngineConfig } from './config.js';
import { modelDir, modelHash } from '../ml/weights.js';
import { estimateRunCost } from './run-cost.js';

export interface CheckDeps {
  catalogue: Catalogue;
  migrations: Migrations;
  defs: Map<string, NodeDef>;
  config: EngineConfig;
}

export type Refusal = { ok: false; error: { code: ErrorCode; message: string; nodeErrors: NodeError[] } };

export async function checkRun(graph: unknown, deps: CheckDeps): Promise<{ ok: true; plan: ValidGraph } | Refusal> {
  const { config } = deps;
  const v = validateGraph(graph, { catalogue: deps.catalogue, migrations: deps.migrations });
  if (!v.ok) return refuse('INVALID_GRAPH', summarise(v.errors, v.errors.length + (v.omitted ?? 0)), v.errors);
  const plan = v.value;
  // before the weights: a run this dear is refused whatever is installed
  const cost = estimateRunCost(plan, config.limits);
  if (cost.total > config.limits.maxRunCost) {
    const dearest = cost.nodes.slice(0, 3).map((n): NodeError => ({ nodeId: n.nodeId, code: 'RUN_TOO_EXPENSIVE', message: `${n.type} costs about ${n.units} unit${n.units === 1 ? '' : 's'}` }));
    return refuse('RUN_TOO_EXPENSIVE', `this run would cost about ${cost.total} units of compute (steps × images × model cost; 1 unit = one decoder step of one image); this server allows at most ${config.limits.maxRunCost} per run. Dearest: ${dearest.map((e) => `${e.nodeId}: ${e.message}`).join('; ')}`, dearest);
  }
  const errors: NodeError[] = [];
  for (const node of plan.graph.nodes) {
    if (plan.held.has(node.id)) continue; // bypassed or muted: needs no weights, checks nothing
    const def = deps.defs.get(node.type)!;
    for (const m of def.decl.models) {
      const dir = modelDir(config.weightsDir, m);
      if (!modelHash(config.weightsDir, m)) errors.push({ nodeId: node.id, code: 'MODEL_MISSING', message: `${node.type} needs the ${m} weights (${relative(process.cwd(), dir) || dir}), which are not installed` });
    }
    if (def.check) for (const e of await def.check(plan.params.get(node.id)!, config.limits, config.weightsDir)) errors.push({ nodeId: node.id, ...e });
  }
  const listed = errors.slice(0, MAX_LISTED_PROBLEMS);
  if (errors.length) return refuse('INVALID_GRAPH', summarise(listed, errors.length), listed);
  return { ok: true, plan };
}

export function refuse(code: ErrorCode, message: string, nodeErrors: NodeError[] = []): Refusal {
  return { ok: false, error: { code, message, nodeErrors } };
}

/** `total` counts every problem found; `errors` lists at most MAX_LISTED_PROBLEMS of them. */
function summarise(errors: NodeError[], total: number): string {
  const head = errors.slice(0, 3).map((e) => `${e.nodeId ?? 'graph'}${e.port ? `.${e.port}` : ''}: ${e.code}`).join('; ');
  const listed = total > errors.length ? ` (${MAX_LISTED_PROBLEMS} listed)` : '';
  return `${total} problem${total === 1 ? '' : 's'}${listed}: ${head}${total > 3 ? '; …' : ''}`;
}
