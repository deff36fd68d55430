// The runner: takes `run:start`, checks the graph, queues it, hands it to a dispatcher that
// executes it node by node (server/executor.ts: on this process's worker pool by default, on
// `npm run worker` processes through Redis when REDIS_URL is set), and streams what happens to
// everyone in the run's room (`run:<id>`: the client that started it and any watchers).
//
// Streaming rules:
// - Every event of a run is appended to its log (frames included), so a late watcher gets the
//   steps so far and then the live ones, and a finished run can be replayed.
// - `node:step` frames are the only bulky events. Each socket sends them directly while its
//   outgoing buffer is short; once it backs up (a slow client) only the newest step per run
//   waits in a one-event slot, sent when the socket drains. A slow client therefore gets the
//   newest frame, never a growing backlog; control events flush the slot first so order holds.
// - Preview cadence and size are per client (`options` of run:start / run:watch).
// - Scaled out (REDIS_URL, several socket servers on one Redis): the server that took a run owns
//   it. A watcher on another server asks the owners (a socket.io server-side emit); the owner
//   replays the log to that socket and joins it to the room through the Redis adapter, and from
//   then on also broadcasts the run's events to the room's members elsewhere, in full (preview
//   options and the slow-client slot apply to the owner's own sockets only).
import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import type { Socket } from 'socket.io';
import {
  RunStartSchema,
  RunRefSchema,
  RunWatchSchema,
  parsePayload,
  validateGraph,
  type Catalogue,
  type ErrorCode,
  type Migrations,
  type NodeError,
  type PreviewOptions,
  type RunEvent,
  type RunStartReply,
  type RunStatus,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type InterServerEvents,
  type SocketData,
  type ValidGraph,
} from '../protocol/index.js';
import type { NodeDef, StepInfo } from '../nodes/index.js';
import type { OutputCache } from './cache.js';
import type { EngineConfig } from './config.js';
import type { Dispatcher, ExecResult, ExecSink, NodeRecord } from './executor.js';
import { bytesToDataUrls, encodePng } from './frames.js';
import type { Store } from './store.js';
import { modelDir, modelHash } from '../ml/weights.js';
import type { StudioIO } from './http-server.js';

type StudioSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export type { NodeRecord } from './executor.js';

export interface Run {
  id: string;
  ownerId: string;
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
  cancel: SharedArrayBuffer;
  nodes: Map<string, NodeRecord>;
  /** serialises event handling (frame encoding is async) so events keep their order */
  chain: Promise<void>;
  /** scaled out: sockets on other socket servers watch this run (events also go through the adapter) */
  remoteWatchers?: boolean;
}

/** Between socket servers sharing a Redis adapter: "who owns this run? join my socket to it". */
interface RemoteWatch {
  runId: string;
  socketId: string;
}
type InterServerIO = {
  on(event: 'run:watch', listener: (req: RemoteWatch, ack: (status: RunStatus | null) => void) => void): void;
  /** the ack gets every other server's answer (or what came within the adapter's request timeout, 5 s) */
  serverSideEmit(event: 'run:watch', req: RemoteWatch, ack: (err: Error | null, statuses: (RunStatus | null)[]) => void): void;
};

const room = (runId: string) => `run:${runId}`;
/**
 * A socket with at least this many packets waiting in engine.io's write buffer is "slow": its
 * frames go to the newest-frame slot. Packets wait there only while the transport is still
 * sending earlier ones, so a client that keeps up never gets near this; a burst (a watcher's
 * replay) may briefly reach it, and then the live frames skip to the newest.
 */
const SLOW_BACKLOG = 16;

export class Runner {
  private runs = new Map<string, Run>();
  private waiting: Run[] = [];
  private finished: string[] = [];
  /** per socket: run id → preview options */
  private preview = new Map<string, Map<string, PreviewOptions>>();
  /** per socket: run id → the newest step waiting for the socket to drain */
  private slots = new Map<string, Map<string, RunEvent>>();
  private defs: Map<string, NodeDef>;
  /** Event-loop friendly stats for tests and benchmarks. */
  readonly stats = { runsStarted: 0, stepsDropped: 0 };

  constructor(
    private io: StudioIO,
    private dispatcher: Dispatcher,
    /** the output cache of in-process runs (scaled out, each worker process has its own) */
    readonly cache: OutputCache,
    private config: EngineConfig,
    private catalogue: Catalogue,
    private migrations: Migrations,
    defs: NodeDef[],
    private store?: Store,
    private opts: { scaledOut?: boolean } = {},
  ) {
    this.defs = new Map(defs.map((d) => [d.decl.type, d]));
    if (opts.scaledOut) (io as unknown as InterServerIO).on('run:watch', (req, ack) => this.watchFromElsewhere(req, ack));
  }

  attach(socket: StudioSocket): void {
    socket.conn.on('drain', () => this.flushSlots(socket));
    socket.on('run:start', (req, ack) => {
      if (typeof ack !== 'function') return;
      this.start(socket, req).then(ack, (e: unknown) => ack(fail('INTERNAL', (e as Error).message)));
    });
    socket.on('run:cancel', (req, ack) => {
      if (typeof ack !== 'function') return;
      const p = parsePayload(RunRefSchema, req);
      if (!p.ok) return ack(p);
      const run = this.runs.get(p.value.runId);
      if (!run) return ack(fail('UNKNOWN_RUN', `no run ${p.value.runId}`));
      if (run.ownerId !== socket.id) return ack(fail('FORBIDDEN', 'only the client that started a run may cancel it'));
      this.cancel(run);
      ack({ ok: true, status: run.status });
    });
    socket.on('run:watch', (req, ack) => {
      if (typeof ack !== 'function') return;
      const p = parsePayload(RunWatchSchema, req);
      if (!p.ok) return ack(p);
      const run = this.runs.get(p.value.runId);
      const unknown = fail('UNKNOWN_RUN', `no run ${p.value.runId} (finished runs are kept for a while; saved graphs keep their latest run)`);
      if (!run && this.opts.scaledOut) return this.watchElsewhere(socket, p.value.runId, (status) => ack(status ? { ok: true, status } : unknown));
      if (!run) return ack(unknown);
      this.setPreview(socket, run.id, p.value.options);
      ack({ ok: true, status: run.status });
      // Replay and join in the same tick: nothing can be emitted in between, so the watcher
      // misses nothing and sees nothing twice.
      for (const ev of run.log) (socket.emit as (e: string, p: unknown) => void)(ev.event, ev.payload);
      socket.join(room(run.id));
    });
    socket.on('disconnect', () => this.onDisconnect(socket));
  }

  getRun(id: string): Run | undefined {
    return this.runs.get(id);
  }

  activeCount(): number {
    let n = 0;
    for (const r of this.runs.values()) if (r.status === 'queued' || r.status === 'running') n++;
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // start

  private async start(socket: StudioSocket, req: unknown): Promise<RunStartReply> {
    const p = parsePayload(RunStartSchema, req);
    if (!p.ok) return fail('BAD_REQUEST', p.error.message);
    const limit = this.config.limits.maxQueuedPerClient;
    if (this.ownedActive(socket.id) >= limit) return fail('TOO_MANY_QUEUED', `this client has ${limit} runs queued or running; at most ${limit}`);

    const v = validateGraph(p.value.graph, { catalogue: this.catalogue, migrations: this.migrations });
    if (!v.ok) return fail('INVALID_GRAPH', summarise(v.errors), v.errors);
    const plan = v.value;
    const errors: NodeError[] = [];
    for (const node of plan.graph.nodes) {
      const def = this.defs.get(node.type)!;
      for (const m of def.decl.models) {
        if (!modelHash(this.config.weightsDir, m)) errors.push({ nodeId: node.id, code: 'MODEL_MISSING', message: `${node.type} needs the ${m} weights (${relative(process.cwd(), modelDir(this.config.weightsDir, m)) || modelDir(this.config.weightsDir, m)}), which are not installed` });
      }
      if (def.check) for (const e of await def.check(plan.params.get(node.id)!, this.config.limits)) errors.push({ nodeId: node.id, ...e });
    }
    if (errors.length) return fail('INVALID_GRAPH', summarise(errors), errors);

    let graphId: string | null = null;
    if (p.value.graphId !== undefined) {
      if (!this.store) return fail('INTERNAL', 'no store');
      const check = this.store.checkToken(p.value.graphId, p.value.editToken);
      if (check === 'not-found') return fail('NOT_FOUND', `no graph ${p.value.graphId}`);
      if (check === 'forbidden') return fail('FORBIDDEN', 'recording a run on a saved graph needs its edit token');
      graphId = p.value.graphId;
    }
    if (!socket.connected) return fail('CANCELLED', 'the client disconnected');
    // checked again: the awaits above let other starts of this client in
    if (this.ownedActive(socket.id) >= limit) return fail('TOO_MANY_QUEUED', `this client has ${limit} runs queued or running; at most ${limit}`);

    const run: Run = {
      id: newRunId(),
      ownerId: socket.id,
      status: 'queued',
      plan,
      graphId,
      createdAt: new Date(),
      log: [],
      saved: 0,
      savedAt: Date.now(),
      cancel: new SharedArrayBuffer(4),
      nodes: new Map(plan.order.map((id) => [id, { status: 'pending' }])),
      chain: Promise.resolve(),
    };
    this.runs.set(run.id, run);
    this.stats.runsStarted++;
    this.setPreview(socket, run.id, p.value.options);
    socket.join(room(run.id));
    this.waiting.push(run);
    if (graphId && this.store) this.store.createRun({ id: run.id, graphId, graph: plan.graph, startedAt: run.createdAt });
    // after the ack has gone out: the client knows the run id before its first event
    setImmediate(() => {
      this.emit(run, { event: 'run:queued', payload: { runId: run.id, position: this.waiting.indexOf(run) } });
      this.pump();
    });
    return { ok: true, runId: run.id };
  }

  private ownedActive(socketId: string): number {
    let n = 0;
    for (const r of this.runs.values()) if (r.ownerId === socketId && (r.status === 'queued' || r.status === 'running')) n++;
    return n;
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
        if (ev.event === 'node:output') this.persist(run);
      },
      step: (nodeId, info) => {
        run.chain = run.chain.then(() => this.handleStep(run, nodeId, info)).catch(() => {});
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
    if (outcome.kind === 'done') {
      run.status = 'done';
      this.emit(run, { event: 'run:done', payload: { runId: run.id, ms: run.ms, timings, cached } });
    } else if (outcome.kind === 'cancelled') {
      run.status = 'cancelled';
      this.emit(run, { event: 'run:cancelled', payload: { runId: run.id } });
    } else {
      run.status = 'error';
      const payload = outcome.nodeId === undefined
        ? { runId: run.id, code: outcome.code, message: outcome.message }
        : { runId: run.id, code: outcome.code, message: outcome.message, nodeId: outcome.nodeId };
      this.emit(run, { event: 'run:error', payload });
    }
    this.persist(run, true);
    this.retire(run);
  }

  private async handleStep(run: Run, nodeId: string, info: StepInfo): Promise<void> {
    let frame: Buffer | undefined;
    const variants = new Map<number, Buffer>();
    if (info.frame) {
      frame = await encodePng(info.frame);
      // smaller previews for the clients that asked for them, encoded once per size
      for (const size of this.previewSizes(run)) if (size < info.frame.size) variants.set(size, await encodePng(info.frame, size));
    }
    const payload: Extract<RunEvent, { event: 'node:step' }>['payload'] = { runId: run.id, nodeId, step: info.step, total: info.total };
    if (info.t !== undefined) payload.t = info.t;
    if (frame) payload.frame = frame;
    if (info.points) payload.points = info.points;
    this.emit(run, { event: 'node:step', payload }, variants);
  }

  // -------------------------------------------------------------------------------------------
  // emit

  private emit(run: Run, ev: RunEvent, variants?: Map<number, Buffer>): void {
    run.log.push(ev);
    // a saved graph's run is written as it goes (in small transactions), so a crash keeps the
    // steps so far; node ends and the run's end flush too
    if (run.graphId && (run.log.length - run.saved >= 16 || Date.now() - run.savedAt > 500)) this.persist(run);
    const members = this.io.sockets.adapter.rooms.get(room(run.id));
    // members on other socket servers get it through the Redis adapter
    if (run.remoteWatchers) (this.io.to(room(run.id)).except([...(members ?? [])]).emit as (e: string, p: unknown) => boolean)(ev.event, ev.payload);
    if (!members) return;
    for (const sid of members) {
      const socket = this.io.sockets.sockets.get(sid);
      if (socket) this.deliver(socket, run, ev, variants);
    }
  }

  /** Scaled out: run:watch of a run this server does not know; asks the other socket servers. */
  private watchElsewhere(socket: StudioSocket, runId: string, reply: (status: RunStatus | null) => void): void {
    (this.io as unknown as InterServerIO).serverSideEmit('run:watch', { runId, socketId: socket.id }, (_err, statuses) => {
      reply(statuses?.find((s) => s !== null) ?? null);
    });
  }

  /** Scaled out: another socket server's client watches a run of ours. */
  private watchFromElsewhere(req: RemoteWatch, ack: (status: RunStatus | null) => void): void {
    const run = this.runs.get(req.runId);
    if (!run) return ack(null);
    // replay and join in one tick, all through the adapter's one publishing connection: the
    // watcher's server receives them in this order, before any later event of the run
    const to = this.io.to(req.socketId);
    for (const ev of run.log) (to.emit as (e: string, p: unknown) => boolean)(ev.event, ev.payload);
    this.io.in(req.socketId).socketsJoin(room(run.id));
    run.remoteWatchers = true;
    ack(run.status);
  }

  private deliver(socket: StudioSocket, run: Run, ev: RunEvent, variants?: Map<number, Buffer>): void {
    const send = socket.emit as (e: string, p: unknown) => boolean;
    if (ev.event !== 'node:step') {
      this.flushSlot(socket, run.id);
      send.call(socket, ev.event, ev.payload);
      return;
    }
    const opts = this.preview.get(socket.id)?.get(run.id) ?? {};
    let payload = ev.payload;
    if (payload.frame) {
      const every = opts.previewEvery ?? 1;
      if (payload.step % every !== 0 && payload.step !== payload.total) {
        const { frame: _drop, ...rest } = payload;
        payload = rest;
      } else if (opts.previewSize !== undefined && variants?.has(opts.previewSize)) {
        payload = { ...payload, frame: variants.get(opts.previewSize)! };
      }
    }
    const step: RunEvent = { event: 'node:step', payload };
    if (isSlow(socket)) {
      let slots = this.slots.get(socket.id);
      if (!slots) this.slots.set(socket.id, (slots = new Map()));
      if (slots.has(run.id)) this.stats.stepsDropped++;
      slots.set(run.id, step);
      return;
    }
    this.flushSlot(socket, run.id);
    send.call(socket, step.event, step.payload);
  }

  private flushSlot(socket: StudioSocket, runId: string): void {
    const slots = this.slots.get(socket.id);
    const ev = slots?.get(runId);
    if (!slots || !ev) return;
    slots.delete(runId);
    (socket.emit as (e: string, p: unknown) => boolean).call(socket, ev.event, ev.payload);
  }

  private flushSlots(socket: StudioSocket): void {
    const slots = this.slots.get(socket.id);
    if (!slots) return;
    for (const runId of [...slots.keys()]) {
      if (isSlow(socket)) return;
      this.flushSlot(socket, runId);
    }
  }

  private setPreview(socket: StudioSocket, runId: string, opts: PreviewOptions | undefined): void {
    let m = this.preview.get(socket.id);
    if (!m) this.preview.set(socket.id, (m = new Map()));
    m.set(runId, opts ?? {});
  }

  private previewSizes(run: Run): Set<number> {
    const sizes = new Set<number>();
    for (const sid of this.io.sockets.adapter.rooms.get(room(run.id)) ?? []) {
      const s = this.preview.get(sid)?.get(run.id)?.previewSize;
      if (s !== undefined) sizes.add(s);
    }
    return sizes;
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
      this.emit(run, { event: 'run:cancelled', payload: { runId: run.id } });
      this.persist(run, true);
      this.retire(run);
      this.waiting.forEach((r, i) => this.emit(r, { event: 'run:queued', payload: { runId: r.id, position: i } }));
    } else if (run.status === 'queued' || run.status === 'running') {
      // dispatched: the worker sees the flag at its next step, the executor between nodes (a
      // worker process hears it through the dispatcher)
      Atomics.store(new Int32Array(run.cancel), 0, 1);
      this.dispatcher.cancel(run.id);
    }
  }

  private onDisconnect(socket: StudioSocket): void {
    this.preview.delete(socket.id);
    this.slots.delete(socket.id);
    for (const run of this.runs.values()) {
      if (run.status !== 'queued' && run.status !== 'running') continue;
      // socket.io has already taken the socket out of its rooms: whoever is left is watching
      const watchers = this.io.sockets.adapter.rooms.get(room(run.id))?.size ?? 0;
      const ownerGone = !this.io.sockets.sockets.has(run.ownerId);
      if (ownerGone && watchers === 0 && !run.remoteWatchers) this.cancel(run);
    }
  }

  private persist(run: Run, final = false): void {
    // after shutdown began the store may be closed: such runs read "interrupted" at next start
    if (!this.store || !run.graphId || this.closing) return;
    try {
      if (run.saved < run.log.length) {
        this.store.appendEvents(run.id, run.saved, run.log.slice(run.saved).map((e) => bytesToDataUrls(e)));
        run.saved = run.log.length;
      }
      run.savedAt = Date.now();
      if (final) this.store.finishRun(run.id, run.status, run.ms ?? 0, run.finishedAt ?? new Date());
    } catch (e) {
      console.error(`[runner] could not store run ${run.id}: ${(e as Error).message}`);
    }
  }

  private retire(run: Run): void {
    this.finished.push(run.id);
    while (this.finished.length > this.config.keepRuns) this.runs.delete(this.finished.shift()!);
  }

  private closing = false;

  /** Cancel everything (shutdown). */
  cancelAll(): void {
    this.closing = true;
    for (const run of this.runs.values()) if (run.status === 'queued' || run.status === 'running') this.cancel(run);
  }

  /** A JSON summary of a run for REST (binary as data: URLs). */
  summary(run: Run): unknown {
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

function isSlow(socket: StudioSocket): boolean {
  const conn = socket.conn as unknown as { writeBuffer?: unknown[] };
  return (conn.writeBuffer?.length ?? 0) >= SLOW_BACKLOG;
}

function newRunId(): string {
  return randomBytes(16).toString('base64url');
}

function fail(code: ErrorCode, message: string, nodeErrors: NodeError[] = []): { ok: false; error: { code: ErrorCode; message: string; nodeErrors: NodeError[] } } {
  return { ok: false, error: { code, message, nodeErrors } };
}

function summarise(errors: NodeError[]): string {
  const head = errors.slice(0, 3).map((e) => `${e.nodeId ?? 'graph'}${e.port ? `.${e.port}` : ''}: ${e.code}`).join('; ');
  return `${errors.length} problem${errors.length === 1 ? '' : 's'}: ${head}${errors.length > 3 ? '; …' : ''}`;
}
