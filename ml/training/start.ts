// How every training run starts: resumed from its run folder (--resume, when the folder holds a
// checkpoint), fine-tuned from an exported model (--init-from: its config and weights, with the
// optimizer, EMA, RNG and schedule afresh), or fresh (the model builds its config and weights).
import * as tf from '@tensorflow/tfjs-core';
import { relative } from 'node:path';
import { hasCheckpoint, loadCheckpoint, loadInitialWeights } from '../checkpoint.js';
import { type CommonFlags, REPO_ROOT } from './flags.js';
import { type RunState, type StateDefaults, freshRunState, readRunState } from './state.js';

export type StartKind = 'resume' | 'init' | 'fresh';

export interface RunSpec<C> {
  /** clip, prior, decoder or upsampler: a run folder saved by another model is refused. */
  model: string;
  /** The optimizer settings a new run records, and an old run folder that lacks them used. */
  optim: StateDefaults;
  /** Why a loaded config (a resumed run's, or --init-from's) cannot be trained here; null when it can. */
  check?(config: C, how: 'resume' | 'init'): string | null;
  /** A fresh run's config and initial weights (none: the model initialises its own from the seed). */
  fresh(): Promise<{ config: C; tensors?: Record<string, tf.Tensor> }>;
}

export interface Start<C> {
  how: StartKind;
  config: C;
  st: RunState;
  /** Weights to start from (resumed or --init-from); the caller owns them. */
  init?: Record<string, tf.Tensor>;
  /** The resumed run's optimizer and EMA state; the caller owns it. */
  saved?: Record<string, tf.Tensor>;
}

/** Frees what a start loaded (on the way out of a refused start, or once the model holds its copy). */
export function disposeStart(s: Pick<Start<unknown>, 'init' | 'saved'>): void {
  tf.dispose([...Object.values(s.init ?? {}), ...Object.values(s.saved ?? {})]);
}

/** The run's config, state and starting tensors, chosen by --resume / --init-from / neither. */
export async function startRun<C>(o: CommonFlags & { config?: unknown }, spec: RunSpec<C>, log: (s: string) => void): Promise<Start<C>> {
  const tag = `[${spec.model}]`;
  if (o.resume && hasCheckpoint(o.runDir)) {
    const ck = loadCheckpoint(o.runDir);
    const start: Start<C> = { how: 'resume', config: ck.config as C, st: undefined as unknown as RunState, init: ck.tensors, saved: ck.state?.tensors ?? {} };
    try {
      const saver = ck.metadata.model;
      if (saver !== undefined && saver !== spec.model) throw new Error(`${o.runDir} holds a ${saver} run, not ${spec.model}`);
      start.st = readRunState(ck.state?.json, o.runDir, spec.optim);
      const why = spec.check?.(start.config, 'resume');
      if (why) throw new Error(`${o.runDir}: ${why}`);
    } catch (e) {
      disposeStart(start);
      throw e;
    }
    start.st.totalSteps = o.steps;
    log(`${tag} resumed ${o.runDir} at step ${start.st.step} (${start.st.seen} examples seen), training to step ${o.steps}`);
    return start;
  }
  const st = freshRunState(o, { emaDecay: o.ema, clipNorm: spec.optim.clipNorm });
  if (o.initFrom) {
    if (o.resume) log(`${tag} --resume: no checkpoint in ${o.runDir}, starting from ${o.initFrom}`);
    if (o.config !== undefined) throw new Error(`${tag} --config cannot change a model loaded with --init-from (its config comes with its weights)`);
    const { config, tensors } = loadInitialWeights<C>(o.initFrom, (c) => spec.check?.(c, 'init') ?? null);
    log(`${tag} fresh run from the weights in ${o.initFrom}, training to step ${o.steps}`);
    return { how: 'init', config, init: tensors, st: { ...st, initFrom: relative(REPO_ROOT, o.initFrom) } };
  }
  if (o.resume) log(`${tag} --resume: no checkpoint in ${o.runDir}, starting fresh`);
  const { config, tensors } = await spec.fresh();
  return { how: 'fresh', config, init: tensors, st };
}
