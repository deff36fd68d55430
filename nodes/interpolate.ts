// Interpolation between two embeddings (DALL-E 2's "interpolations"): slerp along the sphere CLIP
// embeddings live on, or lerp. One value at `t`, or a sweep of N evenly spaced values from a to
// b. Rows pair up (a[i] with b[i]); a single row on either side is paired with every row of the
// other. Output rows are sweep-major: all rows at t0, then all at t1, ...
import { checkBatch, defineNode, need, NodeFailure, row } from './types.js';
import { lerp, normalize, slerp, sweepValues } from './lib/vec.js';

export const interpolateNode = defineNode({
  decl: {
    type: 'interpolate',
    version: 1,
    title: 'Interpolate',
    category: 'embedding',
    description: 'slerp or lerp between two embeddings of the same space: one value, or a sweep of N.',
    inputs: [
      { name: 'a', title: 'from', type: { kind: 'embedding', space: 'any' } },
      { name: 'b', title: 'to', type: { kind: 'embedding', space: 'any' } },
    ],
    outputs: [{ name: 'embedding', title: 'embedding', type: { kind: 'embedding', space: 'any' } }],
    params: [
      { name: 'mode', title: 'Mode', kind: 'enum', default: 'slerp', options: ['slerp', 'lerp'] },
      { name: 't', title: 't', kind: 'number', default: 0.5, min: 0, max: 1, description: 'used when sweep is 1' },
      { name: 'sweep', title: 'Sweep of N', kind: 'integer', default: 1, min: 1, max: 256, limit: 'batch' },
      { name: 'normalize', title: 'Normalize', kind: 'boolean', default: true, description: 'scale results to unit length, as CLIP embeddings are' },
    ],
    models: [],
  },
  async execute(ctx) {
    const a = need(ctx, 'a', 'embedding');
    const b = need(ctx, 'b', 'embedding');
    if (a.space !== b.space) throw new NodeFailure('INPUT_MISMATCH', `a is ${a.space}, b is ${b.space}: interpolate within one space`, 'b');
    if (a.width !== b.width) throw new NodeFailure('INPUT_MISMATCH', `a has width ${a.width}, b ${b.width}`, 'b');
    if (a.count !== b.count && a.count !== 1 && b.count !== 1) throw new NodeFailure('INPUT_MISMATCH', `a has ${a.count} rows, b ${b.count}: want equal counts or one row`, 'b');
    const rows = Math.max(a.count, b.count);
    const ts = sweepValues(ctx.params.sweep, ctx.params.t);
    checkBatch(ctx, rows * ts.length, 'interpolated rows');
    const f = ctx.params.mode === 'lerp' ? lerp : slerp;
    const out = new Float32Array(rows * ts.length * a.width);
    const labels: string[] = [];
    ts.forEach((t, k) => {
      for (let i = 0; i < rows; i++) {
        const ra = row(a, a.count === 1 ? 0 : i);
        const rb = row(b, b.count === 1 ? 0 : i);
        let v = f(ra, rb, t);
        if (ctx.params.normalize) v = normalize(v);
        out.set(v, (k * rows + i) * a.width);
        labels.push(`${a.labels[a.count === 1 ? 0 : i] ?? 'a'} → ${b.labels[b.count === 1 ? 0 : i] ?? 'b'} @ ${+t.toFixed(3)}`);
      }
      if (ts.length > 1) ctx.step({ step: k + 1, total: ts.length, t });
    });
    return { embedding: { kind: 'embedding', space: a.space, width: a.width, count: rows * ts.length, data: out, labels } };
  },
});
