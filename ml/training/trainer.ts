// Optimisation of a model's parameters, the same for every trainer (CLIP, prior, decoder,
// upsampler): Adam, global-norm gradient clipping, and an exponential moving average of the
// weights (what diffusion models ship: the EMA samples far better than the raw weights of a
// small-batch run). Its whole state (Adam moments and iteration, β₁ᵗ and β₂ᵗ, EMA) goes into and
// comes back from a checkpoint's state tensors under PARAMETER names, so a resumed run continues
// exactly.
import * as tf from '@tensorflow/tfjs-core';
import { adamState, restoreAdamState } from '../checkpoint.js';
import { type Start, disposeStart } from './start.js';

/** A model's trainable parameters under stable names (a U-Net, or a Variables record). */
export interface ParamSet {
  /** Parameter names in optimizer and checkpoint order. */
  readonly names: string[];
  readonly params: Map<string, tf.Variable>;
  /** The engine name of a parameter's variable (what tfjs optimizers key their state by). */
  variableName(param: string): string;
  /** Parameters a resumed run grew onto the saved ones (they have no optimizer state yet). */
  readonly grown?: readonly string[];
}

let instances = 0;

/**
 * Parameters held as a name → variable record (CLIP and the prior, whose layers take the record).
 * The variables' engine names carry a per-instance prefix, so two models in one process never
 * collide. Takes a reference to the init tensors' data: the caller may dispose them.
 */
export class Variables implements ParamSet {
  readonly names: string[];
  readonly params = new Map<string, tf.Variable>();
  readonly record: Record<string, tf.Variable> = {};
  private readonly prefix: string;

  constructor(init: Record<string, tf.Tensor>, tag: string) {
    this.prefix = `${tag}-train-${Date.now().toString(36)}-${instances++}/`;
    this.names = Object.keys(init).sort();
    for (const n of this.names) {
      const v = tf.variable(init[n]!, true, this.prefix + n);
      this.params.set(n, v);
      this.record[n] = v;
    }
  }

  variableName(param: string): string {
    return this.prefix + param;
  }

  /** The variables as a name → tensor record (live: do not dispose). */
  tensors(): Record<string, tf.Tensor> {
    return this.record;
  }

  /** Number of scalar parameters. */
  get size(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  dispose(): void {
    tf.dispose([...this.params.values()]);
  }
}

export interface TrainerOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  clipNorm?: number;
  /** EMA decay (0: no EMA). The effective decay warms up as min(decay, (1 + n)/(10 + n)). */
  emaDecay?: number;
  /** n above counts steps since this one (the prior counts from 1: its EMA has always lagged one step). */
  emaFrom?: number;
}

/**
 * The loss `f` builds and its gradient for every parameter of `net`, in `net.names` order (the
 * caller owns the gradients). A parameter the loss does not reach (the null embedding when no row
 * was dropped) gets a zero gradient rather than none, so Adam's state always covers every
 * parameter in order.
 */
export function parameterGradients(net: ParamSet, f: () => tf.Scalar): { loss: tf.Scalar; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const names = net.names;
    const vars = names.map((n) => net.params.get(n)!);
    const { value, grads } = tf.variableGrads(f, vars);
    const list = names.map((n, i) => grads[net.variableName(n)] ?? tf.zerosLike(vars[i]!));
    return { loss: value, grads: list };
  });
}

/**
 * A scalar's value, then the scalar freed. Read asynchronously because the WebGPU backend cannot
 * read synchronously under Node (`dataSync` needs OffscreenCanvas there); on wasm it costs the same.
 */
export async function readScalar(t: tf.Tensor): Promise<number> {
  try {
    return (await t.data())[0]!;
  } finally {
    t.dispose();
  }
}

export class Trainer {
  readonly net: ParamSet;
  readonly opt: tf.AdamOptimizer;
  /** EMA of every parameter, by parameter name (null without EMA). */
  readonly ema: Map<string, tf.Variable> | null;
  /** Optimizer steps taken (restored on resume). */
  steps = 0;
  private readonly names: string[];
  private readonly clipNorm: number;
  private readonly emaDecay: number;
  /** The step the EMA's warm-up counts from (restartEma). */
  private emaFrom = 0;

  /**
   * The trainer of a run that started with `s` (ml/training/start.ts): learning rate, EMA decay and
   * clipping from the run state, the resumed optimizer and EMA state restored. Frees the start's
   * tensors (the net holds its own copies of the weights).
   */
  static async forRun(net: ParamSet, s: Start<unknown>, adam: Pick<TrainerOptions, 'beta1' | 'beta2' | 'epsilon' | 'emaFrom'> = {}): Promise<Trainer> {
    const t = new Trainer(net, { ...adam, lr: s.st.lr, emaDecay: s.st.emaDecay, clipNorm: s.st.clipNorm });
    try {
      if (s.saved) await t.restore(s.saved, s.st.step);
    } catch (e) {
      t.dispose();
      throw e;
    } finally {
      disposeStart(s);
    }
    return t;
  }

  constructor(net: ParamSet, o: TrainerOptions) {
    this.net = net;
    this.names = net.names;
    this.opt = tf.train.adam(o.lr, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon ?? 1e-8);
    this.emaFrom = o.emaFrom ?? 0;
    this.clipNorm = o.clipNorm ?? 1;
    this.emaDecay = o.emaDecay ?? 0;
    // Inside a tidy: the clones go, the variables (never tracked by tidy) stay.
    let ema: Map<string, tf.Variable> | null = null;
    if (this.emaDecay > 0) {
      const m = new Map<string, tf.Variable>();
      tf.tidy(() => {
        for (const n of this.names) m.set(n, tf.variable(tf.clone(net.params.get(n)!), false));
      });
      ema = m;
    }
    this.ema = ema;
  }

  set learningRate(lr: number) {
    (this.opt as unknown as { learningRate: number }).learningRate = lr;
  }

  /** One step on the loss `f` builds (synchronous, inside a tidy here). Returns the loss and the gradient norm before clipping. */
  async step(f: () => tf.Scalar): Promise<{ loss: number; gradNorm: number }> {
    const { loss, grads } = parameterGradients(this.net, f);
    try {
      const gradNorm = await this.apply(grads);
      return { loss: await readScalar(loss), gradNorm };
    } finally {
      loss.dispose();
      tf.dispose(grads);
    }
  }

  /**
   * Clip `grads` (net.names order) by their global norm, take an Adam step, update the EMA. Returns
   * the norm before clipping. Separate from step() so that gradients computed elsewhere (another
   * thread's share of the batch: ml/decoder/data-parallel.ts) can be averaged in first.
   */
  async apply(grads: tf.Tensor[]): Promise<number> {
    if (grads.length !== this.names.length) throw new Error(`apply: ${grads.length} gradients for ${this.names.length} parameters`);
    const gradNorm = tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
      let scale: tf.Tensor | null = null;
      if (this.clipNorm > 0) scale = tf.minimum(1, tf.div(this.clipNorm, tf.add(norm, 1e-6)));
      this.opt.applyGradients(this.names.map((n, i) => ({ name: this.net.variableName(n), tensor: scale ? tf.mul(grads[i]!, scale) : grads[i]! })));
      return norm;
    });
    this.steps++;
    this.updateEma();
    return readScalar(gradNorm);
  }

  private updateEma(): void {
    if (!this.ema) return;
    const n = this.steps - this.emaFrom;
    const d = Math.min(this.emaDecay, (1 + n) / (10 + n));
    tf.tidy(() => {
      for (const [n, e] of this.ema!) e.assign(tf.add(tf.mul(e, d), tf.mul(this.net.params.get(n)!, 1 - d)));
    });
  }

  /**
   * Training state as tensors keyed by parameter name: adam/iterations, adam/accBeta1,
   * adam/accBeta2, adam/m/<p>, adam/v/<p>, ema/<p>. The tensors are live (the optimizer's and the EMA's): save them, do not dispose them,
   * except `adam/iterations`, which is a fresh scalar (the caller disposes it).
   */
  async state(): Promise<Record<string, tf.Tensor>> {
    const ad = await adamState(this.opt, this.names.map((n) => this.net.variableName(n)));
    const out: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(ad)) {
      const m = /^adam\/([mv])\/(.*)$/.exec(k);
      out[m ? `adam/${m[1]}/${this.paramOf(m[2]!)}` : k] = t;
    }
    // Adam's bias-correction powers β₁ᵗ, β₂ᵗ: tfjs recomputes them with pow() on restore, which
    // differs from its running product in the last bits; saving them makes resume bit-exact.
    const acc = this.accBetas();
    if (acc && out['adam/iterations']) {
      out['adam/accBeta1'] = acc.accBeta1;
      out['adam/accBeta2'] = acc.accBeta2;
    }
    if (this.ema) for (const [n, e] of this.ema) out[`ema/${n}`] = e;
    return out;
  }

  /** Restore what state() saved (the caller still owns `saved`). */
  async restore(saved: Record<string, tf.Tensor>, steps: number): Promise<void> {
    const remapped: Record<string, tf.Tensor> = {};
    if (saved['adam/iterations']) remapped['adam/iterations'] = saved['adam/iterations'];
    // A part grown onto the saved net (UNet `grow`) has no moments yet: it starts from zeros, as
    // every parameter of a fresh run does.
    const fresh: tf.Tensor[] = [];
    for (const n of this.names) {
      let m = saved[`adam/m/${n}`];
      let v = saved[`adam/v/${n}`];
      if ((!m || !v) && this.net.grown?.includes(n)) {
        m = tf.zerosLike(this.net.params.get(n)!);
        v = tf.zerosLike(this.net.params.get(n)!);
        fresh.push(m, v);
      }
      if (m && v) {
        remapped[`adam/m/${this.net.variableName(n)}`] = m;
        remapped[`adam/v/${this.net.variableName(n)}`] = v;
      }
    }
    try {
      await restoreAdamState(this.opt, this.names.map((n) => this.net.variableName(n)), remapped);
    } finally {
      tf.dispose(fresh);
    }
    const acc = this.accBetas();
    const b1 = saved['adam/accBeta1'];
    const b2 = saved['adam/accBeta2'];
    if (acc && b1 && b2) {
      acc.accBeta1.assign(b1);
      acc.accBeta2.assign(b2);
    }
    if (this.ema) {
      for (const [n, e] of this.ema) {
        const s = saved[`ema/${n}`];
        if (s) e.assign(s);
      }
    }
    this.steps = steps;
  }

  /**
   * Warm the EMA up again from step `from` (its decay counts steps since then). With `copy`, the EMA
   * also restarts from the current raw weights (at the moment of the change; a resumed run keeps
   * the EMA it saved since).
   */
  restartEma(from: number, copy: boolean): void {
    this.emaFrom = from;
    if (!this.ema || !copy) return;
    for (const [n, e] of this.ema) e.assign(this.net.params.get(n)!);
  }

  /** The EMA weights (or the raw ones without EMA) as name → tensor (live: do not dispose). */
  shippedWeights(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const n of this.names) out[n] = this.ema?.get(n) ?? this.net.params.get(n)!;
    return out;
  }

  dispose(): void {
    this.opt.dispose();
    if (this.ema) for (const e of this.ema.values()) e.dispose();
  }

  /** tfjs's AdamOptimizer keeps β₁ᵗ and β₂ᵗ in private variables; null if a tfjs version renames them. */
  private accBetas(): { accBeta1: tf.Variable; accBeta2: tf.Variable } | null {
    const o = this.opt as unknown as { accBeta1?: unknown; accBeta2?: unknown };
    return o.accBeta1 instanceof tf.Variable && o.accBeta2 instanceof tf.Variable ? { accBeta1: o.accBeta1, accBeta2: o.accBeta2 } : null;
  }

  private paramOf(variableName: string): string {
    const n = this.names.find((p) => this.net.variableName(p) === variableName);
    if (n === undefined) throw new Error(`no parameter for variable ${variableName}`);
    return n;
  }
}
