// Wires the graph engine together: config, node catalogue, worker pool, output cache, runner,
// store and REST. server/main.ts creates one and hands its HTTP and socket hooks to
// http-server.ts.
import type http from 'node:http';
import { catalogue as buildCatalogue, migrations as buildMigrations, nodeDefs } from '../nodes/index.js';
import type { Catalogue } from '../protocol/index.js';
import { createApi } from './api.js';
import { configFromEnv, type EngineConfig } from './config.js';
import type { StudioIO } from './http-server.js';
import { WorkerPool } from './pool.js';
import { Runner } from './runner.js';
import { Store } from './store.js';

export interface Engine {
  config: EngineConfig;
  catalogue: Catalogue;
  store: Store;
  pool: WorkerPool;
  /** Set once the socket.io server exists (attach). */
  runner?: Runner;
  api: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  attach(io: StudioIO): void;
  close(): Promise<void>;
}

export function createEngine(config: EngineConfig = configFromEnv()): Engine {
  const catalogue = buildCatalogue({ debug: config.debug, limits: config.limits });
  const defs = nodeDefs({ debug: config.debug });
  const store = new Store(config.dataDir);
  const pool = new WorkerPool(config.workers, { debug: config.debug, cacheDir: config.cacheDir });
  let api: Engine['api'] = (_req, res) => {
    res.writeHead(503).end();
    return true;
  };
  const engine: Engine = {
    config,
    catalogue,
    store,
    pool,
    api: (req, res) => api(req, res),
    attach(io) {
      const runner = new Runner(io, pool, config, catalogue, buildMigrations({ debug: config.debug }), defs, store);
      engine.runner = runner;
      api = createApi({ config, catalogue, store, runner, pool });
      io.on('connection', (socket) => runner.attach(socket));
    },
    async close() {
      engine.runner?.cancelAll();
      await pool.close();
      store.close();
    },
  };
  return engine;
}
