// The worker pool: ML work never runs on the thread that serves sockets. One worker thread per
// core by default (UNCLIP_WORKERS). A run holds one worker from its first node to its last, so
// the models that worker loaded stay warm for the next node, and two runs use two cores.
// A worker that dies answers every request it held (its job, a memory probe) with WORKER_CRASHED
// and is replaced; a run waiting for it to start up waits for its replacement.
// Memory: a thread's backend heap grows to the largest batch it ran and never shrinks (tfjs's
// wasm memory cannot), so a worker that holds more than `recycleMb` after a job is replaced by a
// fresh thread when it is released; the old thread's memory goes back to the OS with it.
import { Worker } from 'node:worker_threads';
import type { ErrorCode } from '../protocol/index.js';
import type { Outputs, StepInfo } from '../nodes/index.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

export type JobRequest = Omit<Extract<ToWorker, { type: 'job' }>, 'type' | 'jobId'>;

export type JobResult =
  | { ok: true; outputs: Outputs; ms: number; leaked: number }
  | { ok: false; code: ErrorCode; message: string; port?: string; cancelled: boolean; leaked: number };

export type MemoryReport = Extract<FromWorker, { type: 'memory' }>;

/** A request the worker has not answered yet: a node job, or a memory probe. */
type Pending =
  | { kind: 'job'; onStep?: (info: StepInfo) => void; resolve: (r: JobResult) => void }
  | { kind: 'memory'; resolve: (m: MemoryReport) => void; reject: (e: Error) => void };

/** A request that failed because the worker thread running it died. */
export class WorkerCrashed extends Error {
  readonly code = 'WORKER_CRASHED' satisfies ErrorCode;
  constructor(message: string) {
    super(message);
    this.name = 'WorkerCrashed';
  }
}

export class PoolWorker {
  readonly index: number;
  private worker!: Worker;
  ready!: Promise<string>;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  busy = false;
  private closing = false;
  /** MiB the thread held after its last job (its heap, buffers and backend memory). */
  ownMb = 0;
  /** set while the thread is being replaced: requests wait for the fresh one */
  private replacing: Promise<unknown> | undefined;

  constructor(index: number, private init: WorkerInit) {
    this.index = index;
    this.spawn();
  }

  private spawn(): void {
    // The worker is TypeScript source: Node 20 does not carry tsx's module hooks into worker
    // threads, so a tiny bootstrap registers them first and then imports worker.ts.
    const entry = new URL('./worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    this.worker = new Worker(boot, { eval: true, workerData: this.init });
    let markReady: (b: string | Promise<string>) => void;
    this.ready = new Promise((r) => (markReady = r));
    let started = false;
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        started = true;
        return markReady(m.backend);
      }
      const p = this.pending.get(m.jobId);
      if (!p) return;
      if (m.type === 'step') {
        if (p.kind === 'job') p.onStep?.(m.info);
        return;
      }
      this.pending.delete(m.jobId);
      if (m.type !== 'memory') this.ownMb = m.ownMb;
      if (m.type === 'memory') {
        if (p.kind === 'memory') p.resolve(m);
      } else if (p.kind === 'job') {
        if (m.type === 'result') p.resolve({ ok: true, outputs: m.outputs, ms: m.ms, leaked: m.leaked });
        else p.resolve(m.port === undefined ? { ok: false, code: m.code, message: m.message, cancelled: m.cancelled, leaked: m.leaked } : { ok: false, code: m.code, message: m.message, port: m.port, cancelled: m.cancelled, leaked: m.leaked });
      }
    });
    // 'error' (an uncaught exception) is followed by 'exit'; whichever comes first answers
    // everything pending, so nothing waits on a thread that is gone
    const fail = (why: string) => {
      const pending = [...this.pending.values()];
      this.pending.clear();
      for (const p of pending) {
        if (p.kind === 'job') p.resolve({ ok: false, code: 'WORKER_CRASHED', message: why, cancelled: false, leaked: 0 });
        else p.reject(new WorkerCrashed(why));
      }
    };
    this.worker.on('error', (e) => fail(`worker ${this.index} failed: ${e.message}`));
    this.worker.on('exit', (code) => {
      fail(`worker ${this.index} exited (${code})`);
      if (this.closing) return;
      this.spawn();
      // whoever awaits the dead thread's start-up gets the replacement's instead
      if (!started) markReady(this.ready);
    });
  }

  run(job: JobRequest, onStep?: (info: StepInfo) => void): Promise<JobResult> {
    if (this.replacing) return this.replacing.then(() => this.run(job, onStep));
    const jobId = this.nextId++;
    if (this.closing) return Promise.resolve({ ok: false, code: 'WORKER_CRASHED', message: `worker ${this.index} is closed`, cancelled: false, leaked: 0 });
    return new Promise((resolve) => {
      this.pending.set(jobId, { kind: 'job', onStep, resolve });
      this.worker.postMessage({ type: 'job', jobId, ...job } satisfies ToWorker);
    });
  }

  /** The worker's tensor counts; rejects with WorkerCrashed if the thread dies first. */
  memory(): Promise<MemoryReport> {
    if (this.replacing) return this.replacing.then(() => this.memory());
    const jobId = this.nextId++;
    if (this.closing) return Promise.reject(new WorkerCrashed(`worker ${this.index} is closed`));
    return new Promise((resolve, reject) => {
      this.pending.set(jobId, { kind: 'memory', resolve, reject });
      this.worker.postMessage({ type: 'memory', jobId } satisfies ToWorker);
    });
  }

  /**
   * Ends the thread and starts a fresh one (models load again on its first job). Only for an
   * idle worker: `ready`, run and memory wait for the replacement.
   */
  replace(): void {
    if (this.closing || this.replacing) return;
    this.ownMb = 0;
    // the exit handler spawns the replacement before terminate() resolves
    const done = this.worker.terminate().then(() => this.ready);
    this.replacing = done;
    this.ready = done;
    void done.finally(() => {
      if (this.replacing === done) this.replacing = undefined;
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}

export class WorkerPool {
  readonly workers: PoolWorker[];
  private waiting: ((w: PoolWorker) => void)[] = [];

  /** @param recycleMb replace a worker holding more than this after a run (0: never) */
  constructor(size: number, init: WorkerInit, private recycleMb = 0) {
    this.workers = Array.from({ length: size }, (_, i) => new PoolWorker(i, init));
  }

  get size(): number {
    return this.workers.length;
  }

  /** A free worker (FIFO among waiters). */
  acquire(): Promise<PoolWorker> {
    const free = this.workers.find((w) => !w.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(w: PoolWorker): void {
    if (this.recycleMb > 0 && w.ownMb > this.recycleMb) {
      console.log(`[pool] worker ${w.index} held ${Math.round(w.ownMb)} MiB after a run (over UNCLIP_WORKER_RECYCLE_MB=${this.recycleMb}): replacing its thread to give the memory back`);
      w.replace();
    }
    const next = this.waiting.shift();
    if (next) next(w);
    else w.busy = false;
  }

  freeCount(): number {
    return this.workers.filter((w) => !w.busy).length;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
