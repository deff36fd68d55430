// A file dropped on the canvas (or picked with Import): graph JSON, a PNG the studio made (its
// graph in a tEXt chunk), or a filmstrip's animated WebP (its graph in the XMP metadata).
import type { Graph } from '../../protocol';
import { parseGraphText } from '../lib/graphModel';
import { extractGraphText, isPng } from '../lib/png';
import { extractWebpGraphText, isWebp } from '../lib/webp';

export async function graphFromFile(file: File): Promise<Graph> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const image = isPng(bytes) ? { kind: 'PNG', text: extractGraphText(bytes) } : isWebp(bytes) ? { kind: 'WebP', text: extractWebpGraphText(bytes) } : null;
  if (image) {
    if (!image.text) throw new Error(`${file.name} is a ${image.kind} without a studio graph in it`);
    return parseGraphText(image.text);
  }
  return parseGraphText(new TextDecoder().decode(bytes));
}
