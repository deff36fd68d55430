// Messages between the main thread (server/pool.ts) and a node worker (server/worker.ts).
import type { ErrorCode, Limits } from '../protocol/index.js';
import type { Outputs, StepInfo, Value } from '../nodes/index.js';

export interface WorkerInit {
  debug: boolean;
  cacheDir: string;
}

export type ToWorker =
  | {
      type: 'job';
      jobId: number;
      nodeType: string;
      nodeId: string;
      params: Record<string, unknown>;
      inputs: Record<string, Value>;
      /** model name → {dir, hash} of the weights the main thread keyed the cache with */
      models: Record<string, { dir: string; hash: string }>;
      limits: Limits;
      /** Int32Array view: [0] != 0 means cancelled (set by the main thread, read between steps) */
      cancel: SharedArrayBuffer;
    }
  | { type: 'memory'; jobId: number };

export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'step'; jobId: number; info: StepInfo }
  | {
      type: 'result';
      jobId: number;
      outputs: Outputs;
      ms: number;
      /** tensors alive after the job minus before, not counting models loaded during it */
      leaked: number;
      /** MiB the thread holds after the job (server/worker.ts ownMb): the pool's recycle check */
      ownMb: number;
    }
  | { type: 'error'; jobId: number; code: ErrorCode; message: string; port?: string; cancelled: boolean; leaked: number; ownMb: number }
  | { type: 'memory'; jobId: number; numTensors: number; resident: number; rssMb: number; ownMb: number };
