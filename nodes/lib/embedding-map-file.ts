// The embedding map's files on disk, read without tensors: the server's REST handler serves the
// map's JSON from here, so its thread never loads tfjs for a file read (embedding-map.ts fits and
// writes the map, and needs tfjs for that).
//
// Files (in the cache folder, default data/cache/):
//   embedding-map-<mapId>.json  {format, mapId, weightsHash, styles, width, count, mean, components,
//                                keys, labels, points}
//   embedding-map-<mapId>.bin   float32 [count, width]: the corpus embeddings (L2-normalised)
// mapId = sha256(weights hash + styles), first 16 hex digits.
// The map of the shipped CLIP ships beside it (weights/clip/): fitting it takes most of a minute on a
// fresh machine (render the corpus, encode it), which the first run would otherwise wait for.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
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

const MAP_FILE = /^embedding-map-[0-9a-f]{16}\.(bin|json)$/;

/**
 * Copy the maps shipped in `fromDir` into the cache folder where it lacks them (bin before json: the
 * json marks a map complete), so the first run finds the shipped CLIP's map fitted. Returns the
 * files copied. A missing `fromDir` copies nothing.
 */
export function seedShippedMaps(fromDir: string, cacheDir: string): string[] {
  if (!existsSync(fromDir)) return [];
  const names = readdirSync(fromDir).filter((n) => MAP_FILE.test(n)).sort(); // .bin sorts before .json
  const copied: string[] = [];
  for (const name of names) {
    const to = join(cacheDir, name);
    if (existsSync(to)) continue;
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${to}.${process.pid}.tmp`;
    copyFileSync(join(fromDir, name), tmp);
    renameSync(tmp, to);
    copied.push(name);
  }
  return copied;
}
