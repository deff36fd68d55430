// A sweep's grid as one PNG (the sweep card's download): each cell's image drawn by whole pixels
// at CELL px (a variant with several images tiles them, k × k, in its cell), the column values along the top and the row values down the left, and the graph in a
// tEXt chunk like every PNG the studio makes (lib/png.ts), so dropping it on a canvas reopens the sweep.
import type { Graph } from '../../protocol';
import { embedGraph } from '../lib/png';
import { saveBlob } from './download';

const CELL = 96;
const GAP = 4;
const LABEL_H = 18;
const LABEL_W = 72;

export interface GridPicture {
  cols: string[];
  rows: string[];
  /** image URLs per variant (row-major), empty where a variant has none yet */
  cells: string[][];
  /** "decoder.seed" across, "decoder.guidance" down */
  colTitle: string;
  rowTitle: string;
}

async function load(url: string): Promise<HTMLImageElement> {
  const im = new Image();
  im.src = url;
  await im.decode();
  return im;
}

export async function downloadGridPng(g: GridPicture, graph: Graph, filename: string): Promise<void> {
  const left = g.rows.length > 1 || g.rows[0] ? LABEL_W : 0;
  const canvas = document.createElement('canvas');
  canvas.width = left + g.cols.length * (CELL + GAP) + GAP;
  canvas.height = 2 * LABEL_H + g.rows.length * (CELL + GAP) + GAP;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#222';
  ctx.font = '12px sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillText(g.rowTitle ? `${g.colTitle} → · ${g.rowTitle} ↓` : `${g.colTitle} →`, GAP, LABEL_H / 2, canvas.width - 2 * GAP);
  ctx.imageSmoothingEnabled = false;
  const top = 2 * LABEL_H;
  g.cols.forEach((c, i) => ctx.fillText(c, left + GAP + i * (CELL + GAP), LABEL_H * 1.5, CELL));
  g.rows.forEach((r, j) => ctx.fillText(r, GAP, top + GAP + j * (CELL + GAP) + CELL / 2, LABEL_W - 2 * GAP));
  const images = await Promise.all(g.cells.map((urls) => Promise.all(urls.map((u) => load(u).catch(() => null)))));
  images.forEach((ims, k) => {
    const x = left + GAP + (k % g.cols.length) * (CELL + GAP);
    const y = top + GAP + Math.floor(k / g.cols.length) * (CELL + GAP);
    const across = Math.ceil(Math.sqrt(ims.length));
    const size = Math.floor(CELL / Math.max(1, across));
    ims.forEach((im, n) => im && ctx.drawImage(im, x + (n % across) * size, y + Math.floor(n / across) * size, size, size));
  });
  const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the grid could not be drawn'))), 'image/png'));
  const png = embedGraph(new Uint8Array(await blob.arrayBuffer()), graph);
  saveBlob(new Blob([png as BlobPart], { type: 'image/png' }), filename);
}
