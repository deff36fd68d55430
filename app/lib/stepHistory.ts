// The steps (filmstrip frames, schedule, map track) of nodes that ran, kept by their output cache
// key across runs, so a node that a later run serves from the cache (`node:cached` with the same
// key) shows the steps that made its outputs, however many runs ago that was, and never another
// run's steps for other params. Bounded: the least recently shown entries go first, and their
// frame URLs are handed back to be freed (useRun.ts owns the blob: URLs).
import type { NodeRun } from './runState';

export type KeptSteps = Pick<NodeRun, 'frames' | 'ts' | 'track' | 'clipPath' | 'points' | 'step' | 'total' | 't' | 'key'>;

export class StepHistory {
  private entries = new Map<string, KeptSteps>();
  private urls = new Set<string>();

  constructor(readonly max = 24) {}

  /** Keep what `node` showed under its key (nodes with a key and some steps); returns the frame URLs no longer kept. */
  keep(node: NodeRun): string[] {
    const { key } = node;
    if (key === undefined || (!node.frames.length && !node.ts.length && !node.track.length)) return [];
    const old = this.entries.get(key);
    this.entries.delete(key); // re-inserted last: the most recently shown
    this.entries.set(key, { frames: node.frames, ts: node.ts, track: node.track, clipPath: node.clipPath, points: node.points, step: node.step, total: node.total, t: node.t, key });
    const freed = old ? old.frames.filter((f) => !node.frames.includes(f)) : [];
    for (const f of node.frames) if (f.url) this.urls.add(f.url);
    while (this.entries.size > this.max) {
      const [oldest, e] = this.entries.entries().next().value as [string, KeptSteps];
      this.entries.delete(oldest);
      freed.push(...e.frames);
    }
    const out: string[] = [];
    for (const f of freed) if (f.url && this.urls.delete(f.url)) out.push(f.url);
    return out;
  }

  /** The steps kept under `key`, if any (they become the most recently shown). */
  get(key: string): KeptSteps | undefined {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  /** Whether a frame URL is kept here (its run must not free it). */
  holds(url: string): boolean {
    return this.urls.has(url);
  }
}
