// Picks the tensor backend once per process and patches what the chosen backend does slowly.
//
// Order: tfjs-node-gpu (CUDA) → tfjs-node → wasm (the embedded default, binaries ship in npm)
// → cpu. UNCLIP_BACKEND names one explicitly ("tensorflow-gpu", "tensorflow", "wasm", "cpu").
// The native packages are optional dependencies: their install downloads libtensorflow, which
// fails offline, so "not installed" is the normal case here and not an error.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { installWasmConvGrad } from './wasm-conv-grad.js';
import { installWasmMatMulPatch } from './wasm-matmul.js';
// tfjs-core alone registers neither gradients nor chained ops (x.square()); the union package's
// Node bundle registers both against the same global registries. Models still import tfjs-core.
import '@tensorflow/tfjs';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  /** The name tfjs reports for the active backend ("tensorflow", "wasm", "cpu"). */
  name: string;
  /** Which of our candidates was picked (tensorflow-gpu and tensorflow both report "tensorflow"). */
  candidate: BackendName;
  /** One human sentence: why this one. */
  reason: string;
}

const require = createRequire(import.meta.url);
let chosen: Promise<BackendChoice> | undefined;

/** Initialise the backend once; later calls return the same choice. */
export function initBackend(opts: { log?: (line: string) => void } = {}): Promise<BackendChoice> {
  chosen ??= choose().then((choice) => {
    (opts.log ?? ((l: string) => console.log(l)))(`[backend] ${choice.candidate}: ${choice.reason}`);
    return choice;
  });
  return chosen;
}

async function choose(): Promise<BackendChoice> {
  const wanted = process.env.UNCLIP_BACKEND?.trim();
  if (wanted) {
    if (!BACKEND_NAMES.includes(wanted as BackendName)) {
      throw new Error(`UNCLIP_BACKEND=${wanted} is not one of ${BACKEND_NAMES.join(', ')}`);
    }
    const err = await tryBackend(wanted as BackendName);
    if (err) throw new Error(`UNCLIP_BACKEND=${wanted} could not start: ${err}`);
    return { name: tf.getBackend(), candidate: wanted as BackendName, reason: `chosen by UNCLIP_BACKEND` };
  }
  const skipped: string[] = [];
  for (const candidate of BACKEND_NAMES) {
    const err = await tryBackend(candidate);
    if (!err) {
      const why = skipped.length ? `first that started (${skipped.join('; ')})` : 'first that started';
      return { name: tf.getBackend(), candidate, reason: why };
    }
    skipped.push(`${candidate}: ${err}`);
  }
  throw new Error(`no tensor backend could start: ${skipped.join('; ')}`);
}

/** Returns null on success, else a short reason. */
async function tryBackend(candidate: BackendName): Promise<string | null> {
  try {
    switch (candidate) {
      case 'tensorflow-gpu':
        require('@tensorflow/tfjs-node-gpu');
        break;
      case 'tensorflow':
        require('@tensorflow/tfjs-node');
        break;
      case 'wasm':
        await import('@tensorflow/tfjs-backend-wasm');
        break;
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        break;
    }
  } catch (e) {
    return isNotInstalled(e) ? 'not installed' : `failed to load (${(e as Error).message.split('\n')[0]})`;
  }
  const registryName = candidate === 'tensorflow-gpu' ? 'tensorflow' : candidate;
  try {
    const ok = await tf.setBackend(registryName);
    if (!ok) return 'did not initialise';
    await tf.ready();
  } catch (e) {
    return `did not initialise (${(e as Error).message.split('\n')[0]})`;
  }
  // UNCLIP_WASM_MATMUL_PATCH=0 keeps the stock kernel (for measuring what the patch buys).
  if (registryName === 'wasm' && process.env.UNCLIP_WASM_MATMUL_PATCH !== '0') installWasmMatMulPatch();
  // wasm ships no conv filter gradient (conv nets cannot train) and a 1.4 GFLOP/s input
  // gradient; ml/wasm-conv-grad.ts supplies both, and the gather gradient (UnsortedSegmentSum).
  if (registryName === 'wasm') installWasmConvGrad();
  return null;
}

function isNotInstalled(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}
