// A command line read option by option, for the experiments' scripts (the trainers read theirs
// from a schema: flags.ts).

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
