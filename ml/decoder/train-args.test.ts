// The decoder/upsampler trainer's options: defaults, and clear errors for values it cannot use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrainArgs } from './train.js';

test('parseTrainArgs: defaults, --threads, --cooldown, --high-t, --prior-cond and --prior-target, and their errors', () => {
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
  assert.equal(d.highT, undefined, 'a resumed run keeps its own timestep band unless asked');
  const h = parseTrainArgs('decoder', ['--high-t', '0.5', '--high-t-from', '800']);
  assert.deepEqual([h.highT, h.highTFrom], [0.5, 800]);
  assert.equal(d.highTFrom, 700);
  assert.throws(() => parseTrainArgs('decoder', ['--high-t', '2']), /--high-t must be a fraction in \[0, 1\], got 2/);
  assert.throws(() => parseTrainArgs('decoder', ['--high-t-from', '1000']), /--high-t-from must be a timestep in 0..999/);
  assert.equal(d.initFrom, undefined);
  assert.match(parseTrainArgs('decoder', ['--init-from', 'weights/decoder']).initFrom!, /[/\\]weights[/\\]decoder$/, 'resolved to an absolute folder');
  assert.equal(d.pos, undefined, 'no position code unless asked');
  assert.equal(parseTrainArgs('decoder', ['--pos']).pos, true);
  assert.equal(d.priorCond, undefined, 'a resumed run keeps its own prior-sample fraction unless asked');
  assert.equal(parseTrainArgs('decoder', ['--prior-cond', '0.5']).priorCond, 0.5);
  assert.throws(() => parseTrainArgs('decoder', ['--prior-cond', '1.5']), /--prior-cond must be a fraction in \[0, 1\], got 1.5/);
  assert.equal(d.priorTarget, undefined, 'a resumed run keeps its own prior-sample target unless asked');
  assert.equal(parseTrainArgs('decoder', ['--prior-target', 'nearest']).priorTarget, 'nearest');
  assert.throws(() => parseTrainArgs('decoder', ['--prior-target', 'near']), /--prior-target must be own or nearest, got near/);
  assert.throws(() => parseTrainArgs('upsampler', ['--prior-target', 'own']), /unknown option --prior-target/);
  assert.throws(() => parseTrainArgs('upsampler', ['--prior-cond', '0.5']), /unknown option --prior-cond/, 'prior samples are the decoder\'s');
  assert.throws(() => parseTrainArgs('decoder', ['--residual', '2']), /unknown option --residual/, 'residual is the upsampler\'s');
});
