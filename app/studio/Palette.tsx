'use client';
// The node palette, built from the server's catalogue (GET /api/nodes): search by name, click to
// add at the middle of the view, or drag onto the canvas.
import { useState } from 'react';
import type { Catalogue, NodeDecl } from '../../protocol';

export const DRAG_MIME = 'application/x-unclip-node';
const ORDER: NodeDecl['category'][] = ['input', 'clip', 'embedding', 'diffusion', 'view', 'doc', 'debug'];

export function Palette({ catalogue, error, onAdd }: { catalogue: Catalogue | null; error: string | null; onAdd: (type: string) => void }) {
  const [q, setQ] = useState('');
  const needle = q.trim().toLowerCase();
  const found = (catalogue?.nodes ?? []).filter((d) => !needle || `${d.title} ${d.type} ${d.description}`.toLowerCase().includes(needle));
  return (
    <nav className="palette panel" aria-label="node palette" data-testid="palette">
      <label className="search">
        <span className="sr-only">search nodes</span>
        <input type="search" placeholder="Search nodes…" value={q} onChange={(e) => setQ(e.target.value)} aria-label="search nodes" />
      </label>
      {error ? <p className="problem">catalogue unavailable: {error}</p> : null}
      {!catalogue && !error ? <p className="muted">loading nodes…</p> : null}
      {ORDER.map((cat) => {
        const items = found.filter((d) => d.category === cat);
        if (!items.length) return null;
        return (
          <section key={cat}>
            <h2>{cat}</h2>
            <ul>
              {items.map((d) => (
                <li key={d.type}>
                  <button
                    type="button"
                    className={`palette-item cat-${d.category}`}
                    draggable
                    data-testid={`palette-${d.type}`}
                    title={`${d.description}${d.models.length ? ` (needs ${d.models.join(', ')} weights)` : ''}`}
                    onClick={() => onAdd(d.type)}
                    onDragStart={(e) => {
                      e.dataTransfer.setData(DRAG_MIME, d.type);
                      e.dataTransfer.effectAllowed = 'copy';
                    }}
                  >
                    {d.title}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
      {catalogue?.planned.length ? <p className="muted small">coming with their models: {catalogue.planned.join(', ')}</p> : null}
      {catalogue && needle && !found.length ? <p className="muted">no node matches “{q}”</p> : null}
    </nav>
  );
}
