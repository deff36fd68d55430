// The decoder's CLIP path (issue 24 item 1): what embedding each step's predicted x0 with CLIP's
// image encoder costs, on the backend this process chose (`UNCLIP_BACKEND=wasm` for the wasm
// figures), and what it does to the studio's first decoder frame and run time.
//   decoder_step_ms / clip_path_step_ms: one decoder step (batch 1, guidance 3, 25 steps) without
//     and with the CLIP encode of x0 in its onStep (what the node adds: encode, read back)
//   first_frame_ms / run_ms {on, off}: examples/decoder-clip-path.json in the real server, the
//     prior served from the cache (the studio's "try another decoder seed"), median of `runs`
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline } from '../ml/pipeline.js';
import { connect, Recorder } from '../test/helpers/graph.js';
import { ROOT, startServer } from '../test/helpers/server.js';
import { runTimer } from './server.js';
import { median } from './stats.js';

export interface ClipPathFigures {
  backend: string;
  decoder_step_ms: number;
  clip_path_step_ms: number;
  clip_encode_per_step_ms: number;
  first_frame_ms: { on: number; off: number };
  run_ms: { on: number; off: number };
  runs: number;
}

const EXAMPLE = 'examples/decoder-clip-path.json';
const round = (x: number) => Math.round(x * 10) / 10;

export async function benchClipPath(runs = 5): Promise<ClipPathFigures> {
  const inProcess = await stepCost(runs);
  const served = await serverFigures(runs);
  return { backend: tf.getBackend(), ...inProcess, ...served, runs };
}

async function stepCost(runs: number) {
  const p = await loadPipeline({ upsampler: false });
  const steps = 25;
  const emb = tf.tidy(() => {
    const e = p.clip.encodeText(['red apple']);
    tf.dispose([e.tokenStates, e.ids]);
    return e.embeddings;
  });
  try {
    const decode = async (clipPath: boolean) => {
      const t0 = performance.now();
      const out = await p.decoder.decode({
        embeddings: emb, steps, guidance: 3, seed: 1,
        onStep: clipPath ? async (s) => {
          const e = p.clip.encodeImage(s.x0pred as tf.Tensor4D);
          await e.data();
          e.dispose();
        } : undefined,
      });
      out.dispose();
      return (performance.now() - t0) / steps;
    };
    await decode(true); // warm: first calls compile kernels and grow buffers
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < runs; i++) {
      off.push(await decode(false));
      on.push(await decode(true));
    }
    const [a, b] = [median(off), median(on)];
    return { decoder_step_ms: round(a), clip_path_step_ms: round(b), clip_encode_per_step_ms: round(b - a) };
  } finally {
    emb.dispose();
    p.dispose();
  }
}

async function serverFigures(runs: number) {
  const base = JSON.parse(readFileSync(join(ROOT, EXAMPLE), 'utf8')) as { nodes: { id: string; params: Record<string, unknown> }[] };
  const graph = (clipPath: boolean, seed: number) => {
    const g = structuredClone(base);
    Object.assign(g.nodes.find((n) => n.id === 'decoder')!.params, { clipPath, seed });
    return g;
  };
  const tmp = mkdtempSync(join(tmpdir(), 'unclip-bench-clip-path-'));
  const server = await startServer({ ui: false, env: { UNCLIP_WORKERS: '1', UNCLIP_DATA_DIR: join(tmp, 'data') } });
  const s = await connect(server.url);
  const runTimed = runTimer(s, new Recorder(s));
  try {
    let seed = 100;
    await runTimed(graph(true, seed++)); // warm: model loads; the prior's output is cached from here on
    await runTimed(graph(false, seed++));
    const t = { on: { first: [] as number[], ms: [] as number[] }, off: { first: [] as number[], ms: [] as number[] } };
    for (let i = 0; i < runs; i++) {
      for (const k of ['off', 'on'] as const) {
        const r = await runTimed(graph(k === 'on', seed++));
        t[k].first.push(r.firstFrameMs);
        t[k].ms.push(r.ms);
      }
    }
    const m = (xs: number[]) => Math.round(median(xs));
    return { first_frame_ms: { on: m(t.on.first), off: m(t.off.first) }, run_ms: { on: m(t.on.ms), off: m(t.off.ms) } };
  } finally {
    s.close();
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
