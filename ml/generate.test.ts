// `npm run generate` end to end in a child process: same arguments → identical PNG bytes, one
// frame per decoder step, a warning for unknown words, clear errors for bad arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { SAMPLERS } from './diffusion/index.js';
import { parseGenerateArgs } from './generate.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const missing = ['clip', 'prior', 'decoder', 'upsampler'].filter((m) => !existsSync(join(ROOT, 'weights', m, 'model.safetensors')));
const skip = missing.length ? `no ${missing.join(', ')} weights in weights/` : false;

const gen = (args: string[]) => promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'ml', 'generate.ts'), ...args], { cwd: ROOT });

test('argument parsing: prompt words joined, defaults, and clear refusals', () => {
  const a = parseGenerateArgs(['red', 'apple', '--seed', '7', '--no-prior']);
  assert.equal(a.prompt, 'red apple');
  assert.equal(a.seed, 7);
  assert.equal(a.noPrior, true);
  assert.equal(a.out, 'red-apple.png');
  assert.throws(() => parseGenerateArgs([]), /no prompt/);
  assert.throws(() => parseGenerateArgs(['x', '--sampler', 'euler']), /ddpm, ddim, dpmpp2m/);
  assert.throws(() => parseGenerateArgs(['x', '--steps', '0']), /integer ≥ 1/);
  assert.throws(() => parseGenerateArgs(['x', '--bogus']), /unknown option --bogus/);
  assert.equal(parseGenerateArgs(['x', '--prior-guidance', '2']).priorGuidance, 2);
  assert.throws(() => parseGenerateArgs(['x', '--prior-guidance', '0.5']), /--prior-guidance wants a number ≥ 1/);
});

test('--sampler takes every sampler of the exported list, and the usage names each', () => {
  for (const s of SAMPLERS) assert.equal(parseGenerateArgs(['x', '--sampler', s]).sampler, s);
  assert.throws(() => parseGenerateArgs(['x', '--bogus']), new RegExp(`--sampler ${SAMPLERS.join('\\|')}\\]`));
  assert.throws(() => parseGenerateArgs(['x', '--bogus']), (e: Error) => SAMPLERS.every((s) => e.message.includes(`${s}: `)));
});

test('same arguments → identical PNG bytes; --frames writes one x_t|x0 PNG per decoder step; unknown words warned', { skip, timeout: 600_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'unclip-generate-'));
  try {
    const args = (out: string) => ['red apple zzqxv', '--seed', '7', '--steps', '4', '--prior-steps', '5', '--upsample-steps', '2', '--out', join(tmp, out)];
    const first = await gen([...args('a.png'), '--frames', join(tmp, 'frames')]);
    await gen(args('b.png'));
    const a = readFileSync(join(tmp, 'a.png'));
    assert.ok(a.equals(readFileSync(join(tmp, 'b.png'))), 'identical bytes');
    const meta = await sharp(a).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 64, 64]);
    assert.deepEqual(readdirSync(join(tmp, 'frames')).sort(), ['step-001.png', 'step-002.png', 'step-003.png', 'step-004.png']);
    const f = await sharp(join(tmp, 'frames', 'step-004.png')).metadata();
    assert.deepEqual([f.width, f.height], [64, 32]);
    assert.match(first.stderr, /"zzqxv" is not in CLIP's vocabulary/);
    const json = JSON.parse(first.stdout.trim().split('\n').at(-1)!);
    assert.equal(json.size, 64);
    // no upsampler: 32x32
    await gen(['red apple', '--steps', '2', '--prior-steps', '2', '--no-upsample', '--out', join(tmp, 'c.png')]);
    assert.equal((await sharp(join(tmp, 'c.png')).metadata()).width, 32);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
