// The backend choice on this machine, in fresh processes (the choice is made once per process):
// where Dawn finds no real GPU (CPU-only machines, CI) the line says why WebGPU was skipped and
// wasm (or a tfjs-node that loads) is chosen; UNCLIP_BACKEND=webgpu then ends the process with one
// clear line. On a machine with a GPU the same tests check that WebGPU is chosen and named.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeAdapter, findWebGpuAdapter, softwareReason, vulkanLoaderPresent } from './webgpu-adapter.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHOOSE = "import { initBackend } from './ml/backend.ts'; const c = await initBackend({ log: (l) => console.error(l) }); console.log(JSON.stringify(c));";

function choose(env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHOOSE], {
    cwd: ROOT,
    env: { ...process.env, UNCLIP_BACKEND: undefined, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// What Dawn says about this machine decides which outcome is right; asked in this process, which
// then never uses it (the tensor backend here is whatever the test runner set up).
const found = await findWebGpuAdapter();

test('the backend line says why WebGPU was chosen or skipped', () => {
  const r = choose();
  assert.equal(r.status, 0, r.stderr);
  const choice = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { candidate: string; reason: string; adapter?: string };
  const line = r.stderr.split('\n').find((l) => l.startsWith('[backend] '));
  assert.ok(line, `no [backend] line in: ${r.stderr}`);
  if ('skip' in found) {
    assert.notEqual(choice.candidate, 'webgpu');
    assert.equal(choice.adapter, undefined);
    assert.ok(line.includes(`webgpu: ${found.skip}`), `the line names why WebGPU was skipped: ${line}`);
    if (choice.candidate === 'wasm') assert.match(line, /^\[backend\] wasm: first that started \(/);
  } else {
    assert.equal(choice.candidate, 'webgpu');
    assert.equal(choice.adapter, found.adapter);
    assert.ok(line.startsWith(`[backend] webgpu on ${found.adapter}: `), line);
  }
});

test('UNCLIP_BACKEND=webgpu where Dawn finds no GPU ends the process with one clear line', { skip: 'adapter' in found && `this machine has a GPU (${found.adapter})` }, () => {
  const r = choose({ UNCLIP_BACKEND: 'webgpu' });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('[backend]'));
  assert.deepEqual(lines, [`[backend] UNCLIP_BACKEND=webgpu could not start: ${(found as { skip: string }).skip}`]);
  // (Dawn's own "Couldn't load Vulkan" warning has a C++ "at" line; no JavaScript frame may follow)
  assert.doesNotMatch(r.stderr, /^\s+at .*(\.ts|\.js|node:internal)/m, 'no stack trace');
});

test('an unknown UNCLIP_BACKEND ends the process with the list of names', () => {
  const r = choose({ UNCLIP_BACKEND: 'cuda' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^\[backend\] UNCLIP_BACKEND=cuda is not one of tensorflow-gpu, webgpu, tensorflow, wasm, cpu$/m);
});

test("Dawn's null adapter and software adapters are no GPU; a hardware one is", async () => {
  const { create } = (await import('webgpu')) as unknown as { create(f: string[]): { requestAdapter(): Promise<{ info: object } | null> } };
  const nullAdapter = await create(['backend=null']).requestAdapter();
  assert.ok(nullAdapter, "Dawn's null backend always offers an adapter");
  assert.match(softwareReason(nullAdapter) ?? '', /software, not a GPU \(null-backend\)/);
  assert.match(softwareReason({ info: { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' } }) ?? '', /software/);
  assert.match(softwareReason({ info: { vendor: 'google', description: 'SwiftShader Device' } }) ?? '', /software/);
  assert.match(softwareReason({ info: { description: 'x' }, isFallbackAdapter: true }) ?? '', /fallback/);
  const h100 = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3' };
  assert.equal(softwareReason({ info: h100 }), null);
  assert.equal(describeAdapter(h100), 'NVIDIA H100 80GB HBM3 (nvidia, hopper)');
});

test('a libvulkan.so.1 on LD_LIBRARY_PATH counts as a Vulkan loader', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'unclip-vk-'));
  const saved = process.env.LD_LIBRARY_PATH;
  try {
    process.env.LD_LIBRARY_PATH = `/nonexistent:${dir}`;
    const before = vulkanLoaderPresent();
    writeFileSync(join(dir, 'libvulkan.so.1'), '');
    assert.equal(vulkanLoaderPresent(), true);
    // without the file, the answer is the linker cache's (this machine's own)
    rmSync(join(dir, 'libvulkan.so.1'));
    assert.equal(vulkanLoaderPresent(), before);
  } finally {
    if (saved === undefined) delete process.env.LD_LIBRARY_PATH;
    else process.env.LD_LIBRARY_PATH = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
