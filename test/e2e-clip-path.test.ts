// End-to-end (issue 24 item 1): the decoder's path through CLIP space in the built studio, in
// Debian's Chromium against the real server. The decoder-clip-path example, opened from the
// gallery and run: the decoder card plots the cosine of each step's predicted image to the
// prior's embedding and to the prompt, one point per step; the embedding map draws the decoder's
// trajectory (behind the CLIP encode of its image) beside the prior's; the notebook view and the
// share page show the same. Screenshots go to
// test/artifacts/.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ROOT } from './helpers/server.js';
import { ARTIFACTS as ART, studioForSuite } from './helpers/studio.js';
import { missingWeights } from './helpers/weights.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);
const runSkip = missingWeights('clip', 'prior', 'decoder');
const graph = JSON.parse(readFileSync(join(ROOT, 'examples', 'decoder-clip-path.json'), 'utf8')) as { nodes: { id: string; params: Record<string, unknown> }[] };
const stepsOf = (id: string) => String(graph.nodes.find((n) => n.id === id)!.params.steps);

describe('the decoder’s CLIP path', { skip }, () => {
  const studio = studioForSuite();

  it('runs the example: cosines per step on the decoder card, the decoder’s trajectory on the map', { skip: runSkip, timeout: 600_000 }, async () => {
    const page = await studio().open();
    await page.getByTestId('example-decoder-clip-path').click();
    await page.getByTestId('node-decoder').waitFor();
    // saved first, so the run is stored for the share page below
    await page.getByTestId('save').click();
    await page.waitForURL(/\?g=/);
    await page.getByTestId('run').click();
    await page.locator('[data-testid="run-phase"][data-phase="done"], [data-testid="run-phase"][data-phase="error"]').waitFor({ timeout: 300_000 });
    assert.equal(await page.getByTestId('run-phase').getAttribute('data-phase'), 'done');

    const steps = stepsOf('decoder');
    const chart = page.getByTestId('clip-path-decoder');
    await chart.waitFor();
    assert.equal(await chart.getAttribute('data-steps'), steps);
    for (const to of ['target', 'text']) {
      const line = chart.getByTestId(`clip-path-line-${to}`);
      assert.equal(await line.getAttribute('data-points'), steps, `${to}: one point per step`);
      assert.equal(await line.locator('circle').count(), Number(steps));
    }
    assert.match((await chart.textContent()) ?? '', /the embedding asked for and the prompt · last: asked 0\.\d\d · prompt -?0\.\d\d/);

    // the map: the prior's path (it feeds series b) and the decoder's (behind the CLIP encode on c)
    const decTrack = page.getByTestId('map-track-decoder');
    await decTrack.waitFor({ timeout: 10_000 });
    assert.equal(await decTrack.getAttribute('data-steps'), steps);
    assert.equal(await decTrack.locator('.track-dot').count(), Number(steps));
    assert.equal(await page.getByTestId('map-track-prior').getAttribute('data-steps'), stepsOf('prior'));
    assert.match((await page.getByTestId('track-legend').textContent()) ?? '', /decoder: .* each of \d+ steps/);
    // close-ups in the notebook view (every node at full size)
    await page.getByTestId('notebook-toggle').click();
    const notebook = page.getByTestId('notebook');
    for (const [testId, shot] of [['clip-path-decoder', 'clip-path-decoder.png'], ['embedding-map', 'clip-path-map.png']] as const) {
      const cell = notebook.locator('.cell', { has: page.getByTestId(testId) });
      await cell.scrollIntoViewIfNeeded();
      await cell.screenshot({ path: join(ART, shot) });
    }
    // the share page replays the stored run: the same chart, a point per step, and the map's path
    await page.getByTestId('notebook-toggle').click();
    await page.getByTestId('share').click();
    const shared = await studio().open(await page.getByTestId('share-link').inputValue());
    const sharedChart = shared.getByTestId('clip-path-decoder');
    await sharedChart.waitFor({ timeout: 20_000 });
    assert.equal(await sharedChart.getAttribute('data-steps'), steps);
    assert.equal(await sharedChart.getByTestId('clip-path-line-target').getAttribute('data-points'), steps);
    assert.equal(await shared.getByTestId('map-track-decoder').getAttribute('data-steps'), steps);
    await shared.close();
    await page.close();
  });
});
