// The canvas's node search (double-click on empty canvas, or a link dropped there): the
// catalogue's node types matching what is typed (title, type or category), and, for a dropped
// link, only those with a port the link fits (the protocol's portsCompatible, as the server
// checks), naming that port so the new node can be wired. Pure, for the unit test and the canvas.
import { portsCompatible, type Catalogue, type NodeDecl, type PortType } from '../../protocol';

/** The end of a link being dragged: an output (`out`: the new node takes it in) or an input. */
export interface LinkEnd {
  nodeId: string;
  port: string;
  side: 'out' | 'in';
  type: PortType;
}

export interface SearchHit {
  decl: NodeDecl;
  /** The new node's first port the dropped link fits. */
  port?: string;
}

/** The port of `decl` that `from` fits first: an input for an output dragged, an output for an input. */
export function fittingPort(decl: NodeDecl, from: LinkEnd): string | undefined {
  if (from.side === 'out') return decl.inputs.find((p) => portsCompatible(from.type, p.type))?.name;
  return decl.outputs.find((p) => portsCompatible(p.type, from.type))?.name;
}

/** Matching node types, those whose title starts with the query first, then in catalogue order. */
export function searchNodes(catalogue: Catalogue | null, query: string, from?: LinkEnd | null): SearchHit[] {
  const q = query.trim().toLowerCase();
  const hits: (SearchHit & { rank: number })[] = [];
  for (const decl of catalogue?.nodes ?? []) {
    const port = from ? fittingPort(decl, from) : undefined;
    if (from && !port) continue;
    const title = decl.title.toLowerCase();
    if (q && !`${title} ${decl.type} ${decl.category}`.toLowerCase().includes(q)) continue;
    hits.push({ decl, ...(port ? { port } : {}), rank: q && title.startsWith(q) ? 0 : 1 });
  }
  return hits.sort((a, b) => a.rank - b.rank).map(({ rank: _, ...h }) => h);
}

/** The link that wires a new node (`nodeId`, its port `port`) to the dragged end. */
export function linkTo(from: LinkEnd, nodeId: string, port: string) {
  return from.side === 'out'
    ? { source: from.nodeId, sourceHandle: from.port, target: nodeId, targetHandle: port }
    : { source: nodeId, sourceHandle: port, target: from.nodeId, targetHandle: from.port };
}
