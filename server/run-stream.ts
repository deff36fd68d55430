// Streaming a run's events to everyone in its room (`run:<id>`: the client that started it and
// any watchers), split from the runner, which decides what happens to runs; this decides how
// their events reach sockets.
//
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
import type { Socket } from 'socket.io';
import type { ClientToServerEvents, InterServerEvents, PreviewOptions, RunEvent, RunStatus, ServerToClientEvents, SocketData } from '../protocol/index.js';
import type { StudioIO } from './http-server.js';

export type StudioSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What the stream needs of a run. */
export interface StreamedRun {
  id: string;
  status: RunStatus;
  log: RunEvent[];
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

export const room = (runId: string) => `run:${runId}`;
/**
 * A socket with at least this many packets waiting in engine.io's write buffer is "slow": its
 * frames go to the newest-frame slot. Packets wait there only while the transport is still
 * sending earlier ones, so a client that keeps up never gets near this; a burst (a watcher's
 * replay) may briefly reach it, and then the live frames skip to the newest.
 */
const SLOW_BACKLOG = 16;

type Emit = (e: string, p: unknown) => boolean;

export class RunStream {
  /** per socket: run id → preview options */
  private preview = new Map<string, Map<string, PreviewOptions>>();
  /** per socket: run id → the newest step waiting for the socket to drain */
  private slots = new Map<string, Map<string, RunEvent>>();

  constructor(
    private io: StudioIO,
    /** the runner's counters (steps replaced in a slow socket's slot are counted here) */
    private stats: { stepsDropped: number },
    /** scaled out: answer other servers' watch requests for runs found by `lookup` */
    remote?: { lookup: (runId: string) => StreamedRun | undefined },
  ) {
    if (remote) (io as unknown as InterServerIO).on('run:watch', (req, ack) => this.watchFromElsewhere(remote.lookup(req.runId), req.socketId, ack));
  }

  /** Starts streaming to a socket: its slow-client slots flush when it drains. */
  attach(socket: StudioSocket): void {
    socket.conn.on('drain', () => this.flushSlots(socket));
  }

  /** A socket left: forget its options and slots. */
  forget(socket: StudioSocket): void {
    this.preview.delete(socket.id);
    this.slots.delete(socket.id);
  }

  /** Joins a socket to a run's room with its preview options (the starter, or a watcher after replay). */
  join(socket: StudioSocket, runId: string, opts: PreviewOptions | undefined): void {
    this.setPreview(socket, runId, opts);
    socket.join(room(runId));
  }

  /**
   * A late watcher: replay the log and join in the same tick, so nothing can be emitted in
   * between; the watcher misses nothing and sees nothing twice.
   */
  replayAndJoin(socket: StudioSocket, run: StreamedRun, opts: PreviewOptions | undefined): void {
    this.setPreview(socket, run.id, opts);
    for (const ev of run.log) (socket.emit as Emit)(ev.event, ev.payload);
    socket.join(room(run.id));
  }

  /** How many sockets of this server are in a run's room. */
  members(runId: string): number {
    return this.io.sockets.adapter.rooms.get(room(runId))?.size ?? 0;
  }

  /** Sends one event to the run's room; `variants` are smaller frames by preview size. */
  send(run: StreamedRun, ev: RunEvent, variants?: Map<number, Buffer>): void {
    const members = this.io.sockets.adapter.rooms.get(room(run.id));
    // members on other socket servers get it through the Redis adapter
    if (run.remoteWatchers) (this.io.to(room(run.id)).except([...(members ?? [])]).emit as Emit)(ev.event, ev.payload);
    if (!members) return;
    for (const sid of members) {
      const socket = this.io.sockets.sockets.get(sid);
      if (socket) this.deliver(socket, run.id, ev, variants);
    }
  }

  /** The preview sizes the run's watchers asked for (each is encoded once). */
  previewSizes(runId: string): Set<number> {
    const sizes = new Set<number>();
    for (const sid of this.io.sockets.adapter.rooms.get(room(runId)) ?? []) {
      const s = this.preview.get(sid)?.get(runId)?.previewSize;
      if (s !== undefined) sizes.add(s);
    }
    return sizes;
  }

  /** Scaled out: run:watch of a run this server does not know; asks the other socket servers. */
  watchElsewhere(socket: StudioSocket, runId: string, reply: (status: RunStatus | null) => void): void {
    (this.io as unknown as InterServerIO).serverSideEmit('run:watch', { runId, socketId: socket.id }, (_err, statuses) => {
      reply(statuses?.find((s) => s !== null) ?? null);
    });
  }

  /** Scaled out: another socket server's client watches a run of ours. */
  private watchFromElsewhere(run: StreamedRun | undefined, socketId: string, ack: (status: RunStatus | null) => void): void {
    if (!run) return ack(null);
    // replay and join in one tick, all through the adapter's one publishing connection: the
    // watcher's server receives them in this order, before any later event of the run
    const to = this.io.to(socketId);
    for (const ev of run.log) (to.emit as Emit)(ev.event, ev.payload);
    this.io.in(socketId).socketsJoin(room(run.id));
    run.remoteWatchers = true;
    ack(run.status);
  }

  private deliver(socket: StudioSocket, runId: string, ev: RunEvent, variants?: Map<number, Buffer>): void {
    const send = socket.emit as Emit;
    if (ev.event !== 'node:step') {
      this.flushSlot(socket, runId);
      send.call(socket, ev.event, ev.payload);
      return;
    }
    const opts = this.preview.get(socket.id)?.get(runId) ?? {};
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
      if (slots.has(runId)) this.stats.stepsDropped++;
      slots.set(runId, step);
      return;
    }
    this.flushSlot(socket, runId);
    send.call(socket, step.event, step.payload);
  }

  private flushSlot(socket: StudioSocket, runId: string): void {
    const slots = this.slots.get(socket.id);
    const ev = slots?.get(runId);
    if (!slots || !ev) return;
    slots.delete(runId);
    (socket.emit as Emit).call(socket, ev.event, ev.payload);
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
}

function isSlow(socket: StudioSocket): boolean {
  const conn = socket.conn as unknown as { writeBuffer?: unknown[] };
  return (conn.writeBuffer?.length ?? 0) >= SLOW_BACKLOG;
}
