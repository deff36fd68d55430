// Small-vector math for embedding nodes. Embeddings are a few hundred floats, so plain loops are
// faster than a round trip through a tensor backend, and there is nothing to dispose.

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}

export function normalize(a: Float32Array): Float32Array {
  const n = norm(a) || 1;
  return a.map((v) => v / n);
}

export function cosine(a: Float32Array, b: Float32Array): number {
  return dot(a, b) / ((norm(a) || 1) * (norm(b) || 1));
}

export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  return a.map((v, i) => (1 - t) * v + t * b[i]!);
}

/**
 * Spherical interpolation: moves along the great circle from a to b (both taken as directions);
 * the result has the interpolated length. Falls back to lerp when a and b are (anti)parallel,
 * where the arc is undefined or numerically unstable.
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  const na = norm(a) || 1;
  const nb = norm(b) || 1;
  const c = Math.min(1, Math.max(-1, dot(a, b) / (na * nb)));
  const theta = Math.acos(c);
  const s = Math.sin(theta);
  if (s < 1e-6) return lerp(a, b, t);
  const wa = Math.sin((1 - t) * theta) / s / na;
  const wb = Math.sin(t * theta) / s / nb;
  const len = (1 - t) * na + t * nb;
  return a.map((v, i) => (wa * v + wb * b[i]!) * len);
}

/** n evenly spaced values from 0 to 1 inclusive (n = 1 gives [t]). */
export function sweepValues(n: number, t: number): number[] {
  if (n <= 1) return [t];
  return Array.from({ length: n }, (_, i) => i / (n - 1));
}

/** `x` to 5 decimals: numbers sent to the studio as JSON (word weights) need no more. */
export function round5(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
