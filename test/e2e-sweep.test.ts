// End-to-end (issue 24, item 3): the sweep-guidance example in the built studio in Debian's
// Chromium against the real server. After Run, the sweep card shows a 2 × 2 grid labelled with
// the swept values (decoder seed 1, 2 across; guidance 1, 4 down), an image in every cell and the
// four images different; a click on a cell shows that variant's filmstrip (its 8 decoder steps);
// the grid's PNG download is the labelled grid and carries the graph, sweep node included; a
// rerun served wholly from the cache still opens each variant's steps.
// Screenshot: test/artifacts/studio-sweep.png.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { extractGraphText } from '../app/lib/png.js';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ARTIFACTS as ART, studioForSuite } from './helpers/studio.js';
import { missingWeights } from './helpers/weights.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);
const runSkip = missingWeights('clip', 'prior', 'decoder');

describe('sweep grids', { skip }, () => {
  const studio = studioForSuite();

  it('the grid shows labelled cells; a cell opens its filmstrip; the grid PNG carries the graph', { skip: runSkip, timeout: 600_000 }, async () => {
    const page = await studio().open();
    await page.getByTestId('example-sweep-guidance').click();
    const grid = page.getByTestId('sweep-sweep');
    await grid.waitFor();
    // labelled before anything runs: the values along the top and down the left
    assert.deepEqual(await grid.locator('thead th[scope="col"]').allTextContents(), ['1', '2']);
    assert.deepEqual(await grid.locator('tbody th[scope="row"]').allTextContents(), ['1', '4']);
    assert.equal(await grid.getByRole('button', { name: /^variant / }).count(), 4);
    assert.equal(await grid.locator('.sweep-cell img').count(), 0, 'no images before the run');

    await page.getByTestId('run').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="sweep-sweep"] .sweep-cell img').length === 4, undefined, { timeout: 540_000 });
    const cell = (i: number) => page.getByTestId(`sweep-cell-sweep-${i}`);
    assert.equal(await cell(3).getAttribute('aria-label'), 'variant 4: decoder.seed 2, decoder.guidance 4');
    const pixels = await Promise.all([0, 1, 2, 3].map((i) => cell(i).locator('img').evaluate(async (im: HTMLImageElement) => {
      const bytes = new Uint8Array(await (await fetch(im.src)).arrayBuffer());
      return Array.from(bytes).join(',');
    })));
    assert.equal(new Set(pixels).size, 4, 'each variant painted its own image');

    await cell(3).click();
    const variant = page.getByTestId('sweep-variant-sweep');
    assert.equal(await variant.getAttribute('data-variant'), '3');
    const film = page.getByTestId('filmstrip-sweep-v3');
    await film.waitFor();
    assert.equal(await film.getAttribute('data-frames'), '8', 'variant 4 streamed the decoder\'s 8 steps');
    // another cell, another filmstrip
    await cell(0).click();
    await page.getByTestId('filmstrip-sweep-v0').waitFor();
    assert.equal(await page.getByTestId('filmstrip-sweep-v3').count(), 0);
    await page.screenshot({ path: join(ART, 'studio-sweep.png') });

    const download = page.waitForEvent('download');
    await page.getByTestId('sweep-png-sweep').click();
    const path = join(ART, 'sweep-grid.png');
    await (await download).saveAs(path);
    const png = readFileSync(path);
    const meta = await sharp(png).metadata();
    assert.ok(meta.format === 'png' && meta.width! > 2 * 96 && meta.height! > 2 * 96, `${meta.width}x${meta.height}`);
    const graph = JSON.parse(extractGraphText(new Uint8Array(png))!) as { nodes: { id: string; type: string; params: Record<string, unknown> }[] };
    const sweep = graph.nodes.find((n) => n.type === 'sweep');
    assert.deepEqual([sweep?.params.node, sweep?.params.param, sweep?.params.values], ['decoder', 'seed', '1, 2']);

    // run again: every variant comes from the cache, and each cell still opens the steps that made it
    await page.getByTestId('run').click();
    // (after the first run the decoder had run, not been served from the cache)
    await page.getByTestId('cached-decoder').waitFor({ timeout: 120_000 });
    await page.locator('[data-testid="run-phase"][data-phase="done"]').waitFor({ timeout: 120_000 });
    assert.equal(await grid.locator('.sweep-cell img').count(), 4);
    await cell(2).click();
    assert.equal(await page.getByTestId('filmstrip-sweep-v2').getAttribute('data-frames'), '8', 'a cached variant shows the steps its key streamed');
    await page.close();
  });
});
