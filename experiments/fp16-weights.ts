// Is a decoder stored in half precision (`--fp16`, ml/checkpoint.ts) as good as its float32
// export? Both folders decode the same embeddings with the same seeds (the judge's 120 concepts:
// each one's first training reference and its held-out twemoji icon, as experiments/judge-oracle.ts
// does), and the pictures are compared pixel by pixel and by the CLIP-free judge (ml/judge.ts).
// Diffusion sampling can amplify a small change in the weights, so the pixels are the strict test
// and the judge says whether what changed matters.
//
//   npx tsx experiments/fp16-weights.ts --a runs/cand/decoder --b runs/cand16/decoder [--seed 1]
//
// One JSON line per embedding set on stdout.
import { initBackend } from '../ml/backend.js';
import { loadImageEmbeddings } from '../ml/clip-embeddings.js';
import { loadCorpus } from '../ml/data/corpus.js';
import { loadDecoder } from '../ml/decoder/index.js';
import { topKScore } from '../ml/judge.js';
import { decodeRows, judgeSets } from './judge-embeddings.js';

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const [dirA, dirB] = [flag('--a'), flag('--b')];
if (!dirA || !dirB) throw new Error('usage: --a DECODER_DIR --b DECODER_DIR [--seed N]');
const seed = Number(flag('--seed') ?? 1);

await initBackend({ log: (l) => process.stderr.write(l + '\n') });
const corpus = await loadCorpus({ size: 32 });
const { judge, truth, rows: sources } = judgeSets(corpus);
const px = judge.size * judge.size * 3;
const emb = await loadImageEmbeddings({ corpus });

const [a, b] = [await loadDecoder(dirA), await loadDecoder(dirB)];
try {
  for (const [source, rows] of Object.entries(sources)) {
    const [pa, pb] = [(await decodeRows(a, emb, rows, seed, px)).bytes, (await decodeRows(b, emb, rows, seed, px)).bytes];
    let sum = 0;
    let max = 0;
    let far = 0;
    for (let i = 0; i < pa.length; i++) {
      const d = Math.abs(pa[i]! - pb[i]!);
      sum += d;
      max = Math.max(max, d);
      if (d > 16) far++;
    }
    console.log(JSON.stringify({
      source,
      seed,
      meanAbsDiff: Math.round((sum / pa.length) * 1000) / 1000,
      maxAbsDiff: max,
      shareOver16: Math.round((far / pa.length) * 1e5) / 1e5,
      a: topKScore(judge.rank(pa, truth)),
      b: topKScore(judge.rank(pb, truth)),
    }));
  }
} finally {
  a.dispose();
  b.dispose();
}
