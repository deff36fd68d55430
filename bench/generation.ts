// Generation figures (issue 4): the shipped models in this process on the chosen backend, warm,
// each the median of several runs; and the peak RSS of one `npm run generate` in a fresh process.
//   decoder_step_ms      one decoder step, batch 1, guidance 3 (cond and null rows in one batch)
//   prior_sample_ms      samplePrior with its defaults (25 DDIM steps, guidance 2, best of 2)
//   text_to_image_ms     CLIP text → prior → decoder (25 steps, guidance 3) → upsampler (10 steps), defaults
//   generate_peak_rss_mb the CLI end to end (process start, model loads, one image), max RSS
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generate, loadPipeline } from '../ml/pipeline.js';
import { ROOT } from '../test/helpers/server.js';
import { median } from './stats.js';

export interface GenerationFigures {
  decoder_step_ms: number;
  prior_sample_ms: number;
  text_to_image_ms: number;
  text_to_image_stages_ms: Record<string, number>;
  generate_peak_rss_mb: number;
  runs: number;
}

export async function benchGeneration(runs = 5): Promise<GenerationFigures> {
  const p = await loadPipeline();
  try {
    const timeIt = async (f: () => Promise<void>) => {
      await f(); // warm: first calls compile kernels and grow buffers
      const xs: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await f();
        xs.push(performance.now() - t0);
      }
      return median(xs);
    };
    const emb = tf.tidy(() => {
      const e = p.clip.encodeText(['red apple']);
      tf.dispose([e.tokenStates, e.ids]);
      return e.embeddings;
    });
    const steps = 10;
    const decodeMs = await timeIt(async () => {
      (await p.decoder.decode({ embeddings: emb, steps, guidance: 3, seed: 1 })).dispose();
    });
    emb.dispose();
    const priorMs = await timeIt(async () => {
      const e = p.clip.encodeText(['red apple']);
      try {
        (await p.prior.samplePrior({ tokenStates: e.tokenStates, textEmbeddings: e.embeddings, seed: 1 })).dispose();
      } finally {
        tf.dispose([e.embeddings, e.tokenStates, e.ids]);
      }
    });
    const stages: Record<string, number[]> = {};
    const t2iMs = await timeIt(async () => {
      const g = await generate(p, { prompts: ['red apple'], seed: 1 });
      tf.dispose([g.images, g.embeddings]);
      for (const [k, v] of Object.entries(g.ms)) (stages[k] ??= []).push(v);
    });
    return {
      decoder_step_ms: Math.round((decodeMs / steps) * 10) / 10,
      prior_sample_ms: Math.round(priorMs),
      text_to_image_ms: Math.round(t2iMs),
      text_to_image_stages_ms: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(median(v))])),
      generate_peak_rss_mb: await generatePeakRss(),
      runs,
    };
  } finally {
    p.dispose();
  }
}

async function generatePeakRss(): Promise<number> {
  const tmp = mkdtempSync(join(tmpdir(), 'unclip-gen-'));
  try {
    // In the GPU bundle (gpu/build.ts) this is plain JS beside the bundled generate.js, and no tsx.
    const bundled = import.meta.url.endsWith('.js');
    const [cmd, script] = bundled
      ? [process.execPath, fileURLToPath(new URL('./generate.js', import.meta.url))]
      : [join(ROOT, 'node_modules', '.bin', 'tsx'), join(ROOT, 'ml', 'generate.ts')];
    const { stdout } = await promisify(execFile)(cmd, [script, 'red apple', '--out', join(tmp, 'a.png')], { cwd: ROOT, maxBuffer: 1 << 20 });
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { peak_rss_mb: number };
    return last.peak_rss_mb;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
