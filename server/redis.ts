// Scale-out through Redis (REDIS_URL), the socket server's side and what both sides share.
//
// The socket server still validates, records and streams every run (server/runner.ts); only the
// execution moves: RedisDispatcher adds each dispatched run as a BullMQ job (the validated plan)
// to the queue `unclip-runs`, and a `npm run worker` process (server/remote-worker.ts) takes it
// and runs server/executor.ts on its own worker pool and output cache. The worker publishes what
// happens (started, node events, raw step frames, the end) on the reply channel of the socket
// server that enqueued the run; that server hands each message to the runner, in order, exactly
// as the in-process pool would. Cancel is published on `unclip:cancel`, which every worker
// process hears; a run still waiting in the queue is simply removed.
//
// Browsers on other socket servers (several servers behind one Redis) get a run's events through
// the socket.io Redis adapter, which attachRedisAdapter installs (see Runner.emit, and run:watch
// of a run another server owns).
//
// Messages are v8-serialised (Maps, typed arrays and Buffers survive as they are), so the socket
// servers and workers should run the same Node major version.
import { randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { createAdapter } from '@socket.io/redis-adapter';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { StepInfo } from '../nodes/index.js';
import type { ValidGraph } from '../protocol/index.js';
import type { Dispatcher, ExecResult, ExecSink, NodeEvent, NodeRecord, RunTicket } from './executor.js';
import type { StudioIO } from './http-server.js';

export const QUEUE_NAME = 'unclip-runs';
export const CANCEL_CHANNEL = 'unclip:cancel';
const REPLY_PREFIX = 'unclip:events:';

/** A BullMQ job's data: where to report, and the validated plan (v8, base64: job data is JSON). */
export interface RunJobData {
  replyTo: string;
  plan: string;
}

/** Worker process → the socket server that enqueued the run. */
export type RemoteMessage =
  | { runId: string; type: 'started' }
  | { runId: string; type: 'event'; ev: NodeEvent }
  | { runId: string; type: 'step'; nodeId: string; info: StepInfo; variant?: number }
  | { runId: string; type: 'end'; result: ExecResult; nodes: [string, NodeRecord][] };

export const encodePlan = (plan: ValidGraph): string => serialize(plan).toString('base64');
export const decodePlan = (s: string): ValidGraph => deserialize(Buffer.from(s, 'base64')) as ValidGraph;
export const encodeMessage = (m: RemoteMessage): Buffer => serialize(m);
export const decodeMessage = (b: Buffer): RemoteMessage => deserialize(b) as RemoteMessage;

/** A connection BullMQ accepts for workers and queues (no per-request retry limit). */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** Where a Redis URL points, without credentials (for logs). */
export function redisWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'redis';
  }
}

/** Installs the socket.io Redis adapter on io; returns what closes its connections. */
export function attachRedisAdapter(io: StudioIO, url: string): () => Promise<void> {
  const pub = new Redis(url);
  const sub = pub.duplicate();
  io.adapter(createAdapter(pub, sub));
  return async () => {
    await Promise.allSettled([pub.quit(), sub.quit()]);
  };
}

interface Pending {
  ticket: RunTicket;
  sink: ExecSink;
  /** messages of this run handled one after the other (a step's encoding finishes before the next event) */
  chain: Promise<void>;
  resolve: (r: ExecResult) => void;
}

/** The socket server's dispatcher when REDIS_URL is set: runs go to worker processes. */
export class RedisDispatcher implements Dispatcher {
  private conn: Redis;
  private sub: Redis;
  private queue: Queue<RunJobData>;
  private events: QueueEvents;
  private replyTo = REPLY_PREFIX + randomBytes(9).toString('base64url');
  private pending = new Map<string, Pending>();
  private ready: Promise<unknown>;

  constructor(url: string) {
    this.conn = connectRedis(url);
    this.sub = this.conn.duplicate();
    this.queue = new Queue<RunJobData>(QUEUE_NAME, { connection: this.conn });
    // a job fails only when its worker process died mid-run (the processor itself never throws)
    this.events = new QueueEvents(QUEUE_NAME, { connection: { ...this.conn.options } });
    this.events.on('failed', ({ jobId, failedReason }) => {
      const p = this.pending.get(jobId);
      if (p) this.end(p, { outcome: { kind: 'error', code: 'WORKER_CRASHED', message: `the worker process running it stopped: ${failedReason}` }, ms: 0, timings: {}, cached: [] });
    });
    this.sub.on('messageBuffer', (channel: Buffer, data: Buffer) => {
      if (channel.toString() !== this.replyTo) return;
      let m: RemoteMessage;
      try {
        m = decodeMessage(data);
      } catch (e) {
        console.error(`[redis] unreadable message: ${(e as Error).message}`);
        return;
      }
      const p = this.pending.get(m.runId);
      if (p) p.chain = p.chain.then(() => this.handle(p, m)).catch((e: unknown) => console.error(`[redis] run ${m.runId}: ${(e as Error).message}`));
    });
    this.ready = Promise.all([this.sub.subscribe(this.replyTo), this.events.waitUntilReady()]);
  }

  free(): number {
    return Infinity; // BullMQ is the queue; worker processes take jobs as they are free
  }

  async run(ticket: RunTicket, sink: ExecSink): Promise<ExecResult> {
    await this.ready;
    const done = new Promise<ExecResult>((resolve) => this.pending.set(ticket.runId, { ticket, sink, chain: Promise.resolve(), resolve }));
    try {
      await this.queue.add('run', { replyTo: this.replyTo, plan: encodePlan(ticket.plan) }, { jobId: ticket.runId, attempts: 1, removeOnComplete: true, removeOnFail: true });
    } catch (e) {
      this.pending.delete(ticket.runId);
      throw e;
    }
    if (Atomics.load(new Int32Array(ticket.cancel), 0)) this.cancel(ticket.runId); // cancelled while being added
    return done;
  }

  private async handle(p: Pending, m: RemoteMessage): Promise<void> {
    switch (m.type) {
      case 'started':
        return p.sink.started();
      case 'event':
        return p.sink.event(m.ev);
      case 'step':
        p.sink.step(m.nodeId, m.info, m.variant);
        return p.sink.flushed();
      case 'end':
        for (const [id, rec] of m.nodes) p.ticket.nodes.set(id, rec);
        return this.end(p, m.result);
    }
  }

  private end(p: Pending, result: ExecResult): void {
    if (this.pending.get(p.ticket.runId) !== p) return;
    this.pending.delete(p.ticket.runId);
    p.resolve(result);
  }

  cancel(runId: string): void {
    const p = this.pending.get(runId);
    if (!p) return;
    // heard by every worker process (the one running it stops at its next step); a job still
    // waiting in the queue is removed and never runs
    void this.conn.publish(CANCEL_CHANNEL, runId).catch(() => {});
    this.queue.remove(runId).then(
      (removed) => {
        if (!removed) return;
        for (const rec of p.ticket.nodes.values()) rec.status = 'cancelled';
        this.end(p, { outcome: { kind: 'cancelled' }, ms: 0, timings: {}, cached: [] });
      },
      () => {},
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.queue.close(), this.events.close()]);
    await Promise.allSettled([this.sub.quit(), this.conn.quit()]);
  }
}
