// `npm run eval -- --only clip`: load the shipped (or given) weights and the corpus, evaluate.
import { loadCorpus } from '../data/corpus.js';
import { terminalBar } from '../progress.js';
import { evaluateClip, type ClipEval } from './eval.js';
import { loadClip } from './index.js';

export async function runClipEval(weightsDir?: string): Promise<ClipEval> {
  const corpus = await loadCorpus({ size: 32, onProgress: terminalBar('corpus') });
  const clip = await loadClip(weightsDir);
  try {
    return evaluateClip(clip, corpus, { onProgress: terminalBar('clip eval') });
  } finally {
    clip.dispose();
  }
}
