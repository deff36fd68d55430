// A saved graph's runs, recorded in the store (server/store.ts) as they happen, split from the
// runner, which only says when. Writes go in small transactions so a crash keeps the steps so far;
// a write that fails (disk or UNCLIP_MAX_DB_MB full) keeps the events in the run's log and the next
// write retries them; the run's last event is recorded before it is sent, and if that cannot be
// done the run ends as STORE_FAILED, in the store too: a stored run is whole or says it failed.
// It stores the run's log as kept: past UNCLIP_MAX_STORED_RUN_BYTES without step frames and
// embeddings (server/run-log.ts; the client still got them).
import type { RunEvent } from '../protocol/index.js';
import { bytesToDataUrls } from './frames.js';
import type { Run } from './runner.js';
import type { Store } from './store.js';

export class RunRecorder {
  /** Shutdown began: the store may be closed; runs still going read "interrupted" at next start. */
  closing = false;

  constructor(
    private readonly store: Store | undefined,
  ) {}

  /** Records a new run of a saved graph; the reason if the store refused it. */
  create(run: Run): string | null {
    if (!run.graphId || !this.store) return null;
    try {
      this.store.createRun({ id: run.id, graphId: run.graphId, graph: run.plan.graph, startedAt: run.createdAt });
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** After an event: writes when enough has gathered (16 events or half a second), or now with `flush`. */
  record(run: Run, flush = false): void {
    if (run.graphId && (flush || run.log.length - run.saved >= 16 || Date.now() - run.savedAt > 500)) this.persist(run);
  }

  /**
   * The run's last event, already in its log: recorded with the rest before it is sent. Returns
   * the event to send: the one given, or STORE_FAILED when it could not be recorded.
   */
  end(run: Run, ev: RunEvent): RunEvent {
    if (this.persist(run, true)) return ev;
    run.status = 'error';
    const failed: RunEvent = { event: 'run:error', payload: { runId: run.id, code: 'STORE_FAILED', message: `the run ended (${ev.event}) but could not be recorded: ${run.storeError}` } };
    run.log[run.log.length - 1] = failed;
    try {
      this.store!.failRun(run.id, failed, run.ms ?? 0, run.finishedAt ?? new Date());
    } catch (e) {
      // the row stays "running" and reads "interrupted" at the next start
      console.error(`[runner] run ${run.id}: could not mark it failed in the store either: ${(e as Error).message}`);
    }
    return failed;
  }

  /** Writes what the store lacks of a saved graph's run; false if that failed (kept, retried by the next call). */
  private persist(run: Run, final = false): boolean {
    if (!this.store || !run.graphId || this.closing) return true;
    try {
      if (run.saved < run.log.length) {
        this.store.appendEvents(run.id, run.saved, run.log.slice(run.saved).map((e) => bytesToDataUrls(e)));
        run.saved = run.log.length;
      }
      run.savedAt = Date.now();
      if (final) this.store.finishRun(run.id, run.status, run.ms ?? 0, run.finishedAt ?? new Date());
      if (run.storeError !== undefined) console.error(`[runner] run ${run.id}: stored again after a failed write`);
      run.storeError = undefined;
      return true;
    } catch (e) {
      // said once per run; the events stay in run.log from run.saved on, so the next write retries them
      if (run.storeError === undefined) console.error(`[runner] could not store run ${run.id}: ${(e as Error).message}; retrying with its next events`);
      run.storeError = (e as Error).message;
      return false;
    }
  }
}
