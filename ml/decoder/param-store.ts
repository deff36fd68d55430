// The parameter store the image networks (the U-Net, the icon autoencoder) hold their weights in:
// tf.Variables under stable names (the checkpoint's names), created by running the network's one
// forward pass once. The layers of unet-blocks.ts ask its `p` for their weights; the first pass
// creates each one (seeded per name, or copied from a checkpoint's tensors), and after it the set
// is frozen, so asking for an unknown parameter is an error rather than a silent new weight.
import * as tf from '@tensorflow/tfjs-core';
import type { Init, ParamSource } from './unet-blocks.js';

let instances = 0;

/** FNV-1a of a string: per-parameter seeds that do not depend on creation order. */
function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface ParamStoreOptions {
  seed?: number;
  /** Values to hold (copied into variables; the caller still owns them). */
  tensors?: Record<string, tf.Tensor>;
  trainable?: boolean;
  /** The variables' engine-name prefix, made unique per instance. */
  name?: string;
  /** With `tensors`: initialise parameters they lack (a part grown onto a trained net) instead of failing. */
  grow?: boolean;
}

export class ParamStore {
  /** Parameters by stable name (the checkpoint's names). */
  readonly params = new Map<string, tf.Variable>();
  /** Parameters initialised fresh although `tensors` were given (grow). */
  readonly grown: string[] = [];
  private readonly prefix: string;
  private readonly seed: number;
  private readonly trainable: boolean;
  private readonly grow: boolean;
  private readonly what: string;
  private init: Record<string, tf.Tensor> | null;
  private frozen = false;
  private disposed = false;

  constructor(opts: ParamStoreOptions = {}) {
    this.what = opts.name ?? 'network';
    this.seed = opts.seed ?? 1;
    this.trainable = opts.trainable ?? true;
    this.init = opts.tensors ?? null;
    this.grow = opts.grow ?? false;
    this.prefix = `${this.what}#${++instances}/`;
  }

  /**
   * Runs the network's forward pass once (`pass`, inside a tidy) to create every parameter, then
   * freezes the set. Throws (and frees what it made) when `tensors` lack a parameter or have one
   * the pass does not use.
   */
  create(pass: () => void): void {
    try {
      tf.tidy(pass);
      if (this.init) {
        const extra = Object.keys(this.init).filter((k) => !this.params.has(k));
        if (extra.length) throw new Error(`checkpoint has parameters this config does not use: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? '…' : ''}`);
      }
    } catch (e) {
      this.dispose();
      throw e;
    } finally {
      this.init = null;
      this.frozen = true;
    }
  }

  /** Parameter names, sorted (checkpoint and optimizer order). */
  get names(): string[] {
    return [...this.params.keys()].sort();
  }

  /** Number of scalar parameters. */
  get size(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** The variable's engine name for a parameter name (what optimizers key their state by). */
  variableName(param: string): string {
    return this.prefix + param;
  }

  /** Parameters as a name → tensor record (the variables themselves: do not dispose). */
  tensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const n of this.names) out[n] = this.params.get(n)!;
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }

  /** The parameter source the layers read: an arrow, so it can be passed. */
  readonly p: ParamSource = (name: string, shape: number[], init: Init): tf.Variable => {
    const have = this.params.get(name);
    if (have) return have;
    if (this.disposed) throw new Error(`this ${this.what} was disposed`);
    if (this.frozen) throw new Error(`${this.what} has no parameter ${name}`);
    let value: tf.Tensor;
    const t = this.init?.[name];
    if (this.init && !t && !this.grow) throw new Error(`checkpoint lacks parameter ${name} [${shape}]`);
    if (t) {
      if (!tf.util.arraysEqual(t.shape, shape)) throw new Error(`parameter ${name}: checkpoint shape [${t.shape}], config wants [${shape}]`);
      value = t;
    } else if (init.kind === 'normal') {
      value = tf.randomNormal(shape, 0, init.std, 'float32', (hashName(name) ^ Math.imul(this.seed, 0x9e3779b1)) >>> 0);
    } else {
      value = init.kind === 'zeros' ? tf.zeros(shape) : tf.ones(shape);
    }
    if (this.init && !t) this.grown.push(name);
    // A variable takes a reference to the value's data: the caller may dispose its init tensors.
    const v = tf.variable(value, this.trainable, this.prefix + name);
    this.params.set(name, v);
    return v;
  };
}
