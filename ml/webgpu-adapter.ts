// Finds a real GPU for tfjs's WebGPU backend through Dawn (the `webgpu` npm package, prebuilt
// dawn.node), and installs it as `navigator.gpu` the way the backend expects in a browser.
//
// Dawn answers in three ways on a machine without a GPU, and all three must mean "skip": no
// adapter at all (no libvulkan, or a Vulkan driver Dawn refuses, such as Debian 12's lavapipe),
// its null backend (computes nothing), or a software adapter (SwiftShader, llvmpipe: slower than
// wasm). Only a hardware adapter is worth choosing over tfjs-node and wasm.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
  adapterType?: string;
}
interface Adapter {
  info?: AdapterInfo;
  isFallbackAdapter?: boolean;
}
interface Gpu {
  requestAdapter(opts?: { powerPreference?: string }): Promise<Adapter | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

const SOFTWARE = /null|llvmpipe|lavapipe|swiftshader|software|basic render/i;

/**
 * Linux: whether libvulkan.so.1 can be found (the dynamic linker's cache or LD_LIBRARY_PATH).
 * Without it Dawn has nothing to try and prints a warning from every thread that asks, so asking
 * is skipped. Other systems: true (Dawn uses Metal or D3D12 there).
 */
export function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d);
  if (dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))) return true;
  try {
    return readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
  } catch {
    return true; // no cache to read: let Dawn look for itself
  }
}

/** One line naming an adapter, e.g. "NVIDIA H100 80GB HBM3 (nvidia, hopper)". */
export function describeAdapter(info: AdapterInfo): string {
  const name = info.description || info.device || 'unnamed adapter';
  const more = [info.vendor, info.architecture].filter((s) => s).join(', ');
  return more ? `${name} (${more})` : name;
}

/** Why this adapter is no real GPU, or null where it is one. */
export function softwareReason(adapter: Adapter): string | null {
  const info = adapter.info ?? {};
  if (adapter.isFallbackAdapter || info.isFallbackAdapter) return `Dawn offers only a fallback adapter (${describeAdapter(info)})`;
  if (info.adapterType && /cpu/i.test(info.adapterType)) return `Dawn's adapter is a CPU (${describeAdapter(info)})`;
  const fields = [info.vendor, info.architecture, info.device, info.description].join(' ');
  if (SOFTWARE.test(fields)) return `Dawn's adapter is software, not a GPU (${describeAdapter(info)})`;
  return null;
}

/**
 * Asks Dawn for a high-performance adapter. On success `navigator.gpu` and the WebGPU globals
 * (GPUBufferUsage, …) are installed for @tensorflow/tfjs-backend-webgpu; otherwise nothing is.
 * UNCLIP_DAWN_FLAGS passes Dawn flags, comma-separated (e.g. "backend=vulkan").
 */
export async function findWebGpuAdapter(): Promise<{ adapter: string } | { skip: string }> {
  let dawn: DawnModule;
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return { skip: 'not installed' };
    return { skip: `dawn.node failed to load (${(e as Error).message.split('\n')[0]})` };
  }
  const flags = (process.env.UNCLIP_DAWN_FLAGS ?? '').split(',').map((f) => f.trim()).filter((f) => f);
  if (!flags.includes('backend=null') && !vulkanLoaderPresent()) {
    return { skip: 'no Vulkan loader (libvulkan.so.1) on this machine' };
  }
  const gpu = dawn.create(flags);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    return { skip: 'Dawn found no GPU adapter (no libvulkan.so.1, no GPU driver, or only a software Vulkan Dawn refuses)' };
  }
  const software = softwareReason(adapter);
  // UNCLIP_WEBGPU_ALLOW_SOFTWARE=1 takes it anyway: with UNCLIP_DAWN_FLAGS=backend=null a machine
  // without a GPU runs the WebGPU code paths (kernels exist, no sync reads) without real numbers.
  if (software && process.env.UNCLIP_WEBGPU_ALLOW_SOFTWARE !== '1') return { skip: software };
  Object.assign(globalThis, dawn.globals);
  // Node 21+ has a `navigator` whose properties are getters; define rather than assign.
  const nav = ((globalThis as { navigator?: object }).navigator ??= {});
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  const name = describeAdapter(adapter.info ?? {});
  return { adapter: software ? `${name}, software: allowed by UNCLIP_WEBGPU_ALLOW_SOFTWARE` : name };
}

