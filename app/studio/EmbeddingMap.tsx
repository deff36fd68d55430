'use client';
// The embedding-plot node's output: the corpus on the fixed PCA map (grey dots, label on hover;
// zoom and pan with d3-zoom), the graph's embeddings on top in a colour per input, labelled and
// joined in order (an interpolation sweep reads as a path), and each one's nearest corpus icons.
import { useEffect, useRef, useState } from 'react';
import { extent, select, scaleLinear, zoom, zoomIdentity, type ZoomTransform } from 'd3';
import type { PlotData } from '../../protocol';
import { api, type CorpusMap } from './api';

type MapPlot = Extract<PlotData, { type: 'embedding-map' }>;
const W = 260;
const H = 200;
const SERIES_COLORS = ['var(--series-a)', 'var(--series-b)', 'var(--series-c)'];

// one request per map id for the whole page: every embedding-plot node shares it
const corpusCache = new Map<string, Promise<CorpusMap | null>>();
function corpus(mapId: string): Promise<CorpusMap | null> {
  let p = corpusCache.get(mapId);
  if (!p) corpusCache.set(mapId, (p = api.embeddingMap(mapId).catch(() => null)));
  return p;
}

export function EmbeddingMap({ plot, wide }: { plot: MapPlot; wide?: boolean }) {
  const [map, setMap] = useState<CorpusMap | null>(null);
  const [hover, setHover] = useState<string | null>(null);
  const [t, setT] = useState<ZoomTransform>(zoomIdentity);
  const svgRef = useRef<SVGSVGElement>(null);

  useEffect(() => {
    let live = true;
    void corpus(plot.mapId).then((m) => live && setMap(m));
    return () => {
      live = false;
    };
  }, [plot.mapId]);

  useEffect(() => {
    if (!svgRef.current) return;
    const z = zoom<SVGSVGElement, unknown>().scaleExtent([0.5, 20]).on('zoom', (e: { transform: ZoomTransform }) => setT(e.transform));
    const sel = select(svgRef.current);
    sel.call(z);
    return () => {
      sel.on('.zoom', null);
    };
  }, []);

  const all = [...(map?.points ?? []), ...plot.series.flatMap((s) => s.points)];
  const [x0, x1] = extent(all, (p) => p[0]) as [number, number] | [undefined, undefined];
  const [y0, y1] = extent(all, (p) => p[1]) as [number, number] | [undefined, undefined];
  const x = scaleLinear().domain([x0 ?? -1, x1 ?? 1]).nice().range([10, W - 10]);
  const y = scaleLinear().domain([y0 ?? -1, y1 ?? 1]).nice().range([H - 10, 10]);
  const px = (p: [number, number]) => t.applyX(x(p[0]));
  const py = (p: [number, number]) => t.applyY(y(p[1]));

  return (
    <div className="embmap" data-testid="embedding-map">
      <svg ref={svgRef} className="nodrag nowheel" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="embedding map: corpus and graph embeddings on the corpus PCA axes (scroll to zoom, drag to pan)">
        <rect width={W} height={H} className="plot-bg" />
        {map?.points.map((p, i) => (
          <circle key={i} cx={px(p)} cy={py(p)} r={2} className="corpus-dot" onMouseEnter={() => setHover(map.labels[i] ?? map.keys[i] ?? '')} onMouseLeave={() => setHover(null)}>
            <title>{map.labels[i]}</title>
          </circle>
        ))}
        {plot.series.map((s, k) => (
          <g key={s.port} style={{ color: SERIES_COLORS[k % 3] }}>
            {s.points.length > 1 ? <polyline points={s.points.map((p) => `${px(p)},${py(p)}`).join(' ')} className="series-path" /> : null}
            {s.points.map((p, i) => (
              <g key={i} onMouseEnter={() => setHover(s.labels[i] ?? '')} onMouseLeave={() => setHover(null)}>
                <circle cx={px(p)} cy={py(p)} r={4.5} className="series-dot" />
                {s.points.length <= 6 || i === 0 || i === s.points.length - 1 ? (
                  // labels near the right edge go to the left of their dot, so they stay inside
                  <text x={px(p) + (px(p) > W * 0.65 ? -6 : 6)} y={py(p) - 6} className="series-label" textAnchor={px(p) > W * 0.65 ? 'end' : 'start'}>
                    {s.labels[i]}
                  </text>
                ) : null}
              </g>
            ))}
          </g>
        ))}
      </svg>
      <div className="hover-readout">{hover ?? (map ? `${map.points.length} corpus icons · scroll to zoom` : 'corpus points unavailable')}</div>
      <details className="neighbours-box" open={wide || plot.series.reduce((n, s) => n + s.labels.length, 0) <= 3}>
        <summary>nearest corpus icons</summary>
        <ul className="neighbours" data-testid="neighbours">
          {plot.series.flatMap((s, k) =>
            s.labels.slice(0, 12).map((label, i) => (
              <li key={`${s.port}-${i}`}>
                <span className="swatch" style={{ background: SERIES_COLORS[k % 3] }} aria-hidden />
                <b>{label}</b>: {(s.neighbours[i] ?? []).slice(0, 5).map((n) => `${n.label} ${n.score.toFixed(2)}`).join(', ') || '—'}
              </li>
            )),
          )}
        </ul>
      </details>
    </div>
  );
}
