// The worker pool: ML work never runs on the thread that serves sockets. One worker thread per
// core by default (UNCLIP_WORKERS). A run holds one worker from its first node to its last, so
// the models that worker loaded stay warm for the next node, and two runs use two cores.
// A worker that dies fails its job with WORKER_CRASHED and is replaced.
import { Worker } from 'node:worker_threads';
import type { ErrorCode } from '../protocol/index.js';
import type { Outputs, StepInfo } from '../nodes/index.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

export type JobRequest = Omit<Extract<ToWorker, { type: 'job' }>, 'type' | 'jobId'>;

export type JobResult =
  | { ok: true; outputs: Outputs; ms: number; leaked: number }
  | { ok: false; code: ErrorCode; message: string; port?: string; cancelled: boolean; leaked: number };

interface Pending {
  onStep?: (info: StepInfo) => void;
  resolve: (r: JobResult) => void;
  memory?: (m: Extract<FromWorker, { type: 'memory' }>) => void;
}

export class PoolWorker {
  readonly index: number;
  private worker!: Worker;
  ready!: Promise<string>;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  busy = false;
  private closing = false;

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
    let markReady: (b: string) => void;
    this.ready = new Promise((r) => (markReady = r));
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') return markReady(m.backend);
      const p = this.pending.get(m.jobId);
      if (!p) return;
      if (m.type === 'step') p.onStep?.(m.info);
      else if (m.type === 'memory') {
        this.pending.delete(m.jobId);
        p.memory?.(m);
      } else {
        this.pending.delete(m.jobId);
        if (m.type === 'result') p.resolve({ ok: true, outputs: m.outputs, ms: m.ms, leaked: m.leaked });
        else p.resolve(m.port === undefined ? { ok: false, code: m.code, message: m.message, cancelled: m.cancelled, leaked: m.leaked } : { ok: false, code: m.code, message: m.message, port: m.port, cancelled: m.cancelled, leaked: m.leaked });
      }
    });
    const fail = (why: string) => {
      for (const [, p] of this.pending) {
        if (p.memory) continue;
        p.resolve({ ok: false, code: 'WORKER_CRASHED', message: why, cancelled: false, leaked: 0 });
      }
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(`worker ${this.index} failed: ${e.message}`));
    this.worker.on('exit', (code) => {
      fail(`worker ${this.index} exited (${code})`);
      if (!this.closing) this.spawn();
    });
  }

  run(job: JobRequest, onStep?: (info: StepInfo) => void): Promise<JobResult> {
    const jobId = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(jobId, { onStep, resolve });
      this.worker.postMessage({ type: 'job', jobId, ...job } satisfies ToWorker);
    });
  }

  memory(): Promise<Extract<FromWorker, { type: 'memory' }>> {
    const jobId = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(jobId, { resolve: () => {}, memory: resolve });
      this.worker.postMessage({ type: 'memory', jobId } satisfies ToWorker);
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

  constructor(size: number, init: WorkerInit) {
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
