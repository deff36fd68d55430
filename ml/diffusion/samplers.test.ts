// The samplers as strategy objects: the list is the one source of names, each sampler's state is
// its own and freed by dispose (also when a run is cancelled), a strategy object passed to
// sample() gives what its name gives, and init starts afresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { createSampler, defaultSchedule, isSamplerName, sample, SAMPLER_HELP, SAMPLER_LIST, SAMPLERS, samplingTimesteps, type Denoiser, type SampleOptions, type Sampler } from './index.js';

await initBackend({ log: () => {} });

const shape = [8, 3];
// A stand-in ε-model: any smooth function of x_t and t will do for state and leak checks.
const model: Denoiser<null> = (xt, t) => tf.mul(tf.reshape(tf.div(tf.cast(t, 'float32'), 1000), [-1, 1]), tf.tanh(xt));
const base = (sampler: SampleOptions<null>['sampler'], extra: Partial<SampleOptions<null>> = {}): SampleOptions<null> => ({ model, prediction: 'eps', shape, steps: 6, sampler, seed: 3, ...extra });

async function values(opts: SampleOptions<null>): Promise<Float32Array> {
  const x = await sample(opts);
  try {
    return (await x.data()) as Float32Array;
  } finally {
    x.dispose();
  }
}

test('the sampler list is the one source: names, titles, help, createSampler and isSamplerName agree', () => {
  assert.deepEqual(SAMPLERS, ['ddpm', 'ddim', 'dpmpp2m']);
  assert.deepEqual(SAMPLER_LIST.map((s) => s.name), SAMPLERS);
  for (const s of SAMPLER_LIST) {
    assert.ok(s.title.length > 0 && s.description.length > 0, `${s.name} has a title and a line`);
    assert.ok(SAMPLER_HELP.includes(`${s.name}: ${s.title}`), `the help names ${s.name}`);
    assert.equal(createSampler(s.name).name, s.name);
    assert.ok(isSamplerName(s.name));
  }
  assert.ok(!isSamplerName('euler'));
  assert.throws(() => createSampler('euler' as never), /one of ddpm, ddim, dpmpp2m/);
});

test('each sampler: init, steps and dispose leave no tensor behind; step before init is refused', async () => {
  const schedule = defaultSchedule();
  const timesteps = samplingTimesteps(5, schedule.T);
  for (const name of SAMPLERS) {
    const s = createSampler(name, { eta: 1 });
    tf.tidy(() => assert.throws(() => s.step({ index: 0, t: 999, tNext: 500, xt: tf.zeros([1]), x0: tf.zeros([1]), eps: tf.zeros([1]) }), /before init/));
    const before = tf.memory().numTensors;
    s.init({ schedule, timesteps, shape, seed: 1 });
    let x = tf.randomNormal(shape, 0, 1, 'float32', 1);
    for (let i = 0; i + 1 < timesteps.length; i++) {
      const x0 = tf.tanh(x);
      const eps = tf.mul(x, 0.5);
      const next = s.step({ index: i, t: timesteps[i]!, tNext: timesteps[i + 1]!, xt: x, x0, eps });
      assert.deepEqual(next.shape, shape);
      tf.dispose([x, x0, eps]); // a sampler keeps no reference it does not own
      x = next;
    }
    const held = tf.memory().numTensors - before - 1; // less the sample itself
    assert.equal(held, name === 'dpmpp2m' ? 1 : 0, `${name} holds ${held} tensors between steps`);
    s.dispose();
    s.dispose(); // twice is harmless
    x.dispose();
    assert.equal(tf.memory().numTensors, before, `${name}: dispose frees its state`);
  }
});

test('a strategy object gives exactly what its name gives, and init starts afresh (the object can run twice)', async () => {
  for (const name of SAMPLERS) {
    const byName = await values(base(name));
    const obj: Sampler = createSampler(name);
    assert.deepEqual(await values(base(obj)), byName, `${name} as an object`);
    assert.deepEqual(await values(base(obj)), byName, `${name} reused: no state carried over`);
  }
  const eta = await values(base('ddim', { eta: 1 }));
  assert.deepEqual(await values(base(createSampler('ddim', { eta: 1 }))), eta, 'DDIM η reaches the object through createSampler');
  assert.notDeepEqual(eta, await values(base('ddim')), 'η = 1 differs from η = 0');
});

test('a cancelled run frees the sampler state too (a strategy object, mid-run, with its history)', async () => {
  for (const name of SAMPLERS) {
    const before = tf.memory().numTensors;
    const ctl = new AbortController();
    const s = createSampler(name);
    await assert.rejects(
      sample(base(s, { signal: ctl.signal, onStep: (i) => { if (i.step === 3) ctl.abort(); } })),
      (e: Error) => e.name === 'AbortError',
    );
    assert.equal(tf.memory().numTensors, before, `${name}: nothing leaked after the abort`);
    // A model that throws mid-run frees it as well.
    let calls = 0;
    const failing: Denoiser<null> = (xt, t, c) => {
      if (++calls === 4) throw new Error('boom');
      return model(xt, t, c);
    };
    await assert.rejects(sample(base(s, { model: failing })), /boom/);
    assert.equal(tf.memory().numTensors, before, `${name}: nothing leaked after a model error`);
  }
});
