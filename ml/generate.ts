// `npm run generate -- "red apple" [--seed 7] [--steps 25] [--sampler ddim] [--guidance 3]
//   [--no-prior] [--no-upsample] [--out apple.png] [--frames dir/] [--weights-dir D]`
//
// Writes the PNG (64x64 through the upsampler, else 32x32) and, with --frames, one PNG per
// decoder step: x_t left, the predicted x0 right. Same arguments and backend → identical bytes
// (seeded sampling; PNGs written without timestamps). Unknown words are printed as a warning.
// The last stdout line is JSON: {out, size, seconds, ms per stage, peak_rss_mb}.
//
// `--init image.png|noto:red-apple [--strength 0.6] [--mask mask.png]` edits an image instead: image
// to image (SDEdit), and with a mask (white: draw anew) inpainting (ml/diffusion/edit.ts).
//
// `npm run generate -- --grid docs/generation-grid.png ["prompt, prompt, ..."]`: a grid, one row
// per prompt (16 defaults), columns: seeds 1-3 through the prior, then seed 1 without it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { initBackend } from './backend.js';
import { isSamplerName, SAMPLER_HELP, SAMPLERS, SPACINGS, type Spacing } from './diffusion/index.js';
import * as tf from '@tensorflow/tfjs-core';
import { renderIcon } from './data/corpus.js';
import { maskFromImages, type ImageEdit } from './decoder/index.js';
import { imageGridPng, rgbFromImage } from './png.js';
import { generate, imagesFromBytes, loadPipeline, rgbBytes, sideBySide, type GenerateOptions, type Pipeline } from './pipeline.js';

const USAGE = `usage: npm run generate -- "<prompt>" [--grid file.png] [--seed N] [--steps N] [--sampler ${SAMPLERS.join('|')}] [--spacing ${SPACINGS.join('|')}] [--guidance X] [--prior-guidance X] [--prior-steps N] [--upsample-steps N] [--no-prior] [--no-upsample] [--out file.png] [--frames dir/] [--weights-dir D]
  [--init image.png|noto:red-apple] [--strength 0.6] [--mask mask.png]   edit an image: image to image, and with a mask (white: redraw) inpainting
samplers: ${SAMPLER_HELP}`;

/** The README's grid: concepts across the corpus's groups. */
export const GRID_PROMPTS = ['red apple', 'banana', 'rocket', 'snowman', 'sun', 'fire', 'red heart', 'cat face', 'dog face', 'pizza', 'tree', 'car', 'blue book', 'ghost', 'star', 'house'];

/** The command line: the pipeline's sampling options (one declaration, in ml/pipeline.ts) and what only the CLI has. */
type Args = Pick<GenerateOptions, 'seed' | 'steps' | 'sampler' | 'spacing' | 'guidance' | 'priorGuidance' | 'priorSteps' | 'upsampleSteps'> & {
  prompt: string;
  grid?: string;
  noPrior: boolean;
  noUpsample: boolean;
  out: string;
  frames?: string;
  weightsDir?: string;
  /** An image file or a corpus key (noto:red-apple) to edit. */
  init?: string;
  strength: number;
  /** An image file: white where the decoder draws anew. */
  mask?: string;
};

export function parseGenerateArgs(argv: string[]): Args {
  const words: string[] = [];
  const a: Partial<Args> = { noPrior: false, noUpsample: false, strength: 0.6 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value\n${USAGE}`);
      return x;
    };
    const int = (min: number) => {
      const x = Number(v());
      if (!Number.isInteger(x) || x < min) throw new Error(`${k} wants an integer ≥ ${min}`);
      return x;
    };
    if (k === '--seed') a.seed = int(0);
    else if (k === '--steps') a.steps = int(1);
    else if (k === '--prior-steps') a.priorSteps = int(1);
    else if (k === '--upsample-steps') a.upsampleSteps = int(1);
    else if (k === '--guidance') {
      a.guidance = Number(v());
      if (!(a.guidance >= 1)) throw new Error('--guidance wants a number ≥ 1');
    } else if (k === '--prior-guidance') {
      a.priorGuidance = Number(v());
      if (!(a.priorGuidance >= 1)) throw new Error('--prior-guidance wants a number ≥ 1');
    } else if (k === '--sampler') {
      const s = v();
      if (!isSamplerName(s)) throw new Error(`--sampler wants one of ${SAMPLERS.join(', ')}, got ${s}`);
      a.sampler = s;
    } else if (k === '--spacing') {
      const s = v();
      if (!SPACINGS.includes(s as Spacing)) throw new Error(`--spacing wants one of ${SPACINGS.join(', ')}, got ${s}`);
      a.spacing = s as Spacing;
    } else if (k === '--no-prior') a.noPrior = true;
    else if (k === '--no-upsample') a.noUpsample = true;
    else if (k === '--out') a.out = v();
    else if (k === '--frames') a.frames = v();
    else if (k === '--grid') a.grid = v();
    else if (k === '--weights-dir') a.weightsDir = resolve(v());
    else if (k === '--init') a.init = v();
    else if (k === '--mask') a.mask = v();
    else if (k === '--strength') {
      a.strength = Number(v());
      if (!(a.strength > 0 && a.strength <= 1)) throw new Error('--strength wants a number in (0, 1]');
    }
    else if (k.startsWith('--')) throw new Error(`unknown option ${k}\n${USAGE}`);
    else words.push(k);
  }
  const prompt = words.join(' ').trim();
  if (!prompt && !a.grid) throw new Error(`no prompt\n${USAGE}`);
  if (a.mask && !a.init) throw new Error('--mask says where to redraw an image: give the image with --init too');
  if (a.init && a.grid) throw new Error('--init edits one image: not with --grid');
  a.prompt = prompt;
  a.out ??= `${prompt.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase() || 'image'}.png`;
  return a as Args;
}

/** PNG bytes with no timestamp chunk, so identical pixels give identical files. */
function png(data: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer();
}

async function writeGrid(p: Pipeline, args: Args): Promise<void> {
  const prompts = args.prompt ? args.prompt.split(',').map((x) => x.trim()).filter(Boolean) : GRID_PROMPTS;
  const cols: { seed: number; noPrior: boolean }[] = [{ seed: 1, noPrior: false }, { seed: 2, noPrior: false }, { seed: 3, noPrior: false }, { seed: 1, noPrior: true }];
  const cells: Uint8Array[][] = prompts.map(() => []);
  let size = 0;
  for (const c of cols) {
    const g = await generate(p, { prompts, seed: c.seed, steps: args.steps, sampler: args.sampler, spacing: args.spacing, guidance: args.guidance, priorGuidance: args.priorGuidance, priorSteps: args.priorSteps, noPrior: c.noPrior });
    size = g.images.shape[1];
    const bytes = await rgbBytes(g.images);
    const px = size * size * 3;
    prompts.forEach((_, i) => cells[i]!.push(bytes.slice(i * px, (i + 1) * px)));
    g.images.dispose();
    g.embeddings.dispose();
    process.stderr.write(`grid: column ${cells[0]!.length}/${cols.length}\n`);
  }
  await imageGridPng(args.grid!, prompts.map((q, i) => ({ label: q, images: cells[i]! })), size, { scale: 2, labelWidth: 160, title: `prior seeds 1-3 | no prior, seed 1 (${size}x${size})` });
  process.stderr.write(`wrote ${args.grid}\n`);
}

/** --init (a file, or a corpus key such as noto:red-apple) and --mask (a file) as the decoder's edit; the caller disposes it. */
async function editOf(args: Args, size: number): Promise<ImageEdit | undefined> {
  if (!args.init) return undefined;
  const isKey = /^[a-z0-9-]+:[a-z0-9_-]+$/.test(args.init) && !existsSync(args.init);
  if (isKey && size !== 32 && size !== 64) throw new Error(`corpus icons come at 32 or 64 px, the decoder draws ${size}`);
  const rgb = isKey ? await renderIcon(args.init, size as 32 | 64) : await rgbFromImage(readFileSync(args.init), size);
  const mask = args.mask ? await rgbFromImage(readFileSync(args.mask), size) : undefined;
  if (mask && !mask.some((v) => v >= 128)) throw new Error(`${args.mask} is empty: paint (white) where the decoder should draw anew`);
  return tf.tidy(() => {
    const images = imagesFromBytes(rgb, 1, size);
    return mask ? { images, strength: args.strength, mask: maskFromImages(imagesFromBytes(mask, 1, size)) } : { images, strength: args.strength };
  });
}

async function main(): Promise<void> {
  const args = parseGenerateArgs(process.argv.slice(2));
  const t0 = performance.now();
  await initBackend({ log: (l) => process.stderr.write(l + '\n') });
  const p = await loadPipeline({ weightsDir: args.weightsDir, upsampler: !args.noUpsample });
  try {
    if (args.grid) return await writeGrid(p, args);
    if (args.frames) mkdirSync(args.frames, { recursive: true });
    const frameWrites: Promise<unknown>[] = [];
    const edit = await editOf(args, p.decoder.imageSize);
    const g = await generate(p, {
      edit,
      prompts: [args.prompt],
      seed: args.seed,
      steps: args.steps,
      sampler: args.sampler,
      spacing: args.spacing,
      guidance: args.guidance,
      priorGuidance: args.priorGuidance,
      priorSteps: args.priorSteps,
      upsampleSteps: args.upsampleSteps,
      noPrior: args.noPrior,
      onDecoderStep: args.frames
        ? (s) => {
            const f = sideBySide(s.xt, s.x0pred);
            const file = join(args.frames!, `step-${String(s.step).padStart(3, '0')}.png`);
            frameWrites.push(png(f.data, f.width, f.height).then((b) => writeFile(file, b)));
          }
        : undefined,
    });
    if (edit) tf.dispose([edit.images, ...(edit.mask ? [edit.mask] : [])]);
    try {
      for (const w of g.unknownWords[0] ?? []) process.stderr.write(`warning: "${w}" is not in CLIP's vocabulary; it was read as <unk>\n`);
      const size = g.images.shape[1];
      const bytes = await png(await rgbBytes(g.images), size, size);
      writeFileSync(args.out, bytes);
      await Promise.all(frameWrites);
      const ms = Object.fromEntries(Object.entries(g.ms).map(([k, v]) => [k, Math.round(v)]));
      process.stderr.write(`wrote ${args.out} (${size}x${size})${args.frames ? ` and ${frameWrites.length} frames in ${args.frames}` : ''}\n`);
      console.log(JSON.stringify({ out: args.out, size, seconds: +((performance.now() - t0) / 1000).toFixed(2), ms, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) }));
    } finally {
      g.images.dispose();
      g.embeddings.dispose();
    }
  } finally {
    p.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: Error) => {
    process.stderr.write(`generate: ${e.message}\n`);
    process.exit(1);
  });
}
