// Picks the tensor backend once per process and patches what the chosen backend does slowly.
//
// Order: tfjs-node-gpu (CUDA) → WebGPU (Dawn, only on a real GPU adapter) → tfjs-node → wasm (the
// embedded default, binaries ship in npm) → cpu. UNCLIP_BACKEND names one explicitly
// ("tensorflow-gpu", "webgpu", "tensorflow", "wasm", "cpu"). The tfjs-node packages are optional
// dependencies whose install downloads libtensorflow, which fails offline, so "not installed" is
// the normal case here and not an error. WebGPU's packages install from npm alone
// (ml/webgpu-adapter.ts finds the adapter); on a machine without a GPU it is skipped with why.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { installWasmConvGrad } from './wasm-conv-grad.js';
import { installWasmMatMulPatch } from './wasm-matmul.js';
import { findWebGpuAdapter } from './webgpu-adapter.js';
// tfjs-core alone registers neither gradients nor chained ops (x.square()); the union package's
// Node bundle registers both against the same global registries. Models still import tfjs-core.
import '@tensorflow/tfjs';

export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  /** The name tfjs reports for the active backend ("tensorflow", "wasm", "cpu"). */
  name: string;
  /** Which of our candidates was picked (tensorflow-gpu and tensorflow both report "tensorflow"). */
  candidate: BackendName;
  /** One human sentence: why this one. */
  reason: string;
  /** The GPU adapter in use (WebGPU only), e.g. "nvidia: NVIDIA H100 80GB HBM3 (vulkan)". */
  adapter?: string;
}

const require = createRequire(import.meta.url);
let chosen: Promise<BackendChoice> | undefined;

/**
 * Initialise the backend once; later calls return the same choice. A backend forced through
 * UNCLIP_BACKEND that cannot start ends the process with one line on stderr (exit 1): a setting
 * that names a GPU the machine lacks is no condition any caller can recover from.
 */
export function initBackend(opts: { log?: (line: string) => void } = {}): Promise<BackendChoice> {
  chosen ??= choose().catch((e: unknown) => {
    if (!(e instanceof ForcedBackendError)) throw e;
    process.stderr.write(`[backend] ${e.message}\n`);
    process.exit(1);
  }).then((choice) => {
    const on = choice.adapter ? ` on ${choice.adapter}` : '';
    (opts.log ?? ((l: string) => console.log(l)))(`[backend] ${choice.candidate}${on}: ${choice.reason}`);
    return choice;
  });
  return chosen;
}

class ForcedBackendError extends Error {}

async function choose(): Promise<BackendChoice> {
  const wanted = process.env.UNCLIP_BACKEND?.trim();
  if (wanted) {
    if (!BACKEND_NAMES.includes(wanted as BackendName)) {
      throw new ForcedBackendError(`UNCLIP_BACKEND=${wanted} is not one of ${BACKEND_NAMES.join(', ')}`);
    }
    const r = await tryBackend(wanted as BackendName);
    if ('error' in r) throw new ForcedBackendError(`UNCLIP_BACKEND=${wanted} could not start: ${r.error}`);
    return { name: tf.getBackend(), candidate: wanted as BackendName, reason: `chosen by UNCLIP_BACKEND`, ...r };
  }
  const skipped: string[] = [];
  for (const candidate of BACKEND_NAMES) {
    const r = await tryBackend(candidate);
    if (!('error' in r)) {
      const why = skipped.length ? `first that started (${skipped.join('; ')})` : 'first that started';
      return { name: tf.getBackend(), candidate, reason: why, ...r };
    }
    skipped.push(`${candidate}: ${r.error}`);
  }
  throw new Error(`no tensor backend could start: ${skipped.join('; ')}`);
}

/** Starts `candidate`: on success the GPU adapter it runs on (WebGPU only), else a short reason. */
async function tryBackend(candidate: BackendName): Promise<{ adapter?: string } | { error: string }> {
  let adapter: string | undefined;
  try {
    switch (candidate) {
      case 'tensorflow-gpu':
        require('@tensorflow/tfjs-node-gpu');
        break;
      case 'webgpu': {
        // Dawn finds the adapter first: the tfjs backend would otherwise start on Dawn's null or
        // a software adapter and compute nothing, or crawl.
        const found = await findWebGpuAdapter();
        if ('skip' in found) return { error: found.skip };
        adapter = found.adapter;
        await import('@tensorflow/tfjs-backend-webgpu');
        break;
      }
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
    return { error: isNotInstalled(e) ? 'not installed' : `failed to load (${(e as Error).message.split('\n')[0]})` };
  }
  const registryName = candidate === 'tensorflow-gpu' ? 'tensorflow' : candidate;
  try {
    const ok = await tf.setBackend(registryName);
    if (!ok) return { error: 'did not initialise' };
    await tf.ready();
  } catch (e) {
    return { error: `did not initialise (${(e as Error).message.split('\n')[0]})` };
  }
  // UNCLIP_WASM_MATMUL_PATCH=0 keeps the stock kernel (for measuring what the patch buys).
  if (registryName === 'wasm' && process.env.UNCLIP_WASM_MATMUL_PATCH !== '0') installWasmMatMulPatch();
  // wasm ships no conv filter gradient (conv nets cannot train) and a 1.4 GFLOP/s input
  // gradient; ml/wasm-conv-grad.ts supplies both, and the gather gradient (UnsortedSegmentSum).
  if (registryName === 'wasm') installWasmConvGrad();
  return adapter ? { adapter } : {};
}

function isNotInstalled(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}
