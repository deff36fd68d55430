// Evaluation dispatcher: `npm run eval -- [--only clip] [--json] [--weights DIR]`.
// Prints a readable table, or with --json one JSON object as the LAST line of stdout (logs and
// progress go to stderr). Sections: clip (more, e.g. generation, join as they land).
import { initBackend } from './backend.js';

const SECTIONS = ['clip'] as const;
type Section = (typeof SECTIONS)[number];

async function main(argv: string[]): Promise<void> {
  let only: Section[] = [...SECTIONS];
  let json = false;
  let weights: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (bad.length || !names.length) throw new Error(`--only takes one of: ${SECTIONS.join(', ')} (got ${bad.join(', ') || 'nothing'})`);
      only = names as Section[];
    } else if (a === '--weights') weights = argv[++i];
    else throw new Error(`unknown option ${a}; usage: npm run eval -- [--only clip] [--json] [--weights DIR]`);
  }
  await initBackend({ log: (l) => process.stderr.write(l + '\n') });
  const out: Record<string, unknown> = {};
  for (const s of only) {
    if (s === 'clip') {
      const { runClipEval } = await import('./clip/eval-cli.js');
      out.clip = await runClipEval(weights);
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
