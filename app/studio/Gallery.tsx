'use client';
// The start page's examples: the graphs in examples/*.json (read by app/page.tsx on the server),
// shown on the empty canvas; a click opens one.
import type { Graph } from '../../protocol';

export interface Example {
  name: string;
  title: string;
  description?: string;
  graph: Graph;
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
                <b>{ex.title}</b>
                <span className="muted small">
                  {ex.graph.nodes.length} nodes{ex.description ? ` · ${ex.description}` : ''}
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
