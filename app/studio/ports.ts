// One colour per kind of value, so a glance at two handles says whether they fit. Embeddings
// are coloured by space: the clip-text / clip-image mix-up is the one people make.
import type { PortType } from '../../protocol';

export function portColor(t: PortType): string {
  switch (t.kind) {
    case 'text':
      return 'var(--port-text)';
    case 'tokens':
      return 'var(--port-tokens)';
    case 'image':
      return 'var(--port-image)';
    case 'plot':
      return 'var(--port-plot)';
    case 'embedding':
      return t.space === 'clip-text' ? 'var(--port-emb-text)' : t.space === 'clip-image' ? 'var(--port-emb-image)' : 'var(--port-emb-any)';
  }
}
