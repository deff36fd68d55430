// The output views render (server-side, no browser) without React warnings: keys, attributes,
// and what they show for a heatmap, an embedding map, step frames and each kind of output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';

// tsx compiles JSX to React.createElement, so the components need React as a global here
(globalThis as { React?: unknown }).React = React;

async function render(el: () => Promise<React.ReactElement>): Promise<{ html: string; warnings: string[] }> {
  const warnings: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => warnings.push(a.map(String).join(' '));
  try {
    return { html: renderToStaticMarkup(await el()), warnings };
  } finally {
    console.error = orig;
  }
}

test('heatmap: a cell per value with its readable value', async () => {
  const { Heatmap } = await import('./Heatmap');
  const r = await render(async () => React.createElement(Heatmap, { plot: { type: 'heatmap', metric: 'cosine', rows: ['a', 'b'], cols: ['x', 'y', 'z'], values: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]] } }));
  assert.deepEqual(r.warnings, []);
  assert.equal((r.html.match(/<rect/g) ?? []).length, 6);
  assert.match(r.html, /b × z: 0\.600/);
  assert.match(r.html, /cosine 0\.10 … 0\.60/);
});

test('embedding map: series dots, a path for a sweep, neighbours listed', async () => {
  const { EmbeddingMap } = await import('./EmbeddingMap');
  const r = await render(async () =>
    React.createElement(EmbeddingMap, {
      plot: {
        type: 'embedding-map',
        mapId: '0123456789abcdef',
        series: [{ port: 'a', space: 'clip-text', labels: ['cat', 'dog', 'cow'], points: [[0, 0], [1, 1], [2, 0]], neighbours: [[{ key: 'noto:cat', label: 'cat face', score: 0.91 }], [], []] }],
      },
    }),
  );
  assert.deepEqual(r.warnings, []);
  assert.equal((r.html.match(/class="series-dot"/g) ?? []).length, 3);
  assert.match(r.html, /<polyline/);
  assert.match(r.html, /cat face 0\.91/);
});

test('node outputs: frames with scrubber and schedule, tokens, embeddings, images', async () => {
  const { NodeOutputs } = await import('./NodeOutputs');
  const frames = [1, 2, 3].map((s) => ({ step: s, total: 3, t: 1 - s / 3, url: `data:image/png;base64,${s}` }));
  const run = {
    status: 'done' as const,
    cached: false,
    frames,
    ts: frames.map((f) => ({ step: f.step, t: f.t })),
    track: frames.map((f) => ({ step: f.step, points: [[f.step, -f.step], [0, f.step]] as [number, number][] })),
    outputs: {
      tokens: { kind: 'tokens' as const, tokens: [['red', 'zzq']], unknownWords: [['zzq']], truncatedWords: [[]] },
      embedding: { kind: 'embedding' as const, space: 'clip-text' as const, width: 3, vectors: [[0.6, -0.8, 0]], labels: ['red zzq'] },
      image: { kind: 'image' as const, width: 32, height: 32, images: ['data:image/png;base64,AA', 'data:image/png;base64,BB'], labels: ['one', 'two'] },
    },
  };
  const r = await render(async () => React.createElement(NodeOutputs, { nodeId: 'n', run }));
  assert.deepEqual(r.warnings, []);
  assert.match(r.html, /data-testid="scrubber-n"/);
  assert.match(r.html, /step 3\/3/);
  assert.match(r.html, /data-testid="schedule-plot"/);
  assert.match(r.html, /data-testid="trajectory-n" data-steps="3"/);
  assert.equal((r.html.match(/<polyline/g) ?? []).length, 2, 'a path per embedding');
  assert.match(r.html, /unknown: <u>zzq <\/u>/);
  assert.match(r.html, /1 × 3 <span class="muted">clip-text<\/span>/);
  assert.equal((r.html.match(/>PNG<\/button>/g) ?? []).length, 3, 'one per image, one for the frame');
});
