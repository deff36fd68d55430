// The runner: takes `run:start`, checks the graph (server/run-checks.ts), queues it, hands it to
// a dispatcher that executes it node by node (server/executor.ts: on this process's worker pool
// by default, on `npm run worker` processes through Redis when REDIS_URL is set), and streams
// what happens to everyone in the run's room (server/run-stream.ts: slow clients, previews,
// watchers on other socket servers).
//
// Every event of a run is appended to its log (frames included, up to the run's size limit:
// server/run-log.ts), so a late watcher gets the steps so far and then the live ones, and a
// finished run can be replayed; a saved graph's runs are recorded in the store as they go
// (server/run-record.ts).
import { randomBytes } from 'node:crypto';
import {
  RunStartSchema,
  RunRefSchema,
  RunWatchSchema,
  exceedsBytes,
  parsePayload,
  type Catalogue,
  type Migrations,
  type RunEvent,
  type RunStartReply,
  type RunStatus,
  isActiveRun,
  type ValidGraph,
} from '../protocol/index.js';
import type { NodeDef, StepInfo } from '../nodes/index.js';
import type { OutputCache } from './cache.js';
import type { EngineConfig } from './config.js';
import type { Dispatcher, ExecResult, ExecSink, NodeRecord } from './executor.js';
import { clientAddress, queueRefusal } from './client-limits.js';
import { bytesToDataUrls, encodeStepFrames } from './frames.js';
import { onRequest, type StudioIO } from './http-server.js';
import { checkRun, refuse, type CheckDeps } from './run-checks.js';
import { holdsKey, newOwnerKey, OwnerGrace } from './run-owner.js';
import { toKeep } from './run-log.js';
import { RunRecorder } from './run-record.js';
import { RunStream, type StudioSocket } from './run-stream.js';
import type { Store } from './store.js';

export type { NodeRecord } from './executor.js';

export interface Run {
  id: string;
  ownerId: string;
  /** the starter's client address (server/client-limits.ts): runs are limited per address too */
  address: string;
  /** makes a later socket the owner (run:watch), e.g. the starter's tab after a reload */
  ownerKey: string;
  status: RunStatus;
  plan: ValidGraph;
  graphId: string | null;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  ms?: number;
  log: RunEvent[];
  /** log entries already written to the store, and when */
  saved: number;
  savedAt: number;
  /** bytes of its log as stored (UNCLIP_MAX_STORED_RUN_BYTES bounds them: run-log.ts) */
  keptBytes: number;
  /** some of its steps were past that limit and kept without frame and embeddings (said once) */
  trimmed?: boolean;
  /** why the last store write failed, while the store is behind (each later write retries) */
  storeError?: string;
  cancel: SharedArrayBuffer;
  nodes: Map<string, NodeRecord>;
  /** serialises event handling (frame encoding is async) so events keep their order */
  chain: Promise<void>;
  /** steps whose frame sharp could not encode (they went out without it; see handleStep) */
  framesFailed: number;
  /** scaled out: sockets on other socket servers watch this run (events also go through the adapter) */
  remoteWatchers?: boolean;
}

export interface RunnerOptions {
  io: StudioIO;
  dispatcher: Dispatcher;
  /** the output cache of in-process runs (scaled out, each worker process has its own) */
  cache: OutputCache;
  config: EngineConfig;
  catalogue: Catalogue;
  migrations: Migrations;
  defs: NodeDef[];
  /** where runs of saved graphs are recorded (absent: nothing is recorded) */
  store?: Store;
  /** several socket servers share one Redis: answer the others' watch requests for our runs */
  scaledOut?: boolean;
}

export class Runner {
  private runs = new Map<string, Run>();
  private waiting: Run[] = [];
  private finished: string[] = [];
  private readonly io: StudioIO;
  private readonly dispatcher: Dispatcher;
  private readonly config: EngineConfig;
  private readonly store: Store | undefined;
  private readonly scaledOut: boolean;
  private readonly checks: CheckDeps;
  private readonly stream: RunStream;
  private readonly grace: OwnerGrace<Run>;
  private readonly recorder: RunRecorder;
  /** the output cache of in-process runs (REST reports its stats) */
  readonly cache: OutputCache;
  /**
   * Counters for /healthz, tests and benchmarks: runs started, steps a slow socket's slot
   * replaced, frames sharp refused (logged; their steps went out without the picture), and the
   * step frames and CLIP-path embeddings a run's log (and store) left out past
   * UNCLIP_MAX_STORED_RUN_BYTES (run-log.ts).
   */
  readonly stats = { runsStarted: 0, stepsDropped: 0, framesFailed: 0, storedFramesDropped: 0, storedEmbeddingsDropped: 0 };

  constructor(opts: RunnerOptions) {
    this.io = opts.io;
    this.dispatcher = opts.dispatcher;
    this.cache = opts.cache;
    this.config = opts.config;
    this.store = opts.store;
    this.scaledOut = !!opts.scaledOut;
    this.checks = { catalogue: opts.catalogue, migrations: opts.migrations, defs: new Map(opts.defs.map((d) => [d.decl.type, d])), config: opts.config };
    this.stream = new RunStream(opts.io, this.stats, this.scaledOut ? { lookup: (id) => this.runs.get(id) } : undefined);
    // socket.io has already taken a leaving socket out of its rooms: whoever is left is watching
    const abandoned = (run: Run) => !this.io.sockets.sockets.has(run.ownerId) && this.stream.members(run.id) === 0 && !run.remoteWatchers;
    this.recorder = new RunRecorder(opts.store);
    this.grace = new OwnerGrace(opts.config.runGraceMs, abandoned, (run) => this.cancel(run));
  }

  attach(socket: StudioSocket): void {
    this.stream.attach(socket);
    onRequest(socket, 'run:start', (req, ack) => {
      this.start(socket, req).then(ack, (e: unknown) => ack(refuse('INTERNAL', (e as Error).message)));
    });
    onRequest(socket, 'run:cancel', (req, ack) => {
      const p = parsePayload(RunRefSchema, req);
      if (!p.ok) return ack(p);
      const run = this.runs.get(p.value.runId);
      if (!run) return ack(refuse('UNKNOWN_RUN', `no run ${p.value.runId}`));
      if (run.ownerId !== socket.id) return ack(refuse('FORBIDDEN', 'only the client that started a run may cancel it'));
      this.cancel(run);
      ack({ ok: true, status: run.status });
    });
    onRequest(socket, 'run:watch', (req, ack) => {
      const p = parsePayload(RunWatchSchema, req);
      if (!p.ok) return ack(p);
      const run = this.runs.get(p.value.runId);
      const unknown = refuse('UNKNOWN_RUN', `no run ${p.value.runId} (finished runs are kept for a while; saved graphs keep their latest run)`);
      if (!run && this.scaledOut) return this.stream.watchElsewhere(socket, p.value.runId, (status) => ack(status ? { ok: true, status, owner: false } : unknown));
      if (!run) return ack(unknown);
      const owner = holdsKey(run, p.value.ownerKey);
      if (owner) run.ownerId = socket.id;
      ack({ ok: true, status: run.status, owner });
      this.stream.replayAndJoin(socket, run, p.value.options);
    });
    socket.on('disconnect', () => this.onDisconnect(socket));
  }

  getRun(id: string): Run | undefined {
    return this.runs.get(id);
  }

  activeCount(): number {
    let n = 0;
    for (const r of this.runs.values()) if (isActiveRun(r.status)) n++;
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // start

  private async start(socket: StudioSocket, req: unknown): Promise<RunStartReply> {
    // measured before any schema walks it (a payload under socket.io's own limit may still be
    // millions of keys)
    if (exceedsBytes(req, this.config.maxRequestBytes)) return refuse('PAYLOAD_TOO_LARGE', `run:start payload over ${this.config.maxRequestBytes} bytes`);
    const p = parsePayload(RunStartSchema, req);
    if (!p.ok) return refuse('BAD_REQUEST', p.error.message);
    const address = clientAddress(socket.handshake.headers, socket.handshake.address, this.config.quotas.trustProxy);
    const full = queueRefusal(this.runs.values(), socket.id, address, this.config);
    if (full) return full;

    const checked = await checkRun(p.value.graph, this.checks);
    if (!checked.ok) return checked;
    const plan = checked.plan;

    let graphId: string | null = null;
    if (p.value.graphId !== undefined) {
      if (!this.store) return refuse('INTERNAL', 'no store');
      const check = this.store.checkToken(p.value.graphId, p.value.editToken);
      if (check === 'not-found') return refuse('NOT_FOUND', `no graph ${p.value.graphId}`);
      if (check === 'forbidden') return refuse('FORBIDDEN', 'recording a run on a saved graph needs its edit token');
      graphId = p.value.graphId;
    }
    if (!socket.connected) return refuse('CANCELLED', 'the client disconnected');
    // checked again: the awaits above let other starts in
    const fullNow = queueRefusal(this.runs.values(), socket.id, address, this.config);
    if (fullNow) return fullNow;

    const run: Run = {
      id: newRunId(),
      ownerId: socket.id,
      address,
      ownerKey: newOwnerKey(),
      status: 'queued',
      plan,
      graphId,
      createdAt: new Date(),
      log: [],
      saved: 0,
      savedAt: Date.now(),
      keptBytes: 0,
      cancel: new SharedArrayBuffer(4),
      nodes: new Map(plan.order.map((id) => [id, { status: 'pending' }])),
      chain: Promise.resolve(),
      framesFailed: 0,
    };
    const notRecorded = this.recorder.create(run);
    if (notRecorded !== null) return refuse('STORE_FAILED', `the run could not be recorded: ${notRecorded}`);
    this.runs.set(run.id, run);
    this.stats.runsStarted++;
    this.stream.join(socket, run.id, p.value.options);
    this.waiting.push(run);
    // after the ack has gone out: the client knows the run id before its first event
    setImmediate(() => {
      this.emit(run, { event: 'run:queued', payload: { runId: run.id, position: this.waiting.indexOf(run) } });
      this.pump();
    });
    return { ok: true, runId: run.id, ownerKey: run.ownerKey };
  }

  private pump(): void {
    let moved = false;
    while (this.waiting.length > 0 && this.dispatcher.free() > 0) {
      const run = this.waiting.shift()!;
      moved = true;
      void this.execute(run);
    }
    if (moved) this.waiting.forEach((r, i) => this.emit(r, { event: 'run:queued', payload: { runId: r.id, position: i } }));
  }

  // -------------------------------------------------------------------------------------------
  // execute

  private async execute(run: Run): Promise<void> {
    const sink: ExecSink = {
      started: () => {
        run.status = 'running';
        run.startedAt = new Date();
      },
      event: (ev) => {
        this.emit(run, ev);
        if (ev.event === 'node:output') this.recorder.record(run, true);
      },
      step: (nodeId, info, variant) => {
        run.chain = run.chain.then(() => this.handleStep(run, nodeId, info, variant)).catch(() => {});
      },
      flushed: () => run.chain,
    };
    let result: ExecResult;
    try {
      result = await this.dispatcher.run({ runId: run.id, plan: run.plan, cancel: run.cancel, nodes: run.nodes }, sink);
    } catch (e) {
      result = { outcome: { kind: 'error', code: 'INTERNAL', message: (e as Error).message }, ms: 0, timings: {}, cached: [] };
    }
    await run.chain;
    this.finish(run, result);
    this.pump();
  }

  private finish(run: Run, { outcome, ms, timings, cached }: ExecResult): void {
    run.ms = ms;
    run.finishedAt = new Date();
    if (run.framesFailed > 1) console.error(`[runner] run ${run.id}: ${run.framesFailed} frames in all were not encoded`);
    if (outcome.kind === 'done') {
      run.status = 'done';
      this.end(run, { event: 'run:done', payload: { runId: run.id, ms: run.ms, timings, cached } });
    } else if (outcome.kind === 'cancelled') {
      run.status = 'cancelled';
      this.end(run, { event: 'run:cancelled', payload: { runId: run.id } });
    } else {
      run.status = 'error';
      const payload = outcome.nodeId === undefined
        ? { runId: run.id, code: outcome.code, message: outcome.message }
        : { runId: run.id, code: outcome.code, message: outcome.message, nodeId: outcome.nodeId };
      this.end(run, { event: 'run:error', payload });
    }
    this.retire(run);
  }

  /** The run's last event: recorded before it is sent (run-record.ts: STORE_FAILED if it cannot be). */
  private end(run: Run, ev: RunEvent): void {
    this.keep(run, ev);
    this.stream.send(run, this.recorder.end(run, ev));
  }

  /** Appends an event to the run's log, within UNCLIP_MAX_STORED_RUN_BYTES (run-log.ts). */
  private keep(run: Run, ev: RunEvent): void {
    const limit = this.config.quotas.maxStoredRunBytes;
    const k = toKeep(ev, { bytes: run.keptBytes, trimmed: run.trimmed }, limit);
    run.keptBytes += k.bytes;
    if (k.frame) this.stats.storedFramesDropped++;
    if (k.embeddings) this.stats.storedEmbeddingsDropped++;
    if ((k.frame || k.embeddings) && !run.trimmed) {
      run.trimmed = true;
      console.error(`[runner] run ${run.id}: its log passed UNCLIP_MAX_STORED_RUN_BYTES=${limit}; its later steps are kept and stored without frames and embeddings`);
    }
    run.log.push(k.ev);
  }

  private async handleStep(run: Run, nodeId: string, info: StepInfo, variant?: number): Promise<void> {
    const payload: Extract<RunEvent, { event: 'node:step' }>['payload'] = { runId: run.id, nodeId, step: info.step, total: info.total };
    if (variant !== undefined) payload.variant = variant;
    if (info.t !== undefined) payload.t = info.t;
    let variants: Map<number, Buffer> | undefined;
    if (info.frame) {
      // smaller previews for the clients that asked for them, encoded once per size
      const frames = await encodeStepFrames(info.frame, this.stream.previewSizes(run.id));
      if (frames.ok) {
        payload.frame = frames.png;
        variants = frames.variants;
      } else {
        // the step still goes out (its progress is true), without the picture; said once per
        // run here and counted, with the run's total at its end
        this.stats.framesFailed++;
        if (run.framesFailed++ === 0) console.error(`[runner] run ${run.id}: ${nodeId} step ${info.step}: frame not encoded (${frames.error}); sending its steps without it`);
      }
    }
    if (info.points) payload.points = info.points;
    if (info.embeddings) payload.embeddings = info.embeddings;
    this.emit(run, { event: 'node:step', payload }, variants);
  }

  /** Records an event in the run's log (and the store, for saved graphs) and streams it. */
  private emit(run: Run, ev: RunEvent, variants?: Map<number, Buffer>): void {
    this.keep(run, ev);
    // a saved graph's run is written as it goes, so a crash keeps the steps so far
    this.recorder.record(run);
    this.stream.send(run, ev, variants);
  }

  // -------------------------------------------------------------------------------------------
  // cancel, disconnect, bookkeeping

  cancel(run: Run): void {
    if (this.waiting.includes(run)) {
      this.waiting = this.waiting.filter((r) => r !== run);
      run.status = 'cancelled';
      run.finishedAt = new Date();
      run.ms = 0;
      for (const rec of run.nodes.values()) rec.status = 'cancelled';
      this.end(run, { event: 'run:cancelled', payload: { runId: run.id } });
      this.retire(run);
      this.waiting.forEach((r, i) => this.emit(r, { event: 'run:queued', payload: { runId: r.id, position: i } }));
    } else if (isActiveRun(run.status)) {
      // dispatched: the worker sees the flag at its next step, the executor between nodes (a
      // worker process hears it through the dispatcher)
      Atomics.store(new Int32Array(run.cancel), 0, 1);
      this.dispatcher.cancel(run.id);
    }
  }

  private onDisconnect(socket: StudioSocket): void {
    this.stream.forget(socket);
    this.grace.check(this.runs.values());
  }

  /**
   * A saved graph was deleted (its stored runs with it): its finished runs are forgotten here too,
   * and its runs still going are no longer recorded.
   */
  forgetGraph(graphId: string): void {
    for (const run of this.runs.values()) {
      if (run.graphId !== graphId) continue;
      if (isActiveRun(run.status)) run.graphId = null;
      else this.runs.delete(run.id);
    }
  }

  private retire(run: Run): void {
    this.finished.push(run.id);
    while (this.finished.length > this.config.keepRuns) this.runs.delete(this.finished.shift()!);
  }

  /** Cancel everything (shutdown). */
  cancelAll(): void {
    this.recorder.closing = true;
    this.grace.close();
    for (const run of this.runs.values()) if (isActiveRun(run.status)) this.cancel(run);
  }

  /** A JSON summary of a run for REST (binary as data: URLs). */
  summary(run: Run): { events: RunEvent[] } & Record<string, unknown> {
    return {
      id: run.id,
      status: run.status,
      graphId: run.graphId,
      createdAt: run.createdAt.toISOString(),
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      ms: run.ms ?? null,
      graph: run.plan.graph,
      nodes: Object.fromEntries(run.nodes),
      events: bytesToDataUrls(run.log),
    };
  }
}

function newRunId(): string {
  return randomBytes(16).toString('base64url');
}
