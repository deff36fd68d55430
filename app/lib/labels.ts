// Where a plot's point labels go: beside their dot, on whichever side (up-right, up-left,
// down-right, down-left) keeps the label inside the plot and clear of the labels already placed;
// a label with no such side is left out (the plot's hover readout still names the point), and one
// wider than half the plot is shortened with an ellipsis.
// Label widths are estimated from the character count, which is what an SVG without layout can do.

export interface LabelIn {
  x: number;
  y: number;
  text: string;
}
export interface LabelOut {
  /** index in the input */
  i: number;
  /** the text to draw: the label, shortened with … where it is wider than half the plot */
  text: string;
  x: number;
  y: number;
  anchor: 'start' | 'end';
}

interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
const clear = (a: Rect, b: Rect) => a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;

/** Place labels in order (earlier ones first: give the important ones first) inside `w` × `h`; `fontPx` sets the estimated size. */
export function placeLabels(points: LabelIn[], w: number, h: number, fontPx = 9): LabelOut[] {
  const taken: Rect[] = [];
  const out: LabelOut[] = [];
  const gap = 6;
  points.forEach((p, i) => {
    if (!p.text) return;
    const fit = Math.floor((w / 2 - gap) / (fontPx * 0.58));
    const text = p.text.length > fit ? `${p.text.slice(0, fit - 1)}…` : p.text;
    const tw = text.length * fontPx * 0.58;
    const sides = [
      { dx: gap, dy: -gap, anchor: 'start' as const },
      { dx: -gap, dy: -gap, anchor: 'end' as const },
      { dx: gap, dy: gap + fontPx, anchor: 'start' as const },
      { dx: -gap, dy: gap + fontPx, anchor: 'end' as const },
    ];
    for (const s of sides) {
      const x = p.x + s.dx;
      const y = p.y + s.dy; // the text's baseline
      const r = { x0: s.anchor === 'start' ? x : x - tw, x1: s.anchor === 'start' ? x + tw : x, y0: y - fontPx, y1: y + 2 };
      if (r.x0 < 1 || r.x1 > w - 1 || r.y0 < 1 || r.y1 > h - 1) continue;
      if (!taken.every((t) => clear(t, r))) continue;
      taken.push(r);
      out.push({ i, text, x, y, anchor: s.anchor });
      return;
    }
  });
  return out;
}
