import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement, Fragment } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { parseMarkdown, safeHref } from './markdown';
import { renderMarkdown } from './markdownView';

const html = (md: string) => renderToStaticMarkup(createElement(Fragment, null, renderMarkdown(md)));

test('headings, paragraphs, emphasis, code and lists', () => {
  assert.equal(html('# Title\n\nsome *em* and **strong** and `x<y`'), '<h3>Title</h3><p>some <em>em</em> and <strong>strong</strong> and <code>x&lt;y</code></p>');
  assert.equal(html('- a\n- b\n\n1. one\n2. two'), '<ul><li>a</li><li>b</li></ul><ol><li>one</li><li>two</li></ol>');
  assert.equal(html('```\n<b>raw</b>\n```'), '<pre><code>&lt;b&gt;raw&lt;/b&gt;</code></pre>');
  assert.equal(html('line one\nline two'), '<p>line one line two</p>');
});

test('links only for http and https', () => {
  assert.equal(html('[ok](https://example.com/a?b=1)'), '<p><a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer nofollow">ok</a></p>');
  for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>', '/relative', 'vbscript:x']) {
    const out = html(`[click](${bad})`);
    assert.doesNotMatch(out, /<a /, bad);
    assert.match(out, /click/);
  }
  assert.equal(safeHref('http://x.org'), 'http://x.org/');
  assert.equal(safeHref('javascript:alert(1)'), null);
});

test('raw HTML stays text', () => {
  const out = html('<script>alert(1)</script> <img src=x onerror=alert(1)>');
  assert.doesNotMatch(out, /<script|<img/);
  assert.match(out, /&lt;script&gt;/);
});

test('the tree has the expected shape', () => {
  assert.deepEqual(parseMarkdown('## A _b_'), [{ kind: 'heading', level: 2, children: [{ kind: 'text', text: 'A ' }, { kind: 'em', children: [{ kind: 'text', text: 'b' }] }] }]);
  assert.deepEqual(parseMarkdown(''), []);
  assert.deepEqual(parseMarkdown('snake_case_name'), [{ kind: 'paragraph', children: [{ kind: 'text', text: 'snake_case_name' }] }]);
});

// Share pages render notes written by strangers: the work must stay linear in the note's length.
// The parser counts the characters it looks at (ParseStats.steps); no clock is involved.
const pathological: [string, (k: number) => string][] = [
  ['_a', (k) => '_a'.repeat(k)],
  ['*', (k) => '*'.repeat(k)],
  ['[', (k) => '['.repeat(k)],
  ['`', (k) => `a${'`'.repeat(k)}`],
  ['`a', (k) => '`a'.repeat(k)],
  ['*a', (k) => '*a'.repeat(k)],
  ['**a', (k) => '**a'.repeat(k)],
  ['__a_', (k) => '__a_'.repeat(k)],
  ['[a](', (k) => '[a]('.repeat(k)],
  ['[a](http://x.org/', (k) => '[a](http://x.org/'.repeat(k)],
  ['heading of spaces', (k) => `# ${' '.repeat(k)}x`],
  ['heading of #s and spaces', (k) => `# a${' #'.repeat(k)} b`],
  ['list item of spaces', (k) => `-${' '.repeat(k)}\u2028`],
];

test('the work is linear in the input on pathological notes', () => {
  for (const [name, make] of pathological) {
    const work = [10_000, 40_000].map((k) => {
      const src = make(k);
      const stats = { steps: 0 };
      parseMarkdown(src, stats);
      return { n: src.length, steps: stats.steps };
    });
    // every character is looked at, and only a few times (a backtracking parser is quadratic here)
    for (const w of work) assert.ok(w.steps >= w.n && w.steps <= 8 * w.n, `${name}: ${w.steps} steps for ${w.n} chars`);
  }
});

test('pathological notes still render what they say', () => {
  const text = (src: string) => parseMarkdown(src).flatMap((b) => (b.kind === 'paragraph' ? b.children : []));
  assert.deepEqual(text('_a'.repeat(10_000)), [{ kind: 'text', text: '_a'.repeat(10_000) }]);
  assert.deepEqual(text('['.repeat(50_000)), [{ kind: 'text', text: '['.repeat(50_000) }]);
  // (a line that starts with ``` would open a code block)
  assert.deepEqual(text(`a${'`'.repeat(50_000)}`), [{ kind: 'text', text: `a${'`'.repeat(50_000)}` }]);
  assert.deepEqual(text('`a'.repeat(3)), [{ kind: 'code', text: 'a' }, { kind: 'text', text: 'a`a' }]);
  // "****" pairs up as strong around one "*": 50,000 stars are 10,000 of them
  const stars = text('*'.repeat(50_000));
  assert.equal(stars.length, 10_000);
  assert.ok(stars.every((n) => n.kind === 'strong' && n.children[0]?.kind === 'text' && n.children[0].text === '*'));
  assert.deepEqual(parseMarkdown(`# ${' '.repeat(50_000)}x ##`), [{ kind: 'heading', level: 1, children: [{ kind: 'text', text: 'x' }] }]);
});

test('nested and unclosed delimiters keep their meaning', () => {
  assert.equal(html('**a *b* c** and _d `e` f_ [g **h**](https://x.org)'), '<p><strong>a <em>b</em> c</strong> and <em>d <code>e</code> f</em> <a href="https://x.org/" target="_blank" rel="noopener noreferrer nofollow">g <strong>h</strong></a></p>');
  assert.equal(html('a * b _c d **e `f [g](x'), '<p>a * b _c d **e `f [g](x</p>');
  assert.equal(html('_a_b_ and [x](javascript:y) z'), '<p><em>a_b</em> and x z</p>');
  assert.equal(html('### Title ###\n7) seven\n+ plus'), '<h5>Title</h5><ol><li>seven</li></ol><ul><li>plus</li></ul>');
});

test('a card renders only the start of a long note, and says how much more there is', () => {
  const out = renderToStaticMarkup(createElement(Fragment, null, renderMarkdown('*a'.repeat(10_000), 1000)));
  assert.equal(out.match(/<em>/g)?.length, 250);
  assert.match(out, /<p class="muted">… 19000 more characters \(the notebook view shows the whole note\)<\/p>$/);
  assert.equal(html('short'), renderToStaticMarkup(createElement(Fragment, null, renderMarkdown('short', 1000))));
});
