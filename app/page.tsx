// The start page: the editor, with the examples gallery read from examples/*.json at request
// time (the server has no examples endpoint; reading the folder here keeps the gallery in step
// with the files without one).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphSchema } from '../protocol';
import type { Example } from './studio/Gallery';
import { Studio } from './studio/Studio';

export const dynamic = 'force-dynamic';

function loadExamples(): Example[] {
  const dir = join(process.cwd(), 'examples');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: Example[] = [];
  for (const name of names) {
    try {
      const raw = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
      // a bare graph, or {title?, description?, graph}
      const g = GraphSchema.safeParse('graph' in raw ? raw.graph : raw);
      if (!g.success) continue;
      const base = name.replace(/\.json$/, '');
      out.push({
        name: base,
        title: typeof raw.title === 'string' ? raw.title : base.replace(/-/g, ' '),
        ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
        graph: g.data,
      });
    } catch {
      /* a broken example is left out of the gallery, not allowed to break the page */
    }
  }
  return out;
}

export default function Page() {
  return <Studio examples={loadExamples()} />;
}
