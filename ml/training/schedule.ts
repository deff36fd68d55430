// Learning-rate schedules of the training loop (loop.ts). Every model warms up linearly; CLIP and
// the prior then decay along a cosine to a tenth of the rate by the last step, the decoder and
// upsampler hold the rate (so a run can be extended) and may cool down at the end.

/**
 * Linear warm-up over `warmup` steps, then a cosine from `lr` down to `lr`/10 at `total`: a run
 * planned to its length.
 */
export function warmupCosine(step: number, o: { lr: number; warmup: number; total: number }): number {
  if (step < o.warmup) return (o.lr * (step + 1)) / o.warmup;
  const p = Math.min(1, (step - o.warmup) / Math.max(1, o.total - o.warmup));
  return o.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/**
 * The decoder's and upsampler's learning rate at `step`: a linear warm-up over `warmup` steps, then `lr`
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
