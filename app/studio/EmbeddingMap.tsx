'use client';
// The embedding-plot node's output: the corpus on the fixed PCA map (grey dots; hover shows the
// icon's thumbnail, from GET /api/corpus/icon/:key.png, and its label; zoom and pan with
// d3-zoom), the graph's embeddings on top in a colour per input, labelled and joined in order
// (an interpolation sweep reads as a path), and each one's nearest corpus icons. Where an input
// comes from a node that streamed map points step by step (the prior; the decoder's CLIP path,
// behind the CLIP encode of its images), that node's trajectory is drawn too: each candidate's
// predicted embedding from the first (noisiest) step to the last.
import { useEffect, useRef, useState } from 'react';
import { extent, select, scaleLinear, zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3';
import type { PlotData } from '../../protocol';
import { useShallow } from 'zustand/react/shallow';
import { upstream } from '../lib/graphModel';
import { placeLabels, type LabelOut } from '../lib/labels';
import { api, type CorpusMap } from './api';
import { useStudio } from './store';

type MapPlot = Extract<PlotData, { type: 'embedding-map' }>;
export type Track = { step: number; points: [number, number][] }[];
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

export const iconUrl = (key: string, size: 32 | 64 = 64) => `/api/corpus/icon/${encodeURIComponent(key)}.png?size=${size}`;

interface Hover {
  label: string;
  /** corpus key: the tooltip shows its icon */
  key?: string;
  x: number;
  y: number;
}

const sq = (a: [number, number], b: [number, number]) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2;

function SeriesLabel({ l }: { l?: LabelOut }) {
  return l ? (
    <text x={l.x} y={l.y} className="series-label" textAnchor={l.anchor}>
      {l.text}
    </text>
  ) : null;
}

export function EmbeddingMap({
  nodeId,
  plot,
  wide,
  colors = SERIES_COLORS,
  focus,
  tracks: given,
}: {
  nodeId?: string;
  plot: MapPlot;
  wide?: boolean;
  /** a colour per series, cycled (the compare page: one per run) */
  colors?: string[];
  /** zoom onto the graph's points even without a trajectory (the compare page: two runs' points close together) */
  focus?: boolean;
  /** each series' trajectory, given instead of looked up in the store (the compare page: series from two runs) */
  tracks?: ({ src: string; track: Track } | null)[];
}) {
  const colorOf = (k: number) => colors[k % colors.length];
  const [map, setMap] = useState<CorpusMap | null>(null);
  const [hover, setHover] = useState<Hover | null>(null);
  const [t, setT] = useState<ZoomTransform>(zoomIdentity);
  const svgRef = useRef<SVGSVGElement>(null);
  const zoomRef = useRef<ZoomBehavior<SVGSVGElement, unknown> | null>(null);

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
    zoomRef.current = z;
    const sel = select(svgRef.current);
    sel.call(z);
    return () => {
      sel.on('.zoom', null);
    };
  }, []);

  // the node behind each series that streamed map points step by step, and its track (selected
  // one by one: the map redraws when that track grows, not at every other step). That is the
  // series' own source (the prior), or for a CLIP image encode of images the nearest node upstream
  // that streamed a track: the decoder whose CLIP path led to those images.
  const srcs = useStudio(
    useShallow((s) =>
      plot.series.map((ser) => {
        const feed = nodeId ? s.edges.find((e) => e.target === nodeId && e.targetHandle === ser.port) : undefined;
        if (!feed) return undefined;
        const tracked = (id: string) => (s.run.nodes[id]?.track.length ?? 0) > 1;
        const encodesImages = s.nodes.find((n) => n.id === feed.source)?.data.type === 'clip-image-encode';
        if (tracked(feed.source) || !encodesImages) return feed.source;
        return upstream(s.edges, feed.source).find((e) => tracked(e.source))?.source ?? feed.source;
      }),
    ),
  );
  const srcTracks = useStudio(useShallow((s) => srcs.map((src) => (src ? s.run.nodes[src]?.track : undefined))));
  const tracks = given ?? plot.series.map((_, k) => {
    const src = srcs[k];
    const track: Track = srcTracks[k] ?? [];
    return src && track.length > 1 ? { src, track } : null;
  });

  const trackPoints = tracks.flatMap((tr) => tr?.track.flatMap((s) => s.points) ?? []);
  const all = [...(map?.points ?? []), ...plot.series.flatMap((s) => s.points), ...trackPoints];
  const [x0, x1] = extent(all, (p) => p[0]) as [number, number] | [undefined, undefined];
  const [y0, y1] = extent(all, (p) => p[1]) as [number, number] | [undefined, undefined];
  const x = scaleLinear().domain([x0 ?? -1, x1 ?? 1]).nice().range([10, W - 10]);
  const y = scaleLinear().domain([y0 ?? -1, y1 ?? 1]).nice().range([H - 10, 10]);
  const px = (p: [number, number]) => t.applyX(x(p[0]));
  const py = (p: [number, number]) => t.applyY(y(p[1]));
  // A trajectory is small next to the whole corpus: once one is drawn (or with `focus`, at once),
  // zoom onto the graph's points and paths (the corpus stays around them; "whole map" or
  // scrolling zooms back out).
  const focusKey = (focus || tracks.some(Boolean)) && map ? `${plot.mapId}:${tracks.map((tr) => tr?.track.length ?? 0).join(',')}:${trackPoints.length}` : '';
  useEffect(() => {
    if (!focusKey || !svgRef.current || !zoomRef.current) return;
    const pts = [...plot.series.flatMap((s) => s.points), ...trackPoints].map((p) => [x(p[0]), y(p[1])] as const);
    const [bx0, bx1] = extent(pts, (p) => p[0]) as [number, number];
    const [by0, by1] = extent(pts, (p) => p[1]) as [number, number];
    const k = Math.max(1, Math.min(8, (0.7 * W) / Math.max(1, bx1 - bx0), (0.7 * H) / Math.max(1, by1 - by0)));
    const f = zoomIdentity.translate(W / 2 - k * ((bx0 + bx1) / 2), H / 2 - k * ((by0 + by1) / 2)).scale(k);
    select(svgRef.current).call(zoomRef.current.transform, f);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per new trajectory, not per render
  }, [focusKey]);
  const at = (p: [number, number], label: string, key?: string) => setHover({ label, key, x: px(p), y: py(p) });
  // each series' first and last point labelled first, then the rest while there is room
  // (lib/labels.ts: inside the plot, never over another label; hover names any point)
  const labelled = plot.series.flatMap((s, k) => s.points.map((p, i) => ({ key: `${k}:${i}`, ends: i === 0 || i === s.points.length - 1, x: px(p), y: py(p), text: s.labels[i] ?? '' })));
  const order = [...labelled.filter((l) => l.ends), ...labelled.filter((l) => !l.ends)];
  const startsBefore: [number, number][] = [];
  const labelAt = new Map(placeLabels(order, W, H).map((l) => [order[l.i]!.key, l]));

  return (
    <div className="embmap" data-testid="embedding-map">
      <div className="embmap-plot">
        <svg ref={svgRef} className="nodrag nowheel" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="embedding map: corpus and graph embeddings on the corpus PCA axes (scroll to zoom, drag to pan)">
          <rect width={W} height={H} className="plot-bg" />
          {map?.points.map((p, i) => (
            <circle key={i} cx={px(p)} cy={py(p)} r={2} className="corpus-dot" onMouseEnter={() => at(p, map.labels[i] ?? map.keys[i] ?? '', map.keys[i])} onMouseLeave={() => setHover(null)} />
          ))}
          {tracks.map((tr, k) => {
            if (!tr) return null;
            const s = plot.series[k]!;
            const last = tr.track[tr.track.length - 1]!;
            const count = Math.max(...tr.track.map((st) => st.points.length));
            // the candidates the node kept (best of N): those whose last step lands on the series' points
            const kept = new Set(s.points.map((sp) => last.points.reduce((best, p, i) => (sq(p, sp) < sq(last.points[best]!, sp) ? i : best), 0)));
            const first = tr.track[0]!.points[[...kept][0] ?? 0];
            // tracks that start together (two runs' priors with one seed) stack their labels
            const stacked = first ? startsBefore.filter((p) => sq(p, [px(first), py(first)]) < 100).length : 0;
            if (first) startsBefore.push([px(first), py(first)]);
            return (
              <g key={`track-${s.port}`} className="prior-track" data-testid={`map-track-${tr.src}`} data-steps={tr.track.length} style={{ color: colorOf(k) }}>
                {Array.from({ length: count }, (_, c) => {
                  const pts = tr.track.filter((st) => st.points[c]).map((st) => st.points[c]!);
                  return (
                    <g key={c} className={kept.has(c) ? 'kept' : 'other'}>
                      <polyline className="track-path" points={pts.map((p) => `${px(p)},${py(p)}`).join(' ')} />
                      {pts.map((p, i) => (
                        <circle key={i} className="track-dot" cx={px(p)} cy={py(p)} r={kept.has(c) ? 1.8 : 1.2} style={{ opacity: 0.35 + (0.65 * i) / Math.max(1, pts.length - 1) }} onMouseEnter={() => at(p, `${tr.src} step ${tr.track[i]?.step}/${tr.track.length}${count > 1 ? `, candidate ${c + 1} of ${count}${kept.has(c) ? ' (kept)' : ''}` : ''}`)} onMouseLeave={() => setHover(null)} />
                      ))}
                    </g>
                  );
                })}
                {first ? (
                  <>
                    <circle className="track-start" cx={px(first)} cy={py(first)} r={3} />
                    {/* under the ring (labels of dots sit above them), kept inside the plot */}
                    <text x={Math.min(W - 48, Math.max(48, px(first)))} y={py(first) + (py(first) > H - 16 ? -7 - 10 * stacked : 13 + 10 * stacked)} className="series-label track-label" textAnchor="middle">
                      {tr.src} step 1 → {tr.track.length}
                    </text>
                  </>
                ) : null}
              </g>
            );
          })}
          {plot.series.map((s, k) => (
            <g key={s.port} style={{ color: colorOf(k) }}>
              {s.points.length > 1 ? <polyline points={s.points.map((p) => `${px(p)},${py(p)}`).join(' ')} className="series-path" /> : null}
              {s.points.map((p, i) => (
                <g key={i} onMouseEnter={() => at(p, s.labels[i] ?? '')} onMouseLeave={() => setHover(null)}>
                  <circle cx={px(p)} cy={py(p)} r={4.5} className="series-dot" />
                  <SeriesLabel l={labelAt.get(`${k}:${i}`)} />
                </g>
              ))}
            </g>
          ))}
        </svg>
        {t.k !== 1 || t.x !== 0 || t.y !== 0 ? (
          <button type="button" className="mini map-reset" onClick={() => svgRef.current && zoomRef.current && select(svgRef.current).call(zoomRef.current.transform, zoomIdentity)} data-testid="map-whole">
            whole map
          </button>
        ) : null}
        {hover ? (
          <div
            className={`map-tip${hover.x > W / 2 ? ' left' : ''}${hover.y > H / 2 ? ' up' : ''}`}
            style={{ left: `${(hover.x / W) * 100}%`, top: `${(hover.y / H) * 100}%` }}
            data-testid="map-tooltip"
            role="tooltip"
          >
            {hover.key ? <img src={iconUrl(hover.key)} alt="" width={48} height={48} data-testid="map-tooltip-icon" /> : null}
            <span>{hover.label}</span>
          </div>
        ) : null}
      </div>
      <div className="hover-readout">{hover ? `${hover.label}${hover.key ? ` · ${hover.key}` : ''}` : map ? `${map.points.length} corpus icons · hover for the icon · scroll to zoom` : 'corpus points unavailable'}</div>
      {tracks.some(Boolean) ? (
        <div className="track-legend small" data-testid="track-legend">
          {tracks.map((tr, k) =>
            tr ? (
              <span key={k}>
                <span className="swatch" style={{ background: colorOf(k) }} aria-hidden />
                {tr.src}: its predicted embedding at each of {tr.track.length} steps, from noise (ring) to the result
                {Math.max(...tr.track.map((st) => st.points.length)) > 1 ? '; faint paths are the candidates it did not keep' : ''}
              </span>
            ) : null,
          )}
        </div>
      ) : null}
      <details className="neighbours-box" open={wide || plot.series.reduce((n, s) => n + s.labels.length, 0) <= 3}>
        <summary>nearest corpus icons</summary>
        <ul className="neighbours" data-testid="neighbours">
          {plot.series.flatMap((s, k) =>
            s.labels.slice(0, 12).map((label, i) => (
              <li key={`${s.port}-${i}`}>
                <span className="swatch" style={{ background: colorOf(k) }} aria-hidden />
                <b>{label}</b>: {(s.neighbours[i] ?? []).slice(0, 5).map((n) => `${n.label} ${n.score.toFixed(2)}`).join(', ') || '—'}
              </li>
            )),
          )}
        </ul>
      </details>
    </div>
  );
}
