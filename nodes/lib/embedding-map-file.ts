// The embedding map's files on disk, read without tensors: the server's REST handler serves the
// map's JSON from here, so its thread never loads tfjs for a file read (embedding-map.ts fits and
// writes the map, and needs tfjs for that).
//
// Files (in the cache folder, default data/cache/):
//   embedding-map-<mapId>.json  {format, mapId, weightsHash, styles, width, count, mean, components,
//                                keys, labels, points}
//   embedding-map-<mapId>.bin   float32 [count, width]: the corpus embeddings (L2-normalised)
// mapId = sha256(weights hash + styles), first 16 hex digits.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbeddingMapFile } from '../../protocol/index.js';

export function mapPaths(cacheDir: string, mapId: string): { json: string; bin: string } {
  return { json: join(cacheDir, `embedding-map-${mapId}.json`), bin: join(cacheDir, `embedding-map-${mapId}.bin`) };
}

/** The map's JSON (corpus points and labels) without the vectors, or null if not fitted yet. */
export function readMapFile(cacheDir: string, mapId: string): EmbeddingMapFile | null {
  if (!/^[0-9a-f]{16}$/.test(mapId)) return null;
  const { json } = mapPaths(cacheDir, mapId);
  if (!existsSync(json)) return null;
  return JSON.parse(readFileSync(json, 'utf8')) as EmbeddingMapFile;
}
