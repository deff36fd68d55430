// Small figure helpers for training CLIs: a line chart and an image grid with captions, drawn as
// SVG and rasterised by sharp (no plotting library needed).
import sharp from 'sharp';

export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

/** Write a line chart PNG. */
export async function lineChartPng(path: string, series: Series[], opts: { title?: string; xLabel?: string; yLabel?: string; width?: number; height?: number } = {}): Promise<void> {
  const W = opts.width ?? 720;
  const H = opts.height ?? 400;
  const m = { l: 60, r: 20, t: 36, b: 44 };
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs, 0);
  const x1 = Math.max(...xs, 1);
  const y0 = Math.min(...ys, 0);
  const y1 = Math.max(...ys, 1e-6);
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="12">`;
  svg += `<rect width="100%" height="100%" fill="white"/>`;
  for (const t of niceTicks(y0, y1)) svg += `<line x1="${m.l}" x2="${W - m.r}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/><text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`;
  for (const t of niceTicks(x0, x1)) svg += `<text x="${sx(t)}" y="${H - m.b + 16}" text-anchor="middle">${t}</text>`;
  svg += `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/><line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/>`;
  series.forEach((s, i) => {
    const c = s.color ?? colors[i % colors.length]!;
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    svg += `<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts}"/>`;
    svg += `<text x="${W - m.r - 4}" y="${m.t + 14 + i * 16}" text-anchor="end" fill="${c}">${esc(s.name)}</text>`;
  });
  if (opts.title) svg += `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(opts.title)}</text>`;
  if (opts.xLabel) svg += `<text x="${(W + m.l) / 2}" y="${H - 8}" text-anchor="middle">${esc(opts.xLabel)}</text>`;
  if (opts.yLabel) svg += `<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">${esc(opts.yLabel)}</text>`;
  svg += `</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(path);
}

export interface GridRow {
  label: string;
  /** RGB uint8 images, each size x size. */
  images: Uint8Array[];
  /** Optional per-image outline colour (e.g. green for a correct hit). */
  outline?: (string | undefined)[];
}

/** Write a grid PNG: one row per entry, a text label on the left, images scaled up by `scale`. */
export async function imageGridPng(path: string, rows: GridRow[], size: number, opts: { scale?: number; labelWidth?: number; title?: string } = {}): Promise<void> {
  const scale = opts.scale ?? 3;
  const cell = size * scale;
  const pad = 6;
  const labelW = opts.labelWidth ?? 220;
  const top = opts.title ? 28 : 4;
  const cols = Math.max(...rows.map((r) => r.images.length), 1);
  const W = labelW + cols * (cell + pad) + pad;
  const H = top + rows.length * (cell + pad) + pad;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="13">`;
  if (opts.title) svg += `<text x="8" y="19" font-size="14">${esc(opts.title)}</text>`;
  rows.forEach((r, i) => {
    const y = top + pad + i * (cell + pad);
    svg += `<text x="8" y="${y + cell / 2 + 4}">${esc(r.label)}</text>`;
    r.outline?.forEach((c, j) => {
      if (c) svg += `<rect x="${labelW + pad + j * (cell + pad) - 3}" y="${y - 3}" width="${cell + 6}" height="${cell + 6}" fill="${c}"/>`;
    });
  });
  svg += `</svg>`;
  const composites: sharp.OverlayOptions[] = [{ input: Buffer.from(svg), top: 0, left: 0 }];
  for (const [i, r] of rows.entries()) {
    for (const [j, img] of r.images.entries()) {
      const buf = await sharp(Buffer.from(img), { raw: { width: size, height: size, channels: 3 } })
        .resize(cell, cell, { kernel: 'nearest' })
        .png()
        .toBuffer();
      composites.push({ input: buf, top: top + pad + i * (cell + pad), left: labelW + pad + j * (cell + pad) });
    }
  }
  await sharp({ create: { width: W, height: H, channels: 3, background: '#ffffff' } }).composite(composites).png().toFile(path);
}

/**
 * Any image sharp reads (PNG, JPEG, WebP, ...) as [size, size, 3] RGB bytes: transparency flattened
 * onto white, fitted inside the square on white (the corpus icons' look). The studio's uploads and
 * `npm run generate -- --init` read images through here.
 */
export async function rgbFromImage(buf: Buffer, size: number, maxPixels: number | false = false): Promise<Uint8Array> {
  const data = await sharp(buf, { limitInputPixels: maxPixels })
    .flatten({ background: '#ffffff' })
    .resize(size, size, { fit: 'contain', background: '#ffffff', kernel: 'mitchell' })
    .removeAlpha()
    .raw()
    .toBuffer();
  return new Uint8Array(data);
}
