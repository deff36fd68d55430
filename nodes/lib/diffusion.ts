// What the three diffusion nodes (prior, decoder, upsample) share: their sampling params, the
// CLIP-mismatch check, and the frame they stream at each step (x_t and the predicted x0 side by
// side). Cancellation needs nothing here: ctx.step throws Cancelled from sample()'s onStep, and
// sample() frees its tensors on the way out.
import * as tf from '@tensorflow/tfjs-core';
import type { ImageStepInfo } from '../../ml/decoder/index.js';
import { DEFAULT_SCHEDULE, SAMPLER_HELP, SAMPLERS, SPACINGS, type SamplerName, type Spacing } from '../../ml/diffusion/index.js';
import { sideBySide } from '../../ml/pipeline.js';
import type { ParamDecl } from '../../protocol/index.js';
import { NodeFailure, type ExecContext, type RawFrame, type StepInfo } from '../types.js';

/** The sampler param's value: a name from ml/diffusion's SAMPLER_LIST. */
export type SamplerParam = SamplerName;

/** The params every diffusion node samples with: steps, sampler, seed (typed: see defineNode). */
export function samplingParams(d: { steps: number; sampler: SamplerParam }) {
  return [
    // Every shipped model has the default schedule; sampling checks steps against the loaded model's T.
    { name: 'steps', title: 'Steps', kind: 'integer', default: d.steps, min: 1, max: DEFAULT_SCHEDULE.T, limit: 'steps' },
    { name: 'sampler', title: 'Sampler', kind: 'enum', default: d.sampler, options: [...SAMPLERS], description: SAMPLER_HELP },
    { name: 'seed', title: 'Seed', kind: 'integer', default: 0, min: 0, max: 2 ** 31 - 1 },
  ] as const satisfies readonly ParamDecl[];
}

/** The decoder's and upsampler's step spacing. */
export function spacingParam(d: Spacing) {
  return { name: 'spacing', title: 'Step spacing', kind: 'enum', default: d, options: [...SPACINGS], description: 'quadratic puts more steps near the end, where the last bits of noise are removed' } as const satisfies ParamDecl;
}

/** Classifier-free guidance (the prior and the decoder). */
export function guidanceParam(d: number) {
  return { name: 'guidance', title: 'Guidance', kind: 'number', default: d, min: 1, max: 20, description: 'classifier-free guidance scale (1: none)' } as const satisfies ParamDecl;
}

export function checkClip(what: string, model: { clipMismatch(hash: string): string | null }, ctx: ExecContext): void {
  const why = model.clipMismatch(ctx.models.weightsHash('clip'));
  if (why) throw new NodeFailure('MODEL_MISMATCH', `${what}: ${why}`);
}

/**
 * What the decoder and upsample nodes pass to sampling from their params, streaming every step's
 * frame; `more` adds to a step what a node reads from it (the decoder's CLIP path).
 */
export function imageSampling(
  ctx: ExecContext<{ readonly steps: number; readonly sampler: SamplerParam; readonly spacing: Spacing; readonly seed: number }>,
  more?: (s: ImageStepInfo) => Promise<Partial<StepInfo>>,
): { steps: number; sampler: SamplerParam; spacing: Spacing; seed: number; onStep: (s: ImageStepInfo) => void | Promise<void> } {
  const { steps, sampler, spacing, seed } = ctx.params;
  const step = (s: ImageStepInfo): StepInfo => ({ step: s.step, total: s.total, t: s.t / s.T, frame: stepFrame(s.xt, s.x0pred) });
  return {
    steps, sampler, spacing, seed,
    onStep: more
      ? async (s) => {
          const info = step(s);
          ctx.step({ ...info, ...(await more(s)) });
        }
      : (s) => ctx.step(step(s)),
  };
}

/** The x_t | x0 frame of a step, as the engine streams it. */
export function stepFrame(xt: tf.Tensor, x0: tf.Tensor): RawFrame {
  const f = sideBySide(xt, x0);
  return { size: f.height, width: f.width, data: f.data };
}
