// Editing the graph while it runs: deleting a node or a link the running run uses would leave the
// run going on a graph that is no longer on the canvas (downstream cards filling with results of
// a node that is gone), so such an edit cancels the run, and this names the edit for the message.
// Other edits (moving, params, adding, a note) leave the run alone: it ran the graph as it was.
import type { Graph } from '../../protocol';

export interface EdgeLike {
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}

/** The first node (of `runnable`) or link of the running graph missing from the canvas, in words; null if none is. */
export function runEditEnds(ran: Graph, runnable: readonly string[], nodes: readonly { id: string }[], edges: readonly EdgeLike[]): string | null {
  const ids = new Set(nodes.map((n) => n.id));
  for (const id of runnable) if (!ids.has(id)) return `node ${id} was deleted`;
  const links = new Set(edges.map((e) => `${e.source}\n${e.sourceHandle ?? ''}\n${e.target}\n${e.targetHandle ?? ''}`));
  for (const e of ran.edges) {
    if (!links.has(`${e.from.node}\n${e.from.port}\n${e.to.node}\n${e.to.port}`)) return `the link ${e.from.node}.${e.from.port} → ${e.to.node}.${e.to.port} was deleted`;
  }
  return null;
}
