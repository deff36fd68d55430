'use client';
// The graph read top to bottom: every node in run order as a cell (notes as text, others with
// their params and what they made), for reading a shared graph like a notebook.
import type { Edge } from '@xyflow/react';
import { declOf, runOrder, type StudioNode } from '../lib/graphModel';
import { renderMarkdown } from '../lib/markdownView';
import { useStudio } from './context';
import { NodeOutputs } from './NodeOutputs';

export function NotebookView({ nodes, edges }: { nodes: StudioNode[]; edges: Edge[] }) {
  const { catalogue, run } = useStudio();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return (
    <div className="notebook" data-testid="notebook">
      {!nodes.length ? <p className="muted">The graph is empty.</p> : null}
      {runOrder(nodes, edges).map((id, i) => {
        const n = byId.get(id)!;
        const decl = declOf(catalogue, n.data.type);
        if (n.data.type === 'note') return <section key={id} className="cell note-cell markdown">{renderMarkdown(String(n.data.params.markdown ?? ''))}</section>;
        const inputs = edges.filter((e) => e.target === id).map((e) => `${e.targetHandle} ← ${e.source}.${e.sourceHandle}`);
        const params = Object.entries(n.data.params).filter(([, v]) => v !== null && typeof v !== 'object' && !(typeof v === 'string' && v.startsWith('data:')));
        const nr = run.nodes[id];
        return (
          <section key={id} className="cell">
            <h2>
              <span className="muted">[{i + 1}]</span> {decl?.title ?? n.data.type} <span className="muted small">{id}</span>
              {nr ? <span className={`badge status-${nr.status}`}>{nr.cached ? 'cached' : nr.status}</span> : null}
            </h2>
            {inputs.length ? <p className="small muted">{inputs.join(' · ')}</p> : null}
            {params.length ? <p className="small">{params.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(' · ')}</p> : null}
            {nr ? <NodeOutputs nodeId={id} nodeType={n.data.type} run={nr} wide /> : null}
          </section>
        );
      })}
    </div>
  );
}
