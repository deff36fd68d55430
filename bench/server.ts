// Server figures under a real workload: the real server process, a plain socket.io client, and
// an example graph (CLIP encoders, similarity, embedding map) run 20 times with the output cache
// off so every run computes. The decoder's first-frame latency joins this section when the
// decoder node exists (issue 5's `first_frame_ms`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, Recorder, startOk } from '../test/helpers/graph.js';
import { ROOT, startServer } from '../test/helpers/server.js';
import { median } from './stats.js';

export interface ServerFigures {
  workload: string;
  runs: number;
  run_ms: number;
  event_loop_lag_p99_ms: number;
  concurrent2_speedup: number;
  tensors_after_first_run: number;
  tensors_after_20_runs: number;
  server_rss_mb: number;
}

const EXAMPLE = 'examples/clip-similarity.json';

export async function benchServer(runs = 20): Promise<ServerFigures> {
  const graph = JSON.parse(readFileSync(join(ROOT, EXAMPLE), 'utf8')) as unknown;
  const tmp = mkdtempSync(join(tmpdir(), 'unclip-bench-'));
  const server = await startServer({ ui: false, env: { UNCLIP_DEBUG: '1', UNCLIP_CACHE_MB: '0', UNCLIP_WORKERS: '2', UNCLIP_DATA_DIR: join(tmp, 'data') } });
  const s = await connect(server.url);
  const rec = new Recorder(s);
  const memory = async (reset = false) => (await fetch(`${server.url}/api/debug/memory${reset ? '?reset' : ''}`)).json() as Promise<{
    workers: { numTensors: number }[];
    serverRssMb: number;
    eventLoop: { p99Ms: number } | null;
  }>;
  const runOnce = async (): Promise<number> => {
    const t0 = performance.now();
    const runId = await startOk(s, graph);
    const end = await rec.end(runId, 300_000);
    if (end.event !== 'run:done') throw new Error(`run ended with ${end.event}: ${JSON.stringify(end.payload)}`);
    return performance.now() - t0;
  };
  const tensors = (m: { workers: { numTensors: number }[] }) => m.workers.reduce((n, w) => n + w.numTensors, 0);
  try {
    // Warm both workers (model load, embedding map fit), then measure.
    await Promise.all([runOnce(), runOnce()]);
    const afterFirst = tensors(await memory(true));
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await runOnce());
    const mem = await memory();
    const seqStart = performance.now();
    await runOnce();
    await runOnce();
    const sequential = performance.now() - seqStart;
    const parStart = performance.now();
    await Promise.all([runOnce(), runOnce()]);
    const parallel = performance.now() - parStart;
    return {
      workload: EXAMPLE,
      runs,
      run_ms: Math.round(median(times)),
      event_loop_lag_p99_ms: mem.eventLoop?.p99Ms ?? NaN,
      concurrent2_speedup: Math.round((sequential / parallel) * 100) / 100,
      tensors_after_first_run: afterFirst,
      tensors_after_20_runs: tensors(mem),
      server_rss_mb: mem.serverRssMb,
    };
  } finally {
    s.close();
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
