// Who owns a run, and what happens when they leave. A reload or a dropped connection must not
// cancel a run: the tab comes back on a new socket and watches it again (`run:watch`), with the
// run's owner key to become its owner again (so it may cancel it). So a run that nobody follows
// any more (its owner's socket gone, no watchers) is cancelled only when a grace period
// (UNCLIP_RUN_GRACE_MS) has passed without anyone watching it again; 0 cancels at once.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isActiveRun, type RunStatus } from '../protocol/index.js';

export interface OwnedRun {
  id: string;
  status: RunStatus;
  /** the socket that may cancel the run */
  ownerId: string;
  /** the secret that makes a later socket the owner (the run:start reply gives it to the starter) */
  ownerKey: string;
}

export const newOwnerKey = (): string => randomBytes(16).toString('base64url');

/** Whether `key` is the run's owner key (compared in constant time). */
export function holdsKey(run: OwnedRun, key: string | undefined): boolean {
  if (key === undefined) return false;
  const a = Buffer.from(key);
  const b = Buffer.from(run.ownerKey);
  return a.length === b.length && timingSafeEqual(a, b);
}

const active = (run: OwnedRun) => isActiveRun(run.status);

export class OwnerGrace<R extends OwnedRun> {
  private timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly graceMs: number,
    /** nobody follows the run: its owner's socket is gone and nobody watches it */
    private readonly abandoned: (run: R) => boolean,
    private readonly cancel: (run: R) => void,
  ) {}

  /**
   * A socket left: each active run that nobody follows any more is cancelled when the grace has
   * passed and still nobody follows it (a run left again restarts its grace).
   */
  check(runs: Iterable<R>): void {
    for (const run of runs) {
      if (!active(run)) continue;
      this.clear(run.id);
      if (!this.abandoned(run)) continue;
      if (this.graceMs === 0) {
        this.cancel(run);
        continue;
      }
      const timer = setTimeout(() => {
        this.timers.delete(run.id);
        if (active(run) && this.abandoned(run)) this.cancel(run);
      }, this.graceMs);
      timer.unref(); // a pending grace never holds the process open
      this.timers.set(run.id, timer);
    }
  }

  /** Shutdown: no grace is pending any more. */
  close(): void {
    for (const id of [...this.timers.keys()]) this.clear(id);
  }

  private clear(runId: string): void {
    clearTimeout(this.timers.get(runId));
    this.timers.delete(runId);
  }
}
