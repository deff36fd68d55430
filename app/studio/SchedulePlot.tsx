'use client';
// The noise level t of each step (d3 scales and line), with the step on show marked: where in
// the schedule the filmstrip's frame sits.
import { line, scaleLinear } from 'd3';

const W = 200;
const H = 56;
const M = { l: 22, r: 6, t: 6, b: 14 };

export function SchedulePlot({ ts, current, total }: { ts: { step: number; t: number }[]; current: number; total: number }) {
  const x = scaleLinear().domain([1, Math.max(2, total)]).range([M.l, W - M.r]);
  const tMax = Math.max(1, ...ts.map((p) => p.t));
  const y = scaleLinear().domain([0, tMax]).range([H - M.b, M.t]);
  const path = line<{ step: number; t: number }>().x((p) => x(p.step)).y((p) => y(p.t))(ts) ?? '';
  const at = ts.find((p) => p.step === current);
  return (
    <svg className="schedule" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`noise schedule, step ${current} of ${total}${at ? `, t ${at.t.toFixed(3)}` : ''}`} data-testid="schedule-plot">
      <line x1={M.l} x2={W - M.r} y1={H - M.b} y2={H - M.b} className="axis" />
      <line x1={M.l} x2={M.l} y1={M.t} y2={H - M.b} className="axis" />
      <text x={2} y={M.t + 6} className="tick">t</text>
      <text x={W - M.r} y={H - 2} className="tick" textAnchor="end">step {total}</text>
      <path d={path} className="curve" />
      {at ? <circle cx={x(at.step)} cy={y(at.t)} r={3.5} className="marker" /> : null}
    </svg>
  );
}
