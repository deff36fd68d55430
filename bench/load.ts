// Load: 16 socket.io clients against the real server (two node workers) for 2 minutes
// (`--load-seconds`, `--load-clients`), each starting runs of the examples (fewer sampling steps,
// random seeds) one after another, cancelling some, and leaving mid-run on others (closing the
// socket and coming back on a new one). Reported:
//   stuck_runs: accepted runs that never ended (no done/error/cancelled for their client, or
//     still queued or running on the server once the load has drained)
//   dropped_clients: disconnects the client did not ask for
//   healthz_p50_ms / healthz_p99_ms: /healthz polled every 100 ms from a separate process
//   event_loop_p99_ms / event_loop_max_ms: the server's socket-thread delay over the load (what of
//     the /healthz time is the server's own stall rather than a busy machine)
//   rss_before_mb / rss_after_mb: the server's RSS, idle, before the load (warm: each worker has
//     run every example) and after it
//   refused: run:start refusals by code (limits such as TOO_MANY_QUEUED count here, not as failures)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../ml/rng.js';
import { connect, Recorder, sleep, type Client } from '../test/helpers/graph.js';
import { ROOT, startServer } from '../test/helpers/server.js';

export interface LoadFigures {
  clients: number;
  seconds: number;
  runs_started: number;
  runs_done: number;
  runs_cancelled: number;
  runs_error: number;
  left_mid_run: number;
  refused: Record<string, number>;
  stuck_runs: number;
  dropped_clients: number;
  healthz_p50_ms: number;
  healthz_p99_ms: number;
  healthz_max_ms: number;
  event_loop_p99_ms: number;
  event_loop_max_ms: number;
  rss_before_mb: number;
  rss_after_mb: number;
  /** where the RSS is, before → after: the socket thread's heap and each worker's own MiB */
  server_heap_mb: [number, number];
  workers_own_mb: [number[], number[]];
}

type Graph = { nodes: { id: string; type: string; params: Record<string, unknown> }[] };
const EXAMPLES: Graph[] = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(ROOT, 'examples', f), 'utf8')) as Graph);

/** An example (a random one unless told) with 2-8 sampling steps per diffusion node and fresh seeds. */
function loadGraph(r: Rng, example = Math.floor(r.next() * EXAMPLES.length)): Graph {
  const g = structuredClone(EXAMPLES[example]!);
  for (const n of g.nodes) {
    if (['prior', 'decoder', 'upsample'].includes(n.type)) n.params.steps = 2 + Math.floor(r.next() * 7);
    if ('seed' in n.params || ['prior', 'decoder', 'upsample'].includes(n.type)) n.params.seed = Math.floor(r.next() * 1e6);
    if ('count' in n.params) n.params.count = 1 + Math.floor(r.next() * 2);
  }
  return g;
}

const TERMINAL = (e: { event: string }) => e.event === 'run:done' || e.event === 'run:error' || e.event === 'run:cancelled';

/** /healthz latencies, polled from a child process so the load's own clients do not delay them. */
function pollHealthz(url: string): { stop(): Promise<number[]> } {
  const code = `const u=process.argv[1];const xs=[];let on=true;process.on('message',()=>{on=false});(async()=>{while(on){const t=performance.now();await fetch(u).then(r=>r.text(),()=>{});xs.push(performance.now()-t);await new Promise(r=>setTimeout(r,100))}process.send(xs,()=>process.exit(0))})();`;
  const child = spawn(process.execPath, ['-e', code, `${url}/healthz`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const result = new Promise<number[]>((resolve) => child.once('message', (m) => resolve(m as number[])));
  return { stop: () => (child.send('stop'), result) };
}

export async function benchLoad(opts: { clients?: number; seconds?: number; log?: (line: string) => void } = {}): Promise<LoadFigures> {
  const clients = opts.clients ?? 16;
  const seconds = opts.seconds ?? 120;
  const log = opts.log ?? (() => {});
  const tmp = mkdtempSync(join(tmpdir(), 'unclip-load-'));
  // every client is 127.0.0.1: per-client queue limits are raised; refusals are counted anyway
  const server = await startServer({ ui: false, env: { UNCLIP_DEBUG: '1', UNCLIP_WORKERS: '2', UNCLIP_MAX_QUEUED: '8', UNCLIP_MAX_QUEUED_PER_ADDRESS: '128', UNCLIP_MAX_QUEUED_TOTAL: '128', UNCLIP_DATA_DIR: join(tmp, 'data') } });
  const memory = async (reset = false) => (await (await fetch(`${server.url}/api/debug/memory${reset ? '?reset' : ''}`)).json()) as { serverRssMb: number; serverHeapMb: number; workers: { ownMb: number }[]; eventLoop: { p99Ms: number; maxMs: number } | null };
  const f = { runs_started: 0, runs_done: 0, runs_cancelled: 0, runs_error: 0, left_mid_run: 0, dropped_clients: 0 };
  const stuck = new Set<string>();
  const refused: Record<string, number> = {};
  const accepted: string[] = [];
  try {
    // the idle figure is a warm server's: each example twice at once (once per worker), so both
    // workers hold every model and the memory the examples' batches take
    const warm = await connect(server.url);
    const warmRec = new Recorder(warm);
    const r0 = new Rng(1);
    for (let e = 0; e < EXAMPLES.length; e++) {
      await Promise.all([0, 1].map(async () => {
        const g = loadGraph(r0, e);
        const r = await (warm.timeout(60_000) as unknown as Client).emitWithAck('run:start', { graph: g } as never);
        if (r.ok) await warmRec.end(r.runId, 300_000);
      }));
    }
    warm.close();
    await sleep(2000);
    const before = await memory();
    log(`[load] ${clients} clients for ${seconds} s; server RSS ${before.serverRssMb} MB warm`);

    await memory(true);
    const health = pollHealthz(server.url);
    const deadline = Date.now() + seconds * 1000;
    const client = async (index: number) => {
      const r = new Rng(1000 + index);
      let s!: Client;
      let rec!: Recorder;
      const open = async () => {
        s = await connect(server.url);
        rec = new Recorder(s);
        // 'io client disconnect' is our own close; anything else dropped us
        s.on('disconnect', (why) => {
          if (why !== 'io client disconnect') f.dropped_clients++;
        });
      };
      await open();
      while (Date.now() < deadline) {
        const reply = await (s.timeout(60_000) as unknown as Client).emitWithAck('run:start', { graph: loadGraph(r) } as never).catch(() => null);
        if (!reply || !reply.ok) {
          const code = reply ? reply.error.code : 'NO_ANSWER';
          refused[code] = (refused[code] ?? 0) + 1;
          await sleep(250);
          continue;
        }
        f.runs_started++;
        accepted.push(reply.runId);
        const u = r.next();
        if (u < 0.1) {
          // leave mid-run (or while queued) and come back: the server cancels the run
          await sleep(r.next() * 2000);
          s.close();
          f.left_mid_run++;
          await open();
          continue;
        }
        if (u < 0.3) {
          await sleep(r.next() * 2000);
          await (s.timeout(60_000) as unknown as Client).emitWithAck('run:cancel', { runId: reply.runId }).catch(() => null);
        }
        const end = await rec.end(reply.runId, 180_000).catch(() => null);
        if (!end || !TERMINAL(end)) stuck.add(reply.runId);
        else if (end.event === 'run:done') f.runs_done++;
        else if (end.event === 'run:cancelled') f.runs_cancelled++;
        else f.runs_error++;
        await sleep(r.next() * 300);
      }
      s.close();
    };
    await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
    const healthMs = (await health.stop()).sort((a, b) => a - b);
    const loop = (await memory()).eventLoop;
    // every accepted run has ended on the server too (a finished run is kept for a while, then
    // forgotten: 404 means it ended)
    const ended = async (id: string) => {
      const r = await fetch(`${server.url}/api/runs/${id}`);
      if (r.status === 404) return true;
      const { status } = (await r.json()) as { status: string };
      return status !== 'queued' && status !== 'running';
    };
    for (let i = 0; i < 60 && !(await Promise.all(accepted.map(ended))).every(Boolean); i++) await sleep(1000);
    (await Promise.all(accepted.map(ended))).forEach((x, i) => x || stuck.add(accepted[i]!));
    await sleep(3000);
    const q = (p: number) => Math.round(healthMs[Math.min(healthMs.length - 1, Math.floor(p * healthMs.length))]! * 10) / 10;
    const after = await memory();
    return {
      clients, seconds, ...f, stuck_runs: stuck.size, refused,
      healthz_p50_ms: q(0.5), healthz_p99_ms: q(0.99), healthz_max_ms: q(1),
      event_loop_p99_ms: loop?.p99Ms ?? NaN, event_loop_max_ms: loop?.maxMs ?? NaN,
      rss_before_mb: before.serverRssMb, rss_after_mb: after.serverRssMb,
      server_heap_mb: [before.serverHeapMb, after.serverHeapMb],
      workers_own_mb: [before.workers.map((w) => w.ownMb), after.workers.map((w) => w.ownMb)],
    };
  } finally {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
