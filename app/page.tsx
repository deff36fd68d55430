// The start page: the editor, with the examples gallery read from examples/*.json at request
// time (the server has no examples endpoint; reading the folder here keeps the gallery in step
// with the files without one: a new file in examples/ shows on the next page load). The order
// and the one-line descriptions are examples/README.md's table (one list for readers of the
// repository and of the studio); a file it does not list comes after, by name. A thumbnail is
// examples/<name>.png where one is committed (made by test/make-thumbnails.ts from a real run).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GraphSchema } from '../protocol';
import type { Example } from './studio/Gallery';
import { Studio } from './studio/Studio';

export const dynamic = 'force-dynamic';

/** A thumbnail bigger than this is left out (the page carries it inline). */
const THUMB_MAX_BYTES = 20_000;

/** examples/README.md's table: `| \`name.json\` | what it shows |`, in its order. */
function readmeTable(dir: string): Map<string, string> {
  const rows = new Map<string, string>();
  try {
    for (const m of readFileSync(join(dir, 'README.md'), 'utf8').matchAll(/^\|\s*`([\w-]+)\.json`\s*\|\s*(.+?)\s*\|\s*$/gm)) rows.set(m[1]!, m[2]!);
  } catch {
    /* no README: no descriptions, files by name */
  }
  return rows;
}

function thumbOf(dir: string, base: string): string | undefined {
  const file = join(dir, `${base}.png`);
  try {
    if (statSync(file).size > THUMB_MAX_BYTES) return undefined;
    return `data:image/png;base64,${readFileSync(file).toString('base64')}`;
  } catch {
    return undefined;
  }
}

function loadExamples(): Example[] {
  const dir = join(process.cwd(), 'examples');
  const table = readmeTable(dir);
  const rank = (n: string) => {
    const i = [...table.keys()].indexOf(n.replace(/\.json$/, ''));
    return i < 0 ? table.size : i;
  };
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
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
      const thumb = thumbOf(dir, base);
      // the title: the file's own, else the heading its first note opens with, else the file name
      const note = g.data.nodes.find((n) => n.type === 'note');
      const heading = typeof note?.params.markdown === 'string' ? /^#+\s+(.+)$/m.exec(note.params.markdown)?.[1]?.trim() : undefined;
      out.push({
        name: base,
        title: typeof raw.title === 'string' ? raw.title : (heading ?? base.replace(/-/g, ' ')),
        ...(typeof raw.description === 'string' ? { description: raw.description } : table.has(base) ? { description: table.get(base)!.replace(/`/g, '') } : {}),
        ...(thumb ? { thumb } : {}),
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
