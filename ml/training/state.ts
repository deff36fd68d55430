// The state a training run saves beside its weights (state.json in the run folder, ml/checkpoint.ts):
// what it needs to continue exactly (step, RNG, epoch position, the hyperparameters it started
// with) and the figures its export reports (examples seen, seconds of steps, the loss log). Models
// add their own fields (CLIP's eval log, the decoder's timestep bands...), kept as they are.
import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng, shuffle } from '../rng.js';

/** The state format this code writes. Run folders from before the shared loop have none (read as 1). */
export const STATE_FORMAT = 2;

const count = z.number().int().min(0);

const runStateSchema = z
  .object({
    format: z.literal(STATE_FORMAT),
    step: count,
    totalSteps: count,
    rng: z.number().int(),
    /** Training examples seen (images for CLIP and the image models, (caption, image) pairs for the prior). */
    seen: z.number().min(0),
    trainSeconds: z.number().min(0),
    /** [step, mean loss over the last 10 steps, model extras (CLIP: its logit scale)] */
    lossLog: z.array(z.array(z.number()).min(2)),
    batch: count.min(1),
    lr: z.number().positive(),
    warmup: count,
    seed: z.number().int(),
    emaDecay: z.number().min(0).lt(1),
    clipNorm: z.number().min(0),
    /** Position in a shuffled pass over the training items (CLIP's concepts, the image models' rows). */
    epoch: count,
    epochPos: count,
    /** The exported model a fine-tuning run started from (repo-relative where inside the repo). */
    initFrom: z.string().optional(),
    /** Learning-rate cooldowns run so far: [first step, step the rate reaches 0]. */
    cooldowns: z.array(z.tuple([z.number(), z.number()])).optional(),
  })
  .passthrough();

/** The run state every trainer keeps (runStateSchema's fields; a model's own fields ride along). */
export interface RunState {
  format: typeof STATE_FORMAT;
  step: number;
  totalSteps: number;
  rng: number;
  seen: number;
  trainSeconds: number;
  lossLog: [number, number, ...number[]][];
  batch: number;
  lr: number;
  warmup: number;
  seed: number;
  emaDecay: number;
  clipNorm: number;
  epoch: number;
  epochPos: number;
  initFrom?: string;
  cooldowns?: [number, number][];
}

/** What a run's optimizer used when its state does not say (runs saved before it was recorded). */
export interface StateDefaults {
  emaDecay: number;
  clipNorm: number;
}

/**
 * A saved run's state, read for resuming or exporting. Run folders written before the shared
 * training loop (no `format`) are read as they were written: examples seen were `imagesSeen`
 * (CLIP, decoder, upsampler) or `samplesSeen` (prior); the prior kept no epoch; the decoder's
 * clipping norm and CLIP's lack of EMA and clipping were fixed in code. Anything else that does
 * not fit is refused with the field and the reason, not half-read.
 */
export function readRunState(json: unknown, dir: string, defaults: StateDefaults): RunState {
  if (json === null || typeof json !== 'object') {
    throw new Error(`${dir} holds weights but no training state (state.json), so it cannot be resumed: start a fresh run from its weights with --init-from ${dir}, or use another --run-dir`);
  }
  const s: Record<string, unknown> = { ...(json as Record<string, unknown>) };
  if (s.format === undefined) {
    s.seen = s.imagesSeen ?? s.samplesSeen;
    delete s.imagesSeen;
    delete s.samplesSeen;
    s.epoch ??= 0;
    s.epochPos ??= 0;
    s.emaDecay ??= defaults.emaDecay;
    s.clipNorm ??= defaults.clipNorm;
    s.format = STATE_FORMAT;
  } else if (s.format !== STATE_FORMAT) {
    throw new Error(`${dir} was saved in training-state format ${String(s.format)}; this trainer reads format ${STATE_FORMAT} and the older unnumbered one`);
  }
  const r = runStateSchema.safeParse(s);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${dir}: its training state cannot be resumed: ${i.path.join('.') || 'state'} ${i.message.toLowerCase()}`);
  }
  return r.data as unknown as RunState;
}

/** The state of a run at step 0, from its flags. */
export function freshRunState(o: { steps: number; seed: number; batch: number; lr: number; warmup: number }, optim: StateDefaults): RunState {
  return {
    format: STATE_FORMAT,
    step: 0,
    totalSteps: o.steps,
    rng: (o.seed * 2654435761) >>> 0,
    seen: 0,
    trainSeconds: 0,
    lossLog: [],
    batch: o.batch,
    lr: o.lr,
    warmup: o.warmup,
    seed: o.seed,
    emaDecay: optim.emaDecay,
    clipNorm: optim.clipNorm,
    epoch: 0,
    epochPos: 0,
  };
}

/**
 * Shuffled passes over a run's training items, one fixed order per epoch (seeded by the run's seed
 * and the epoch), its position kept in the run state so a resumed run continues the same pass.
 */
export class EpochOrder<T> {
  private order: T[];

  constructor(
    private readonly items: readonly T[],
    private readonly st: Pick<RunState, 'seed' | 'epoch' | 'epochPos'>,
  ) {
    this.order = this.orderFor(st.epoch);
  }

  next(): T {
    if (this.st.epochPos >= this.order.length) {
      this.st.epoch++;
      this.st.epochPos = 0;
      this.order = this.orderFor(this.st.epoch);
    }
    return this.order[this.st.epochPos++]!;
  }

  private orderFor(epoch: number): T[] {
    return shuffle(this.items, new Rng((this.st.seed * 7919 + epoch) >>> 0));
  }
}

/**
 * The weights a run ships: its EMA when it kept one for every parameter (state tensors `ema/<p>`),
 * else the raw weights. The tensors are the checkpoint's (the caller still owns them all).
 */
export function shippedTensors(weights: Record<string, tf.Tensor>, state: Record<string, tf.Tensor>): { tensors: Record<string, tf.Tensor>; ema: boolean } {
  const names = Object.keys(weights);
  const ema = names.length > 0 && names.every((n) => state[`ema/${n}`]);
  return { tensors: ema ? Object.fromEntries(names.map((n) => [n, state[`ema/${n}`]!])) : weights, ema };
}
