// Executing one run's graph: node by node in topological order on one pool worker, serving cache
// hits, handing each event to a sink. The one copy of this loop, used by both ways a run can go:
// - in process (the default): the runner's PoolDispatcher runs it on the server's worker pool and
//   the sink is the runner itself (record, persist, stream to the run's room);
// - scaled out (REDIS_URL): a `npm run worker` process (server/remote-worker.ts) runs it with the
//   same PoolDispatcher on its own pool and cache, and its sink publishes each event back through
//   Redis to the socket server that took the run (server/redis.ts), which handles it as above.
// The run's end (run:done / cancelled / error) is the runner's: this returns the outcome.
import type { ErrorCode, RunEvent, ValidGraph } from '../protocol/index.js';
import type { NodeDef, Outputs, StepInfo } from '../nodes/index.js';
import { cacheKey, sizeOf, type CacheEntry, type OutputCache } from './cache.js';
import { toWire } from './frames.js';
import type { JobRequest, JobResult, WorkerPool } from './pool.js';
import { modelDir, modelHash } from '../ml/weights.js';
import { variantParams, type Limits } from '../protocol/index.js';

export interface NodeRecord {
  status: 'pending' | 'running' | 'cached' | 'done' | 'error' | 'cancelled';
  ms?: number;
  /** Tensors the node left alive in its worker (should always be 0). */
  leaked?: number;
}

/** The node-level events a run's execution produces (the run-level ones are the runner's). */
export type NodeEvent = Extract<RunEvent, { event: 'node:start' | 'node:cached' | 'node:output' | 'node:error' }>;

export type Outcome = { kind: 'done' } | { kind: 'cancelled' } | { kind: 'error'; code: ErrorCode; message: string; nodeId?: string };

export interface ExecResult {
  outcome: Outcome;
  /** wall time of the execution (not counting time queued) */
  ms: number;
  /** per node that ran, ms */
  timings: Record<string, number>;
  /** nodes served from the cache (in a sweep: in every variant) */
  cached: string[];
}

/** Where a run's execution reports to. */
export interface ExecSink {
  /** A worker has taken the run. */
  started(): void;
  event(ev: NodeEvent): void;
  /** A node's step (a raw frame; the runner encodes it per client); `variant`: in a sweep, whose. */
  step(nodeId: string, info: StepInfo, variant?: number): void;
  /** Resolves once every step handed to step() so far is out (a node's steps precede its output). */
  flushed(): Promise<void>;
}

/** What a run hands to a dispatcher. `cancel` is an Int32Array's buffer: [0] != 0 means cancelled. */
export interface RunTicket {
  runId: string;
  plan: ValidGraph;
  cancel: SharedArrayBuffer;
  /** per node, updated as the run goes (in process) or at its end (scaled out) */
  nodes: Map<string, NodeRecord>;
}

/** Runs tickets somewhere: on this process's worker pool, or through Redis on worker processes. */
export interface Dispatcher {
  /** How many more runs could start right now (the runner keeps the rest waiting). */
  free(): number;
  /** Executes the run's graph, reporting to sink; resolves when it has ended, however it ended. */
  run(ticket: RunTicket, sink: ExecSink): Promise<ExecResult>;
  /** Stops a dispatched run: the ticket's flag is already set; this tells other processes. */
  cancel(runId: string): void;
  close(): Promise<void>;
}

export interface ExecDeps {
  defs: Map<string, NodeDef>;
  weightsDir: string;
  limits: Limits;
  cache: OutputCache;
}

/** The in-process way: a run holds one pool worker from its first node to its last. */
export class PoolDispatcher implements Dispatcher {
  constructor(
    private pool: WorkerPool,
    private deps: ExecDeps,
  ) {}

  free(): number {
    return this.pool.freeCount();
  }

  async run(ticket: RunTicket, sink: ExecSink): Promise<ExecResult> {
    const worker = await this.pool.acquire();
    try {
      sink.started();
      await worker.ready;
      return await executeGraph(this.deps, ticket, (job, onStep) => worker.run(job, onStep), sink);
    } finally {
      this.pool.release(worker);
    }
  }

  cancel(): void {
    // the shared flag reaches the pool worker directly
  }

  async close(): Promise<void> {}
}

/**
 * Runs the plan node by node with `runNode`; never throws (a failure is an INTERNAL outcome).
 * Bypassed and muted nodes (and those skipped after a muted one) are not in the plan's order, and
 * a node after a bypassed one has its input from what the bypassed node passes on
 * (protocol/modes.ts): its cache key names that real source, so bypassing a node changes the
 * keys of what follows it, and taking the bypass off finds the old entries again.
 */
export async function executeGraph(
  deps: ExecDeps,
  ticket: RunTicket,
  runNode: (job: JobRequest, onStep: (info: StepInfo) => void) => Promise<JobResult>,
  sink: ExecSink,
): Promise<ExecResult> {
  const { plan, runId } = ticket;
  const t0 = performance.now();
  const flag = new Int32Array(ticket.cancel);
  const values = new Map<string, { key: string; outputs: Outputs }>();
  // node ids are user text: a Map, made an object with own properties at the end (an id such as
  // "__proto__" assigned into a plain object would set its prototype and vanish)
  const timings = new Map<string, number>();
  const cached: string[] = [];
  // a sweep runs the order once per variant on the same cache: what a variant does not change is
  // a cache hit (protocol/sweep.ts); each node event says which variant it is of
  const sweep = plan.sweep;
  const ran = new Set<string>();
  const runVariant = async (variant: number): Promise<Outcome> => {
    const tag = sweep ? { variant } : {};
    values.clear();
    for (const id of plan.order) {
      if (Atomics.load(flag, 0)) return { kind: 'cancelled' };
      const node = plan.graph.nodes.find((n) => n.id === id)!;
      const def = deps.defs.get(node.type)!;
      const rec = ticket.nodes.get(id)!;
      if (def.decl.passive) {
        rec.status = 'done';
        continue;
      }
      const params = variantParams(plan.params, sweep, variant, id);
      const inputs: Record<string, { key: string; port: string }> = {};
      const inputValues: Outputs = {};
      for (const [port, [src, srcPort]] of plan.inputs.get(id) ?? []) {
        const up = values.get(src);
        const v = up?.outputs[srcPort];
        if (!up || !v) throw new Error(`${id}.${port}: ${src} gave no "${srcPort}"`);
        inputs[port] = { key: up.key, port: srcPort };
        inputValues[port] = v;
      }
      const models: Record<string, { dir: string; hash: string }> = {};
      const weights: Record<string, string> = {};
      for (const m of def.decl.models) {
        const hash = modelHash(deps.weightsDir, m);
        if (!hash) return { kind: 'error', code: 'MODEL_MISSING', message: `the ${m} weights were removed`, nodeId: id };
        models[m] = { dir: modelDir(deps.weightsDir, m), hash };
        weights[m] = hash;
      }
      const key = cacheKey({ type: def.decl.type, version: def.decl.version, params, inputs, weights });

      const hit = deps.cache.get(key);
      if (hit) {
        rec.status = 'cached';
        if (!cached.includes(id)) cached.push(id);
        values.set(id, { key, outputs: hit.outputs });
        sink.event({ event: 'node:cached', payload: { runId, nodeId: id, key, ...tag } });
        sink.event({ event: 'node:output', payload: { runId, nodeId: id, outputs: hit.wire, ...tag } });
        continue;
      }

      rec.status = 'running';
      ran.add(id);
      sink.event({ event: 'node:start', payload: { runId, nodeId: id, key, ...tag } });
      const res = await runNode({ nodeType: def.decl.type, nodeId: id, params, inputs: inputValues, models, limits: deps.limits, cancel: ticket.cancel }, (info) => sink.step(id, info, sweep ? variant : undefined));
      await sink.flushed(); // every step of this node is out before its output or error
      rec.leaked = res.leaked;
      if (res.ok) {
        const wire = await toWire(res.outputs);
        const entry: CacheEntry = { outputs: res.outputs, wire, bytes: sizeOf(res.outputs, wire) };
        deps.cache.set(key, entry);
        values.set(id, { key, outputs: res.outputs });
        rec.status = 'done';
        rec.ms = res.ms;
        timings.set(id, Math.round(((timings.get(id) ?? 0) + res.ms) * 10) / 10);
        sink.event({ event: 'node:output', payload: { runId, nodeId: id, outputs: wire, ...tag } });
      } else if (res.cancelled) {
        rec.status = 'cancelled';
        return { kind: 'cancelled' };
      } else {
        rec.status = 'error';
        const payload = res.port === undefined
          ? { runId, nodeId: id, code: res.code, message: res.message, ...tag }
          : { runId, nodeId: id, code: res.code, message: res.message, port: res.port, ...tag };
        sink.event({ event: 'node:error', payload });
        return { kind: 'error', code: res.code, message: `${id}${sweep ? ` (sweep variant ${variant + 1})` : ''}: ${res.message}`, nodeId: id };
      }
    }
    return { kind: 'done' };
  };
  let outcome: Outcome = { kind: 'done' };
  try {
    for (let variant = 0; variant < (sweep?.variants.length ?? 1) && outcome.kind === 'done'; variant++) outcome = await runVariant(variant);
  } catch (e) {
    outcome = { kind: 'error', code: 'INTERNAL', message: (e as Error).message };
  }
  await sink.flushed();
  // a sweep's cached nodes are those no variant had to run
  return { outcome, ms: Math.round((performance.now() - t0) * 10) / 10, timings: Object.fromEntries(timings), cached: cached.filter((id) => !ran.has(id)) };
}
