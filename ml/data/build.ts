// CLI: build the corpus cache, print the match report, write a contact sheet.
//   npx tsx ml/data/build.ts [--size 32|64] [--force]
// (wired as `npm run data`)

import { rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { terminalBar } from '../progress.js';
import { mulberry32 } from './captions.js';
import {
  cachePaths,
  DEFAULT_CACHE_DIR,
  HELDOUT_STYLE,
  loadCorpus,
  matchReportByStyle,
  splitByStyle,
  type Corpus,
} from './corpus.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function contactSheet(corpus: Corpus, file: string, grid = 16, seed = 1): Promise<void> {
  const { size, entries, images } = corpus;
  const rng = mulberry32(seed);
  const W = grid * size;
  const out = Buffer.alloc(W * W * 3, 255);
  const px = size * size * 3;
  for (let cell = 0; cell < grid * grid && cell < entries.length; cell++) {
    const i = Math.floor(rng() * entries.length);
    const gx = cell % grid;
    const gy = Math.floor(cell / grid);
    for (let y = 0; y < size; y++) {
      const src = images.subarray(i * px + y * size * 3, i * px + (y + 1) * size * 3);
      out.set(src, ((gy * size + y) * W + gx * size) * 3);
    }
  }
  await sharp(out, { raw: { width: W, height: W, channels: 3 } }).png().toFile(file);
}

async function main(): Promise<void> {
  const size = Number(arg('--size') ?? 32);
  if (size !== 32 && size !== 64) throw new Error('--size must be 32 or 64');
  if (process.argv.includes('--force')) {
    const { bin, json } = cachePaths(size);
    await rm(json, { force: true });
    await rm(bin, { force: true });
  }
  const t0 = Date.now();
  const corpus = await loadCorpus({ size, onProgress: terminalBar(`render ${size}px`) });
  const loadMs = Date.now() - t0;
  const t1 = Date.now();
  await loadCorpus({ size });
  const reloadMs = Date.now() - t1;

  const report = matchReportByStyle();
  const rows = report.map((r) => ({
    style: r.style,
    icons: r.icons,
    aliases: r.aliases,
    matched: r.matched,
    missed: r.missed.length,
    'match %': ((100 * r.matched) / Math.max(1, r.icons)).toFixed(1),
    'tone variants': r.toneVariants,
    concepts: r.concepts,
  }));
  console.table(rows);
  for (const r of report) {
    if (r.missed.length > 0) console.log(`${r.style} misses (${r.missed.length}): ${r.missed.slice(0, 12).join(', ')}${r.missed.length > 12 ? ', …' : ''}`);
  }
  const { entries } = corpus;
  const { train, heldout } = splitByStyle(entries);
  const concepts = new Set(entries.map((e) => e.concept));
  const heldoutConcepts = new Set(heldout.map((i) => entries[i]?.concept));
  const trainConcepts = new Set(train.map((i) => entries[i]?.concept));
  const unseen = [...heldoutConcepts].filter((c) => !trainConcepts.has(c)).length;
  console.log(
    `entries ${entries.length} (${concepts.size} concepts, ${entries.filter((e) => e.tone.length === 0).length} without skin tone); ` +
      `train ${train.length} (${trainConcepts.size} concepts); held out ${HELDOUT_STYLE} ${heldout.length} (${heldoutConcepts.size} concepts, ${unseen} not in train)`,
  );
  console.log(`load ${(loadMs / 1000).toFixed(1)} s (includes a build if there was no cache); cached reload ${(reloadMs / 1000).toFixed(2)} s`);
  const sheet = path.join(DEFAULT_CACHE_DIR, size === 32 ? 'contact-sheet.png' : `contact-sheet-${size}.png`);
  await contactSheet(corpus, sheet);
  console.log(`cache ${cachePaths(size).bin}; contact sheet ${sheet}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
