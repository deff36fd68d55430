// What the canvas shows of bypass and mute: which nodes will not run and why, from the same
// planModes the server plans runs with (protocol/modes.ts). Every card asks on every store
// change (a run's steps too), so the plan is kept for the nodes, edges and catalogue it was made
// from and made again only when one of them changes.
import type { Edge } from '@xyflow/react';
import { planModes, type Catalogue, type NodeHold } from '../../protocol';
import { declOf, type StudioNode } from './graphModel';

let last: { nodes: StudioNode[]; edges: Edge[]; catalogue: Catalogue | null; held: Map<string, NodeHold> } | null = null;

/** The nodes that will not run (bypassed, muted, skipped after a muted one). */
export function heldNodes(nodes: StudioNode[], edges: Edge[], catalogue: Catalogue | null): Map<string, NodeHold> {
  if (last && last.nodes === nodes && last.edges === edges && last.catalogue === catalogue) return last.held;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const inputs = new Map<string, Map<string, [string, string]>>();
  for (const e of edges) {
    if (!byId.has(e.source) || !byId.has(e.target)) continue;
    let m = inputs.get(e.target);
    if (!m) inputs.set(e.target, (m = new Map()));
    m.set(e.targetHandle ?? '', [e.source, e.sourceHandle ?? '']);
  }
  const { held } = planModes({
    ids: nodes.map((n) => n.id),
    mode: (id) => byId.get(id)?.data.mode,
    decl: (id) => declOf(catalogue, byId.get(id)?.data.type ?? ''),
    inputs: (id) => inputs.get(id),
  });
  last = { nodes, edges, catalogue, held };
  return held;
}
