'use client';
// The similarity node's matrix of CLIP scores as a d3 heatmap; hovering (or focusing) a cell
// shows its row, column and value, and where a side is prompts with word weights, which of the
// prompt's words drive that cell (its cosine's drop without each word).
import { useState } from 'react';
import { interpolateViridis, scaleBand, scaleSequential } from 'd3';
import type { PlotData } from '../../protocol';
import { cellText, ShadedPrompt } from './WordWeights';

type HeatmapPlot = Extract<PlotData, { type: 'heatmap' }>;
const CELL = 22;
const LABEL = 58;

const short = (s: string) => (s.length > 11 ? `${s.slice(0, 10)}…` : s);

export function Heatmap({ plot }: { plot: HeatmapPlot }) {
  const [hover, setHover] = useState<{ r: number; c: number } | null>(null);
  const flat = plot.values.flat();
  const lo = Math.min(...flat);
  const hi = Math.max(...flat);
  const color = scaleSequential(interpolateViridis).domain([lo, hi > lo ? hi : lo + 1e-6]);
  const rows = scaleBand<number>().domain(plot.rows.map((_, i) => i)).range([LABEL, LABEL + plot.rows.length * CELL]);
  const cols = scaleBand<number>().domain(plot.cols.map((_, i) => i)).range([LABEL, LABEL + plot.cols.length * CELL]);
  const w = LABEL + plot.cols.length * CELL + 4;
  const h = LABEL + plot.rows.length * CELL + 4;
  const hv = hover ? plot.values[hover.r]?.[hover.c] : undefined;
  const rowWords = hover ? plot.words?.rows?.[hover.r] : undefined;
  const colWords = hover ? plot.words?.cols?.[hover.c] : undefined;
  return (
    <div className="heatmap" data-testid="heatmap">
      <svg viewBox={`0 0 ${w} ${h}`} width={Math.min(w, 224)} role="img" aria-label={`cosine similarity, ${plot.rows.length} rows × ${plot.cols.length} columns`}>
        {plot.cols.map((c, j) => (
          <text key={j} className="tick" transform={`translate(${cols(j)! + CELL / 2},${LABEL - 4}) rotate(-45)`}>
            {short(c)}
          </text>
        ))}
        {plot.rows.map((r, i) => (
          <text key={i} className="tick" x={LABEL - 4} y={rows(i)! + CELL / 2 + 4} textAnchor="end">
            {short(r)}
          </text>
        ))}
        {plot.values.map((line, i) =>
          line.map((v, j) => (
            <rect
              key={`${i}-${j}`}
              x={cols(j)}
              y={rows(i)}
              width={CELL - 1}
              height={CELL - 1}
              fill={color(v)}
              tabIndex={0}
              aria-label={`${plot.rows[i]} × ${plot.cols[j]}: ${v.toFixed(3)}`}
              onMouseEnter={() => setHover({ r: i, c: j })}
              onFocus={() => setHover({ r: i, c: j })}
              onMouseLeave={() => setHover(null)}
            >
              <title>{`${plot.rows[i]} × ${plot.cols[j]}: ${v.toFixed(3)}`}</title>
            </rect>
          )),
        )}
      </svg>
      <div className="hover-readout" data-testid="heatmap-readout">
        {hover && hv !== undefined ? `${plot.rows[hover.r]} × ${plot.cols[hover.c]}: ${hv.toFixed(3)}` : `cosine ${lo.toFixed(2)} … ${hi.toFixed(2)}`}
      </div>
      {hover && (rowWords || colWords) ? (
        <div className="heatmap-words" data-testid="heatmap-words">
          {rowWords ? <ShadedPrompt pieces={rowWords.pieces} drops={rowWords.drops[hover.c] ?? []} explain={cellText} /> : null}
          {colWords ? <ShadedPrompt pieces={colWords.pieces} drops={colWords.drops[hover.r] ?? []} explain={cellText} /> : null}
        </div>
      ) : null}
    </div>
  );
}
