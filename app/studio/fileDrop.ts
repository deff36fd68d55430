// A file dropped on the canvas (or picked with Import): graph JSON, or a PNG the studio made,
// which carries its graph in a tEXt chunk.
import type { Graph } from '../../protocol';
import { parseGraphText } from '../lib/graphModel';
import { extractGraphText, isPng } from '../lib/png';

export async function graphFromFile(file: File): Promise<Graph> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (isPng(bytes)) {
    const text = extractGraphText(bytes);
    if (!text) throw new Error(`${file.name} is a PNG without a studio graph in it`);
    return parseGraphText(text);
  }
  return parseGraphText(new TextDecoder().decode(bytes));
}
