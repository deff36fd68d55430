// What the trainers (ml/clip, ml/prior, ml/decoder train.ts) share: reading their command-line
// options, and the running figures of the training loop.

/**
 * A trainer's argv, option by option: `for (const a of args)` yields each option name, and
 * value() / number() take the argument after it, so an option reads its value where it is handled.
 */
export class ArgvReader implements Iterable<string> {
  private i = -1;

  constructor(private readonly argv: readonly string[]) {}

  *[Symbol.iterator](): Iterator<string> {
    while (++this.i < this.argv.length) yield this.argv[this.i]!;
  }

  /** The current option's value: the next argument, which must be there. */
  value(): string {
    const option = this.argv[this.i];
    const x = this.argv[++this.i];
    if (x === undefined) throw new Error(`${option} needs a value`);
    return x;
  }

  /** The current option's value as a finite number. */
  number(): number {
    const option = this.argv[this.i];
    const x = Number(this.value());
    if (!Number.isFinite(x)) throw new Error(`${option} needs a number`);
    return x;
  }
}

/** The mean loss of every `steps` steps: one point of a trainer's loss log. */
export class LossMean {
  private sum = 0;
  private n = 0;

  constructor(readonly steps: number) {}

  /** Adds one step's loss; returns the mean when this step completes a window, else undefined. */
  add(loss: number): number | undefined {
    this.sum += loss;
    this.n++;
    if (this.n < this.steps) return undefined;
    const mean = this.sum / this.n;
    this.sum = 0;
    this.n = 0;
    return mean;
  }
}

/** Samples per second over a window of steps, for the progress line (it is not saved). */
export class Throughput {
  /** Over the last measured window; 0 until the first measurement. */
  perSecond = 0;
  private start = Date.now();
  private samples = 0;

  add(samples: number): void {
    this.samples += samples;
  }

  /** How long the current window has been open. */
  elapsedMs(now = Date.now()): number {
    return now - this.start;
  }

  /** Ends the window at `now`, sets perSecond from it, and opens the next. */
  measure(now = Date.now()): number {
    // A window that closes within a millisecond would divide by zero.
    this.perSecond = (this.samples * 1000) / Math.max(1, now - this.start);
    this.start = now;
    this.samples = 0;
    return this.perSecond;
  }
}

/**
 * The image trainers' learning rate at `step`: a linear warm-up over `warmup` steps, then `lr`
 * held constant (so a run can be extended session after session), and with `cooldown` > 0 a
 * linear decay to 0 over the last `cooldown` steps before `total`. The decay is what a run is
 * ended with before its weights are shipped: a constant rate leaves the weights bouncing at the
 * noise level that rate allows. A run resumed after a cooldown that ended at `rewarmFrom` warms
 * up again from there (Adam's moments are still those of the near-zero rate's steps, so a jump
 * straight back to `lr` would be a jolt).
 */
export function warmupConstantCooldown(step: number, o: { lr: number; warmup: number; total: number; cooldown?: number; rewarmFrom?: number }): number {
  const cool = o.cooldown ?? 0;
  if (cool > 0 && step >= o.total - cool) return (o.lr * Math.max(0, o.total - step)) / cool;
  if (step < o.warmup) return (o.lr * (step + 1)) / o.warmup;
  const r = o.rewarmFrom;
  if (r !== undefined && step >= r && step < r + o.warmup) return (o.lr * (step - r + 1)) / o.warmup;
  return o.lr;
}
