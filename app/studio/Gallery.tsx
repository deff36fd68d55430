'use client';
// The start page's examples: the graphs in examples/*.json (read by app/page.tsx on the server,
// in the order and with the one-line descriptions of examples/README.md's table), shown on the
// empty canvas, each with a thumbnail (the example's PNG from a real run where one is committed,
// else the graph's shape); a click opens one.
import type { Graph } from '../../protocol';

export interface Example {
  name: string;
  title: string;
  description?: string;
  /** a data: URL of examples/<name>.png (what a run of it made), if there is one */
  thumb?: string;
  graph: Graph;
}

const TW = 96;
const TH = 56;
const CARD = { w: 240, h: 120 };

/** The graph's shape: its cards at their positions and its links, scaled into the thumbnail. */
function Shape({ graph }: { graph: Graph }) {
  const nodes = graph.nodes.filter((n) => n.type !== 'note');
  if (!nodes.length) return null;
  const xs = nodes.map((n) => n.position?.x ?? 0);
  const ys = nodes.map((n) => n.position?.y ?? 0);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  const k = Math.min((TW - 8) / (Math.max(...xs) - x0 + CARD.w), (TH - 8) / (Math.max(...ys) - y0 + CARD.h));
  const at = new Map(nodes.map((n) => [n.id, { x: 4 + ((n.position?.x ?? 0) - x0) * k, y: 4 + ((n.position?.y ?? 0) - y0) * k }]));
  const w = CARD.w * k * 0.8;
  const h = CARD.h * k * 0.6;
  return (
    <svg viewBox={`0 0 ${TW} ${TH}`} width={TW} height={TH} className="example-thumb shape" aria-hidden>
      {graph.edges.map((e, i) => {
        const a = at.get(e.from.node);
        const b = at.get(e.to.node);
        return a && b ? <line key={i} x1={a.x + w} y1={a.y + h / 2} x2={b.x} y2={b.y + h / 2} /> : null;
      })}
      {nodes.map((n) => (
        <rect key={n.id} x={at.get(n.id)!.x} y={at.get(n.id)!.y} width={w} height={h} rx={1.5} />
      ))}
    </svg>
  );
}

export function Gallery({ examples, onOpen }: { examples: Example[]; onOpen: (g: Graph) => void }) {
  return (
    <div className="gallery" data-testid="gallery">
      <h2>Start a graph</h2>
      <p className="muted">Drag nodes from the palette (or click them), drop a graph JSON or a studio PNG here, or open an example.</p>
      {examples.length ? (
        <ul>
          {examples.map((ex) => (
            <li key={ex.name}>
              <button type="button" className="example" onClick={() => onOpen(ex.graph)} data-testid={`example-${ex.name}`}>
                {ex.thumb ? <img className="example-thumb" src={ex.thumb} alt="" width={TW} height={TH} /> : <Shape graph={ex.graph} />}
                <span className="example-text">
                  <b>{ex.title}</b>
                  <span className="muted small">
                    {ex.description ?? ''} <span className="nodes-count">({ex.graph.nodes.length} nodes)</span>
                  </span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">No examples yet (examples/*.json).</p>
      )}
    </div>
  );
}
