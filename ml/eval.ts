// Evaluation dispatcher: `npm run eval -- [--only clip] [--json] [--weights DIR]` (DIR holds clip/, prior/, decoder/).
// Prints a readable table, or with --json one JSON object as the LAST line of stdout (logs and
// progress go to stderr). Sections: clip, generation (--n concepts, --steps decoder steps, --sampler decoder sampler).
// The generation section also runs a judge independent of CLIP (ml/judge.ts; --judge-n, --judge-seeds,
// --judge-grid docs/judge-grid.png). `npm run eval -- --help` lists every option.
import { join } from 'node:path';
import { initBackend } from './backend.js';
import { isSamplerName, SAMPLERS, type SamplerName } from './diffusion/index.js';

const SECTIONS = ['clip', 'generation'] as const;
type Section = (typeof SECTIONS)[number];

const HELP = `usage: npm run eval -- [options]
  --only clip,generation   sections to run (default: all)
  --json                   one JSON object as the last stdout line
  --weights DIR            checkpoints from DIR (clip/, prior/, decoder/) instead of weights/
  --n N                    generation: held-out concepts judged by CLIP (default 200)
  --steps N                generation: decoder steps (default: the decoder's)
  --sampler NAME           generation: decoder sampler, one of ${SAMPLERS.join(', ')}
  --judge-n N              generation: the pixel-space judge's concepts (default 120). Drawn with a
                           fixed seed from the held-out (twemoji) concepts that have icons in >= 5
                           training styles, not for how well they generate. Each image generated
                           from a concept's label is ranked among the N concepts by its nearest
                           training-style icon (L2 on pixels blurred with sigma 1 px, at 32x32);
                           top1/top5 with binomial se, with and without the prior, and for the
                           concepts' real held-out icons (the ceiling). Chance: 1/N and 5/N.
  --judge-seeds A,B        generation: the judge's seeds (default 1,2; one image per concept each)
  --judge-grid FILE.png    generation: write the judge's first 16 concepts, held-out icon and one
                           image with the prior per judge seed, for a person to look at
`;

async function main(argv: string[]): Promise<void> {
  let only: Section[] = [...SECTIONS];
  let json = false;
  let weights: string | undefined;
  let n: number | undefined;
  let steps: number | undefined;
  let sampler: SamplerName | undefined;
  const judge: { judgeN?: number; judgeSeeds?: number[]; judgeGrid?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (bad.length || !names.length) throw new Error(`--only takes one of: ${SECTIONS.join(', ')} (got ${bad.join(', ') || 'nothing'})`);
      only = names as Section[];
    } else if (a === '--weights') weights = argv[++i];
    else if (a === '--help') {
      process.stdout.write(HELP);
      return;
    } else if (a === '--judge-n') judge.judgeN = Number(argv[++i]);
    else if (a === '--judge-seeds') judge.judgeSeeds = (argv[++i] ?? '').split(',').filter(Boolean).map(Number);
    else if (a === '--judge-grid') judge.judgeGrid = argv[++i];
    else if (a === '--n') n = Number(argv[++i]);
    else if (a === '--steps') steps = Number(argv[++i]);
    else if (a === '--sampler') {
      const s = argv[++i] ?? '';
      if (!isSamplerName(s)) throw new Error(`--sampler takes one of: ${SAMPLERS.join(', ')} (got ${s || 'nothing'})`);
      sampler = s;
    } else throw new Error(`unknown option ${a}; usage: npm run eval -- [--only clip,generation] [--json] [--weights DIR] [--n concepts] [--steps N] [--sampler ${SAMPLERS.join('|')}]`);
  }
  await initBackend({ log: (l) => process.stderr.write(l + '\n') });
  const out: Record<string, unknown> = {};
  for (const s of only) {
    if (s === 'clip') {
      const { runClipEval } = await import('./clip/eval-cli.js');
      out.clip = await runClipEval(weights ? join(weights, 'clip') : undefined);
    }
    if (s === 'generation') {
      const { evaluateGeneration } = await import('./eval-generation.js');
      const { terminalBar } = await import('./progress.js');
      out.generation = await evaluateGeneration({ weightsDir: weights, n, steps, sampler, ...judge, onProgress: terminalBar('generation eval') });
    }
  }
  if (json) process.stdout.write(JSON.stringify(out) + '\n');
  else {
    for (const [section, figures] of Object.entries(out)) {
      process.stdout.write(`${section}\n`);
      for (const [k, v] of Object.entries(figures as Record<string, unknown>)) process.stdout.write(`  ${k.padEnd(20)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
    }
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
