// Embeddings on the corpus map: each row projected onto the two PCA axes fitted once on the
// corpus's CLIP image embeddings (so points stay put between runs), with its nearest corpus icons.
// Up to three sets (a, b, c), e.g. prompts, their images, and an interpolation path between them.
// The first use with new CLIP weights fits the map (renders and encodes the corpus: reported as
// steps); the shipped CLIP's map ships with it (weights/clip/), so that is rare.
import { defineNode, need, NodeFailure, optional, type Value } from './types.js';
import { loadEmbeddingMap, neighbours, project } from './lib/embedding-map.js';
import type { PlotData } from '../protocol/index.js';

export const embeddingPlotNode = defineNode({
  decl: {
    type: 'embedding-plot',
    version: 1,
    title: 'Embedding map',
    category: 'view',
    description: '2-D PCA map of the corpus (fitted once) with these embeddings on it and their nearest corpus icons.',
    inputs: [
      { name: 'a', title: 'embeddings', type: { kind: 'embedding', space: 'any' } },
      { name: 'b', title: 'more', type: { kind: 'embedding', space: 'any' }, required: false },
      { name: 'c', title: 'more', type: { kind: 'embedding', space: 'any' }, required: false },
    ],
    outputs: [{ name: 'plot', title: 'map', type: { kind: 'plot' } }],
    params: [{ name: 'neighbours', title: 'Nearest icons', kind: 'integer', default: 5, min: 0, max: 20 }],
    models: ['clip'],
  },
  async execute(ctx) {
    const sets: [string, Extract<Value, { kind: 'embedding' }>][] = [['a', need(ctx, 'a', 'embedding')]];
    for (const port of ['b', 'c']) {
      const v = optional(ctx, port, 'embedding');
      if (v) sets.push([port, v]);
    }
    const clip = await ctx.models.clip();
    let shown = -1;
    const map = await loadEmbeddingMap(clip, ctx.models.weightsHash('clip'), ctx.cacheDir, (done, total) => {
      // fitting the map the first time (rendering the corpus, then encoding it): progress as steps,
      // at most one per percent, since the corpus reports every icon
      const pct = Math.floor((100 * done) / total);
      if (pct === shown && done < total) return;
      shown = done < total ? pct : -1;
      ctx.step({ step: done, total, t: undefined });
    });
    const k = ctx.params.neighbours;
    const series: Extract<PlotData, { type: 'embedding-map' }>['series'] = [];
    for (const [port, e] of sets) {
      if (e.width !== map.width) throw new NodeFailure('INPUT_MISMATCH', `${port} has width ${e.width}, the map ${map.width}`, port);
      ctx.checkCancelled();
      series.push({
        port,
        space: e.space,
        labels: [...e.labels],
        points: project(e.data, e.count, e.width, map.mean, map.components),
        neighbours: k > 0 ? neighbours(map, e.data, e.count, k) : e.labels.map(() => []),
      });
    }
    ctx.step({ step: 1, total: 1, points: series.flatMap((s) => s.points) });
    return { plot: { kind: 'plot', plot: { type: 'embedding-map', mapId: map.mapId, series } } };
  },
});
