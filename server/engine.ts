// Wires the graph engine together: config, node catalogue, worker pool, output cache, runner,
// store and REST. server/main.ts creates one and hands its HTTP and socket hooks to
// http-server.ts. With REDIS_URL the runner dispatches to `npm run worker` processes through
// BullMQ instead of this process's pool (which then has no workers), and socket.io gets the
// Redis adapter (server/redis.ts).
import type http from 'node:http';
import { join } from 'node:path';
import { catalogue as buildCatalogue, migrations as buildMigrations, nodeDefs } from '../nodes/index.js';
import { seedShippedMaps } from '../nodes/lib/embedding-map-file.js';
import type { Catalogue } from '../protocol/index.js';
import { createApi } from './api.js';
import { OutputCache } from './cache.js';
import { configFromEnv, type EngineConfig } from './config.js';
import { PoolDispatcher, type Dispatcher } from './executor.js';
import type { StudioIO } from './http-server.js';
import { WorkerPool } from './pool.js';
import { attachRedisAdapter, RedisDispatcher } from './redis.js';
import { Runner } from './runner.js';
import { Store } from './store.js';

export interface Engine {
  config: EngineConfig;
  catalogue: Catalogue;
  store: Store;
  /** This process's node workers (none when runs go to worker processes through Redis). */
  pool: WorkerPool;
  dispatcher: Dispatcher;
  /** Set once the socket.io server exists (attach). */
  runner?: Runner;
  api: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /** The runner's counters (runs started, steps dropped for slow sockets, frames not encoded), for /healthz. */
  stats(): Record<string, number>;
  attach(io: StudioIO): void;
  close(): Promise<void>;
}

export function createEngine(config: EngineConfig = configFromEnv()): Engine {
  const catalogue = buildCatalogue({ debug: config.debug, limits: config.limits });
  const defs = nodeDefs({ debug: config.debug });
  const store = Store.open(config.dataDir, { keepPerGraph: config.quotas.keepStoredRuns, maxAgeDays: config.quotas.storedRunDays });
  if (config.maxDbMb > 0) store.limitBytes(config.maxDbMb * 2 ** 20);
  seedShippedMaps(join(config.weightsDir, 'clip'), config.cacheDir);
  const pool = new WorkerPool(config.redisUrl ? 0 : config.workers, { debug: config.debug, cacheDir: config.cacheDir }, config.workerRecycleMb);
  const cache = new OutputCache(config.cacheMb * 2 ** 20);
  const dispatcher: Dispatcher = config.redisUrl
    ? new RedisDispatcher(config.redisUrl)
    : new PoolDispatcher(pool, { defs: new Map(defs.map((d) => [d.decl.type, d])), weightsDir: config.weightsDir, limits: config.limits, cache });
  let closeAdapter = async () => {};
  let api: Engine['api'] = (_req, res) => {
    res.writeHead(503).end();
    return true;
  };
  const engine: Engine = {
    config,
    catalogue,
    store,
    pool,
    dispatcher,
    api: (req, res) => api(req, res),
    stats: () => ({ ...engine.runner?.stats }),
    attach(io) {
      if (config.redisUrl) closeAdapter = attachRedisAdapter(io, config.redisUrl);
      const runner = new Runner({ io, dispatcher, cache, config, catalogue, migrations: buildMigrations({ debug: config.debug }), defs, store, scaledOut: !!config.redisUrl });
      engine.runner = runner;
      api = createApi({ config, catalogue, store, runner, pool });
      io.on('connection', (socket) => runner.attach(socket));
    },
    async close() {
      engine.runner?.cancelAll();
      await Promise.all([pool.close(), dispatcher.close(), closeAdapter()]);
      store.close();
    },
  };
  return engine;
}
