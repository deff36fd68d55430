// Embedding nodes stream their rows' 2-D points on the corpus map as a step, when the map for
// the current weights has been fitted already (fitting is the embedding-plot node's job: it
// takes seconds, and an encoder should not pay for it).
import type { ExecContext } from '../types.js';
import { peekEmbeddingMap, project } from './embedding-map.js';

/** The rows' 2-D points on the corpus map, or undefined while no map is fitted for these weights. */
export function pointsOnMap(ctx: ExecContext, data: Float32Array, count: number, width: number): [number, number][] | undefined {
  let map;
  try {
    map = peekEmbeddingMap(ctx.models.weightsHash('clip'), ctx.cacheDir);
  } catch {
    return undefined; // an unreadable map file is not this node's failure
  }
  if (!map || map.width !== width) return undefined;
  return project(data, count, width, map.mean, map.components);
}

export function mapPoints(ctx: ExecContext, data: Float32Array, count: number, width: number): void {
  const points = pointsOnMap(ctx, data, count, width);
  if (points) ctx.step({ step: 1, total: 1, points });
}
