// The studio's one process: picks the tensor backend, prepares Next.js, serves HTTP + socket.io
// on PORT (default 3000), and shuts down cleanly on SIGINT/SIGTERM (exit 0). With REDIS_URL it
// runs no ML itself: runs go to `npm run worker` processes (server/redis.ts).
import next from 'next';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../ml/backend.js';
import { PACKAGE_VERSION } from './app-info.js';
import { createEngine } from './engine.js';
import { startStudioServer } from './http-server.js';
import { redisWhere } from './redis.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST || undefined;
const dev = process.env.NODE_ENV !== 'production';
const withUI = process.env.UNCLIP_UI !== '0';

/**
 * A start-up failure (bad settings, a damaged or unwritable database, a port in use) as one line
 * saying what, where and what to do, then exit 1: an uncaught error here would also reach
 * tfjs-wasm's handler, which prints its whole minified source and exits 7.
 */
function cannotStart(e: unknown): never {
  const err = e as NodeJS.ErrnoException;
  const line = err.code === 'EADDRINUSE' ? `port ${port} on ${host ?? 'all interfaces'} is in use: stop what holds it or set PORT` : String(err?.message ?? e).split('\n')[0];
  console.error(`[server] cannot start: ${line}`);
  process.exit(1);
}

const backend = await initBackend().catch(cannotStart);
// the graph engine: worker pool (ML off this thread), runner, store, REST
let engine: ReturnType<typeof createEngine>;
try {
  engine = createEngine();
} catch (e) {
  cannotStart(e);
}

let nextHandler;
let nextUpgrade;
if (withUI) {
  const dir = fileURLToPath(new URL('..', import.meta.url));
  const app = next({ dev, dir, hostname: host ?? 'localhost', port });
  await app.prepare().catch(cannotStart);
  nextHandler = app.getRequestHandler();
  if (dev) nextUpgrade = app.getUpgradeHandler();
}

const server = await startStudioServer({
  port,
  host,
  info: { ok: true, backend: backend.name, ...(backend.adapter ? { adapter: backend.adapter } : {}), version: PACKAGE_VERSION },
  nextHandler,
  nextUpgrade,
  api: engine.api,
  stats: engine.stats,
  setupIO: (io) => engine.attach(io),
  // above the engine's request limit, so a payload over it is answered (PAYLOAD_TOO_LARGE) rather than dropped
  maxMessageBytes: Math.max(16 * 2 ** 20, 2 * engine.config.maxRequestBytes),
  allowedOrigins: engine.config.allowedOrigins,
}).catch(cannotStart);
console.log(`[server] unCLIP Studio ${PACKAGE_VERSION} on http://${host ?? 'localhost'}:${server.port} (${dev ? 'dev' : 'production'}, backend ${backend.name}${withUI ? '' : ', no UI'}, ${engine.config.redisUrl ? `runs on \`npm run worker\` processes via ${redisWhere(engine.config.redisUrl)}` : `${engine.pool.size} node worker${engine.pool.size === 1 ? '' : 's'}`}, data ${engine.config.dataDir})`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`[server] ${signal}: closing sockets and stopping`);
    // Never hang on shutdown: if something holds the server open, leave anyway after 5 s.
    setTimeout(() => process.exit(0), 5000).unref();
    server
      .close()
      .then(() => engine.close())
      .then(() => process.exit(0));
  });
}
