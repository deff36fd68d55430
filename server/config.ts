// The graph engine's settings, from the environment (README "Graph engine" lists them).
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, type Limits } from '../protocol/index.js';
import { parseAllowedOrigins } from './origin.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface EngineConfig {
  limits: Limits;
  /** Worker threads running nodes (UNCLIP_WORKERS; default one per core). */
  workers: number;
  /**
   * A worker thread holding more than this many MiB after a run (its heap plus the backend's,
   * which never shrinks) is replaced by a fresh one, so a heavy run's memory goes back to the OS
   * (UNCLIP_WORKER_RECYCLE_MB; 0: never). The examples leave a worker at 150-330 MiB; a 64-image
   * decode, about 1,400. The fresh thread loads its models again on its next run. Higher keeps
   * heavy workers warm; lower keeps RSS nearer the idle figure.
   */
  workerRecycleMb: number;
  /** SQLite store folder (UNCLIP_DATA_DIR; default ./data). */
  dataDir: string;
  /** Root of model checkpoints: <weightsDir>/clip, later prior/, decoder/ (UNCLIP_WEIGHTS_DIR; default weights/). */
  weightsDir: string;
  /** Derived caches such as the embedding map (UNCLIP_CACHE_DIR; default data/cache, beside the corpus cache). */
  cacheDir: string;
  /** UNCLIP_DEBUG=1: debug-steps node and /api/debug/memory. */
  debug: boolean;
  /** Output cache budget in MiB (UNCLIP_CACHE_MB). */
  cacheMb: number;
  /**
   * The largest request accepted, a REST body or a `run:start` payload (UNCLIP_MAX_REQUEST_BYTES;
   * default one upload as a data: URL plus 1 MiB of graph). Larger ones are refused with
   * PAYLOAD_TOO_LARGE before they are parsed or checked.
   */
  maxRequestBytes: number;
  /** Finished runs kept in memory for watch and replay (UNCLIP_KEEP_RUNS). */
  keepRuns: number;
  /** Heavy-use limits beyond the graph's own (docs/engine.md "Limits under heavy use"). */
  quotas: Quotas;
  /**
   * How long a run outlives its owner's socket when nobody else watches it (UNCLIP_RUN_GRACE_MS;
   * default 30 s; 0 cancels at once): a reload or a dropped connection re-watches it in time.
   */
  runGraceMs: number;
  /** The database's size cap in MiB, 0 for none (UNCLIP_MAX_DB_MB): past it writes fail with STORE_FAILED as on a full disk. */
  maxDbMb: number;
  /** Web origins allowed besides the studio's own, for socket.io and state-changing requests (UNCLIP_ALLOWED_ORIGINS; server/origin.ts). */
  allowedOrigins: string[];
  /**
   * REDIS_URL: scale out. Runs go through BullMQ to `npm run worker` processes and socket events
   * through the socket.io Redis adapter (server/redis.ts). Unset: everything in this process.
   */
  redisUrl?: string;
}

/**
 * What one visitor may take of the machine and the disk. A client's address is its socket's (or
 * HTTP connection's) peer address, or with `trustProxy` the last X-Forwarded-For hop.
 */
export interface Quotas {
  /** Runs queued or running from one client address, all its sockets together (UNCLIP_MAX_QUEUED_PER_ADDRESS). */
  maxQueuedPerAddress: number;
  /** Runs queued or running on this server, from everyone (UNCLIP_MAX_QUEUED_TOTAL): SERVER_BUSY over it. */
  maxQueuedTotal: number;
  /** UNCLIP_TRUST_PROXY=1: behind one trusted reverse proxy, the client is the last X-Forwarded-For entry. */
  trustProxy: boolean;
  /** State-changing REST requests per address: a bucket of `writeBurst` refilled at `writesPerMinute` (UNCLIP_WRITE_BURST, UNCLIP_WRITES_PER_MINUTE). */
  writeBurst: number;
  writesPerMinute: number;
  /** A saved graph's JSON (UNCLIP_MAX_GRAPH_BYTES): GRAPH_TOO_LARGE over it. */
  maxGraphBytes: number;
  /** A stored run's events (UNCLIP_MAX_STORED_RUN_BYTES): past it, later step frames are not stored. */
  maxStoredRunBytes: number;
  /** Stored runs kept per saved graph, newest first (UNCLIP_KEEP_STORED_RUNS); its newest finished one is always kept. */
  keepStoredRuns: number;
  /** Stored runs older than this many days are dropped, but for each graph's newest finished one (UNCLIP_STORED_RUN_DAYS; 0: no age limit). */
  storedRunDays: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name}=${raw}: want an integer ≥ ${min}`);
  return v;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const limits: Limits = {
    maxNodes: int(env, 'UNCLIP_MAX_NODES', DEFAULT_LIMITS.maxNodes, 1),
    maxEdges: int(env, 'UNCLIP_MAX_EDGES', DEFAULT_LIMITS.maxEdges, 0),
    maxTextChars: int(env, 'UNCLIP_MAX_TEXT_CHARS', DEFAULT_LIMITS.maxTextChars, 1),
    maxUploadBytes: int(env, 'UNCLIP_MAX_UPLOAD_BYTES', DEFAULT_LIMITS.maxUploadBytes, 1),
    maxUploadPixels: int(env, 'UNCLIP_MAX_UPLOAD_PIXELS', DEFAULT_LIMITS.maxUploadPixels, 1),
    maxSteps: int(env, 'UNCLIP_MAX_STEPS', DEFAULT_LIMITS.maxSteps, 1),
    maxBatch: int(env, 'UNCLIP_MAX_BATCH', DEFAULT_LIMITS.maxBatch, 1),
    maxQueuedPerClient: int(env, 'UNCLIP_MAX_QUEUED', DEFAULT_LIMITS.maxQueuedPerClient, 1),
    maxRunCost: int(env, 'UNCLIP_MAX_RUN_COST', DEFAULT_LIMITS.maxRunCost, 1),
  };
  const maxRequestBytes = int(env, 'UNCLIP_MAX_REQUEST_BYTES', Math.ceil(limits.maxUploadBytes * 1.4) + 2 ** 20, 1024);
  const quotas: Quotas = {
    // several tabs and the tests share one address; the load bench raises it
    maxQueuedPerAddress: int(env, 'UNCLIP_MAX_QUEUED_PER_ADDRESS', 2 * limits.maxQueuedPerClient, 1),
    maxQueuedTotal: int(env, 'UNCLIP_MAX_QUEUED_TOTAL', 32, 1),
    trustProxy: env.UNCLIP_TRUST_PROXY === '1',
    writeBurst: int(env, 'UNCLIP_WRITE_BURST', 60, 1),
    writesPerMinute: int(env, 'UNCLIP_WRITES_PER_MINUTE', 60, 1),
    // a graph holds at most what one request may carry (one upload as a data: URL)
    maxGraphBytes: int(env, 'UNCLIP_MAX_GRAPH_BYTES', maxRequestBytes, 1024),
    maxStoredRunBytes: int(env, 'UNCLIP_MAX_STORED_RUN_BYTES', 32 * 2 ** 20, 1024),
    keepStoredRuns: int(env, 'UNCLIP_KEEP_STORED_RUNS', 5, 1),
    storedRunDays: int(env, 'UNCLIP_STORED_RUN_DAYS', 0, 0),
  };
  return {
    limits,
    workers: int(env, 'UNCLIP_WORKERS', availableParallelism(), 1),
    workerRecycleMb: int(env, 'UNCLIP_WORKER_RECYCLE_MB', 384, 0),
    dataDir: resolve(env.UNCLIP_DATA_DIR || resolve(REPO_ROOT, 'data')),
    weightsDir: resolve(env.UNCLIP_WEIGHTS_DIR || resolve(REPO_ROOT, 'weights')),
    cacheDir: resolve(env.UNCLIP_CACHE_DIR || resolve(REPO_ROOT, 'data', 'cache')),
    debug: env.UNCLIP_DEBUG === '1',
    cacheMb: int(env, 'UNCLIP_CACHE_MB', 256, 0),
    maxRequestBytes,
    keepRuns: int(env, 'UNCLIP_KEEP_RUNS', 100, 1),
    quotas,
    runGraceMs: int(env, 'UNCLIP_RUN_GRACE_MS', 30_000, 0),
    maxDbMb: int(env, 'UNCLIP_MAX_DB_MB', 0, 0),
    allowedOrigins: parseAllowedOrigins(env.UNCLIP_ALLOWED_ORIGINS),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
  };
}
