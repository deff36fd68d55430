// Map labels stay inside the plot and never cover each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeLabels } from './labels';

test('labels near the edges turn inward; crowded ones take another side or are left out', () => {
  const W = 260;
  const H = 200;
  const pts = [
    { x: 255, y: 5, text: 'top right corner' },
    { x: 100, y: 100, text: 'red apple' },
    { x: 102, y: 101, text: 'green apple' },
    { x: 101, y: 102, text: 'yellow apple' },
    { x: 100, y: 100, text: 'pear' },
    { x: 99, y: 99, text: 'another pear' },
  ];
  const out = placeLabels(pts, W, H);
  const rects = out.map((l) => {
    const tw = l.text.length * 9 * 0.58;
    const x0 = l.anchor === 'start' ? l.x : l.x - tw;
    return { x0, x1: x0 + tw, y0: l.y - 9, y1: l.y + 2 };
  });
  for (const r of rects) assert.ok(r.x0 >= 0 && r.x1 <= W && r.y0 >= 0 && r.y1 <= H, `inside: ${JSON.stringify(r)}`);
  for (let a = 0; a < rects.length; a++) for (let b = a + 1; b < rects.length; b++) {
    const [p, q] = [rects[a]!, rects[b]!];
    assert.ok(p.x1 <= q.x0 || q.x1 <= p.x0 || p.y1 <= q.y0 || q.y1 <= p.y0, `labels ${out[a]!.i} and ${out[b]!.i} do not overlap`);
  }
  assert.equal(out[0]!.i, 0, 'the corner label is placed (turned inward)');
  assert.equal(out[0]!.anchor, 'end');
  assert.ok(out.length >= 4 && out.length < pts.length, 'four sides for a cluster, the rest left to hover');
});

test('a label wider than half the plot is shortened, not dropped', () => {
  const [l] = placeLabels([{ x: 130, y: 100, text: 'noto:cat-face + 0.50 × ("dog face" − "cat face")' }], 260, 200);
  assert.ok(l, 'placed');
  assert.ok(l.text.endsWith('…') && l.text.length < 30, l.text);
});
