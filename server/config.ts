// The graph engine's settings, from the environment (README "Graph engine" lists them).
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, type Limits } from '../protocol/index.js';

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
  /**
   * REDIS_URL: scale out. Runs go through BullMQ to `npm run worker` processes and socket events
   * through the socket.io Redis adapter (server/redis.ts). Unset: everything in this process.
   */
  redisUrl?: string;
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
    maxRequestBytes: int(env, 'UNCLIP_MAX_REQUEST_BYTES', Math.ceil(limits.maxUploadBytes * 1.4) + 2 ** 20, 1024),
    keepRuns: int(env, 'UNCLIP_KEEP_RUNS', 100, 1),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
  };
}
