'use client';
// The decoder's CLIP path on its card: per step, the cosine of the predicted image's CLIP
// embedding to the embedding the decoder was asked to draw (solid) and to the prompt's text
// embedding when one reaches it through the graph (dashed): the moment the picture becomes the
// concept. A d3 line chart; hovering a step reads its values.
import { useState, type MouseEvent } from 'react';
import { line, scaleLinear } from 'd3';
import { useShallow } from 'zustand/react/shallow';
import { cosineLines, inputEmbedding, upstreamText } from '../lib/clipPath';
import type { NodeRun } from '../lib/runState';
import { useStudio } from './store';

const W = 220;
const H = 96;
const M = { l: 28, r: 8, t: 8, b: 16 };
const COLORS = { target: 'var(--series-b)', text: 'var(--series-a)' };

export function ClipPathChart({ nodeId, path }: { nodeId: string; path: NodeRun['clipPath'] }) {
  const [hover, setHover] = useState<number | null>(null);
  // the conditioning embedding and the prompt's: outputs of the nodes upstream, in this run
  const [target, text] = useStudio(
    useShallow((s) => {
      const outputs = Object.fromEntries(Object.entries(s.run.nodes).map(([id, n]) => [id, n.outputs]));
      return [inputEmbedding(s.edges, outputs, nodeId, 'embedding'), upstreamText(s.edges, outputs, nodeId)] as const;
    }),
  );
  const count = useStudio((s) => s.nodes.find((n) => n.id === nodeId)?.data.params.count);
  const lines = cosineLines(path, target, text, typeof count === 'number' ? count : 1);
  if (!lines.length) return null;
  const total = Math.max(2, ...path.map((p) => p.step));
  const all = lines.flatMap((l) => l.points.map((p) => p.cos));
  const x = scaleLinear().domain([1, total]).range([M.l, W - M.r]);
  // the values' own range (at least 0.1 tall): the climb is what matters, and it may all sit near 1
  const [lo0, hi0] = [Math.min(...all), Math.max(...all)];
  const mid = (lo0 + hi0) / 2;
  const y = scaleLinear().domain(hi0 - lo0 < 0.1 ? [mid - 0.05, mid + 0.05] : [lo0, hi0]).nice().range([H - M.b, M.t]);
  const [lo, hi] = y.domain() as [number, number];
  const d = line<{ step: number; cos: number }>().x((p) => x(p.step)).y((p) => y(p.cos));
  const at = hover === null ? lines.map((l) => l.points.at(-1)) : lines.map((l) => l.points.find((p) => p.step === hover));
  const rows = Math.max(...lines.map((l) => l.row)) + 1;
  const readout = lines
    .map((l, i) => (at[i] ? `${l.to === 'target' ? 'asked' : 'prompt'}${rows > 1 ? ` #${l.row + 1}` : ''} ${at[i]!.cos.toFixed(2)}` : ''))
    .filter(Boolean)
    .join(' · ');
  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const step = Math.round(x.invert(((e.clientX - r.left) / r.width) * W));
    setHover(Math.max(1, Math.min(total, step)));
  };
  return (
    <div className="clip-path" data-testid={`clip-path-${nodeId}`} data-steps={path.length} data-lines={lines.length}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`cosine of the predicted image's CLIP embedding per step: ${readout}`} onMouseMove={onMove} onMouseLeave={() => setHover(null)}>
        <rect width={W} height={H} className="plot-bg" />
        <line x1={M.l} x2={W - M.r} y1={H - M.b} y2={H - M.b} className="axis" />
        <line x1={M.l} x2={M.l} y1={M.t} y2={H - M.b} className="axis" />
        <text x={M.l - 3} y={y(hi) + 3} className="tick" textAnchor="end">{hi.toFixed(2)}</text>
        <text x={M.l - 3} y={y(lo) + 3} className="tick" textAnchor="end">{lo.toFixed(2)}</text>
        <text x={M.l} y={H - 3} className="tick">step 1</text>
        <text x={W - M.r} y={H - 3} className="tick" textAnchor="end">{total}</text>
        {hover !== null ? <line x1={x(hover)} x2={x(hover)} y1={M.t} y2={H - M.b} className="rule" /> : null}
        {lines.map((l) => (
          <g key={`${l.to}-${l.row}`} className={`cos-line ${l.to}`} data-testid={`clip-path-line-${l.to}`} data-points={l.points.length} style={{ color: COLORS[l.to] }}>
            <path d={d(l.points) ?? ''} className="curve" />
            {l.points.map((p) => (
              <circle key={p.step} cx={x(p.step)} cy={y(p.cos)} r={1.6} className="curve-dot" />
            ))}
          </g>
        ))}
      </svg>
      <div className="film-meta">
        cosine of predicted x0’s CLIP embedding to <span style={{ color: COLORS.target }}>the embedding asked for</span>
        {lines.some((l) => l.to === 'text') ? <> and <span style={{ color: COLORS.text }}>the prompt</span></> : null}
        {hover !== null ? ` · step ${hover}: ` : ' · last: '}
        {readout}
      </div>
    </div>
  );
}
