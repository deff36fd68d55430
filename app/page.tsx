// The start page: the editor, with the examples gallery read from examples/*.json at request
// time (the server has no examples endpoint; reading the folder here keeps the gallery in step
// with the files without one: a new file in examples/ shows on the next page load).
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
      // the title: the file's own, else the heading its first note opens with, else the file name
      const note = g.data.nodes.find((n) => n.type === 'note');
      const heading = typeof note?.params.markdown === 'string' ? /^#+\s+(.+)$/m.exec(note.params.markdown)?.[1]?.trim() : undefined;
      out.push({
        name: base,
        title: typeof raw.title === 'string' ? raw.title : (heading ?? base.replace(/-/g, ' ')),
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
