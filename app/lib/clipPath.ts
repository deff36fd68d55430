// The decoder's CLIP path as the card plots it: at each step, the cosine of each image's
// predicted-x0 CLIP embedding (node:step `embeddings`) to the embedding it was asked to draw, and
// to the prompt's text embedding when one reaches the decoder through the graph. Pure: the card
// passes the graph's links and the run's outputs in.
import type { WireValue } from '../../protocol';
import { upstream } from './graphModel';

export interface Link {
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}
type Embedding = Extract<WireValue, { kind: 'embedding' }>;
type Outputs = Record<string, Record<string, WireValue> | undefined>;

export function cosine(a: readonly number[], b: readonly number[]): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * (b[i] ?? 0);
    na += a[i]! ** 2;
    nb += (b[i] ?? 0) ** 2;
  }
  return d / (Math.sqrt(na * nb) || 1);
}

/** The embedding on the node's `port` input, as its source node output it in this run. */
export function inputEmbedding(links: readonly Link[], outputs: Outputs, nodeId: string, port: string): Embedding | undefined {
  const l = links.find((e) => e.target === nodeId && e.targetHandle === port);
  const v = l ? outputs[l.source]?.[l.sourceHandle ?? ''] : undefined;
  return v?.kind === 'embedding' ? v : undefined;
}

/** The nearest text embedding upstream of `nodeId`: the prompt's, that led through the prior or an edit to what the decoder drew. */
export function upstreamText(links: readonly Link[], outputs: Outputs, nodeId: string): Embedding | undefined {
  for (const l of upstream(links, nodeId)) {
    const v = outputs[l.source]?.[l.sourceHandle ?? ''];
    if (v?.kind === 'embedding' && v.space === 'clip-text') return v;
  }
  return undefined;
}

export interface CosineLine {
  /** 'target': to the conditioning embedding; 'text': to the prompt. */
  to: 'target' | 'text';
  /** the image row (0-based) */
  row: number;
  points: { step: number; cos: number }[];
}

/**
 * One line per image row and reference. Rows are embedding-major (the decoder draws `perEmbedding`
 * images, its `count`, per embedding), so image row r was asked for embedding row ⌊r / perEmbedding⌋;
 * the text row is the same index when the text has as many rows, else its only row. With no text,
 * or a text that is the conditioning itself (the no-prior ablation), only the target lines.
 */
export function cosineLines(path: readonly { step: number; embeddings: number[][] }[], target: Embedding | undefined, text: Embedding | undefined, perEmbedding = 1): CosineLine[] {
  const rows = Math.max(0, ...path.map((p) => p.embeddings.length));
  if (!target || rows === 0) return [];
  const per = Math.max(1, perEmbedding);
  const refs: ['target' | 'text', (r: number) => number[] | undefined][] = [['target', (r) => target.vectors[Math.floor(r / per)]]];
  if (text && text !== target && text.space !== target.space) {
    refs.push(['text', (r) => text.vectors[text.vectors.length === target.vectors.length ? Math.floor(r / per) : 0]]);
  }
  const out: CosineLine[] = [];
  for (const [to, ref] of refs) {
    for (let row = 0; row < rows; row++) {
      const v = ref(row);
      if (!v) continue;
      out.push({ to, row, points: path.filter((p) => p.embeddings[row]).map((p) => ({ step: p.step, cos: cosine(p.embeddings[row]!, v) })) });
    }
  }
  return out;
}
