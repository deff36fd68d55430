'use client';
// The node search that opens where the canvas was double-clicked (or a link dropped on it):
// type to filter the catalogue (title, type, category; for a dropped link only the types with a
// port it fits: lib/nodeSearch.ts), arrows to move, Enter or a click to add, Esc to close.
import { useEffect, useId, useRef, useState } from 'react';
import { describePortType, type Catalogue } from '../../protocol';
import { searchNodes, type LinkEnd, type SearchHit } from '../lib/nodeSearch';

export interface SearchAt {
  /** Where it opens, in px from the canvas's top left. */
  x: number;
  y: number;
  /** Where the node goes, in flow coordinates. */
  flow: { x: number; y: number };
  /** The end of the link dropped on the canvas, if that opened it. */
  from?: LinkEnd | null;
}

export function NodeSearch({ at, catalogue, onPick, onClose }: { at: SearchAt; catalogue: Catalogue | null; onPick(hit: SearchHit): void; onClose(): void }) {
  const id = useId();
  const [q, setQ] = useState('');
  const [active, setActive] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const hits = searchNodes(catalogue, q, at.from);
  const current = Math.min(active, hits.length - 1);
  // (a block body: Chromium's scrollIntoView now returns a promise, which React would take for a cleanup)
  useEffect(() => {
    box.current?.querySelector<HTMLElement>('[aria-selected=true]')?.scrollIntoView({ block: 'nearest' });
  }, [current]);
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (hits.length) setActive((current + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (hits[current]) onPick(hits[current]);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      onClose();
    }
  };
  return (
    <div
      ref={box}
      className="node-search panel"
      role="dialog"
      aria-label="add a node"
      data-testid="node-search"
      style={{ left: at.x, top: at.y }}
      onBlur={(e) => !box.current?.contains(e.relatedTarget as Node | null) && onClose()}
    >
      <input
        autoFocus
        type="search"
        role="combobox"
        aria-expanded
        aria-controls={`${id}-list`}
        aria-activedescendant={hits[current] ? `${id}-${hits[current].decl.type}` : undefined}
        aria-label={at.from ? `add a node that fits ${describePortType(at.from.type)}` : 'add a node'}
        placeholder={at.from ? `Nodes that ${at.from.side === 'out' ? 'take' : 'give'} ${describePortType(at.from.type)}…` : 'Add a node…'}
        value={q}
        onChange={(e) => (setQ(e.target.value), setActive(0))}
        onKeyDown={onKey}
      />
      <ul role="listbox" id={`${id}-list`}>
        {hits.map((h, i) => (
          <li
            key={h.decl.type}
            id={`${id}-${h.decl.type}`}
            role="option"
            aria-selected={i === current}
            data-testid={`search-${h.decl.type}`}
            title={h.decl.description}
            onMouseDown={(e) => e.preventDefault()}
            onMouseEnter={() => setActive(i)}
            onClick={() => onPick(h)}
          >
            {h.decl.title} <span className="muted small">{h.port ? `${h.decl.category} · ${h.port}` : h.decl.category}</span>
          </li>
        ))}
      </ul>
      {!hits.length ? <p className="muted small">{at.from ? 'no node type takes this link' : `no node matches “${q}”`}</p> : null}
    </div>
  );
}
