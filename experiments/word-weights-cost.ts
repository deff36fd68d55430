// What do word weights (clip-text-encode's `wordWeights`, on by default) cost? Times the node's
// execute with the param on and off, median of 7 runs, for 1, 8 and 64 prompts (64 is the
// default batch limit) of 4-6 words, with the shipped CLIP on the backend the server would pick.
//   npx tsx experiments/word-weights-cost.ts
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../ml/backend.js';
import { loadClip } from '../ml/clip/index.js';
import { DEFAULT_LIMITS } from '../protocol/index.js';
import { findNodeDef, type ExecContext } from '../nodes/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const backend = await initBackend({ log: () => {} });
const clip = await loadClip(join(ROOT, 'weights', 'clip'));
const def = findNodeDef('clip-text-encode')!;
const PROMPTS = ['red heart with sparkles', 'green apple, noto style', '🔥 and a blue heart', 'cat face with tears of joy', 'a yellow banana', 'smiling face with sunglasses'];

async function median(texts: string[], wordWeights: boolean): Promise<number> {
  const ctx = {
    nodeId: 'te', params: { wordWeights }, inputs: { text: { kind: 'text', texts } }, limits: DEFAULT_LIMITS, cacheDir: join(ROOT, 'data', 'cache'),
    models: { clip: async () => clip, weightsHash: () => 'bench' }, step() {}, checkCancelled() {},
  } as unknown as ExecContext;
  const ms: number[] = [];
  for (let r = 0; r < 8; r++) {
    const t0 = performance.now();
    await def.execute(ctx);
    if (r) ms.push(performance.now() - t0); // the first run warms the kernels
  }
  return ms.sort((a, b) => a - b)[3]!;
}

console.log(`backend ${JSON.stringify(backend)}`);
for (const n of [1, 8, 64]) {
  const texts = Array.from({ length: n }, (_, i) => PROMPTS[i % PROMPTS.length]!);
  const off = await median(texts, false);
  const on = await median(texts, true);
  console.log(`${n} prompt(s): off ${off.toFixed(1)} ms, on ${on.toFixed(1)} ms, word weights +${(on - off).toFixed(1)} ms`);
}
clip.dispose();
