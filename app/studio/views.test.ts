// The output views render (server-side, no browser) without React warnings: keys, attributes,
// and what they show for a heatmap, an embedding map, step frames and each kind of output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';

// tsx compiles JSX to React.createElement, so the components need React as a global here
(globalThis as { React?: unknown }).React = React;

/** `el` inside a studio store made from `init` (what the components select from). */
async function inStudio(el: React.ReactElement, init: Record<string, unknown> = {}): Promise<React.ReactElement> {
  const { StudioProvider } = await import('./store');
  return React.createElement(StudioProvider, { init: init as never, children: el });
}

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
    inStudio(
      React.createElement(EmbeddingMap, {
        plot: {
          type: 'embedding-map',
          mapId: '0123456789abcdef',
          series: [{ port: 'a', space: 'clip-text', labels: ['cat', 'dog', 'cow'], points: [[0, 0], [1, 1], [2, 0]], neighbours: [[{ key: 'noto:cat', label: 'cat face', score: 0.91 }], [], []] }],
        },
      }),
    ),
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
    clipPath: [],
    outputs: {
      tokens: { kind: 'tokens' as const, tokens: [['red', 'zzq']], unknownWords: [['zzq']], truncatedWords: [[]] },
      embedding: { kind: 'embedding' as const, space: 'clip-text' as const, width: 3, vectors: [[0.6, -0.8, 0]], labels: ['red zzq'] },
      image: { kind: 'image' as const, width: 32, height: 32, images: ['data:image/png;base64,AA', 'data:image/png;base64,BB'], labels: ['one', 'two'] },
    },
  };
  const r = await render(async () => inStudio(React.createElement(NodeOutputs, { nodeId: 'n', run })));
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

test('frames keep their shape: a wide x_t | x0 frame is drawn twice as wide as tall, by whole pixels when it fits', async () => {
  const { frameBox } = await import('./Filmstrip');
  assert.deepEqual(frameBox(64, 32, 224, 168), { width: 192, height: 96 }, 'decoder: 3x');
  assert.deepEqual(frameBox(128, 64, 224, 168), { width: 224, height: 112 }, 'upsample: as wide as the card');
  assert.deepEqual(frameBox(64, 256, 224, 168), { width: 42, height: 168 }, 'eight rows: as tall as allowed');
  assert.deepEqual(frameBox(32, 32, 224, 168), { width: 160, height: 160 });
});

test('diffusion frames are captioned x_t | predicted x0', async () => {
  const { NodeOutputs } = await import('./NodeOutputs');
  const frames = [1, 2].map((s) => ({ step: s, total: 2, t: 1 - s / 2, url: `data:image/png;base64,${s}` }));
  const run = { status: 'done' as const, cached: false, frames, ts: frames.map((f) => ({ step: f.step, t: f.t })), track: [], clipPath: [] };
  const catalogue = { nodes: [{ type: 'decoder', version: 1, title: 'Diffusion decoder', category: 'diffusion', description: '', inputs: [], outputs: [], params: [], models: [] }], planned: [], limits: {} };
  const r = await render(async () => inStudio(React.createElement(NodeOutputs, { nodeId: 'dec', nodeType: 'decoder', run }), { catalogue }));
  assert.deepEqual(r.warnings, []);
  assert.match(r.html, /class="frame-halves"[^>]*><span>x_t \(noisy\)<\/span><span>predicted x0<\/span>/);
  assert.match(r.html, /noise t 0\.000/);
});

test('embedding map: the prior feeding it has its step-by-step trajectory drawn, the kept candidate marked', async () => {
  const { EmbeddingMap } = await import('./EmbeddingMap');
  // two candidates over three steps; the second ends on the series point (the kept one)
  const track = [1, 2, 3].map((s) => ({ step: s, points: [[s, 0], [0, s]] as [number, number][] }));
  const prior = { status: 'done' as const, cached: false, frames: [], ts: [], track };
  const init = {
    run: { runId: 'r', phase: 'done', nodes: { prior }, problems: [] },
    edges: [{ id: 'e1', source: 'prior', sourceHandle: 'embedding', target: 'map', targetHandle: 'b' }],
  };
  const plot = {
    type: 'embedding-map' as const,
    mapId: '0123456789abcdef',
    series: [
      { port: 'a', space: 'clip-text' as const, labels: ['red apple'], points: [[2, 2]] as [number, number][], neighbours: [[]] },
      { port: 'b', space: 'clip-image' as const, labels: ['prior(red apple)'], points: [[0, 3]] as [number, number][], neighbours: [[]] },
    ],
  };
  const r = await render(async () => inStudio(React.createElement(EmbeddingMap, { nodeId: 'map', plot }), init));
  assert.deepEqual(r.warnings, []);
  assert.match(r.html, /data-testid="map-track-prior" data-steps="3"/);
  assert.equal((r.html.match(/class="track-path"/g) ?? []).length, 2, 'a path per candidate');
  assert.match(r.html, /<g class="other"><polyline class="track-path" points="[^"]*"><\/polyline>(<circle [^>]*><\/circle>){3}<\/g><g class="kept">/, 'the second candidate is the kept one');
  assert.match(r.html, /prior step 1 → 3/);
  assert.match(r.html, /data-testid="track-legend"/);
});

test('a filmstrip driven from outside shows the step it is given, without controls of its own', async () => {
  const { Filmstrip } = await import('./Filmstrip');
  const frames = [1, 2, 3, 4].map((step) => ({ step, total: 4, url: `data:image/png;base64,${step}` }));
  const r = await render(async () => inStudio(React.createElement(Filmstrip, { nodeId: 'd', frames, ts: [], live: false, at: 1 })));
  assert.deepEqual(r.warnings, []);
  assert.match(r.html, /data-index="1"/);
  assert.match(r.html, /step 2\/4/);
  assert.doesNotMatch(r.html, /data-testid="scrubber-d"/);
  const past = await render(async () => inStudio(React.createElement(Filmstrip, { nodeId: 'd', frames, ts: [], live: false, at: 9 })));
  assert.match(past.html, /data-index="3"/, 'past the end: the last step');
});

test('embedding map with colours and trajectories given per series (two runs on one map): each in its colour, starts that coincide stack their labels', async () => {
  const { EmbeddingMap } = await import('./EmbeddingMap');
  const track = [1, 2].map((s) => ({ step: s, points: [[s, s]] as [number, number][] }));
  const series = (port: string, label: string) => ({ port, space: 'clip-image' as const, labels: [label], points: [[2, 2]] as [number, number][], neighbours: [[]] });
  const plot = { type: 'embedding-map' as const, mapId: '0123456789abcdef', series: [series('a:0:b', 'A · prior'), series('b:0:b', 'B · prior')] };
  const el = React.createElement(EmbeddingMap, { plot, colors: ['var(--series-a)', 'var(--series-b)'], tracks: [{ src: 'A · prior', track }, { src: 'B · prior', track }], focus: true });
  const r = await render(async () => inStudio(el));
  assert.deepEqual(r.warnings, []);
  assert.match(r.html, /data-testid="map-track-A · prior"[^>]*style="color:var\(--series-a\)"/);
  assert.match(r.html, /data-testid="map-track-B · prior"[^>]*style="color:var\(--series-b\)"/);
  const ys = [...r.html.matchAll(/<text x="[^"]*" y="([^"]*)" class="series-label track-label"/g)].map((m) => Number(m[1]));
  assert.equal(ys.length, 2);
  assert.equal(Math.abs(ys[1]! - ys[0]!), 10, 'the second label stacked beside the first, not over it');
});

test('word weights: the prompt as typed, each word shaded by its share of the top weight, its number in the tooltip; unknown words marked', async () => {
  const { ShadedPrompt, weightText } = await import('./WordWeights');
  const pieces = [{ text: 'Red', word: true }, { text: ' ' }, { text: 'heart', word: true }, { text: ', ' }, { text: 'zzqxv', word: true, unknown: true }];
  const r = await render(async () => React.createElement(ShadedPrompt, { pieces, drops: [0.2, 0.05, 0], explain: weightText }));
  assert.deepEqual(r.warnings, []);
  assert.equal(r.html.replace(/<[^>]+>/g, ''), 'Red heart, zzqxv');
  assert.match(r.html, /--w:1\.000[^>]*title="weight 0\.2000: 1 − cosine to the prompt without this word \(100% of the top word\)"[^>]*>Red</);
  assert.match(r.html, /--w:0\.250[^>]*>heart</);
  assert.match(r.html, /class="ww-word unknown-word" title="CLIP does not know this word: weight 0"[^>]*>zzqxv</);
});

test('the decoder’s CLIP path: a cosine line per reference with a point per step, no bare-axes trajectory', async () => {
  const { NodeOutputs } = await import('./NodeOutputs');
  const emb = (space: 'clip-text' | 'clip-image', v: number[]) => ({ kind: 'embedding' as const, space, width: 2, vectors: [v], labels: ['x'] });
  const clipPath = [1, 2, 3].map((step) => ({ step, embeddings: [[1, step]] }));
  const run = { status: 'done' as const, cached: false, frames: [], ts: [], track: clipPath.map((p) => ({ step: p.step, points: [[p.step, 0]] as [number, number][] })), clipPath };
  const link = (source: string, target: string, port: string) => ({ id: `${source}-${target}`, source, target, sourceHandle: 'embedding', targetHandle: port });
  const done = (outputs: Record<string, ReturnType<typeof emb>>) => ({ status: 'done', cached: false, frames: [], ts: [], track: [], clipPath: [], outputs });
  const init = {
    edges: [link('encode', 'prior', 'embedding'), link('prior', 'dec', 'embedding')],
    run: { runId: 'r', phase: 'done', problems: [], nodes: { encode: done({ embedding: emb('clip-text', [0, 1]) }), prior: done({ embedding: emb('clip-image', [1, 0]) }) } },
  };
  const r = await render(async () => inStudio(React.createElement(NodeOutputs, { nodeId: 'dec', nodeType: 'decoder', run }), init));
  assert.deepEqual(r.warnings, []);
  assert.match(r.html, /data-testid="clip-path-dec" data-steps="3" data-lines="2"/);
  assert.match(r.html, /data-testid="clip-path-line-target" data-points="3"/);
  assert.match(r.html, /data-testid="clip-path-line-text" data-points="3"/);
  assert.doesNotMatch(r.html, /trajectory-dec/, 'its map path is the embedding map’s to draw');
});
