// The project's one seeded PRNG: mulberry32 (small, fast, 32-bit state, floats in [0, 1)).
// Training keeps the state in its checkpoint, so a resumed run draws the same numbers.

export class Rng {
  constructor(public state: number) {
    this.state = state >>> 0;
  }
  next = (): number => {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded generator as a plain function (state hidden). */
export function mulberry32(seed: number): () => number {
  return new Rng(seed).next;
}

/** A shuffled copy (Fisher-Yates). */
export function shuffle<T>(xs: readonly T[], rng: Rng): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
