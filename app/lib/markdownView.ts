// Markdown → React elements (no JSX here so the unit test can render it with plain Node). Only
// the elements below are ever created; every string goes through React's escaping.
import { createElement, type ReactNode } from 'react';
import { parseMarkdown, type Block, type Inline } from './markdown';

function inline(nodes: Inline[]): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.kind) {
      case 'text':
        return n.text;
      case 'code':
        return createElement('code', { key: i }, n.text);
      case 'strong':
        return createElement('strong', { key: i }, ...inline(n.children));
      case 'em':
        return createElement('em', { key: i }, ...inline(n.children));
      case 'link':
        return createElement('a', { key: i, href: n.href, target: '_blank', rel: 'noopener noreferrer nofollow' }, ...inline(n.children));
    }
  });
}

function block(b: Block, i: number): ReactNode {
  switch (b.kind) {
    case 'heading':
      // headings inside a note sit below the page's own: h1 in a note renders as h3
      return createElement(`h${Math.min(6, b.level + 2)}`, { key: i }, ...inline(b.children));
    case 'paragraph':
      return createElement('p', { key: i }, ...inline(b.children));
    case 'list':
      return createElement(b.ordered ? 'ol' : 'ul', { key: i }, ...b.items.map((it, j) => createElement('li', { key: j }, ...inline(it))));
    case 'code':
      return createElement('pre', { key: i }, createElement('code', null, b.text));
  }
}

/**
 * The note as React elements; with `maxChars`, only its start (a canvas card shows a few lines in
 * a small scroll box, and a shared graph may hold dozens of huge notes: the page lays out only
 * what a card can show), followed by how much more the notebook view shows.
 */
export function renderMarkdown(src: string, maxChars = Infinity): ReactNode {
  if (src.length <= maxChars) return parseMarkdown(src).map(block);
  return [...parseMarkdown(src.slice(0, maxChars)).map(block), createElement('p', { key: 'more', className: 'muted' }, `… ${src.length - maxChars} more characters (the notebook view shows the whole note)`)];
}
