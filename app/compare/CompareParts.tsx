'use client';
// The compare page's sections. Each run's pieces are drawn by the studio's own components
// (Filmstrip, EmbeddingMap) inside a store of that run (Scope), as its share page would draw them.
import { useEffect, useState, type ReactNode } from 'react';
import { imageList, type Catalogue, type PlotData } from '../../protocol';
import { fromGraph, declOf } from '../lib/graphModel';
import { showValue, type GraphDiff } from '../lib/graphDiff';
import { alignedIndex, filmPairs, finalImageNodes, finalRows } from '../lib/runCompare';
import { EmbeddingMap, type Track } from '../studio/EmbeddingMap';
import { Filmstrip } from '../studio/Filmstrip';
import { DIFFUSION_HALVES } from '../studio/NodeOutputs';
import { StudioProvider } from '../studio/store';
import type { LoadedRun } from './loadRun';

type Tag = 'a' | 'b';
const TAG_NAME = { a: 'A', b: 'B' } as const;

/** A store holding one run and its graph, for the studio components drawn inside. */
function Scope({ run, catalogue, children }: { run: LoadedRun; catalogue: Catalogue | null; children: ReactNode }) {
  return <StudioProvider init={{ catalogue, run: run.view, ...fromGraph(run.graph) }}>{children}</StudioProvider>;
}

export function RunHeading({ tag, run }: { tag: Tag; run: LoadedRun }) {
  return (
    <div className="compare-cell run-heading" data-testid={`run-${tag}`} data-run={run.runId}>
      <span className={`side-tag ${tag}`}>{TAG_NAME[tag]}</span> run <code>{run.runId.slice(0, 8)}</code> · {run.status}
      {run.graphId ? (
        <>
          {' '}· graph <a href={`/g/${encodeURIComponent(run.graphId)}`}>{run.title && run.title !== 'untitled' ? run.title : run.graphId.slice(0, 8)}</a>
        </>
      ) : (
        <span className="muted"> · an unsaved graph</span>
      )}
    </div>
  );
}

export function ParamDiff({ diff }: { diff: GraphDiff }) {
  const changed = diff.matched.filter((m) => m.changes.length);
  return (
    <section className="compare-section" data-testid="param-diff">
      <h2>Differences</h2>
      {diff.same ? <p className="muted" data-testid="diff-same">The two graphs are the same: every node, param and link.</p> : null}
      <ul className="diff-list">
        {changed.map((m) => (
          <li key={m.a.id}>
            <b>{m.a.id}</b>
            {m.b.id !== m.a.id ? <span className="muted"> (B: {m.b.id}, matched by type and position)</span> : null} <span className="muted small">{m.a.type}</span>
            <ul>
              {m.changes.map((c) => (
                <li key={c.name} data-testid="diff-param" data-node={m.a.id} data-param={c.name}>
                  {c.name}: <span className="val a">{showValue(c.a)}</span> → <span className="val b">{showValue(c.b)}</span>
                </li>
              ))}
            </ul>
          </li>
        ))}
        {diff.onlyA.map((n) => (
          <li key={`a-${n.id}`} data-testid="diff-removed">
            only in A: <b>{n.id}</b> <span className="muted small">{n.type}</span>
          </li>
        ))}
        {diff.onlyB.map((n) => (
          <li key={`b-${n.id}`} data-testid="diff-added">
            only in B: <b>{n.id}</b> <span className="muted small">{n.type}</span>
          </li>
        ))}
        {diff.linksOnlyA.map((l) => <li key={`la-${l}`}>link only in A: {l}</li>)}
        {diff.linksOnlyB.map((l) => <li key={`lb-${l}`}>link only in B: {l}</li>)}
      </ul>
    </section>
  );
}

function Strip({ tag, run, nodeId, at, span, catalogue }: { tag: Tag; run: LoadedRun; nodeId: string; at: number; span: number; catalogue: Catalogue | null }) {
  const n = run.view.nodes[nodeId];
  const type = run.graph.nodes.find((x) => x.id === nodeId)?.type ?? '';
  const halves = declOf(catalogue, type)?.category === 'diffusion' ? DIFFUSION_HALVES : undefined;
  return (
    <div className="compare-cell" data-testid={`film-${tag}-${nodeId}`}>
      {n?.frames.length ? (
        <Scope run={run} catalogue={catalogue}>
          <Filmstrip nodeId={nodeId} frames={n.frames} ts={n.ts} live={false} halves={halves} wide at={alignedIndex(at, span, n.frames.length)} />
        </Scope>
      ) : (
        <p className="muted small">{TAG_NAME[tag]} stored no steps for {nodeId}{n?.cached ? ' (served from the cache, and the other run did not make them either)' : ''}.</p>
      )}
    </div>
  );
}

/** The filmstrips of nodes both graphs have, under one scrubber (by fraction where step counts differ). */
export function FilmCompare({ diff, a, b, catalogue }: { diff: GraphDiff; a: LoadedRun; b: LoadedRun; catalogue: Catalogue | null }) {
  const pairs = filmPairs(diff, a.view, b.view);
  const span = Math.max(1, ...pairs.map((p) => Math.max(p.framesA, p.framesB)));
  const [at, setAt] = useState(span - 1);
  const [playing, setPlaying] = useState(false);
  useEffect(() => {
    if (!playing) return;
    const h = setInterval(() => setAt((i) => (i + 1 >= span ? (setPlaying(false), span - 1) : i + 1)), Math.max(40, Math.min(250, 3000 / span)));
    return () => clearInterval(h);
  }, [playing, span]);
  if (diff.nothingInCommon) return null;
  return (
    <section className="compare-section" data-testid="film-compare">
      <h2>Steps</h2>
      {!pairs.length ? (
        <p className="muted" data-testid="no-shared-steps">No node the two graphs share has stored steps in either run (only the diffusion nodes stream them).</p>
      ) : (
        <>
          <div className="film-controls shared">
            <button type="button" className="mini" onClick={() => (!playing && at >= span - 1 && setAt(0), setPlaying(!playing))} aria-label={playing ? 'pause both filmstrips' : 'play both filmstrips'} data-testid="compare-play">
              {playing ? '❚❚' : '▶'}
            </button>
            <input type="range" min={0} max={span - 1} value={Math.min(at, span - 1)} onChange={(e) => (setPlaying(false), setAt(Number(e.target.value)))} aria-label="scrub the steps of both runs" data-testid="compare-scrubber" />
            <span className="small muted">
              {Math.min(at, span - 1) + 1}/{span}
            </span>
          </div>
          {pairs.map((p) => (
            <div key={p.a} className="compare-row">
              <h3>
                {p.a}
                {p.b !== p.a ? ` / ${p.b}` : ''} <span className="muted small">{p.type}</span>
              </h3>
              <div className="compare-cols">
                <Strip tag="a" run={a} nodeId={p.a} at={at} span={span} catalogue={catalogue} />
                <Strip tag="b" run={b} nodeId={p.b} at={at} span={span} catalogue={catalogue} />
              </div>
            </div>
          ))}
        </>
      )}
    </section>
  );
}

function Images({ tag, run, nodeId }: { tag: Tag; run: LoadedRun; nodeId?: string }) {
  if (!nodeId) return <div className="compare-cell muted small">—</div>;
  const values = Object.values(run.view.nodes[nodeId]?.outputs ?? {}).flatMap((v) => (v.kind === 'image' ? [v] : []));
  return (
    <div className="compare-cell" data-testid={`final-${tag}-${nodeId}`}>
      <div className="small muted">
        {TAG_NAME[tag]} · {nodeId}
      </div>
      <div className="images many">
        {values.flatMap((v) =>
          imageList(v.images).map((src, i) => (
            <figure key={i} title={v.labels[i]}>
              <img src={String(src)} alt={`${TAG_NAME[tag]} ${nodeId}: ${v.labels[i] ?? i + 1}`} width={128} height={128} />
              <figcaption>{v.labels[i]}</figcaption>
            </figure>
          )),
        )}
      </div>
    </div>
  );
}

export function FinalOutputs({ diff, a, b }: { diff: GraphDiff; a: LoadedRun; b: LoadedRun; catalogue: Catalogue | null }) {
  const rows = finalRows(diff, finalImageNodes(a.graph, a.view), finalImageNodes(b.graph, b.view));
  return (
    <section className="compare-section" data-testid="final-outputs">
      <h2>Final outputs</h2>
      {!rows.length ? <p className="muted">Neither run made a final image.</p> : null}
      {rows.map((r) => (
        <div key={`${r.a}|${r.b}`} className="compare-cols">
          <Images tag="a" run={a} nodeId={r.a} />
          <Images tag="b" run={b} nodeId={r.b} />
        </div>
      ))}
    </section>
  );
}

type MapPlot = Extract<PlotData, { type: 'embedding-map' }>;

/** A run's embedding maps: each with the node that drew it and, per series, the trajectory of the node feeding it (the prior's). */
function mapsOf(tag: Tag, run: LoadedRun): { plot: MapPlot; tracks: ({ src: string; track: Track } | null)[] }[] {
  return Object.entries(run.view.nodes).flatMap(([nodeId, n]) =>
    Object.values(n.outputs ?? {}).flatMap((v) => {
      if (v.kind !== 'plot' || v.plot.type !== 'embedding-map') return [];
      const tracks = v.plot.series.map((s) => {
        const src = run.graph.edges.find((e) => e.to.node === nodeId && e.to.port === s.port)?.from.node;
        const track = src ? run.view.nodes[src]?.track : undefined;
        return src && track && track.length > 1 ? { src: `${TAG_NAME[tag]} · ${src}`, track } : null;
      });
      return [{ plot: v.plot, tracks }];
    }),
  );
}

/** Both runs' embeddings on one map (one per fitted PCA, where the runs used different CLIP weights): A's points and paths in one colour, B's in another. */
export function CombinedMap({ a, b, catalogue }: { a: LoadedRun; b: LoadedRun; catalogue: Catalogue | null }) {
  const byTag = { a: mapsOf('a', a), b: mapsOf('b', b) };
  const mapIds = [...new Set([...byTag.a, ...byTag.b].map((m) => m.plot.mapId))];
  return (
    <section className="compare-section" data-testid="combined-map">
      <h2>Embeddings</h2>
      {!mapIds.length ? <p className="muted" data-testid="no-map">Neither run has an embedding map: add an Embedding map node (fed by the prior or a CLIP encoder) to see both runs&apos; embeddings on one map.</p> : null}
      {mapIds.length > 1 ? <p className="notice">The runs&apos; embeddings were mapped with different CLIP weights: one map each.</p> : null}
      {mapIds.map((mapId) => {
        const parts = (['a', 'b'] as const).flatMap((tag) =>
          byTag[tag]
            .filter((m) => m.plot.mapId === mapId)
            .flatMap((m, i) => m.plot.series.map((s, k) => ({ tag, track: m.tracks[k] ?? null, series: { ...s, port: `${tag}:${i}:${s.port}`, labels: s.labels.map((l) => `${TAG_NAME[tag]} · ${l}`) } }))),
        );
        return (
          <div key={mapId} className="compare-map">
            <p className="small">
              <span className="swatch" style={{ background: 'var(--series-a)' }} aria-hidden /> run A{'  '}
              <span className="swatch" style={{ background: 'var(--series-b)' }} aria-hidden /> run B
            </p>
            <Scope run={a} catalogue={catalogue}>
              <EmbeddingMap
                plot={{ type: 'embedding-map', mapId, series: parts.map((p) => p.series) }}
                colors={parts.map((p) => `var(--series-${p.tag})`)}
                tracks={parts.map((p) => p.track)}
                wide
                focus
              />
            </Scope>
          </div>
        );
      })}
    </section>
  );
}
