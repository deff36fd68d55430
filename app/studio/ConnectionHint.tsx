'use client';
// While a link is dragged over a port that cannot take it, say why (the same rule the server
// applies), instead of silently refusing the drop.
import { useConnection, type Edge } from '@xyflow/react';
import type { Catalogue } from '../../protocol';
import { connectionProblem, type StudioNode } from '../lib/graphModel';

export function ConnectionHint({ nodes, edges, catalogue }: { nodes: StudioNode[]; edges: Edge[]; catalogue: Catalogue | null }) {
  const c = useConnection();
  if (!c.inProgress || !c.toHandle || c.isValid !== false) return null;
  const fromIsSource = c.fromHandle.type === 'source';
  const src = fromIsSource ? c.fromHandle : c.toHandle;
  const dst = fromIsSource ? c.toHandle : c.fromHandle;
  const reason =
    src.type === dst.type
      ? 'links go from an output (right side) to an input (left side)'
      : (connectionProblem({ source: src.nodeId, sourceHandle: src.id ?? null, target: dst.nodeId, targetHandle: dst.id ?? null }, nodes, edges, catalogue) ?? 'not allowed');
  return (
    <div className="link-hint" role="alert" data-testid="link-hint">
      ✕ {reason}
    </div>
  );
}
