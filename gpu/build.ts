// `npm run gpu:bundle [-- --weights] [-- --corpus[=STYLE,...]] [-- --out DIR]`: builds, in gpu-bundle/
// (git-ignored), what a bare Linux x86-64 machine with an NVIDIA driver needs to run the parity
// check, the bench and decoder training on WebGPU: no Node, npm or network there. See docs/gpu.md.
//
// Layout: run.sh (unpacks and runs, see there), node.xz and dawn.node.xz (this Node and the
// linux-x64 dawn.node, stripped, xz with the x86 filter), app.tar.xz (the entry points bundled by
// esbuild into plain JS, tfjs's wasm binaries), vulkan/*.deb (the loader and GL dispatch, unpacked
// only where the machine lacks them), and on request weights.tar.xz and corpus.tar.xz (the rendered
// corpus cache; `--corpus=noto,twemoji` keeps only those styles' rows). The weights and corpus are
// opt-in because the device tool sends the repository's tracked files (weights/ included) with
// every call, and its 64 MiB travel limit leaves room for neither twice nor the whole corpus.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const corpusArg = args.find((a) => a === '--corpus' || a.startsWith('--corpus='));
const corpusStyles = corpusArg?.includes('=') ? corpusArg.slice(9).split(',') : undefined;
const OUT = resolve(args.includes('--out') ? args[args.indexOf('--out') + 1]! : join(ROOT, 'gpu-bundle'));
const LIMIT = 60 * 1024 * 1024;
const CACHE = join(ROOT, 'data', 'cache');
const BIN_CACHE = join(ROOT, 'node_modules', '.cache', 'unclip-gpu-bundle');
const CORPUS = ['corpus-32-v1.bin', 'corpus-32-v1.json'];
// The Vulkan loader, and the GL dispatch libraries NVIDIA's ICD (libGLX_nvidia) loads: the set
// the device tool's notes found to run Vulkan on its GPU machines.
const VULKAN_DEBS = ['libvulkan1', 'libglvnd0', 'libglx0', 'libegl1', 'libgl1', 'libopengl0', 'libgles2'];
const XZ_EXE = ['--x86', '--lzma2=preset=9e', '-T1']; // the x86 filter: about 10% off a binary

/** The entry points the bundle runs, as output name → source. */
const ENTRIES = {
  bench: 'bench/main.ts',
  train: 'ml/train.ts',
  generate: 'ml/generate.ts',
  parity: 'gpu/parity.ts',
  // data-parallel.ts starts its workers from ./grad-worker.js beside the bundled file
  'grad-worker': 'ml/decoder/grad-worker.ts',
};
// Loaded only by paths the bundle never runs (the studio server, tfjs-node), or native.
const EXTERNAL = ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'next', 'next/*', 'react', 'react-dom', 'better-sqlite3', 'socket.io', 'socket.io-client', '@socket.io/*', 'bullmq', 'ioredis'];

const sh = (cmd: string, argv: string[], cwd = ROOT) => execFileSync(cmd, argv, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
const size = (p: string) => statSync(p).size;
const log = (l: string) => process.stderr.write(`[gpu:bundle] ${l}\n`);

async function bundleJs(app: string): Promise<void> {
  const outdir = join(app, 'lib', 'js'); // two folders down: the code's REPO_ROOT is then app/
  await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, join(ROOT, v)])),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    external: EXTERNAL,
    alias: { sharp: join(ROOT, 'gpu', 'sharp-lite.ts') },
    plugins: [
      {
        name: 'no-server-bench',
        setup(b) {
          b.onResolve({ filter: /^\.\/(server|load|clip-path)\.js$/ }, (a) => (a.importer === join(ROOT, 'bench', 'main.ts') ? { path: join(ROOT, 'gpu', 'no-server.ts') } : undefined));
        },
      },
    ],
    // CommonJS inside an ES module bundle still asks for require and __dirname (tfjs-backend-wasm
    // finds its .wasm beside __dirname).
    banner: {
      js: "import{createRequire as __cr}from'node:module';import{fileURLToPath as __fu}from'node:url';import{dirname as __dn}from'node:path';const require=__cr(import.meta.url);const __filename=__fu(import.meta.url);const __dirname=__dn(__filename);",
    },
  });
  writeFileSync(join(outdir, 'package.json'), '{"type":"module"}\n');
  const wasmDir = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  // Node runs the SIMD build; the threaded one never starts there (no workers from blob URLs)
  for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm') && !f.includes('threaded'))) copyFileSync(join(wasmDir, f), join(outdir, f));
}

/** webgpu's loader; dawn.node itself travels beside it as dawn.node.xz (run.sh puts it back). */
function copyDawnJs(app: string): void {
  const src = join(ROOT, 'node_modules', 'webgpu');
  const dst = join(app, 'node_modules', 'webgpu');
  mkdirSync(join(dst, 'dist', 'linux-x64'), { recursive: true });
  for (const f of ['index.js', 'package.json', 'LICENSE.md']) copyFileSync(join(src, f), join(dst, f));
}

/**
 * A binary stripped (debug info is a fifth of Node and of dawn.node) and xz'd to OUT/name.xz.
 * Compressing takes minutes here, so the result is cached (under node_modules/.cache, stamped
 * with what was packed) and copied into every bundle built on this machine.
 */
function packBinary(src: string, name: string, stampText: string, stripArgs: string[]): void {
  mkdirSync(BIN_CACHE, { recursive: true });
  const xz = join(BIN_CACHE, `${name}.xz`);
  const stamp = join(BIN_CACHE, `${name}.stamp`);
  if (!(existsSync(xz) && existsSync(stamp) && readFileSync(stamp, 'utf8') === stampText)) {
    log(`compressing ${src}; this takes a few minutes`);
    const tmp = join(BIN_CACHE, `${name}.tmp`);
    copyFileSync(src, tmp);
    try {
      sh('strip', [...stripArgs, tmp]);
    } catch {
      log(`strip failed; shipping ${name} unstripped`);
    }
    sh('xz', [...XZ_EXE, '-f', tmp]);
    execFileSync('mv', ['-f', `${tmp}.xz`, xz]);
    writeFileSync(stamp, stampText);
  }
  copyFileSync(xz, join(OUT, `${name}.xz`));
}

/** The corpus cache, whole or only some styles' rows (the loader then trusts its entry list). */
function stageCorpus(stage: string): string[] {
  const dst = join(stage, 'data', 'cache');
  mkdirSync(dst, { recursive: true });
  const [bin, json] = CORPUS.map((f) => join(CACHE, f)) as [string, string];
  for (const f of [bin, json]) if (!existsSync(f)) throw new Error(`--corpus: missing ${f} (npm run data builds it)`);
  const index = JSON.parse(readFileSync(json, 'utf8')) as { size: number; icons: string[]; entries: { style: string }[] };
  const keep = corpusStyles ? new Set(corpusStyles) : undefined;
  const px = index.size * index.size * 3;
  const images = readFileSync(bin);
  const rows = index.icons.map((k, i) => [k, i] as const).filter(([k]) => !keep || keep.has(k.split(':')[0]!));
  const out = Buffer.alloc(rows.length * px);
  rows.forEach(([, r], i) => images.copy(out, i * px, r * px, (r + 1) * px));
  const sliced = { ...index, icons: rows.map(([k]) => k), entries: index.entries.filter((e) => !keep || keep.has(e.style)) };
  writeFileSync(join(dst, CORPUS[0]!), out);
  writeFileSync(join(dst, CORPUS[1]!), JSON.stringify(sliced));
  log(`corpus: ${rows.length} rows${keep ? ` of ${[...keep].join(', ')}` : ''}`);
  return CORPUS.map((f) => join('data', 'cache', f));
}

/** VULKAN_DEBS from Debian's registry, cached; the bundle still builds (with a warning) without. */
function fetchVulkan(): void {
  const cache = join(BIN_CACHE, 'vulkan');
  mkdirSync(cache, { recursive: true });
  const have = readdirSync(cache);
  const want = VULKAN_DEBS.filter((p) => !have.some((f) => f.startsWith(`${p}_`)));
  if (want.length) {
    try {
      execFileSync('apt-get', ['download', ...want], { cwd: cache, stdio: 'ignore' });
    } catch {
      log(`WARNING: apt-get download ${want.join(' ')} failed; run.sh will need them on the machine`);
    }
  }
  cpSync(cache, join(OUT, 'vulkan'), { recursive: true });
}

function tarXz(out: string, cwd: string, paths: string[]): void {
  sh('tar', ['-cJf', out, '--owner=0', '--group=0', ...paths], cwd);
}

async function main(): Promise<void> {
  if (existsSync(OUT) && readdirSync(OUT).length && !existsSync(join(OUT, 'manifest.json'))) {
    throw new Error(`${OUT} holds files but no manifest.json: not a bundle folder, so not cleared`);
  }
  rmSync(OUT, { recursive: true, force: true }); // nothing stale may travel
  mkdirSync(OUT, { recursive: true });
  const stage = join(OUT, '.stage');
  rmSync(stage, { recursive: true, force: true });
  const app = join(stage, 'app');
  mkdirSync(app, { recursive: true });
  log('bundling the entry points');
  await bundleJs(app);
  copyDawnJs(app);
  tarXz(join(OUT, 'app.tar.xz'), stage, ['app']);
  if (flag('weights')) tarXz(join(OUT, 'weights.tar.xz'), ROOT, ['weights']);
  if (corpusArg) tarXz(join(OUT, 'corpus.tar.xz'), stage, stageCorpus(stage));
  packBinary(process.execPath, 'node', process.version, []);
  const dawn = join(ROOT, 'node_modules', 'webgpu', 'dist', 'linux-x64', 'dawn.node');
  packBinary(dawn, 'dawn.node', `${JSON.parse(readFileSync(join(ROOT, 'node_modules', 'webgpu', 'package.json'), 'utf8')).version} ${size(dawn)}`, ['--strip-unneeded']);
  fetchVulkan();
  cpSync(join(ROOT, 'gpu', 'run.sh'), join(OUT, 'run.sh'));
  rmSync(stage, { recursive: true, force: true });
  const files = readdirSync(OUT, { recursive: true }).map(String).filter((f) => statSync(join(OUT, f)).isFile() && f !== 'manifest.json');
  const total = files.reduce((s, f) => s + size(join(OUT, f)), 0);
  const sizes = Object.fromEntries(files.map((f) => [f, size(join(OUT, f))]));
  writeFileSync(join(OUT, 'manifest.json'), JSON.stringify({ node: process.version, bytes: total, files: sizes }, null, 2) + '\n');
  log(`${OUT}: ${(total / 2 ** 20).toFixed(1)} MiB in ${files.length} files`);
  if (total > LIMIT) throw new Error(`the bundle is ${(total / 2 ** 20).toFixed(1)} MiB, over its ${LIMIT / 2 ** 20} MiB limit`);
}

await main();
