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
