// A mask as bits (1 = the decoder redraws that pixel), row-major S×S: what the studio's painter
// edits (brush, erase, line between pointer samples, invert) and what outlines a mask on the
// filmstrip. Pure, so it is tested without a browser; MaskPainter.tsx turns bits to and from PNG.

export interface Bits {
  size: number;
  data: Uint8Array;
}

export const emptyBits = (size: number): Bits => ({ size, data: new Uint8Array(size * size) });

/** A round brush of `diameter` pixels centred at (x, y) in pixel units (0..size): pixels whose centre it covers get `value`. */
export function stamp(b: Bits, x: number, y: number, diameter: number, value: 0 | 1): void {
  const r = Math.max(0.5, diameter / 2);
  const S = b.size;
  for (let i = Math.max(0, Math.floor(y - r)); i <= Math.min(S - 1, Math.floor(y + r)); i++) {
    for (let j = Math.max(0, Math.floor(x - r)); j <= Math.min(S - 1, Math.floor(x + r)); j++) {
      const dx = j + 0.5 - x;
      const dy = i + 0.5 - y;
      if (dx * dx + dy * dy <= r * r) b.data[i * S + j] = value;
    }
  }
}

/** The brush dragged from (x0, y0) to (x1, y1): stamps every half pixel, so a fast stroke leaves no gaps. */
export function strokeLine(b: Bits, x0: number, y0: number, x1: number, y1: number, diameter: number, value: 0 | 1): void {
  const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) * 2));
  for (let k = 0; k <= n; k++) stamp(b, x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n, diameter, value);
}

export const invertBits = (b: Bits): Bits => ({ size: b.size, data: b.data.map((v) => 1 - v) });

/** Bits from RGBA pixels (a canvas's ImageData): light and opaque = 1, the node's own rule. */
export function bitsFromRgba(rgba: Uint8ClampedArray | Uint8Array, size: number): Bits {
  const data = new Uint8Array(size * size);
  for (let k = 0; k < size * size; k++) {
    const a = rgba[k * 4 + 3]! / 255;
    const grey = (0.299 * rgba[k * 4]! + 0.587 * rgba[k * 4 + 1]! + 0.114 * rgba[k * 4 + 2]!) * a; // on black
    data[k] = grey >= 128 ? 1 : 0;
  }
  return { size, data };
}

/** Opaque RGBA: white where 1, black where 0 (what the painter saves as PNG). */
export function rgbaFromBits(b: Bits): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(b.size * b.size * 4);
  for (let k = 0; k < b.size * b.size; k++) out.set(b.data[k] ? [255, 255, 255, 255] : [0, 0, 0, 255], k * 4);
  return out;
}

/**
 * The boundary of the 1-region as an SVG path in pixel units (viewBox 0 0 size size): one unit
 * segment per pixel edge between a 1 and a 0 (or the border), merged along rows and columns.
 */
export function outlinePath(b: Bits): string {
  const S = b.size;
  const on = (i: number, j: number) => i >= 0 && j >= 0 && i < S && j < S && b.data[i * S + j] === 1;
  const parts: string[] = [];
  // horizontal edges: between row i-1 and row i, at y = i
  for (let i = 0; i <= S; i++) {
    let start = -1;
    for (let j = 0; j <= S; j++) {
      const edge = j < S && on(i - 1, j) !== on(i, j);
      if (edge && start < 0) start = j;
      if (!edge && start >= 0) {
        parts.push(`M${start} ${i}H${j}`);
        start = -1;
      }
    }
  }
  // vertical edges: between column j-1 and column j, at x = j
  for (let j = 0; j <= S; j++) {
    let start = -1;
    for (let i = 0; i <= S; i++) {
      const edge = i < S && on(i, j - 1) !== on(i, j);
      if (edge && start < 0) start = i;
      if (!edge && start >= 0) {
        parts.push(`M${j} ${start}V${i}`);
        start = -1;
      }
    }
  }
  return parts.join('');
}
