// Which model checkpoints are installed, and a content hash of each: part of the cache key of
// every node that uses the model, so new weights never serve stale outputs, and the identity of
// the CLIP a prior or decoder was trained on. One formula, used by the server, the nodes and the
// trainers. Hashes are kept per file size and mtime, so a checkpoint is read once until it changes.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const FILES = ['config.json', 'model.safetensors', 'vocab.json'];
const memo = new Map<string, { stamp: string; hash: string }>();

export function modelDir(weightsDir: string, model: string): string {
  return join(weightsDir, model);
}

export function hasModel(weightsDir: string, model: string): boolean {
  const dir = modelDir(weightsDir, model);
  return existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'));
}

/** sha-256 (hex) over a checkpoint folder's config.json, model.safetensors and vocab.json (those present), read now; null when none is. */
export function checkpointHash(dir: string): string | null {
  const present = FILES.filter((f) => existsSync(join(dir, f)));
  if (present.length === 0) return null;
  const h = createHash('sha256');
  for (const f of present) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

/** checkpointHash of an installed model (memoised by file size and mtime), or null when it is not installed. */
export function modelHash(weightsDir: string, model: string): string | null {
  if (!hasModel(weightsDir, model)) return null;
  const dir = modelDir(weightsDir, model);
  const stamp = FILES.filter((f) => existsSync(join(dir, f))).map((f) => {
    const s = statSync(join(dir, f));
    return `${f}:${s.size}:${s.mtimeMs}`;
  }).join('|');
  const m = memo.get(dir);
  if (m && m.stamp === stamp) return m.hash;
  const hash = checkpointHash(dir)!;
  memo.set(dir, { stamp, hash });
  return hash;
}
