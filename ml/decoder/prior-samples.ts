// Prior samples as decoder conditions (`npm run train -- decoder --prior-cond F`).
//
// The decoder learns from true CLIP image embeddings, but at generation it is handed the prior's
// samples, and those lie off them. Measured on decoder 15,000: the prior's samples for "red heart"
// sit at cosine 0.96 to the noto heart (the real hearts are 0.97 to each other) and nearest to
// fluent's stop sign (0.97). The noto heart's own embedding decodes to a heart; the samples decode
// to the same red blob as "red apple"'s. So a fraction of training rows is conditioned on a prior
// sample for the row's caption instead of the row's own embedding: the decoder then learns what to
// draw from what the prior actually gives it.
//
// The caption of a row is its label with its skin tone ("thumbs up, medium skin tone"), what a
// person would type. A sample takes the prior about 0.25 s (the generation defaults: 25 DDIM
// steps, guidance 2, best of 2), so samples are computed once per (prior, CLIP, settings, captions)
// and cached in data/cache/prior-samples-<key16>/ (git-ignored), CHUNK captions per file, each
// written atomically when done: an interrupted build keeps what it finished. A second process
// can share the work from the other end (both cores; the prior runs on one):
//
//   npx tsx ml/decoder/prior-samples.ts --reverse
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend } from '../backend.js';
import { imageEmbeddingsForTexts } from '../pipeline.js';
import { writeFileAtomic } from '../checkpoint.js';
import { clipWeightsHash } from '../clip-embeddings.js';
import { DEFAULT_CLIP_DIR, loadClip } from '../clip/index.js';
import { captionHead } from '../data/captions.js';
import { type CorpusEntry, DEFAULT_CACHE_DIR, loadCorpus, splitByStyle } from '../data/corpus.js';
import { DEFAULT_PRIOR_DIR, DEFAULT_PRIOR_SAMPLING, loadPrior, weightsFileHash } from '../prior/index.js';
import { type ProgressFn, terminalBar } from '../progress.js';

/** Captions per cache file (one prior call each). */
export const CHUNK = 128;

export interface PriorSampling {
  steps: number;
  guidance: number;
  bestOf: number;
}

export interface PriorSamplesOptions {
  entries: CorpusEntry[];
  /** The rows to condition (the decoder's training rows). */
  rows: number[];
  clipDir?: string;
  priorDir?: string;
  cacheDir?: string;
  /** Default: generation's (DEFAULT_PRIOR_SAMPLING). Tests use fewer steps. */
  sampling?: PriorSampling;
  /** Captions per cache file (default CHUNK). */
  chunk?: number;
  /** Build from the last chunk back (a helper process sharing the work). */
  reverse?: boolean;
  onProgress?: ProgressFn;
}

export interface PriorSamples {
  /** The distinct captions, sorted. */
  captions: string[];
  /** [captions.length, dim] L2-normalised prior samples, row c for captions[c]. */
  samples: Float32Array;
  dim: number;
  /** corpus row → index into captions (for the rows asked for). */
  captionOf: Map<number, number>;
  /** The cache folder. */
  dir: string;
}

/** The caption a row is conditioned on: captions.ts captionHead (the label, with its skin tone if it has one). */
export const rowCaption = captionHead;

export async function loadPriorSamples(o: PriorSamplesOptions): Promise<PriorSamples> {
  const clipDir = o.clipDir ?? DEFAULT_CLIP_DIR;
  const priorDir = o.priorDir ?? DEFAULT_PRIOR_DIR;
  const sampling = o.sampling ?? { steps: DEFAULT_PRIOR_SAMPLING.steps, guidance: DEFAULT_PRIOR_SAMPLING.guidance, bestOf: DEFAULT_PRIOR_SAMPLING.bestOf };
  const chunk = o.chunk ?? CHUNK;
  const byRow = o.rows.map((r) => {
    const e = o.entries[r];
    if (!e) throw new RangeError(`row ${r} is outside the corpus (${o.entries.length} entries)`);
    return rowCaption(e);
  });
  const captions = [...new Set(byRow)].sort();
  const index = new Map(captions.map((c, i) => [c, i]));
  const captionOf = new Map(o.rows.map((r, i) => [r, index.get(byRow[i]!)!]));
  const key = createHash('sha256')
    .update(JSON.stringify({ prior: weightsFileHash(priorDir), clip: clipWeightsHash(clipDir), sampling, chunk }))
    .update(captions.join('\n'))
    .digest('hex');
  const dir = join(o.cacheDir ?? DEFAULT_CACHE_DIR, `prior-samples-${key.slice(0, 16)}`);
  mkdirSync(dir, { recursive: true });
  const chunks = Math.ceil(captions.length / chunk);
  const file = (k: number) => join(dir, `chunk-${String(k).padStart(4, '0')}.bin`);
  const order = Array.from({ length: chunks }, (_, k) => (o.reverse ? chunks - 1 - k : k));
  const todo = () => order.filter((k) => !existsSync(file(k)));

  if (todo().length > 0) {
    await initBackend({ log: () => {} });
    const clip = await loadClip(clipDir);
    const prior = await loadPrior(priorDir);
    try {
      const why = prior.clipMismatch(clipWeightsHash(clipDir));
      if (why) throw new Error(why);
      // Re-checked before each chunk: a helper process may have written it meanwhile.
      for (const k of order) {
        if (existsSync(file(k))) continue;
        const part = captions.slice(k * chunk, (k + 1) * chunk);
        // Seeded by chunk, so any process computes the same numbers for it.
        const { embeddings: s } = await imageEmbeddingsForTexts({ clip, prior }, part, { ...sampling, seed: 1 + k });
        const v = (await s.data()) as Float32Array;
        s.dispose();
        writeFileAtomic(file(k), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
        o.onProgress?.(chunks - todo().length, chunks, { captions: captions.length }); // a helper's chunks count too
        await new Promise((r) => setImmediate(r)); // let signals and progress output through
      }
    } finally {
      clip.dispose();
      prior.dispose();
    }
  } else {
    o.onProgress?.(chunks, chunks, { cached: 'yes' });
  }

  const parts = order.slice().sort((a, b) => a - b).map((k) => readFileSync(file(k)));
  const bytes = Buffer.concat(parts);
  const samples = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const dim = samples.length / captions.length;
  if (!Number.isInteger(dim) || dim === 0) throw new Error(`${dir} holds ${samples.length} numbers for ${captions.length} captions: delete it and rebuild`);
  return { captions, samples, dim, captionOf, dir };
}

/**
 * For each caption, the row (of those `ps` was built for) whose CLIP image embedding is nearest
 * (cosine) to the caption's prior sample. `--prior-target nearest` trains a prior-conditioned row
 * to draw that image rather than its own: a caption's sample then asks for one picture, not the
 * average of every style's (measured: the average is what a small decoder draws, a blob).
 */
export function nearestRowPerCaption(ps: PriorSamples, embeddings: Float32Array): Int32Array {
  const D = ps.dim;
  if (embeddings.length % D !== 0) throw new Error(`embeddings of length ${embeddings.length} are not rows of width ${D}`);
  const best = new Int32Array(ps.captions.length).fill(-1);
  const score = new Float64Array(ps.captions.length).fill(-Infinity);
  for (const [r, c] of ps.captionOf) {
    if ((r + 1) * D > embeddings.length) throw new RangeError(`row ${r} has no embedding (${embeddings.length / D} rows)`);
    let dot = 0;
    let norm = 0;
    for (let j = 0; j < D; j++) {
      const x = embeddings[r * D + j]!;
      dot += x * ps.samples[c * D + j]!;
      norm += x * x;
    }
    const cos = dot / Math.sqrt(norm || 1); // the samples are unit length already
    if (cos > score[c]! || (cos === score[c]! && r < best[c]!)) {
      score[c] = cos;
      best[c] = r;
    }
  }
  return best;
}

// Helper process: build the cache for the decoder's training rows (the shipped prior and CLIP).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const corpus = await loadCorpus({ size: 32 });
  const { train } = splitByStyle(corpus.entries);
  const ps = await loadPriorSamples({ entries: corpus.entries, rows: train, reverse: process.argv.includes('--reverse'), onProgress: terminalBar('prior samples') });
  process.stderr.write(`${ps.captions.length} captions in ${ps.dir}\n`);
}
