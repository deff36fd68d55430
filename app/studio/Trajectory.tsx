'use client';
// Map points a node streamed step by step (node:step `points`: the prior's embedding moving on
// the corpus PCA map as it denoises): one path per embedding through every step, the step on
// show marked, the first step ringed, with a scrubber. Drawn on the bare map axes; an
// embedding-plot node fed by the same node draws these paths among the corpus icons.
import { useState } from 'react';
import { extent, scaleLinear } from 'd3';

const W = 220;
const H = 140;
const COLORS = ['var(--series-a)', 'var(--series-b)', 'var(--series-c)'];

export function Trajectory({ nodeId, track, live }: { nodeId: string; track: { step: number; points: [number, number][] }[]; live: boolean }) {
  const [index, setIndex] = useState<number | null>(null);
  const last = track.length - 1;
  const shown = live || index === null ? last : Math.min(index, last);
  const all = track.flatMap((t) => t.points);
  const [x0, x1] = extent(all, (p) => p[0]) as [number, number];
  const [y0, y1] = extent(all, (p) => p[1]) as [number, number];
  const x = scaleLinear().domain([x0, x1 > x0 ? x1 : x0 + 1]).nice().range([8, W - 8]);
  const y = scaleLinear().domain([y0, y1 > y0 ? y1 : y0 + 1]).nice().range([H - 8, 8]);
  const count = Math.max(...track.map((t) => t.points.length));
  const cur = track[shown];
  return (
    <div className="trajectory" data-testid={`trajectory-${nodeId}`} data-steps={track.length}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`map trajectory of ${nodeId}, step ${cur?.step ?? 0}`}>
        <rect width={W} height={H} className="plot-bg" />
        {Array.from({ length: count }, (_, k) => (
          <g key={k} style={{ color: COLORS[k % 3] }}>
            <polyline className="series-path" points={track.filter((t) => t.points[k]).map((t) => `${x(t.points[k]![0])},${y(t.points[k]![1])}`).join(' ')} />
            {track[0]?.points[k] ? <circle className="track-start" cx={x(track[0].points[k]![0])} cy={y(track[0].points[k]![1])} r={3} /> : null}
            {cur?.points[k] ? <circle className="series-dot" cx={x(cur.points[k]![0])} cy={y(cur.points[k]![1])} r={4} /> : null}
          </g>
        ))}
      </svg>
      {!live && track.length > 1 ? (
        <input type="range" min={0} max={last} value={shown} onChange={(e) => setIndex(Number(e.target.value))} aria-label={`scrub the trajectory of ${nodeId}`} />
      ) : null}
      <div className="film-meta">
        step {cur?.step} · {count} path{count === 1 ? '' : 's'} on the corpus map’s axes (an embedding-plot shows them among the icons)
      </div>
    </div>
  );
}
