// The decoder/upsampler trainer's options: defaults, and clear errors for values it cannot use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrainArgs } from './train.js';

test('parseTrainArgs: defaults, --threads and --cooldown, and their errors', () => {
  const d = parseTrainArgs('decoder', []);
  assert.equal(d.threads, 1, 'one thread unless asked');
  assert.equal(d.cooldown, 0, 'a constant rate unless asked');
  assert.equal(d.batch, 32);
  const o = parseTrainArgs('upsampler', ['--threads', '2', '--cooldown', '1500', '--steps', '9000', '--resume']);
  assert.deepEqual([o.threads, o.cooldown, o.steps, o.resume, o.batch], [2, 1500, 9000, true, 24]);
  assert.throws(() => parseTrainArgs('decoder', ['--threads', '0']), /--threads must be an integer from 1 to the batch size \(32\)/);
  assert.throws(() => parseTrainArgs('decoder', ['--threads', '40']), /--threads must be/);
  assert.throws(() => parseTrainArgs('decoder', ['--cooldown', '-5']), /--cooldown must be a whole number of steps/);
  assert.throws(() => parseTrainArgs('decoder', ['--cooldown']), /--cooldown needs a value/);
  assert.throws(() => parseTrainArgs('decoder', ['--residual', '2']), /unknown option --residual/, 'residual is the upsampler\'s');
});
