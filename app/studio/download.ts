// Downloads made in the browser: graph JSON, and PNGs that carry their graph in a tEXt chunk.
import type { Graph } from '../../protocol';
import { embedGraph, isPng } from '../lib/png';
import type { Notice } from './store';

/**
 * Start a download from a button and say in the notice line why it failed: a click that does
 * nothing would tell the user nothing (a picture's blob URL can be gone by the time it is fetched).
 */
export function startDownload(what: string, job: () => Promise<void>, setNotice: (n: Notice) => void): void {
  job().catch((e: unknown) => setNotice({ text: `Could not download ${what}: ${e instanceof Error ? e.message : String(e)}`, bad: true }));
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // give the download a moment to start before the URL goes away
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadJson(graph: Graph, filename = 'graph.json'): void {
  saveBlob(new Blob([JSON.stringify(graph, null, 2)], { type: 'application/json' }), filename);
}

/** Fetch an image (blob: or data: URL), put the graph in it when it is a PNG, and download it. */
export async function downloadPng(src: string, graph: Graph, filename: string): Promise<void> {
  const res = await fetch(src);
  if (!res.ok) throw new Error(`the picture could not be read (${res.status} ${res.statusText})`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const out = isPng(bytes) ? embedGraph(bytes, graph) : bytes;
  saveBlob(new Blob([out as BlobPart], { type: 'image/png' }), filename);
}
