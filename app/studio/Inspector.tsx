'use client';
// The selected node's params (or a hint when nothing or several are selected).
import type { Edge } from '@xyflow/react';
import type { Catalogue } from '../../protocol';
import { declOf, type StudioNode } from '../lib/graphModel';
import { LinkFields } from './LinkFields';
import { MaskPainter } from './MaskPainter';
import { ParamField } from './ParamField';
import { SWEEP_PICKED, SweepPick } from './SweepFields';

export interface InspectorProps {
  node: StudioNode | null;
  count: number;
  nodes: StudioNode[];
  edges: Edge[];
  catalogue: Catalogue | null;
  readOnly: boolean;
  onParam: (id: string, name: string, v: unknown) => void;
  onLink: (target: string, port: string, from: [string, string] | null) => void;
}

export function Inspector({ node, count, nodes, edges, catalogue, readOnly, onParam, onLink }: InspectorProps) {
  const decl = node ? declOf(catalogue, node.data.type) : undefined;
  return (
    <aside className="inspector panel" aria-label="inspector" data-testid="inspector">
      {!node ? (
        <p className="muted">{count > 1 ? `${count} nodes selected` : readOnly ? 'Select a node to see its params.' : 'Select a node to edit its params.'}</p>
      ) : (
        <>
          <h2>
            {decl?.title ?? node.data.type} <span className="muted small">{node.id}</span>
          </h2>
          {decl ? <p className="muted small">{decl.description}</p> : null}
          {decl?.models.length ? <p className="muted small">needs weights: {decl.models.join(', ')}</p> : null}
          <LinkFields node={node} nodes={nodes} edges={edges} catalogue={catalogue} disabled={readOnly} onLink={onLink} />
          {node.data.type === 'mask' ? <MaskPainter nodeId={node.id} painted={node.data.params.painted} shape={node.data.params.shape} disabled={readOnly} onParam={(name, v) => onParam(node.id, name, v)} /> : null}
          <form onSubmit={(e) => e.preventDefault()} aria-label={`params of ${node.id}`}>
            {decl?.params.map((p) =>
              node.data.type === 'sweep' && SWEEP_PICKED.has(p.name) ? (
                <SweepPick key={`${node.id}:${p.name}`} name={p.name} node={node} nodes={nodes} catalogue={catalogue} disabled={readOnly} onParam={(name, v) => onParam(node.id, name, v)} />
              ) : (
                <ParamField key={`${node.id}:${p.name}`} nodeId={node.id} p={p} value={node.data.params[p.name]} disabled={readOnly} onChange={(v) => onParam(node.id, p.name, v)} />
              ),
            )}
            {decl && !decl.params.length ? <p className="muted small">no params</p> : null}
          </form>
        </>
      )}
    </aside>
  );
}
