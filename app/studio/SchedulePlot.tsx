'use client';
// The noise level t of each step (d3 scales and line; t = 1 is pure noise, 0 the clean image),
// with the step on show marked and its t written beside it: where in the schedule the
// filmstrip's frame sits.
import { line, scaleLinear } from 'd3';

const W = 200;
const H = 64;
const M = { l: 24, r: 8, t: 8, b: 16 };

export function SchedulePlot({ ts, current, total }: { ts: { step: number; t: number }[]; current: number; total: number }) {
  const x = scaleLinear().domain([1, Math.max(2, total)]).range([M.l, W - M.r]);
  const tMax = Math.max(1, ...ts.map((p) => p.t));
  const y = scaleLinear().domain([0, tMax]).range([H - M.b, M.t]);
  const path = line<{ step: number; t: number }>().x((p) => x(p.step)).y((p) => y(p.t))(ts) ?? '';
  const at = ts.find((p) => p.step === current);
  const right = at ? x(at.step) > W * 0.6 : false;
  return (
    <svg className="schedule" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`noise schedule, step ${current} of ${total}${at ? `, t ${at.t.toFixed(3)}` : ''}`} data-testid="schedule-plot" data-step={current}>
      <line x1={M.l} x2={W - M.r} y1={H - M.b} y2={H - M.b} className="axis" />
      <line x1={M.l} x2={M.l} y1={M.t} y2={H - M.b} className="axis" />
      <text x={M.l - 3} y={y(tMax) + 3} className="tick" textAnchor="end">{tMax === 1 ? '1' : tMax.toFixed(0)}</text>
      <text x={M.l - 3} y={H - M.b + 3} className="tick" textAnchor="end">0</text>
      <text x={2} y={(H - M.b + M.t) / 2 + 3} className="tick">t</text>
      <text x={M.l} y={H - 3} className="tick">step 1</text>
      <text x={W - M.r} y={H - 3} className="tick" textAnchor="end">{total}</text>
      <path d={path} className="curve" />
      {ts.map((p) => (
        <circle key={p.step} cx={x(p.step)} cy={y(p.t)} r={1.5} className="curve-dot" />
      ))}
      {at ? (
        <>
          <line x1={x(at.step)} x2={x(at.step)} y1={M.t} y2={H - M.b} className="rule" />
          <circle cx={x(at.step)} cy={y(at.t)} r={3.5} className="marker" />
          <text x={x(at.step) + (right ? -6 : 6)} y={Math.max(M.t + 8, y(at.t) - 4)} className="tick now" textAnchor={right ? 'end' : 'start'}>
            t {at.t.toFixed(2)}
          </text>
        </>
      ) : null}
    </svg>
  );
}
