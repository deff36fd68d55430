// Cards grow when a run fills them (frames, plots, maps) and would cover the cards below them.
// `pushApart` moves cards straight down (their column kept) until no two cards' boxes meet:
// cards are taken top to bottom, and each goes below every card above it whose box it would
// overlap. Nothing moves up or sideways, so a layout the user made keeps its order.
import type { StudioNode } from './graphModel';

/** Room left between a card and the one pushed below it (px, flow units). */
export const PUSH_GAP = 24;

interface Box {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const meets = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** The nodes with overlapping cards moved down (unchanged objects where nothing moved); cards not yet measured are left alone. */
export function pushApart(nodes: StudioNode[], gap = PUSH_GAP): StudioNode[] {
  const boxes: Box[] = nodes
    .filter((n) => n.measured?.width && n.measured?.height)
    .map((n) => ({ id: n.id, x: n.position.x, y: n.position.y, w: n.measured!.width!, h: n.measured!.height! }))
    .sort((a, b) => a.y - b.y || a.x - b.x);
  const placed: Box[] = [];
  const moved = new Map<string, number>();
  for (const b of boxes) {
    // a move can make it meet another card further down: go again until it meets none
    for (let hit = placed.find((p) => meets(p, b)); hit; hit = placed.find((p) => meets(p, b))) b.y = hit.y + hit.h + gap;
    if (b.y !== nodes.find((n) => n.id === b.id)!.position.y) moved.set(b.id, b.y);
    placed.push(b);
  }
  if (!moved.size) return nodes;
  return nodes.map((n) => (moved.has(n.id) ? { ...n, position: { x: n.position.x, y: moved.get(n.id)! } } : n));
}

