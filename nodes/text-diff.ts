// DALL-E 2's text diffs: edit an image embedding z_i towards a change described in words. The
// direction is z_d = norm(z_t1 - z_t0) (target caption minus current caption), and the edit is
// slerp(z_i, z_d, θ): θ = 0 is the image unchanged, larger θ moves further along the change (the
// paper sweeps θ over [0, 0.5]). One θ = `amount`, or a sweep of N values from 0 to `amount`.
import { checkBatch, defineNode, need, NodeFailure, row } from './types.js';
import { normalize, slerp } from './lib/vec.js';

export const textDiffNode = defineNode({
  decl: {
    type: 'text-diff',
    version: 1,
    title: 'Text diff',
    category: 'embedding',
    description: 'Moves an image embedding along (to − from) text embeddings, by slerp with θ.',
    inputs: [
      { name: 'image', title: 'image embedding', type: { kind: 'embedding', space: 'clip-image' } },
      { name: 'from', title: 'from text', type: { kind: 'embedding', space: 'clip-text' } },
      { name: 'to', title: 'to text', type: { kind: 'embedding', space: 'clip-text' } },
    ],
    outputs: [{ name: 'embedding', title: 'edited image embedding', type: { kind: 'embedding', space: 'clip-image' } }],
    params: [
      { name: 'amount', title: 'θ', kind: 'number', default: 0.25, min: 0, max: 1 },
      { name: 'sweep', title: 'Sweep of N (0..θ)', kind: 'integer', default: 1, min: 1, max: 256, limit: 'batch' },
    ],
    models: [],
  },
  async execute(ctx) {
    const img = need(ctx, 'image', 'embedding');
    const from = need(ctx, 'from', 'embedding');
    const to = need(ctx, 'to', 'embedding');
    for (const [port, e] of [['from', from], ['to', to]] as const) {
      if (e.width !== img.width) throw new NodeFailure('INPUT_MISMATCH', `${port} has width ${e.width}, image ${img.width}`, port);
      if (e.count !== 1) throw new NodeFailure('INPUT_MISMATCH', `${port} has ${e.count} rows; a text diff takes one "from" and one "to" caption`, port);
    }
    const zd = normalize(row(to, 0).map((v, i) => v - row(from, 0)[i]!));
    const { amount, sweep: n } = ctx.params;
    const thetas = n <= 1 ? [amount] : Array.from({ length: n }, (_, k) => (amount * k) / (n - 1));
    checkBatch(ctx, img.count * thetas.length, 'edited rows');
    const out = new Float32Array(img.count * thetas.length * img.width);
    const labels: string[] = [];
    thetas.forEach((th, k) => {
      for (let i = 0; i < img.count; i++) {
        out.set(normalize(slerp(normalize(row(img, i)), zd, th)), (k * img.count + i) * img.width);
        labels.push(`${img.labels[i] ?? 'image'}: ${from.labels[0] ?? 'from'} → ${to.labels[0] ?? 'to'} θ=${+th.toFixed(3)}`);
      }
      if (thetas.length > 1) ctx.step({ step: k + 1, total: thetas.length, t: th });
    });
    return { embedding: { kind: 'embedding', space: 'clip-image', width: img.width, count: img.count * thetas.length, data: out, labels } };
  },
});
