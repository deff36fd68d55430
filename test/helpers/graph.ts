// Helpers for graph-engine integration tests: build graphs, start runs with a plain
// socket.io-client, and collect a run's events in arrival order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, RunEvent, RunStartReply, ServerToClientEvents } from '../../protocol/index.js';
import { startServer, type RunningServer } from './server.js';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export const node = (id: string, type: string, params: Record<string, unknown> = {}, version = 1) => ({ id, type, version, params, position: { x: 0, y: 0 } });
export const edge = (from: string, fromPort: string, to: string, toPort: string) => ({ from: { node: from, port: fromPort }, to: { node: to, port: toPort } });
export type TestNode = ReturnType<typeof node>;
export type TestEdge = ReturnType<typeof edge>;
export const graph = (nodes: TestNode[], edges: TestEdge[] = []) => ({ version: 1, nodes, edges });

export async function connect(url: string): Promise<Client> {
  const s: Client = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', reject);
  });
  return s;
}

const TERMINAL = new Set(['run:done', 'run:cancelled', 'run:error']);

/** Every run event a socket receives, grouped by run id, in arrival order. */
export class Recorder {
  readonly events = new Map<string, RunEvent[]>();
  private waiters: { runId: string; pred: (e: RunEvent) => boolean; resolve: (e: RunEvent) => void }[] = [];

  constructor(readonly socket: Client) {
    socket.onAny((event: string, payload: { runId?: string }) => {
      if (!payload || typeof payload.runId !== 'string') return;
      const ev = { event, payload } as RunEvent;
      let list = this.events.get(payload.runId);
      if (!list) this.events.set(payload.runId, (list = []));
      list.push(ev);
      this.waiters = this.waiters.filter((w) => {
        if (w.runId !== payload.runId || !w.pred(ev)) return true;
        w.resolve(ev);
        return false;
      });
    });
  }

  of(runId: string): RunEvent[] {
    return this.events.get(runId) ?? [];
  }

  /** Resolves with the first event (already received or future) of this run matching pred. */
  wait(runId: string, pred: (e: RunEvent) => boolean, timeoutMs = 60_000): Promise<RunEvent> {
    const have = this.of(runId).find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting on run ${runId}; got ${this.of(runId).map((e) => e.event).join(', ')}`)), timeoutMs);
      this.waiters.push({ runId, pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
    });
  }

  end(runId: string, timeoutMs = 60_000): Promise<RunEvent> {
    return this.wait(runId, (e) => TERMINAL.has(e.event), timeoutMs);
  }
}

export async function start(s: Client, g: unknown, extra: Record<string, unknown> = {}): Promise<RunStartReply> {
  return (s.timeout(30_000) as unknown as Client).emitWithAck('run:start', { graph: g, ...extra } as never);
}

/** Start a run that must be accepted; returns its id. */
export async function startOk(s: Client, g: unknown, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await start(s, g, extra);
  if (!r.ok) throw new Error(`run refused: ${JSON.stringify(r.error)}`);
  return r.runId;
}

/** The real server running graphs on trained weights, and a socket whose events are recorded. */
export interface GraphServer {
  url: string;
  socket: Client;
  recorder: Recorder;
  /** Close the socket, stop the server and remove its data folder. */
  stop(): Promise<void>;
}

/**
 * Starts the server on the weights in `weightsDir`, in a data folder of its own (a temp folder
 * named `tmpPrefix`…), with one worker and debug on: the leak checks read that worker's tensor
 * counts from /api/debug/memory.
 */
export async function startGraphServer(weightsDir: string, tmpPrefix: string, env: Record<string, string> = {}): Promise<GraphServer> {
  const tmp = mkdtempSync(join(tmpdir(), tmpPrefix));
  let server: RunningServer | undefined;
  let socket: Client | undefined;
  const stop = async () => {
    socket?.close();
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    server = await startServer({ ui: false, env: { UNCLIP_DEBUG: '1', UNCLIP_WORKERS: '1', UNCLIP_DATA_DIR: join(tmp, 'data'), UNCLIP_WEIGHTS_DIR: weightsDir, ...env } });
    socket = await connect(server.url);
  } catch (e) {
    await stop(); // a failed start leaves no server or folder behind
    throw e;
  }
  return { url: server.url, socket, recorder: new Recorder(socket), stop };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Order of node-level events: [event, nodeId] pairs. */
export function trace(events: RunEvent[]): string[] {
  return events.map((e) => ('nodeId' in e.payload && e.payload.nodeId ? `${e.event} ${e.payload.nodeId}` : e.event));
}
