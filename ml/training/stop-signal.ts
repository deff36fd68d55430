// How every training CLI stops: the first SIGINT/SIGTERM asks the loop to finish its step and
// save (the loop checks `stopping`); a second one exits at once.

export class StopOnSignal {
  stopping = false;

  constructor(private readonly onFirst: () => void) {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  private readonly handler = (): void => {
    if (this.stopping) process.exit(130);
    this.stopping = true;
    this.onFirst();
  };

  /** Stop listening (the loop is over; later signals get Node's default behaviour). */
  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}
