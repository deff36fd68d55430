// A small markdown reader for note nodes. A shared graph's notes are written by strangers, so
// this never produces HTML: it parses to a tree that markdownView.ts turns into React elements
// (React escapes every string), raw HTML stays literal text, and a link becomes a link only
// when its URL is http(s) — `javascript:`, `data:` and relative URLs are shown as plain text.
//
// Blocks: ATX headings (# … ######), paragraphs, bullet lists (- * +), numbered lists (1.),
// fenced code (```), blank lines. Inline: `code`, **strong**, *em* / _em_, [text](url).
//
// A note can be anything a stranger saved, so the work is linear in its length: one scan left
// to right, and each closing delimiter is found by a forward-only search per delimiter kind
// (`Finder`), never by a regex that backtracks over the rest of the text. `ParseStats.steps`
// counts the characters looked at, so a test can check that bound without timing anything.

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'strong'; children: Inline[] }
  | { kind: 'em'; children: Inline[] }
  | { kind: 'link'; href: string; children: Inline[] };

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { kind: 'paragraph'; children: Inline[] }
  | { kind: 'list'; ordered: boolean; items: Inline[][] }
  | { kind: 'code'; text: string };

/** Characters the parser looked at (each scan and each delimiter search counts its own). */
export interface ParseStats {
  steps: number;
}

/** The URL as a safe link target, or null (only absolute http and https URLs are links). */
export function safeHref(url: string): string | null {
  try {
    const u = new URL(url.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** Whether c is whitespace as a regex's \s means it (ASCII answered without a regex). */
function isSpace(c: string | undefined): boolean {
  if (c === undefined) return false;
  const k = c.charCodeAt(0);
  if (k < 128) return k === 32 || (k >= 9 && k <= 13);
  return /\s/.test(c);
}
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string | undefined): boolean => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));

export function parseMarkdown(src: string, stats: ParseStats = { steps: 0 }): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) blocks.push({ kind: 'paragraph', children: parseInline(para.join(' '), stats) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    stats.steps += line.length + 1;
    if (isFence(line)) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !isFence(lines[i]!); i++) {
        stats.steps += lines[i]!.length + 1;
        code.push(lines[i]!);
      }
      blocks.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    const h = heading(line);
    if (h) {
      flush();
      blocks.push({ kind: 'heading', level: h.level, children: parseInline(h.text, stats) });
      continue;
    }
    const item = listItem(line);
    if (item) {
      flush();
      const prev = blocks[blocks.length - 1];
      const text = parseInline(item.text, stats);
      if (prev?.kind === 'list' && prev.ordered === item.ordered && lines[i - 1]?.trim() !== '') prev.items.push(text);
      else blocks.push({ kind: 'list', ordered: item.ordered, items: [text] });
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    para.push(line.trim());
  }
  flush();
  return blocks;
}

/** Optional indent, then ``` . */
function isFence(line: string): boolean {
  let p = 0;
  while (isSpace(line[p])) p++;
  return line.startsWith('```', p);
}

/** `#`… `######`, whitespace, the text, and optional closing #s: the text without them. */
function heading(line: string): { level: 1 | 2 | 3 | 4 | 5 | 6; text: string } | null {
  let k = 0;
  while (line[k] === '#') k++;
  if (k < 1 || k > 6 || !isSpace(line[k])) return null;
  let text = line.slice(k).trim();
  let end = text.length;
  while (end > 0 && text[end - 1] === '#') end--;
  text = text.slice(0, end).trimEnd();
  return { level: k as 1 | 2 | 3 | 4 | 5 | 6, text };
}

/** Optional indent, a bullet (- * +) or a number of 1-9 digits with . or ), whitespace, the text. */
function listItem(line: string): { ordered: boolean; text: string } | null {
  let p = 0;
  while (isSpace(line[p])) p++;
  let ordered = false;
  if (line[p] === '-' || line[p] === '*' || line[p] === '+') p++;
  else {
    const d = p;
    while (isDigit(line[p])) p++;
    if (p === d || p - d > 9 || (line[p] !== '.' && line[p] !== ')')) return null;
    ordered = true;
    p++;
  }
  if (!isSpace(line[p])) return null;
  while (isSpace(line[p])) p++;
  return { ordered, text: line.slice(p) };
}

/**
 * The first position ≥ p where `at` holds, in one string. Searches only move forward: it
 * remembers that [lo, hi) holds no match and hi does (or is the end), so asking again from
 * inside that span costs nothing, and each character is looked at about once per kind.
 */
class Finder {
  private lo = 0;
  private hi = -1;
  constructor(
    private readonly s: string,
    private readonly at: (q: number) => boolean,
    private readonly stats: ParseStats,
  ) {}

  next(p: number): number {
    if (p >= this.lo && p <= this.hi) return this.hi;
    // behind the known span: scan up to it, and the answer is its end if nothing comes first
    const stop = p < this.lo && this.hi >= 0 ? this.lo : this.s.length;
    let q = p;
    while (q < stop && !this.at(q)) q++;
    this.stats.steps += q - p + 1;
    this.lo = p;
    if (q >= stop) q = stop === this.s.length ? this.s.length : this.hi;
    this.hi = q;
    return q;
  }
}

export function parseInline(s: string, stats: ParseStats = { steps: 0 }): Inline[] {
  const find = {
    tick: new Finder(s, (q) => s[q] === '`', stats),
    star: new Finder(s, (q) => s[q] === '*', stats),
    star2: new Finder(s, (q) => s[q] === '*' && s[q + 1] === '*', stats),
    under2: new Finder(s, (q) => s[q] === '_' && s[q + 1] === '_', stats),
    // a closing _ is not followed by a letter or digit (snake_case stays text)
    underEnd: new Finder(s, (q) => s[q] === '_' && !isAlnum(s[q + 1]), stats),
    bracket: new Finder(s, (q) => s[q] === ']', stats),
    urlEnd: new Finder(s, (q) => s[q] === ')' || isSpace(s[q]), stats),
  };

  /**
   * Parses s[start, end). An inner span never holds a second opener of its own kind (its content
   * stops at the first closer), so nesting is at most a few levels deep and the total stays linear.
   */
  function span(start: number, end: number): Inline[] {
    const out: Inline[] = [];
    let text = '';
    const push = (node: Inline) => {
      if (text) out.push({ kind: 'text', text });
      text = '';
      out.push(node);
    };
    let i = start;
    while (i < end) {
      stats.steps++;
      const c = s[i];
      let q: number;
      if (c === '`' && (q = find.tick.next(i + 1)) < end && q > i + 1) {
        push({ kind: 'code', text: s.slice(i + 1, q) });
        i = q + 1;
      } else if ((c === '*' || c === '_') && s[i + 1] === c && i + 1 < end && (q = (c === '*' ? find.star2 : find.under2).next(i + 3)) + 1 < end) {
        push({ kind: 'strong', children: span(i + 2, q) });
        i = q + 2;
      } else if ((c === '*' || c === '_') && i + 1 < end && !isSpace(s[i + 1]) && (q = emEnd(c, i + 2, end)) < end) {
        push({ kind: 'em', children: span(i + 1, q) });
        i = q + 1;
      } else if (c === '[' && (q = linkEnd(i, end)) > 0) {
        // [text](url): q is past the ")"; the text ends at the first "]" and the URL starts after "]("
        const b = find.bracket.next(i + 1);
        const href = safeHref(s.slice(b + 2, q - 1));
        if (href) push({ kind: 'link', href, children: span(i + 1, b) });
        else text += s.slice(i + 1, b); // not a safe URL: keep the words, drop the target
        i = q;
      } else {
        text += c;
        i++;
      }
    }
    if (text) out.push({ kind: 'text', text });
    return out;
  }

  /** Where [text](url) starting at i ends (past its ")"), or 0 if none does within [i, end). */
  function linkEnd(i: number, end: number): number {
    const b = find.bracket.next(i + 1);
    if (b >= end || b === i + 1 || s[b + 1] !== '(' || b + 1 >= end) return 0;
    const r = find.urlEnd.next(b + 2);
    if (r >= end || r === b + 2 || s[r] !== ')') return 0;
    return r + 1;
  }

  /** The closer of *em* or _em_ searched from p, within [.., end) (end if none). */
  function emEnd(c: string, p: number, end: number): number {
    if (c === '*') return find.star.next(p);
    // at the end of a span nothing follows the _, so it closes even before a letter outside
    const q = find.underEnd.next(p);
    return s[end - 1] === '_' && end - 1 >= p && end - 1 < q ? end - 1 : q;
  }

  return span(0, s.length);
}
