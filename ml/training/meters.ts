// The running figures of a training loop: the loss log's window means and the throughput shown
// on the progress line.

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
