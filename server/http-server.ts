// One HTTP server for everything: /healthz, the Next.js studio, and socket.io on the same port.
// Split from main.ts so tests can start it on a free loopback port without touching signals.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as IOServer, type Socket } from 'socket.io';
import {
  ERROR_CODES,
  PingRequestSchema,
  echo,
  parsePayload,
  protocolError,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerInfo,
  type ServerToClientEvents,
  type SocketData,
} from '../protocol/index.js';
import { originAllowed, STATE_CHANGING } from './origin.js';

export type StudioIO = IOServer<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface StudioServerOptions {
  port: number;
  host?: string;
  info: ServerInfo;
  /** The Next.js request handler; absent when the UI is disabled (UNCLIP_UI=0). */
  nextHandler?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;
  /** Next's websocket upgrade handler (dev-mode hot reload). */
  nextUpgrade?: (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void;
  /** REST handler (the graph engine's /api/*); returns false for paths it does not serve. */
  api?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /** Counters /healthz reports beside `info` (the graph engine's, e.g. frames that failed to encode). */
  stats?: () => Record<string, number>;
  /** Called once with the socket.io server before it listens (the graph engine's socket handlers). */
  setupIO?: (io: StudioIO) => void;
  /**
   * The largest socket.io message (default 16 MiB). Over it socket.io drops the client, so keep it
   * above the engine's own request limit, which answers with PAYLOAD_TOO_LARGE.
   */
  maxMessageBytes?: number;
  /**
   * Web origins allowed besides the studio's own (UNCLIP_ALLOWED_ORIGINS; server/origin.ts): a
   * socket.io handshake or a state-changing request from any other page is refused.
   */
  allowedOrigins?: readonly string[];
}

type Ack<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1];

/** The client events this server answers; any other event that asks for an ack is told so. */
const CLIENT_EVENTS: Record<keyof ClientToServerEvents, true> = { 'server:ping': true, 'run:start': true, 'run:cancel': true, 'run:watch': true };

/**
 * socket.io calls a handler with whatever the client sent and, when it asked for an answer, the
 * ack last: `emit('run:start', ack)` hands the ack over as the payload. This takes the ack from
 * the end and the payload from the front, so every request with an ack gets an answer.
 */
function takeRequest(args: unknown[]): { req: unknown; ack: (reply: unknown) => void } | null {
  const ack = args[args.length - 1];
  if (typeof ack !== 'function') return null;
  return { req: args.length > 1 ? args[0] : undefined, ack: ack as (reply: unknown) => void };
}

/** Registers a request handler (an event with an ack); requests sent without an ack are ignored. */
export function onRequest<E extends keyof ClientToServerEvents>(socket: Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>, event: E, handle: (req: unknown, ack: Ack<E>) => void): void {
  // untyped on purpose: the arguments are whatever the client sent
  (socket as unknown as { on(event: string, listener: (...args: unknown[]) => void): void }).on(event, (...args: unknown[]) => {
    const r = takeRequest(args);
    if (r) handle(r.req, r.ack as Ack<E>);
  });
}


export interface StudioServer {
  http: http.Server;
  io: StudioIO;
  port: number;
  close(): Promise<void>;
}

export async function startStudioServer(opts: StudioServerOptions): Promise<StudioServer> {
  const allowedOrigins = opts.allowedOrigins ?? [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(opts.stats ? { ...opts.info, stats: opts.stats() } : opts.info));
      return;
    }
    if (STATE_CHANGING.has(req.method ?? 'GET') && !originAllowed(req.headers, allowedOrigins)) {
      const body = JSON.stringify(protocolError('ORIGIN_FORBIDDEN', `requests from pages on ${echo(String(req.headers.origin))} are not accepted here`));
      req.resume(); // read the body away so the client sees the answer
      res.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (opts.api?.(req, res)) return;
    if (opts.nextHandler) {
      Promise.resolve(opts.nextHandler(req, res)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal error: ${(err as Error).message}`);
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('the studio UI is disabled on this server (UNCLIP_UI=0)');
  });

  const io: StudioIO = new IOServer(server, {
    maxHttpBufferSize: opts.maxMessageBytes ?? 16 * 2 ** 20,
    // every handshake (polling or WebSocket upgrade): a WebSocket from another site has no CORS to stop it
    allowRequest: (req, done) => (originAllowed(req.headers, allowedOrigins) ? done(null, true) : done(`ORIGIN_FORBIDDEN: ${ERROR_CODES.ORIGIN_FORBIDDEN}`, false)),
  });
  if (opts.nextUpgrade) {
    const upgrade = opts.nextUpgrade;
    server.on('upgrade', (req, socket, head) => {
      // socket.io handles its own path; everything else (Next HMR in dev) goes to Next.
      if (!(req.url ?? '').startsWith('/socket.io/')) upgrade(req, socket, head);
    });
  }

  io.on('connection', (socket) => {
    socket.data.connectedAt = Date.now();
    socket.emit('server:info', opts.info);
    onRequest(socket, 'server:ping', (req, ack) => {
      const parsed = parsePayload(PingRequestSchema, req);
      if (!parsed.ok) return ack(parsed);
      ack({ clientTime: parsed.value.clientTime, serverTime: Date.now() });
    });
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && Object.hasOwn(CLIENT_EVENTS, event)) return;
      takeRequest(args)?.ack(protocolError('BAD_REQUEST', `unknown event "${echo(String(event))}"`));
    });
  });

  opts.setupIO?.(io);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      // io.close() disconnects every socket and closes the HTTP server; keep-alive HTTP
      // connections would hold it open, so drop them too.
      io.close(() => resolve());
      server.closeAllConnections();
    }));
  return { http: server, io, port, close };
}
