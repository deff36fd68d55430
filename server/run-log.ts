// A run's log kept within UNCLIP_MAX_STORED_RUN_BYTES. The log is what a late watcher replays,
// what REST shows of a run (UNCLIP_KEEP_RUNS of them stay in memory), and, for a saved graph,
// what the store records (run-record.ts); only steps grow with a run's length. Every event is
// kept, but once the run's kept events pass the limit a step is kept without its bulky parts: its
// frame (a PNG) and its CLIP-path embeddings (up to 8 rows of CLIP's 128 floats, so a 1000-step
// decoder would otherwise keep about a million numbers). Its progress (step, total, t) and its map
// points (2 numbers per image) stay, so a replay's progress and the map's path stay whole; the
// live stream got every step whole. Past the limit they are dropped rather than thinned to every
// k-th step: the decision is made per step as it arrives, without knowing how long the run will
// go (several nodes and variants stream; a run may stop early), and the store is append-only,
// so rows already written are never revisited.
import type { RunEvent } from '../protocol/index.js';
import { dataUrlJsonLength } from './frames.js';

/** What the bound left out, for /healthz (server/runner.ts stats). */
export interface LogDropStats {
  storedFramesDropped: number;
  storedEmbeddingsDropped: number;
}

/** Bytes an event takes in the store (its payload's JSON, byte arrays as data: URLs), measured without encoding them. */
export function keptBytes(ev: RunEvent): number {
  return dataUrlJsonLength(ev.payload);
}

/**
 * The event as the run's log keeps it, given the bytes kept so far and whether an earlier step was
 * already left lean: itself, or past `limit` a step without its frame and embeddings (and every
 * later step too, so a replay's frames and path stop at one point rather than skip). Returns it
 * with its bytes and what was left out.
 */
export function toKeep(ev: RunEvent, kept: { bytes: number; trimmed?: boolean }, limit: number): { ev: RunEvent; bytes: number; frame: boolean; embeddings: boolean } {
  const bytes = keptBytes(ev);
  if (ev.event !== 'node:step' || (!kept.trimmed && kept.bytes + bytes <= limit)) return { ev, bytes, frame: false, embeddings: false };
  const { frame, embeddings, ...rest } = ev.payload;
  if (frame === undefined && embeddings === undefined) return { ev, bytes, frame: false, embeddings: false };
  const lean: RunEvent = { event: 'node:step', payload: rest };
  return { ev: lean, bytes: keptBytes(lean), frame: frame !== undefined, embeddings: embeddings !== undefined };
}
