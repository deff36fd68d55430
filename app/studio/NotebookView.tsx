'use client';
// The graph read top to bottom: every node in run order as a cell (notes as text, others with
// their params and what they made), for reading a shared graph like a notebook. Each cell
// selects its own node's run state from the store, as the canvas cards do; a sweep shows its grid.
import type { Edge } from '@xyflow/react';
import { declOf, runOrder, type StudioNode } from '../lib/graphModel';
import { renderMarkdown } from '../lib/markdownView';
import { NodeOutputs } from './NodeOutputs';
import { SweepGrid } from './SweepGrid';
import { useStudio } from './store';

function Cell({ n, index, edges }: { n: StudioNode; index: number; edges: Edge[] }) {
  const catalogue = useStudio((s) => s.catalogue);
  const nr = useStudio((s) => s.run.nodes[n.id]);
  const id = n.id;
  const decl = declOf(catalogue, n.data.type);
  const inputs = edges.filter((e) => e.target === id).map((e) => `${e.targetHandle} ← ${e.source}.${e.sourceHandle}`);
  const params = Object.entries(n.data.params).filter(([, v]) => v !== null && typeof v !== 'object' && !(typeof v === 'string' && v.startsWith('data:')));
  return (
    <section className="cell">
      <h2>
        <span className="muted" data-testid="cell-number">[{index + 1}]</span> {decl?.title ?? n.data.type} <span className="muted small">{id}</span>
        {nr ? <span className={`badge status-${nr.status}`}>{nr.cached ? 'cached' : nr.status}</span> : null}
      </h2>
      {inputs.length ? <p className="small muted">{inputs.join(' · ')}</p> : null}
      {params.length ? <p className="small">{params.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(' · ')}</p> : null}
      {nr ? <NodeOutputs nodeId={id} nodeType={n.data.type} run={nr} wide /> : null}
      {/* a sweep runs nothing of its own (no run state): its grid reads the run's variants */}
      {n.data.type === 'sweep' ? <SweepGrid id={id} params={n.data.params} wide /> : null}
    </section>
  );
}

export function NotebookView({ nodes, edges }: { nodes: StudioNode[]; edges: Edge[] }) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  let cell = 0;
  return (
    <div className="notebook" data-testid="notebook">
      {!nodes.length ? <p className="muted">The graph is empty.</p> : null}
      {runOrder(nodes, edges).map((id) => {
        const n = byId.get(id)!;
        if (n.data.type === 'note') return <section key={id} className="cell note-cell markdown">{renderMarkdown(String(n.data.params.markdown ?? ''))}</section>;
        // notes are text between the cells, not numbered cells: the first node is [1]
        return <Cell key={id} n={n} index={cell++} edges={edges} />;
      })}
    </div>
  );
}
