// REST: the node catalogue, saved graphs (share id + edit token), their latest runs, runs by id,
// the embedding map's corpus points, and (UNCLIP_DEBUG=1) worker tensor counts.
//
//   GET  /api/nodes                     → Catalogue {nodes, planned, limits}
//   POST /api/graphs {graph, title?}    → 201 {id, editToken}
//   GET  /api/graphs/:id                → {id, title, graph, createdAt, updatedAt, forkOf, latestRunId}
//   PUT  /api/graphs/:id {graph, title?} with Authorization: Bearer <editToken> → {id, updatedAt}
//   DELETE /api/graphs/:id with Authorization: Bearer <editToken> → 204 (its stored runs go too)
//   POST /api/graphs/:id/fork {title?}  → 201 {id, editToken}
//   GET  /api/graphs/:id/runs/latest    → the stored run: {id, status, ..., events, outputs}
//   GET  /api/runs/:runId               → a run the server still holds (memory, else the store)
//   GET  /api/runs/:runId/animation/:nodeId.webp|.gif[?variant=N] → that node's denoising steps animated (server/animation.ts; N: a sweep's variant)
//   GET  /api/embedding-map/:mapId      → the corpus points of a fitted map
//   GET  /api/corpus/icon/:key.png[?size=32|64] → one corpus icon as PNG (server/corpus-icon.ts)
//   GET  /api/debug/memory[?reset]      → per worker {numTensors, resident, rssMb, ownMb}, server RSS
//                                          and socket-thread heap, the socket thread's event-loop
//                                          delay since the last reset, cache and runner counters
//                                          (UNCLIP_DEBUG=1 only)
//
// Errors: {ok: false, error: {code, message}} with a fitting HTTP status. A JSON body needs
// Content-Type: application/json (415 otherwise); state-changing requests from pages on other
// origins are refused before they get here (server/origin.ts, in http-server.ts). State-changing
// requests (POST, PUT, DELETE) are paced per client address (429 RATE_LIMITED with Retry-After),
// and a saved graph's JSON is limited in bytes (413 GRAPH_TOO_LARGE).
import type http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { z } from 'zod';
import { echo, formatZodIssues, GraphSchema, validateGraph, type Catalogue, type ErrorCode, type Graph, type StoredRun, type StoredRunWithOutputs } from '../protocol/index.js';
import { readMapFile } from '../nodes/lib/embedding-map-file.js';
import { animate, sampleFrames, stepFrames, type AnimationFormat } from './animation.js';
import { clientAddress, RateLimiter } from './client-limits.js';
import { corpusIcon, sendIcon } from './corpus-icon.js';
import type { EngineConfig } from './config.js';
import type { WorkerPool } from './pool.js';
import type { Runner } from './runner.js';
import type { Store } from './store.js';

const SaveSchema = z.object({ graph: z.unknown(), title: z.string().max(200).optional() }).strict();
const ForkSchema = z.object({ title: z.string().max(200).optional() }).strict();

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: http.OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

export interface ApiDeps {
  config: EngineConfig;
  catalogue: Catalogue;
  store: Store;
  runner: Runner;
  pool: WorkerPool;
}

/** Handles /api/*; returns false for anything else. */
export function createApi(deps: ApiDeps): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const { config, catalogue, store, runner, pool } = deps;
  const bodyLimit = config.maxRequestBytes;
  const { quotas } = config;
  const writes = new RateLimiter(quotas.writeBurst, quotas.writesPerMinute);
  // event-loop delay of the socket thread, for tests and benchmarks (debug only); sampled every
  // 1 ms, so an idle loop reads about 1 ms
  const loop = config.debug ? monitorEventLoopDelay({ resolution: 1 }) : undefined;
  loop?.enable();

  async function route(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;
    if (STATE_CHANGING.has(method)) pace(req, 1);
    if (path === '/api/nodes' && method === 'GET') return json(res, 200, catalogue);
    if (path === '/api/graphs' && method === 'POST') {
      const body = parse(SaveSchema, await readJson(req, bodyLimit));
      const { graph, bytes } = checkGraph(body.graph);
      pace(req, sizeTokens(bytes));
      return json(res, 201, store.createGraph(graph, body.title ?? 'untitled'));
    }
    if ((m = /^\/api\/graphs\/([A-Za-z0-9_-]{1,64})$/.exec(path))) {
      const id = m[1]!;
      if (method === 'GET') {
        const g = store.getGraph(id);
        if (!g) throw new HttpError(404, 'NOT_FOUND', `no graph ${id}`);
        return json(res, 200, g);
      }
      if (method === 'PUT') {
        const body = parse(SaveSchema, await readJson(req, bodyLimit));
        const { graph } = checkGraph(body.graph);
        const r = store.updateGraph(id, bearer(req), graph, body.title);
        if (r === 'not-found') throw new HttpError(404, 'NOT_FOUND', `no graph ${id}`);
        if (r === 'forbidden') throw new HttpError(403, 'FORBIDDEN', 'editing needs Authorization: Bearer <editToken>');
        return json(res, 200, { id, updatedAt: store.getGraph(id)!.updatedAt });
      }
      if (method === 'DELETE') {
        const r = store.deleteGraph(id, bearer(req));
        if (r === 'not-found') throw new HttpError(404, 'NOT_FOUND', `no graph ${id}`);
        if (r === 'forbidden') throw new HttpError(403, 'FORBIDDEN', 'deleting needs Authorization: Bearer <editToken>');
        runner.forgetGraph(id);
        res.writeHead(204, { 'cache-control': 'no-store' }).end();
        return;
      }
    }
    if ((m = /^\/api\/graphs\/([A-Za-z0-9_-]{1,64})\/fork$/.exec(path)) && method === 'POST') {
      const body = parse(ForkSchema, (await readJson(req, bodyLimit, true)) ?? {});
      const src = store.getGraph(m[1]!);
      if (!src) throw new HttpError(404, 'NOT_FOUND', `no graph ${m[1]}`);
      pace(req, sizeTokens(Buffer.byteLength(JSON.stringify(src.graph))));
      return json(res, 201, store.createGraph(src.graph, body.title ?? `${src.title} (fork)`, src.id));
    }
    if ((m = /^\/api\/graphs\/([A-Za-z0-9_-]{1,64})\/runs\/latest$/.exec(path)) && method === 'GET') {
      if (!store.getGraph(m[1]!)) throw new HttpError(404, 'NOT_FOUND', `no graph ${m[1]}`);
      const run = store.latestRun(m[1]!);
      if (!run) throw new HttpError(404, 'NOT_FOUND', `graph ${m[1]} has no runs yet`);
      return json(res, 200, withOutputs(run));
    }
    if ((m = /^\/api\/runs\/([A-Za-z0-9_-]{1,64})$/.exec(path)) && method === 'GET') {
      const live = runner.getRun(m[1]!);
      if (live) {
        const summary = runner.summary(live);
        // a saved graph's run: its cached nodes' steps, from the stored run that made them
        return json(res, 200, live.graphId ? { ...summary, events: store.withCachedSteps(live.id, summary.events) } : summary);
      }
      const stored = store.getRun(m[1]!);
      if (stored) return json(res, 200, withOutputs(stored));
      throw new HttpError(404, 'NOT_FOUND', `no run ${m[1]}`);
    }
    if ((m = /^\/api\/runs\/([A-Za-z0-9_-]{1,64})\/animation\/([A-Za-z0-9_.:-]{1,64})\.(webp|gif)$/.exec(path)) && method === 'GET') {
      const [runId, nodeId, format] = [m[1]!, m[2]!, m[3] as AnimationFormat];
      const live = runner.getRun(runId);
      const run = live ? { log: live.graphId ? store.withCachedSteps(runId, live.log) : live.log, graph: live.plan.graph } : (() => {
        const stored = store.getRun(runId);
        return stored ? { log: stored.events, graph: stored.graph } : null;
      })();
      if (!run) throw new HttpError(404, 'NOT_FOUND', `no run ${runId}`);
      // a sweep's variant: ?variant=N (protocol/sweep.ts); the first otherwise
      const variant = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('variant') ?? 0);
      const frames = sampleFrames(stepFrames(run.log, nodeId, Number.isSafeInteger(variant) ? variant : -1));
      if (frames.length === 0) throw new HttpError(404, 'NOT_FOUND', `node ${echo(nodeId)} of run ${runId} streamed no frames (only the diffusion and debug nodes do, and not when they come from the cache)`);
      const bytes = await animate(frames, format, { graph: run.graph });
      res.writeHead(200, { 'content-type': `image/${format}`, 'content-length': bytes.length, 'content-disposition': `attachment; filename="${runId.slice(0, 8)}-${nodeId}.${format}"`, 'cache-control': 'no-store' });
      res.end(bytes);
      return;
    }
    if ((m = /^\/api\/embedding-map\/([0-9a-f]{16})$/.exec(path)) && method === 'GET') {
      const file = readMapFile(config.cacheDir, m[1]!);
      if (!file) throw new HttpError(404, 'NOT_FOUND', `no embedding map ${m[1]} (an embedding-plot node fits it on first use)`);
      return json(res, 200, file);
    }
    if ((m = /^\/api\/corpus\/icon\/([^/]{1,200})\.png$/.exec(path)) && method === 'GET') {
      const icon = await corpusIcon(m[1]!, new URL(req.url ?? '/', 'http://x').searchParams.get('size'));
      if (!icon.ok) throw new HttpError(icon.status, icon.code, icon.message);
      return sendIcon(req, res, icon);
    }
    if (path === '/api/debug/memory' && method === 'GET' && config.debug) {
      const workers = await Promise.all(pool.workers.map((w) => w.memory()));
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      const eventLoop = loop ? { p50Ms: ms(loop.percentile(50)), p99Ms: ms(loop.percentile(99)), maxMs: ms(loop.max), samples: loop.count } : null;
      if (new URL(req.url ?? '/', 'http://x').searchParams.has('reset')) loop?.reset();
      return json(res, 200, {
        workers: workers.map(({ numTensors, resident, rssMb, ownMb }) => ({ numTensors, resident, rssMb, ownMb: Math.round(ownMb) })),
        serverRssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
        serverHeapMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
        eventLoop,
        cache: runner.cache.stats(),
        runner: runner.stats,
      });
    }
    throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
  }

  /**
   * The write tokens a new graph (saved or forked) takes beyond its request's one: in proportion
   * to its size, a graph of the largest size taking the whole burst. So the pacing bounds what an
   * address adds to the store as well as how often: at most UNCLIP_WRITES_PER_MINUTE ×
   * UNCLIP_MAX_GRAPH_BYTES / UNCLIP_WRITE_BURST a minute (6.6 MB at the defaults), where unpaced
   * anonymous saves grew the database at 78 MB/s. Edits (PUT) replace a graph and take one token.
   */
  const sizeTokens = (bytes: number) => Math.floor((quotas.writeBurst * bytes) / quotas.maxGraphBytes);

  /** Takes `tokens` from the client address's write bucket, or refuses with 429 RATE_LIMITED. */
  function pace(req: http.IncomingMessage, tokens: number): void {
    if (tokens <= 0) return;
    const wait = writes.take(clientAddress(req.headers, req.socket.remoteAddress, quotas.trustProxy), tokens);
    if (wait === 0) return;
    req.resume(); // the body is not wanted; read it away so the client sees the answer
    throw new HttpError(429, 'RATE_LIMITED', `too many changes from this address; retry in ${wait} s`, {}, { 'retry-after': String(wait) });
  }

  function checkGraph(g: unknown): { graph: Graph; bytes: number } {
    // Saving is allowed for unfinished graphs (missing links, unknown params): only the format
    // and size are enforced here. Running checks everything.
    const r = GraphSchema.safeParse(g);
    if (!r.success) throw new HttpError(400, 'GRAPH_SCHEMA', formatZodIssues(r.error));
    const v = validateGraph(r.data, { catalogue });
    if (!v.ok) {
      const big = v.errors.find((e) => e.code === 'GRAPH_TOO_LARGE');
      if (big) throw new HttpError(413, 'GRAPH_TOO_LARGE', big.message);
    }
    const bytes = Buffer.byteLength(JSON.stringify(r.data));
    if (bytes > quotas.maxGraphBytes) throw new HttpError(413, 'GRAPH_TOO_LARGE', `the graph is ${bytes} bytes as JSON; this server stores at most ${quotas.maxGraphBytes}`);
    return { graph: r.data, bytes };
  }

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!path.startsWith('/api/')) return false;
    route(req, res, path).catch((e: unknown) => {
      // a full disk or database (UNCLIP_MAX_DB_MB): nothing was written, and the client is told so
      if ((e as { code?: unknown } | null)?.code === 'SQLITE_FULL') e = new HttpError(507, 'STORE_FAILED', `nothing was saved: ${(e as Error).message}`);
      if (e instanceof HttpError) return json(res, e.status, { ok: false, error: { code: e.code, message: e.message }, ...e.extra }, e.status === 413 ? { ...e.headers, connection: 'close' } : e.headers);
      console.error(`[api] ${req.method} ${path}: ${(e as Error).stack ?? e}`);
      json(res, 500, { ok: false, error: { code: 'INTERNAL', message: (e as Error).message } });
    });
    return true;
  };
}

/** The stored run plus each node's last outputs, so a share page needs no event folding. */
function withOutputs(run: StoredRun): StoredRunWithOutputs {
  // node ids are user text: collected in a Map (a plain object would swallow "__proto__")
  const outputs = new Map<string, StoredRunWithOutputs['outputs'][string]>();
  for (const e of run.events) if (e.event === 'node:output') outputs.set(e.payload.nodeId, e.payload.outputs);
  return { ...run, outputs: Object.fromEntries(outputs) };
}

function parse<S extends z.ZodTypeAny>(schema: S, v: unknown): z.infer<S> {
  const r = schema.safeParse(v);
  if (!r.success) throw new HttpError(400, 'BAD_REQUEST', formatZodIssues(r.error));
  return r.data;
}

function bearer(req: http.IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m?.[1];
}

/** How much of an oversized body is read and thrown away so that its client can read the 413. */
const DISCARD_MAX = 64 * 2 ** 20;

/**
 * Reads a JSON body of at most `limit` bytes. A larger one is refused with 413 without keeping
 * it: the rest is read and thrown away (up to DISCARD_MAX) before the answer, since a client
 * still sending its body when the connection closes sees a reset instead of the JSON error. The
 * 413 closes the connection after it.
 */
function readJson(req: http.IncomingMessage, limit: number, allowEmpty = false): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => reject(new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`));
    const chunks: Buffer[] = [];
    let n = 0;
    let over = Number(req.headers['content-length']) > limit;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (!over && n > limit) {
        over = true;
        chunks.length = 0;
      }
      if (!over) chunks.push(c);
      else if (n > limit + DISCARD_MAX) tooLarge(); // enough: answer now (settles once)
    });
    req.on('end', () => {
      if (over) return tooLarge();
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return allowEmpty ? resolve(undefined) : reject(new HttpError(400, 'BAD_REQUEST', 'empty body'));
      // a page on another site can POST text/plain without asking (no CORS preflight); JSON it cannot
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') return reject(new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as Content-Type: application/json (got "${echo(type)}")`));
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(new HttpError(400, 'GRAPH_SCHEMA', `malformed JSON: ${(e as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
