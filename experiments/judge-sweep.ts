// Which sampling settings make pictures people recognise, with the models as shipped? Each setting
// generates one 32x32 image per judge concept (ml/judge.ts: 120 held-out concepts, each image
// ranked by its nearest training-style icon in pixel space) with the prior, and prints top-1 and
// top-5. Same seed for every setting, so differences are the setting's, not the noise's.
//
//   npx tsx experiments/judge-sweep.ts [--seed 1] [--n 120] [--only name,name] [--weights DIR]
//
// --weights DIR reads clip/, prior/ and decoder/ from DIR: a checkpoint judged before it ships.
//
// One JSON line per setting on stdout; the answers are in experiments/README.md.
import { initBackend } from '../ml/backend.js';
import { loadCorpus } from '../ml/data/corpus.js';
import { makeJudge, topKScore } from '../ml/judge.js';
import { generateInChunks, type ChunkOptions } from '../ml/eval-generation.js';
import { loadPipeline, rgbBytes } from '../ml/pipeline.js';

type Setting = Omit<ChunkOptions, 'chunk' | 'seedOf'>;

const SETTINGS: Record<string, Setting> = {
  default: {},
  'guidance-1': { guidance: 1 },
  'guidance-2': { guidance: 2 },
  'guidance-5': { guidance: 5 },
  'guidance-8': { guidance: 8 },
  'steps-50': { steps: 50 },
  ddim: { sampler: 'ddim' },
  ddpm: { sampler: 'ddpm', steps: 100 },
  'quadratic-spacing': { spacing: 'quadratic' },
  'prior-guidance-1': { priorGuidance: 1 },
  'prior-guidance-4': { priorGuidance: 4 },
  'prior-guidance-6': { priorGuidance: 6 },
  'prior-guidance-4-guidance-5': { priorGuidance: 4, guidance: 5 },
  'prior-steps-50': { priorSteps: 50 },
  'prior-steps-10': { priorSteps: 10 },
  'prior-best-of-1': { priorBestOf: 1 },
  'prior-best-of-4': { priorBestOf: 4 },
  'prior-best-of-8': { priorBestOf: 8 },
};

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const seed = Number(flag('--seed') ?? 1);
const only = flag('--only')?.split(',');

await initBackend({ log: (l) => process.stderr.write(l + '\n') });
const corpus = await loadCorpus({ size: 32 });
const judge = makeJudge(corpus, { n: Number(flag('--n') ?? 120) });
const p = await loadPipeline({ weightsDir: flag('--weights'), upsampler: false });
const N = judge.labels.length;
const px = judge.size * judge.size * 3;
const truth = judge.labels.map((_, c) => c);
const chunk = 20;
try {
  for (const [name, setting] of Object.entries(SETTINGS)) {
    if (only && !only.includes(name)) continue;
    const bytes = new Uint8Array(N * px);
    const ms = await generateInChunks(p, judge.labels, { ...setting, chunk, seedOf: (s) => seed * 1000 + s }, async (images, s) => {
      bytes.set(await rgbBytes(images), s * px);
    });
    const score = topKScore(judge.rank(bytes, truth));
    console.log(JSON.stringify({ setting: name, ...setting, seed, concepts: N, ...score, msPerImage: Math.round(ms / N) }));
  }
} finally {
  p.dispose();
}
