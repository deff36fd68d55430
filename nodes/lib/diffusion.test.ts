// The diffusion nodes' sampling params come from ml/diffusion's one sampler list, and their steps
// report t as a fraction of the loaded model's own schedule (not of a literal 1000). Tiny random
// models with a 300- or 500-step schedule stand in for the shipped ones: no weights needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../ml/backend.js';
import { makeDecoder, makeUpsampler } from '../../ml/decoder/index.js';
import { tinyDecoderConfig } from '../../ml/decoder/model.js';
import { tinyUpsamplerConfig } from '../../ml/decoder/upsampler.js';
import { DEFAULT_SCHEDULE, SAMPLER_HELP, SAMPLERS, type ScheduleSpec } from '../../ml/diffusion/index.js';
import { Prior } from '../../ml/prior/index.js';
import { defaultPriorConfig, initPriorParams } from '../../ml/prior/model.js';
import { DEFAULT_LIMITS } from '../../protocol/index.js';
import { catalogue, findNodeDef, type ExecContext, type ModelProvider, type StepInfo, type Value } from '../index.js';

await initBackend({ log: () => {} });
const cacheDir = mkdtempSync(join(tmpdir(), 'diffusion-nodes-test-')); // no map fitted here: no points
test.after(() => rmSync(cacheDir, { recursive: true, force: true }));

test('the catalogue: every sampler param offers exactly the exported list, with its help; steps go up to the default T', () => {
  const nodes = catalogue().nodes.filter((n) => n.params.some((p) => p.name === 'sampler'));
  assert.deepEqual(nodes.map((n) => n.type).sort(), ['decoder', 'prior', 'upsample']);
  for (const n of nodes) {
    const sampler = n.params.find((p) => p.name === 'sampler')!;
    assert.deepEqual(sampler.options, [...SAMPLERS], `${n.type}: options`);
    assert.equal(sampler.description, SAMPLER_HELP, `${n.type}: help`);
    assert.ok(SAMPLERS.includes(sampler.default as never), `${n.type}: default is a listed sampler`);
    assert.equal(n.params.find((p) => p.name === 'steps')!.max, DEFAULT_SCHEDULE.T, `${n.type}: steps max`);
  }
});

const schedule = (T: number): ScheduleSpec => ({ ...DEFAULT_SCHEDULE, T });

async function runNode(type: string, params: Record<string, unknown>, inputs: Record<string, Value>, models: Partial<ModelProvider>): Promise<StepInfo[]> {
  const def = findNodeDef(type)!;
  const full: Record<string, unknown> = {};
  for (const p of def.decl.params) full[p.name] = params[p.name] ?? p.default;
  const steps: StepInfo[] = [];
  const ctx: ExecContext = {
    nodeId: type,
    params: full,
    inputs,
    limits: DEFAULT_LIMITS,
    cacheDir,
    models: { weightsHash: () => 'none', ...models } as ModelProvider,
    step: (s) => void steps.push(s),
    checkCancelled: () => {},
  };
  const before = tf.memory().numTensors;
  await def.execute(ctx);
  assert.equal(tf.memory().numTensors, before, `${type} leaked tensors`);
  return steps;
}

test('decoder and upsample nodes: step t is a fraction of the model schedule’s T', async () => {
  const dec = makeDecoder({ ...tinyDecoderConfig(16), schedule: schedule(500) }, undefined, { seed: 1 });
  const up = makeUpsampler({ ...tinyUpsamplerConfig(), schedule: schedule(300) }, undefined, { seed: 2 });
  try {
    const embedding: Value = { kind: 'embedding', space: 'clip-image', width: 16, count: 1, data: new Float32Array(16).fill(0.25), labels: ['e'] };
    const decSteps = await runNode('decoder', { steps: 3, guidance: 1, clipPath: false }, { embedding }, { decoder: async () => dec });
    assert.deepEqual(decSteps.map((s) => s.t), [499 / 500, 250 / 500, 0]);
    const image: Value = { kind: 'image', count: 1, size: 32, data: new Uint8Array(32 * 32 * 3).fill(128), labels: ['i'] };
    const upSteps = await runNode('upsample', { steps: 2 }, { image }, { upsampler: async () => up });
    assert.deepEqual(upSteps.map((s) => s.t), [299 / 300, 0]);
  } finally {
    dec.dispose();
    up.dispose();
  }
});

test('prior node: step t is a fraction of the prior schedule’s T', async () => {
  const cfg = defaultPriorConfig({ embedDim: 16, textWidth: 12, contextLength: 6 }, { width: 32, depth: 1, heads: 2, mlpRatio: 2, schedule: schedule(300) });
  const prior = new Prior(cfg, initPriorParams(cfg, 3));
  try {
    const embedding: Value = {
      kind: 'embedding', space: 'clip-text', width: 16, count: 1, data: new Float32Array(16).fill(0.25), labels: ['t'],
      tokenStates: new Float32Array(6 * 12).fill(0.1), tokenShape: [6, 12],
    };
    const steps = await runNode('prior', { steps: 3, bestOf: 1 }, { embedding }, { prior: async () => prior });
    assert.deepEqual(steps.map((s) => s.t), [299 / 300, 150 / 300, 0]);
  } finally {
    prior.dispose();
  }
});
