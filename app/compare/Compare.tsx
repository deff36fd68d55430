'use client';
// The compare page: two runs side by side (issue 24 item 4). Two fields take a share link, an
// editor link or a run id each (the form is a plain GET of /compare, so a link to a comparison is
// just its URL); the two runs are fetched and replayed as the share page replays one, then shown
// as: the graphs' param differences, the filmstrips of nodes both have under one scrubber, the
// final outputs, and both runs' embeddings on one map (CompareParts.tsx).
import { useEffect, useMemo, useState } from 'react';
import type { Catalogue } from '../../protocol';
import { defaultParams, declOf } from '../lib/graphModel';
import { diffGraphs } from '../lib/graphDiff';
import { hasSteps, shareCachedSteps } from '../lib/runCompare';
import { api } from '../studio/api';
import { CombinedMap, FilmCompare, FinalOutputs, ParamDiff, RunHeading } from './CompareParts';
import { loadRun, type LoadedRun, type Side } from './loadRun';

export function Compare({ a, b }: { a: string; b: string }) {
  const [catalogue, setCatalogue] = useState<Catalogue | null | undefined>(undefined);
  const [sides, setSides] = useState<[Side, Side] | null>(null);
  const both = a.trim() !== '' && b.trim() !== '';

  useEffect(() => {
    // the defaults fill params a graph leaves unset; without the catalogue they show as unset
    api.catalogue().then(setCatalogue, () => setCatalogue(null));
  }, []);
  useEffect(() => {
    if (!both) return;
    let live = true;
    void Promise.all([loadRun(a), loadRun(b)]).then((s) => live && setSides(s));
    return () => {
      live = false;
    };
  }, [a, b, both]);

  const ready = sides && catalogue !== undefined ? sides : null;
  return (
    <div className="compare-page">
      <header className="topbar">
        <h1>
          <a href="/" className="home">
            unCLIP Studio
          </a>
        </h1>
        <span className="graph-title">Compare two runs</span>
      </header>
      <main className="compare" data-testid="compare">
        <form className="compare-form" method="get" action="/compare">
          <label>
            <span className="side-tag a">A</span>
            <input name="a" defaultValue={a} placeholder="share link (…/g/<id>) or run id" aria-label="run A: share link or run id" data-testid="ref-a" autoFocus={!a} />
          </label>
          <label>
            <span className="side-tag b">B</span>
            <input name="b" defaultValue={b} placeholder="share link (…/g/<id>) or run id" aria-label="run B: share link or run id" data-testid="ref-b" autoFocus={!!a && !b} />
          </label>
          <button type="submit" className="btn primary" data-testid="compare-go">
            Compare
          </button>
        </form>
        {!both ? <p className="muted">Paste two share links or run ids: the graphs&apos; differences, their steps under one scrubber, their outputs and embeddings side by side.</p> : null}
        {both && !ready ? <p className="muted" data-testid="compare-loading">loading both runs…</p> : null}
        {ready ? <Loaded sides={ready} catalogue={catalogue ?? null} /> : null}
      </main>
    </div>
  );
}

function Loaded({ sides, catalogue }: { sides: [Side, Side]; catalogue: Catalogue | null }) {
  const [sa, sb] = sides;
  if (!sa.ok || !sb.ok)
    return (
      <div className="compare-errors">
        {([sa, sb] as const).map((s, i) =>
          s.ok ? null : (
            <p key={i} className="notice bad" data-testid={`ref-error-${i ? 'b' : 'a'}`} role="alert">
              {i ? 'B' : 'A'}: {s.message}
            </p>
          ),
        )}
      </div>
    );
  return <Comparison ra={sa} rb={sb} catalogue={catalogue} />;
}

function Comparison({ ra, rb, catalogue }: { ra: LoadedRun; rb: LoadedRun; catalogue: Catalogue | null }) {
  const diff = useMemo(() => {
    const defaults = (type: string) => {
      const d = declOf(catalogue, type);
      return d ? defaultParams(d) : undefined;
    };
    return diffGraphs(ra.graph, rb.graph, defaults);
  }, [ra, rb, catalogue]);
  // a node one run served from the cache shows the steps the other made under the same key
  const [va, vb] = useMemo(() => shareCachedSteps(ra.view, rb.view), [ra, rb]);
  // one graph's two runs: a run id's side learns the graph's title from the share link's side
  const title = ra.graphId && ra.graphId === rb.graphId ? (ra.title ?? rb.title) : undefined;
  const A = { ...ra, view: va, title: ra.title ?? title };
  const B = { ...rb, view: vb, title: rb.title ?? title };
  const notes: string[] = [];
  if (ra.runId === rb.runId) notes.push('A and B are the same run.');
  for (const [tag, r] of [['A', A], ['B', B]] as const) {
    if (r.status === 'running' || r.status === 'queued') notes.push(`${tag} is still ${r.status}: what it has done so far is shown (reload for more).`);
    else if (!hasSteps(r.view))
      notes.push(`${tag} has no stored steps: none of its nodes streamed frames in that run (only the diffusion nodes do, and not when served from the cache), or the server kept the run without them (UNCLIP_MAX_STORED_RUN_BYTES).`);
  }
  return (
    <>
      <div className="compare-cols">
        <RunHeading tag="a" run={A} />
        <RunHeading tag="b" run={B} />
      </div>
      {diff.nothingInCommon ? (
        <p className="notice bad" data-testid="nothing-in-common" role="alert">
          These runs&apos; graphs have nothing in common: no node of one matches a node of the other by id, nor by type and position. Their params and steps cannot be set side by side; their outputs can.
        </p>
      ) : null}
      {notes.map((n) => (
        <p key={n} className="notice" data-testid="compare-note">
          {n}
        </p>
      ))}
      {!diff.nothingInCommon ? <ParamDiff diff={diff} /> : null}
      <FilmCompare diff={diff} a={A} b={B} catalogue={catalogue} />
      <FinalOutputs diff={diff} a={A} b={B} catalogue={catalogue} />
      <CombinedMap a={A} b={B} catalogue={catalogue} />
    </>
  );
}
