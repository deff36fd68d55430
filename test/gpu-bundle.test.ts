// The GPU bundle (gpu/build.ts, gpu/run.sh) end to end on this CPU-only machine: builds it in a
// temporary folder (the compressed Node and dawn.node are cached under node_modules/.cache, so
// only the first build on a machine takes minutes) and runs run.sh's dry mode (wasm, a short bench, three
// training steps) with a PATH that holds no node, so the bundled Node is what runs. What the GPU
// machine will return is checked here: the summary, the parity figure and the checkpoint parts.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { skipIfMissing } from './helpers/requires.js';
import { ROOT } from './helpers/server.js';

// What run.sh calls; each is linked into a PATH of its own (node deliberately absent).
const TOOLS = ['bash', 'dirname', 'mktemp', 'mkdir', 'tee', 'tail', 'head', 'xz', 'tar', 'chmod', 'ln', 'ls', 'env', 'timeout', 'split', 'cat', 'grep', 'find', 'rm', 'dpkg-deb', 'ldconfig'];
const BUILD_TOOLS = ['xz', 'strip', 'tar'];
const which = (t: string): string | null => {
  const r = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};
const corpus = join(ROOT, 'data', 'cache', 'corpus-32-v1.bin');
const missing =
  [...BUILD_TOOLS, ...TOOLS].filter((t) => !which(t)).map((t) => `${t} is not installed`)[0] ??
  (existsSync(corpus) ? null : 'the corpus cache data/cache/corpus-32-v1.bin (npm run data) is missing');
const skip = skipIfMissing(missing, import.meta.url);

const tmp = mkdtempSync(join(tmpdir(), 'unclip-gpu-bundle-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const MiB = 2 ** 20;
// A bare environment (nothing inherited); the cast only drops Next's required NODE_ENV typing.
const bare = (env: Record<string, string>) => env as unknown as NodeJS.ProcessEnv;

test('the bundle builds within 60 MiB and its dry run passes every step without a node on PATH', { skip, timeout: 15 * 60_000 }, () => {
  // one style's rows of the corpus: the sliced cache is what the GPU machine trains on, and its
  // CLIP embeddings are computed inside the bundle as they will be there
  const bundle = join(tmp, 'bundle');
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'gpu', 'build.ts'), '--out', bundle, '--corpus=fxemoji'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 12 * 60_000 });
  const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as { bytes: number; files: Record<string, number> };
  assert.ok(manifest.bytes <= 60 * MiB, `${manifest.bytes} bytes`);
  for (const f of ['run.sh', 'node.xz', 'dawn.node.xz', 'app.tar.xz', 'corpus.tar.xz']) assert.ok(manifest.files[f], `${f} in the bundle`);
  const copy = bundle;
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  for (const t of TOOLS) symlinkSync(which(t)!, join(bin, t));
  const out = join(tmp, 'out');
  const r = spawnSync('bash', [join(copy, 'run.sh'), '--dry'], {
    cwd: ROOT, // where the weights and the corpus cache are, as in the device tool's checkout
    env: bare({ PATH: bin, HOME: tmp, OUT: out, UNCLIP_GPU_WORK: join(tmp, 'work') }),
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(spawnSync('bash', ['-c', 'command -v node'], { env: bare({ PATH: bin }) }).status, 1, 'no node on the PATH run.sh had');

  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const log = readFileSync(join(out, 'log.txt'), 'utf8');
  for (const s of ['unpack', 'parity-wasm', 'parity-gpu', 'parity', 'bench', 'train', 'pack-checkpoint']) {
    assert.equal(summary.steps[s]?.status, 'ok', `step ${s}: ${JSON.stringify(summary.steps[s])}\n${log}`);
  }
  assert.equal(summary.dry, true);
  assert.equal(summary.steps.vulkan.status, 'skipped');
  assert.equal(summary.parity.max_abs_diff, 0, 'the same backend twice gives the same numbers');
  assert.equal(summary.parity.values, 2 * 2 * 32 * 32 * 3, 'two images after one step and after four');
  assert.equal(summary.parity_runs.wasm.backend, 'wasm');
  assert.equal(summary.bench.backend, 'wasm');
  assert.ok(summary.bench.matmul.nn_gflops > 0);

  // What comes back: few files, each under the device tool's 16 MiB, and the parts make the run
  // folder of a decoder trained three steps on from the shipped weights.
  const files = readdirSync(out);
  assert.ok(files.length <= 8, files.join(', '));
  for (const f of files) assert.ok(statSync(join(out, f)).size <= 16 * MiB, f);
  const parts = files.filter((f) => f.startsWith('checkpoint-decoder.tar.xz.part-')).sort();
  assert.ok(parts.length >= 1);
  const back = join(tmp, 'back');
  mkdirSync(back);
  execFileSync('bash', ['-c', `cat ${parts.map((p) => `'${join(out, p)}'`).join(' ')} | tar -xJf - -C '${back}'`]);
  const state = JSON.parse(readFileSync(join(back, 'decoder', 'state.json'), 'utf8')) as { state: { step: number; initFrom: string } };
  assert.equal(state.state.step, 3);
  assert.equal(state.state.initFrom, 'weights/decoder');

  // The bundled WebGPU path (tfjs-backend-webgpu in the bundle, the unpacked dawn.node) loads and
  // samples on Dawn's null adapter, which computes nothing but has every kernel.
  const work = join(tmp, 'work');
  const gpu = spawnSync(join(work, 'bin', 'node'), [join(work, 'app', 'lib', 'js', 'parity.js'), 'run', join(tmp, 'null.bin')], {
    cwd: join(work, 'app'),
    env: bare({ PATH: bin, UNCLIP_BACKEND: 'webgpu', UNCLIP_DAWN_FLAGS: 'backend=null', UNCLIP_WEBGPU_ALLOW_SOFTWARE: '1' }),
    encoding: 'utf8',
    timeout: 5 * 60_000,
  });
  assert.equal(gpu.status, 0, gpu.stderr);
  const ran = JSON.parse(gpu.stdout.trim().split('\n').at(-1)!) as { backend: string; adapter: string; values: number };
  assert.equal(ran.backend, 'webgpu');
  assert.match(ran.adapter, /^null-backend, software: allowed by UNCLIP_WEBGPU_ALLOW_SOFTWARE$/);
  assert.equal(ran.values, summary.parity.values);
  assert.ok(existsSync(join(back, 'decoder', 'model.safetensors')));
});
