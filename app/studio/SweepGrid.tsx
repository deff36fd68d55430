'use client';
// A sweep node's card body: the output linked to its `image` input, one cell per variant of the
// run (columns: the first axis's values, rows: the second's), labelled with the values; a click
// on a cell shows that variant's filmstrip of the linked node (with its WebP/GIF download, from
// the variant that streamed the steps); a variant that made several images (count > 1) shows them
// all, small, in its cell. Shown on the canvas card, in the notebook view and on share pages
// (the stored run's variants). The grid downloads as a PNG that
// carries the graph (sweepPng.ts). The axes come from the node's params as the server plans them
// (protocol/sweep.ts); the cells from the run's variants (lib/runState.ts).
import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { imageList, sweepValueTexts, SWEEP_AXIS_PARAMS } from '../../protocol';
import { declOf } from '../lib/graphModel';
import { streamedVariant } from '../lib/runState';
import { animationLink, Filmstrip } from './Filmstrip';
import { startDownload } from './download';
import { downloadGridPng } from './sweepPng';
import { useStudio } from './store';

const HALVES: [string, string] = ['x_t (noisy)', 'predicted x0'];

interface Axis {
  /** "node.param" */
  title: string;
  param: string;
  labels: string[];
}

/** The axes the params name, as "node.param" and each value's text (a second axis only when its node is set). */
function useAxes(params: Record<string, unknown>): Axis[] {
  const kinds = useStudio(
    useShallow((s) =>
      SWEEP_AXIS_PARAMS.map((a) => {
        const target = s.nodes.find((n) => n.id === String(params[a.node] ?? '').trim());
        return declOf(s.catalogue, target?.data.type ?? '')?.params.find((p) => p.name === params[a.param])?.kind ?? 'string';
      }),
    ),
  );
  return useMemo(
    () =>
      SWEEP_AXIS_PARAMS.flatMap((a, i) => {
        const node = String(params[a.node] ?? '').trim();
        if (i > 0 && !node) return [];
        const param = String(params[a.param] ?? '');
        return [{ title: `${node}.${param}`, param, labels: sweepValueTexts(String(params[a.values] ?? ''), kinds[i]).map((t) => t.trim()) }];
      }),
    [params, kinds],
  );
}

export function SweepGrid({ id, params, wide }: { id: string; params: Record<string, unknown>; wide?: boolean }) {
  const axes = useAxes(params);
  const source = useStudio((s) => s.edges.find((e) => e.target === id && e.targetHandle === 'image'));
  const variants = useStudio((s) => s.run.variants);
  const runId = useStudio((s) => s.run.runId);
  const currentGraph = useStudio((s) => s.currentGraph);
  const setNotice = useStudio((s) => s.setNotice);
  const isDiffusion = useStudio((s) => declOf(s.catalogue, s.nodes.find((n) => n.id === source?.source)?.data.type ?? '')?.category === 'diffusion');
  const [picked, setPicked] = useState<number | null>(null);
  const cols = axes[0]?.labels ?? [];
  const rows = axes[1]?.labels ?? [''];
  if (!cols.length) return <p className="muted">name a node, a param and values to sweep in the inspector</p>;
  const runOf = (i: number) => (source ? variants?.[i]?.[source.source] : undefined);
  const cells = Array.from({ length: cols.length * rows.length }, (_, i) => {
    const out = source?.sourceHandle ? runOf(i)?.outputs?.[source.sourceHandle] : undefined;
    return out?.kind === 'image' ? imageList(out.images).map(String).filter(Boolean) : [];
  });
  const colTitle = axes[0]!.title;
  const rowTitle = axes[1]?.title ?? '';
  const describe = (i: number) => `${colTitle} ${cols[i % cols.length]}${rowTitle ? `, ${rowTitle} ${rows[Math.floor(i / cols.length)]}` : ''}`;
  const shown = picked !== null ? runOf(picked) : undefined;
  const streamedIn = picked !== null && source ? streamedVariant(variants, source.source, picked) : -1;
  const animation = runId && source && streamedIn >= 0 ? animationLink(runId, source.source, streamedIn) : undefined;
  return (
    <div className="sweep nodrag nowheel" data-testid={`sweep-${id}`}>
      <table className="sweep-grid">
        <thead>
          <tr>
            <th className="muted" title={rowTitle ? `${colTitle} across, ${rowTitle} down` : `${colTitle} across`}>{rowTitle ? `${axes[1]!.param} ↓` : ''}</th>
            {cols.map((c, i) => (
              <th key={i} scope="col" data-testid={`sweep-col-${id}-${i}`} title={`${colTitle} = ${c}`}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, j) => (
            <tr key={j}>
              <th scope="row" data-testid={`sweep-row-${id}-${j}`}>{r}</th>
              {cols.map((_, c) => {
                const i = j * cols.length + c;
                return (
                  <td key={c}>
                    <button type="button" className={`sweep-cell${picked === i ? ' on' : ''}`} data-testid={`sweep-cell-${id}-${i}`} aria-label={`variant ${i + 1}: ${describe(i)}`} aria-pressed={picked === i} onClick={() => setPicked(picked === i ? null : i)}>
                      {cells[i]!.length ? (
                        <span className={`sweep-images${cells[i]!.length > 1 ? ' many' : ''}`} data-count={cells[i]!.length}>
                          {cells[i]!.map((src, k) => <img key={k} src={src} alt={cells[i]!.length > 1 ? `${describe(i)}, image ${k + 1}` : describe(i)} />)}
                        </span>
                      ) : (
                        <span className="muted">·</span>
                      )}
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="sweep-meta">
        <span className="muted">{`${colTitle} →`}</span>
        <button
          type="button"
          className="mini"
          disabled={!cells.some((c) => c.length)}
          aria-label="download the sweep grid as PNG with its graph"
          data-testid={`sweep-png-${id}`}
          onClick={() => startDownload('the sweep grid', () => downloadGridPng({ cols, rows, cells, colTitle, rowTitle }, currentGraph(), `${id}-grid.png`), setNotice)}
        >
          PNG
        </button>
      </div>
      {picked !== null ? (
        <div className="sweep-variant" data-testid={`sweep-variant-${id}`} data-variant={picked}>
          <div className="muted">variant {picked + 1}: {describe(picked)}</div>
          {shown?.frames.length ? (
            <Filmstrip nodeId={`${id}-v${picked}`} frames={shown.frames} ts={shown.ts} live={shown.status === 'running'} halves={isDiffusion ? HALVES : undefined} wide={wide} animation={animation} />
          ) : (
            <div className="muted">{shown ? 'no steps streamed for this variant' : 'not run yet'}</div>
          )}
        </div>
      ) : null}
    </div>
  );
}
