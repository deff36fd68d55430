// Server figures under a real workload: the real server process (two node workers), a plain
// socket.io client, and examples/text-to-image.json (text → CLIP → prior → decoder → upsampler,
// plus the map) run 20 times.
//   run_ms / event_loop_lag_p99_ms / tensors / rss: every run with new prior and decoder seeds, so
//     everything past the text encoder computes
//   first_frame_ms: run:start → the first decoder frame, warm, when only the decoder's seed
//     changed (the studio's "try another seed": text, CLIP and prior come from the output cache)
//   first_frame_uncached_ms: the same when the prior's seed changed too (the prior runs first)
//   concurrent2_speedup: two runs at once against the same two one after the other
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, Recorder, startOk, type Client } from '../test/helpers/graph.js';
import { ROOT, startServer } from '../test/helpers/server.js';
import { median } from './stats.js';

export interface ServerFigures {
  workload: string;
  runs: number;
  run_ms: number;
  first_frame_ms: number;
  first_frame_uncached_ms: number;
  event_loop_lag_p99_ms: number;
  concurrent2_speedup: number;
  tensors_after_first_run: number;
  tensors_after_20_runs: number;
  server_rss_mb: number;
}

const EXAMPLE = 'examples/text-to-image.json';

/** One run of a graph on `s`: its wall time and the time to the first decoder frame (`run:start` sent → first step of node `decoder`). */
export function runTimer(s: Client, rec: Recorder): (graph: unknown) => Promise<{ ms: number; firstFrameMs: number }> {
  return async (graph) => {
    const t0 = performance.now();
    const runId = await startOk(s, graph);
    const first = rec.wait(runId, (e) => (e.event === 'node:step' && e.payload.nodeId === 'decoder') || e.event === 'run:error', 300_000).then(() => performance.now() - t0);
    const end = await rec.end(runId, 300_000);
    if (end.event !== 'run:done') throw new Error(`run ended with ${end.event}: ${JSON.stringify(end.payload)}`);
    return { ms: performance.now() - t0, firstFrameMs: await first };
  };
}

export async function benchServer(runs = 20): Promise<ServerFigures> {
  const base = JSON.parse(readFileSync(join(ROOT, EXAMPLE), 'utf8')) as { nodes: { id: string; params: Record<string, unknown> }[] };
  let seed = 100;
  /** The example with the given seeds (a fresh one each call unless told). */
  const withSeeds = (priorSeed: number, decoderSeed: number) => {
    const g = structuredClone(base);
    g.nodes.find((n) => n.id === 'prior')!.params.seed = priorSeed;
    g.nodes.find((n) => n.id === 'decoder')!.params.seed = decoderSeed;
    return g;
  };
  const tmp = mkdtempSync(join(tmpdir(), 'unclip-bench-'));
  const server = await startServer({ ui: false, env: { UNCLIP_DEBUG: '1', UNCLIP_WORKERS: '2', UNCLIP_DATA_DIR: join(tmp, 'data') } });
  const s = await connect(server.url);
  const rec = new Recorder(s);
  const memory = async (reset = false) => (await fetch(`${server.url}/api/debug/memory${reset ? '?reset' : ''}`)).json() as Promise<{
    workers: { numTensors: number }[];
    serverRssMb: number;
    eventLoop: { p99Ms: number } | null;
  }>;
  const runTimed = runTimer(s, rec);
  const runOnce = async () => (await runTimed(withSeeds(seed++, seed++))).ms;
  const tensors = (m: { workers: { numTensors: number }[] }) => m.workers.reduce((n, w) => n + w.numTensors, 0);
  try {
    // Warm both workers (model load, embedding map fit), then measure.
    await Promise.all([runOnce(), runOnce()]);
    const afterFirst = tensors(await memory(true));
    const times: number[] = [];
    const uncachedFirst: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await runTimed(withSeeds(seed++, seed++));
      times.push(r.ms);
      uncachedFirst.push(r.firstFrameMs);
    }
    const mem = await memory();
    const firstFrames: number[] = [];
    const priorSeed = seed++;
    await runTimed(withSeeds(priorSeed, seed++)); // puts this prior seed's output in the cache
    for (let i = 0; i < 5; i++) firstFrames.push((await runTimed(withSeeds(priorSeed, seed++))).firstFrameMs);
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
      first_frame_ms: Math.round(median(firstFrames)),
      first_frame_uncached_ms: Math.round(median(uncachedFirst)),
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
