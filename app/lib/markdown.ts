// A small markdown reader for note nodes. A shared graph's notes are written by strangers, so
// this never produces HTML: it parses to a tree that markdownView.ts turns into React elements
// (React escapes every string), raw HTML stays literal text, and a link becomes a link only
// when its URL is http(s) — `javascript:`, `data:` and relative URLs are shown as plain text.
//
// Blocks: ATX headings (# … ######), paragraphs, bullet lists (- * +), numbered lists (1.),
// fenced code (```), blank lines. Inline: `code`, **strong**, *em* / _em_, [text](url).

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

/** The URL as a safe link target, or null (only absolute http and https URLs are links). */
export function safeHref(url: string): string | null {
  try {
    const u = new URL(url.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

export function parseMarkdown(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) blocks.push({ kind: 'paragraph', children: parseInline(para.join(' ')) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*```/.test(line)) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]!); i++) code.push(lines[i]!);
      blocks.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      flush();
      blocks.push({ kind: 'heading', level: h[1]!.length as 1 | 2 | 3 | 4 | 5 | 6, children: parseInline(h[2]!) });
      continue;
    }
    const item = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
    if (item) {
      flush();
      const ordered = /\d/.test(item[1]!);
      const prev = blocks[blocks.length - 1];
      const text = parseInline(item[2]!);
      if (prev?.kind === 'list' && prev.ordered === ordered && lines[i - 1]?.trim() !== '') prev.items.push(text);
      else blocks.push({ kind: 'list', ordered, items: [text] });
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

export function parseInline(src: string): Inline[] {
  const out: Inline[] = [];
  let text = '';
  const push = (node: Inline) => {
    if (text) out.push({ kind: 'text', text });
    text = '';
    out.push(node);
  };
  let i = 0;
  while (i < src.length) {
    const rest = src.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^`([^`]+)`/.exec(rest))) {
      push({ kind: 'code', text: m[1]! });
      i += m[0].length;
    } else if ((m = /^\*\*(.+?)\*\*/.exec(rest)) || (m = /^__(.+?)__/.exec(rest))) {
      push({ kind: 'strong', children: parseInline(m[1]!) });
      i += m[0].length;
    } else if ((m = /^\*(?!\s)(.+?)\*/.exec(rest)) || (m = /^_(?!\s)(.+?)_(?![A-Za-z0-9])/.exec(rest))) {
      push({ kind: 'em', children: parseInline(m[1]!) });
      i += m[0].length;
    } else if ((m = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(rest))) {
      const href = safeHref(m[2]!);
      if (href) push({ kind: 'link', href, children: parseInline(m[1]!) });
      else text += m[1]; // not a safe URL: keep the words, drop the target
      i += m[0].length;
    } else {
      text += src[i];
      i++;
    }
  }
  if (text) out.push({ kind: 'text', text });
  return out;
}
