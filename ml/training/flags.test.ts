// Every trainer's flags come from its schema: values are checked, never turned into NaN, and a
// refused value is named with its flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAbsolute } from 'node:path';
import { parseTrainArgs as clipArgs } from '../clip/train.js';
import { parseTrainArgs as imageArgs } from '../decoder/train.js';
import { parsePriorArgs } from '../prior/train.js';
import { z } from 'zod';
import { commonFlags, parseFlags } from './flags.js';

const trainers: [string, (argv: string[]) => { steps: number; lr: number; batch: number; runDir: string; resume: boolean }][] = [
  ['clip', clipArgs],
  ['prior', parsePriorArgs],
  ['decoder', (a) => imageArgs('decoder', a)],
  ['upsampler', (a) => imageArgs('upsampler', a)],
];

test('every trainer refuses a non-number or an out-of-range value, naming the flag and the value', () => {
  for (const [name, parse] of trainers) {
    assert.throws(() => parse(['--lr', 'abc']), /^FlagError: --lr needs a number, got abc$/, name);
    assert.throws(() => parse(['--lr', '']), /--lr needs a number/, `${name}: an empty value is not 0`);
    assert.throws(() => parse(['--lr', '0']), /--lr must be positive, got 0/, name);
    assert.throws(() => parse(['--steps', '-3']), /--steps must be a positive whole number of steps, got -3/, name);
    assert.throws(() => parse(['--steps', '2.5']), /--steps must be a positive whole number of steps, got 2.5/, name);
    assert.throws(() => parse(['--batch', 'NaN']), /--batch needs a number, got NaN/, name);
    assert.throws(() => parse(['--warmup', '-1']), /--warmup must be a whole number of steps, got -1/, name);
    assert.throws(() => parse(['--ema', '1']), /--ema must be in \[0, 1\), got 1/, name);
    assert.throws(() => parse(['--save-every-min']), /--save-every-min needs a value/, name);
    assert.throws(() => parse(['--nope']), new RegExp(`unknown option --nope \\(${name}: --steps N --batch N --lr N`), name);
    const o = parse(['--steps', '12', '--lr', '1e-3', '--resume', '--run-dir', 'runs/x']);
    assert.deepEqual([o.steps, o.lr, o.resume], [12, 1e-3, true], name);
    assert.ok(isAbsolute(o.runDir) && o.runDir.endsWith('runs/x'), `${name}: folders are resolved`);
  }
});

test('model flags: defaults per model, lists, JSON and switches; the other model\'s flags are refused', () => {
  assert.deepEqual([clipArgs([]).batch, parsePriorArgs([]).batch, imageArgs('decoder', []).batch, imageArgs('upsampler', []).batch], [128, 64, 32, 24]);
  assert.equal(clipArgs([]).ema, 0, 'CLIP keeps no EMA unless asked');
  assert.deepEqual(parsePriorArgs(['--eval-guidance', '1,2.5,4']).evalGuidance, [1, 2.5, 4]);
  assert.deepEqual(parsePriorArgs([]).evalGuidance, [1, 3]);
  assert.throws(() => parsePriorArgs(['--eval-guidance', '1,x']), /--eval-guidance needs a number, got x/);
  assert.throws(() => parsePriorArgs(['--clip-norm', '-1']), /--clip-norm must be 0 or more, got -1/);
  assert.deepEqual(imageArgs('decoder', ['--config', '{"channels":[8,16]}']).config, { channels: [8, 16] });
  assert.throws(() => clipArgs(['--config', '{bad']), /--config needs JSON, got \{bad/);
  assert.throws(() => clipArgs(['--config', '[1]']), /--config /, 'a config is an object');
  assert.equal(imageArgs('upsampler', ['--residual', '4']).residual, 4);
  assert.equal(imageArgs('decoder', ['--allow-clip-change', '--export-only']).allowClipChange, true);
  assert.equal(parsePriorArgs(['--no-export']).noExport, true);
  assert.equal(imageArgs('decoder', ['--export-only', '--fp16']).fp16, true);
  assert.equal(imageArgs('upsampler', []).fp16, false);
  assert.throws(() => parsePriorArgs(['--fp16']), /unknown option --fp16/, 'only the image models export half weights');
  assert.throws(() => clipArgs(['--suffixes', '4']), /unknown option --suffixes/, 'suffixes are the prior\'s');
  assert.throws(() => parsePriorArgs(['--threads', '2']), /unknown option --threads/, 'threads are the image models\'');
});

test('parseFlags on a schema of its own: camelCase keys are --kebab-case flags', () => {
  const schema = commonFlags('toy', { steps: 5, batch: 2, lr: 0.1, warmup: 0, ema: 0 });
  const o = parseFlags(schema, ['--save-every-min', '0.5', '--init-from', 'weights/x', '--no-export']);
  assert.equal(o.saveEveryMin, 0.5);
  assert.ok(o.initFrom!.endsWith('weights/x'));
  assert.equal(o.noExport, true);
  assert.equal(o.exportOnly, false);
  assert.ok(o.weightsDir.endsWith('weights/toy') && o.runDir.endsWith('runs/toy'));
  const lists = z.object({ labels: z.array(z.string()).default(['a']), ts: z.array(z.number().int('wants whole timesteps')).default([1]) });
  assert.deepEqual(parseFlags(lists, ['--labels', 'red apple, rocket,', '--ts', '200,800']), { labels: ['red apple', 'rocket'], ts: [200, 800] });
  assert.throws(() => parseFlags(lists, ['--ts', '2.5']), /--ts wants whole timesteps, got 2.5/);
});
