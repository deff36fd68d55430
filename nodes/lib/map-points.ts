// Embedding nodes stream their rows' 2-D points on the corpus map as a step, when the map for
// the current weights has been fitted already (fitting is the embedding-plot node's job: it
// takes seconds, and an encoder should not pay for it).
import type { ExecContext } from '../types.js';
import { peekEmbeddingMap, project } from './embedding-map.js';

export function mapPoints(ctx: ExecContext, data: Float32Array, count: number, width: number): void {
  let map;
  try {
    map = peekEmbeddingMap(ctx.models.weightsHash('clip'), ctx.cacheDir);
  } catch {
    return; // an unreadable map file is not this node's failure
  }
  if (!map || map.width !== width) return;
  ctx.step({ step: 1, total: 1, points: project(data, count, width, map.mean, map.components) });
}
