// The one training loop of CLIP, the prior, the decoder and the upsampler. A model hands it its
// parameters, a batch drawer and a step (its loss through the Trainer, or the decoder's
// data-parallel threads); the loop owns the rest: the learning-rate schedule, the step count and
// examples seen, the loss log and the throughput on the progress bar, periodic checkpoints and the
// model's periodic work (CLIP's eval, the decoder's sample grid), and stopping on SIGINT/SIGTERM
// after the step in flight, saved.
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveCheckpointAsync } from '../checkpoint.js';
import { type ProgressInfo, terminalBar } from '../progress.js';
import { Rng } from '../rng.js';
import { LossMean, Throughput } from './meters.js';
import { warmupConstantCooldown, warmupCosine } from './schedule.js';
import type { RunState } from './state.js';
import { StopOnSignal } from './stop-signal.js';
import type { ParamSet, Trainer } from './trainer.js';

/** The learning rate over a run: a cosine to a tenth by the last step, or constant with an optional cooldown. */
export type Schedule = { kind: 'cosine' } | { kind: 'constant'; cooldown: number };

export interface StepResult {
  loss: number;
  gradNorm: number;
}

export interface LoopHooks<B> {
  /** The next batch: drawn from the run's RNG (and its step, for noise seeds), so a resumed run draws the same. */
  draw(): B;
  /** Training examples in a batch. */
  samples(batch: B): number;
  /** One optimizer step on the batch (default: the Trainer's step on `loss`). */
  step(batch: B): StepResult | Promise<StepResult>;
  /** Frees a batch's tensors after its step. */
  disposeBatch?(batch: B): void;
  /** Extra figures a loss-log point carries after [step, loss] (CLIP: its logit scale). */
  lossExtra?(): number[];
  /** Extra fields of the progress line. */
  bar?(r: StepResult): ProgressInfo;
  /** Work done every so many minutes of training, before the checkpoint of that moment. */
  every?: { minutes: number; run(): Promise<void> | void }[];
  /** Work done once the last step is taken (or a signal stopped the run), before the final checkpoint. */
  atEnd?(): Promise<void> | void;
}

export interface RunParts<C> {
  /** clip, prior, decoder or upsampler: the progress bar's label and the checkpoint's metadata. */
  model: string;
  runDir: string;
  saveEveryMin: number;
  config: C;
  st: RunState;
  net: ParamSet & { tensors(): Record<string, tf.Tensor> };
  trainer: Trainer;
  schedule: Schedule;
  /** Digits the loss log rounds to (10^-digits). */
  lossDigits: number;
  /** Unit of the throughput on the progress line. */
  unit: 'img/s' | 'samples/s';
  /** Text files saved beside every checkpoint (CLIP's vocabulary). */
  files?: Record<string, string>;
  /** Words for the signal message: what happens after the save. */
  onSignal?: string;
}

export class TrainingRun<C> {
  readonly rng: Rng;
  readonly st: RunState;
  private readonly lrAt: (step: number) => number;
  private readonly log = (s: string) => process.stderr.write(s + '\n');

  constructor(private readonly p: RunParts<C>) {
    this.st = p.st;
    this.rng = new Rng(p.st.rng);
    this.lrAt = this.schedule();
    mkdirSync(p.runDir, { recursive: true });
    // `kill -TERM $(cat <run-dir>/train.pid)` stops it cleanly (saves, exports), whatever wrapper (npm, tsx) started it.
    writeFileSync(join(p.runDir, 'train.pid'), `${process.pid}\n`);
  }

  /** Checkpoint the run: weights, optimizer and EMA state, and the run state with the RNG's position. */
  async save(): Promise<void> {
    const { p, st } = this;
    st.rng = this.rng.state;
    const state = await p.trainer.state();
    try {
      await saveCheckpointAsync(p.runDir, { config: p.config, tensors: p.net.tensors(), state: { json: st, tensors: state }, files: p.files, metadata: { model: p.model, step: String(st.step) } });
    } finally {
      state['adam/iterations']?.dispose(); // the rest are the optimizer's and the EMA's live variables
    }
  }

  /** Trains to st.totalSteps or a signal, and saves; true when a signal stopped it. */
  async train<B>(h: LoopHooks<B>): Promise<boolean> {
    const { p, st } = this;
    const { trainer } = p;
    const stop = new StopOnSignal(() => this.log(`\n[${p.model}] signal: finishing this step, saving${p.onSignal ?? ''}`));
    const bar = terminalBar(p.model);
    let lastSave = Date.now();
    const every = (h.every ?? []).map((e) => ({ ...e, last: Date.now() }));
    const lossMean = new LossMean(10);
    const throughput = new Throughput();
    const round = 10 ** p.lossDigits;
    try {
      while (st.step < st.totalSteps && !stop.stopping) {
        await new Promise((r) => setImmediate(r)); // once a step, or a SIGINT/SIGTERM handler would never run
        const t0 = Date.now();
        const batch = h.draw();
        const n = h.samples(batch);
        trainer.learningRate = this.lrAt(st.step);
        let r: StepResult;
        try {
          r = await h.step(batch);
        } finally {
          h.disposeBatch?.(batch);
        }
        if (!Number.isFinite(r.loss)) throw new Error(`loss is ${r.loss} at step ${st.step}; last checkpoint in ${p.runDir}`);
        st.step++;
        st.seen += n;
        st.trainSeconds += (Date.now() - t0) / 1000;
        throughput.add(n);
        const mean = lossMean.add(r.loss);
        if (mean !== undefined) st.lossLog.push([st.step, Math.round(mean * round) / round, ...(h.lossExtra?.() ?? [])]);
        const now = Date.now();
        if (throughput.elapsedMs(now) > 5000 || throughput.perSecond === 0) throughput.measure(now);
        bar(st.step, st.totalSteps, { loss: st.lossLog.at(-1)?.[1] ?? r.loss, [p.unit]: Math.round(throughput.perSecond * 10) / 10, ...(h.bar?.(r) ?? {}) });
        for (const e of every) {
          if (e.minutes > 0 && now - e.last > e.minutes * 60_000) {
            await e.run();
            e.last = Date.now();
          }
        }
        if (now - lastSave > p.saveEveryMin * 60_000) {
          await this.save();
          lastSave = Date.now();
        }
      }
      await h.atEnd?.();
      await this.save();
    } finally {
      stop.dispose();
    }
    this.log(`[${p.model}] saved ${p.runDir} at step ${st.step}; ${st.seen} examples seen in ${(st.trainSeconds / 60).toFixed(1)} min of steps`);
    return stop.stopping;
  }

  /**
   * The learning rate by step. A cooldown is recorded in the state with its span (the model card
   * lists them); one that ended in an earlier session is warmed up from.
   */
  private schedule(): (step: number) => number {
    const { st } = this;
    const s = this.p.schedule;
    if (s.kind === 'cosine') return (step) => warmupCosine(step, { lr: st.lr, warmup: st.warmup, total: st.totalSteps });
    const rewarmFrom = st.cooldowns?.filter(([, end]) => end <= st.step).at(-1)?.[1];
    if (s.cooldown > 0) {
      // A cooldown recorded by an earlier invocation that had not finished is replaced by this one.
      st.cooldowns = [...(st.cooldowns ?? []).filter(([, end]) => end <= st.step), [Math.max(st.step, st.totalSteps - s.cooldown), st.totalSteps]];
      this.log(`[${this.p.model}] learning rate ${st.lr} decays linearly to 0 over steps ${st.totalSteps - s.cooldown}–${st.totalSteps}`);
    }
    if (rewarmFrom !== undefined && st.step < rewarmFrom + st.warmup) this.log(`[${this.p.model}] warming the learning rate up again after the cooldown that ended at step ${rewarmFrom}`);
    return (step) => warmupConstantCooldown(step, { lr: st.lr, warmup: st.warmup, total: st.totalSteps, cooldown: s.cooldown, rewarmFrom });
  }
}
