// `npm run worker`: a worker process for scale-out (REDIS_URL must be set; start one per machine
// or GPU). It takes runs from the BullMQ queue the socket servers fill (server/redis.ts) and
// executes each with the same code the in-process path uses (server/executor.ts: PoolDispatcher
// on this process's own worker pool and output cache, UNCLIP_WORKERS runs at a time, one core
// each by default). What happens is published back to the socket server that enqueued the run;
// a cancel published on `unclip:cancel` sets the run's shared flag, which its worker thread sees
// at the next step. SIGINT/SIGTERM cancels the runs in progress, waits for them to end and exits 0.
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { nodeDefs } from '../nodes/index.js';
import { seedShippedMaps } from '../nodes/lib/embedding-map-file.js';
import { OutputCache } from './cache.js';
import { configFromEnv } from './config.js';
import { PoolDispatcher, type ExecSink, type NodeRecord } from './executor.js';
import { WorkerPool } from './pool.js';
import { CANCEL_CHANNEL, connectRedis, decodePlan, encodeMessage, QUEUE_NAME, redisWhere, type RemoteMessage, type RunJobData } from './redis.js';

const config = configFromEnv();
if (!config.redisUrl) {
  console.error('[worker] REDIS_URL is not set: `npm run worker` takes runs from Redis (without it, `npm start` runs everything in one process)');
  process.exit(2);
}

seedShippedMaps(join(config.weightsDir, 'clip'), config.cacheDir);
const pool = new WorkerPool(config.workers, { debug: config.debug, cacheDir: config.cacheDir }, config.workerRecycleMb);
const cache = new OutputCache(config.cacheMb * 2 ** 20);
const dispatcher = new PoolDispatcher(pool, {
  defs: new Map(nodeDefs({ debug: config.debug }).map((d) => [d.decl.type, d])),
  weightsDir: config.weightsDir,
  limits: config.limits,
  cache,
});

const conn = connectRedis(config.redisUrl);
const sub = conn.duplicate();

/** cancel flags of the runs in progress here */
const active = new Map<string, SharedArrayBuffer>();
/** runs cancelled lately (a cancel may arrive between the job turning active and its start here) */
const cancelled = new Set<string>();
sub.on('message', (_channel: string, runId: string) => {
  cancelled.add(runId);
  if (cancelled.size > 1000) cancelled.delete(cancelled.values().next().value!);
  const flag = active.get(runId);
  if (flag) Atomics.store(new Int32Array(flag), 0, 1);
});
await sub.subscribe(CANCEL_CHANNEL);

const worker = new Worker<RunJobData>(
  QUEUE_NAME,
  async (job) => {
    const runId = job.id!;
    const cancel = new SharedArrayBuffer(4);
    if (cancelled.has(runId)) Atomics.store(new Int32Array(cancel), 0, 1);
    active.set(runId, cancel);
    // one connection publishes this run's messages, so they arrive in the order sent
    let last: Promise<unknown> = Promise.resolve();
    const send = (m: RemoteMessage) => {
      last = conn.publish(job.data.replyTo, encodeMessage(m)).catch((e: unknown) => console.error(`[worker] run ${runId}: could not publish: ${(e as Error).message}`));
    };
    try {
      const plan = decodePlan(job.data.plan);
      const nodes = new Map<string, NodeRecord>(plan.order.map((id) => [id, { status: 'pending' }]));
      const sink: ExecSink = {
        started: () => send({ runId, type: 'started' }),
        event: (ev) => send({ runId, type: 'event', ev }),
        step: (nodeId, info, variant) => send(variant === undefined ? { runId, type: 'step', nodeId, info } : { runId, type: 'step', nodeId, info, variant }),
        flushed: () => last.then(() => {}),
      };
      const result = await dispatcher.run({ runId, plan, cancel, nodes }, sink);
      send({ runId, type: 'end', result, nodes: [...nodes] });
    } catch (e) {
      send({ runId, type: 'end', result: { outcome: { kind: 'error', code: 'INTERNAL', message: (e as Error).message }, ms: 0, timings: {}, cached: [] }, nodes: [] });
    } finally {
      active.delete(runId);
    }
    await last;
  },
  // a run whose worker process died is failed (the socket server reports WORKER_CRASHED), not
  // started again from the top under clients that already saw half of it
  { connection: conn, concurrency: config.workers, maxStalledCount: 0 },
);
worker.on('error', (e) => console.error(`[worker] ${e.message}`));
await worker.waitUntilReady();
console.log(`[worker] taking runs from ${redisWhere(config.redisUrl)} (queue ${QUEUE_NAME}), ${pool.size} node worker${pool.size === 1 ? '' : 's'}${config.debug ? ', debug nodes' : ''}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`[worker] ${signal}: cancelling ${active.size} run${active.size === 1 ? '' : 's'} and stopping`);
    setTimeout(() => process.exit(0), 10_000).unref();
    for (const flag of active.values()) Atomics.store(new Int32Array(flag), 0, 1);
    worker
      .close()
      .then(() => Promise.allSettled([pool.close(), sub.quit(), conn.quit()]))
      .then(() => process.exit(0));
  });
}
