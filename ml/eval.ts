// Evaluation dispatcher: `npm run eval -- [--only clip] [--json] [--weights DIR]` (DIR holds clip/, prior/, decoder/).
// Prints a readable table, or with --json one JSON object as the LAST line of stdout (logs and
// progress go to stderr). Sections: clip, generation (--n concepts, --steps decoder steps, --sampler decoder sampler).
import { join } from 'node:path';
import { initBackend } from './backend.js';
import { isSamplerName, SAMPLERS, type SamplerName } from './diffusion/index.js';

const SECTIONS = ['clip', 'generation'] as const;
type Section = (typeof SECTIONS)[number];

async function main(argv: string[]): Promise<void> {
  let only: Section[] = [...SECTIONS];
  let json = false;
  let weights: string | undefined;
  let n: number | undefined;
  let steps: number | undefined;
  let sampler: SamplerName | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (bad.length || !names.length) throw new Error(`--only takes one of: ${SECTIONS.join(', ')} (got ${bad.join(', ') || 'nothing'})`);
      only = names as Section[];
    } else if (a === '--weights') weights = argv[++i];
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
      out.generation = await evaluateGeneration({ weightsDir: weights, n, steps, sampler, onProgress: terminalBar('generation eval') });
    }
  }
  if (json) process.stdout.write(JSON.stringify(out) + '\n');
  else {
    for (const [section, figures] of Object.entries(out)) {
      process.stdout.write(`${section}\n`);
      for (const [k, v] of Object.entries(figures as Record<string, unknown>)) process.stdout.write(`  ${k.padEnd(20)} ${String(v)}\n`);
    }
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
