// End-to-end: the studio's store in Debian's Chromium against the real server (UNCLIP_DEBUG=1
// for the debug-steps node). The page counts how often each node card renders (the studio's
// test hook app/studio/renderCount.ts: `window.__cardRenders`, set before the page loads): while
// one node streams its steps, no other card renders at all, and the streaming one does. Then the
// view fitting: an example opened from the gallery, and a saved graph reopened with its stored
// run (whose frames make the cards taller after they are first drawn), end up with every card
// inside the canvas, fitted once React Flow has measured them. Screenshot in test/artifacts/.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ARTIFACTS, studioForSuite } from './helpers/studio.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);

type Counts = Record<string, number>;

describe('studio store: a step re-renders only its card; the view fits measured cards', { skip }, () => {
  const studio = studioForSuite();
  let savedUrl = '';
  // every page counts its card renders from the start
  const open = (url?: string) =>
    studio().open(url, () => {
      (window as unknown as { __cardRenders: Counts }).__cardRenders = {};
    });
  /** The render counts and the streaming node's badge, read in one go. */
  const snapshot = (page: Page, node: string) =>
    page.evaluate((node) => ({ counts: { ...(window as unknown as { __cardRenders: Counts }).__cardRenders }, badge: document.querySelector(`[data-testid="status-${node}"]`)?.textContent ?? '' }), node);
  /** Every card lies inside the canvas (the view was fitted to them). Waits up to 10 s. */
  const allCardsInView = (page: Page) =>
    page
      .waitForFunction(
        () => {
          const c = document.querySelector('.react-flow')!.getBoundingClientRect();
          const cards = [...document.querySelectorAll('.react-flow__node')].map((n) => n.getBoundingClientRect());
          return cards.length > 0 && cards.every((r) => r.width > 0 && r.left >= c.left - 1 && r.top >= c.top - 1 && r.right <= c.right + 1 && r.bottom <= c.bottom + 1);
        },
        undefined,
        { timeout: 10_000 },
      )
      .then(() => true, () => false);

  it("one node's steps re-render its card and no other", async (t) => {
    const page = await open();
    // a slow streaming node, a quick one, and a note; a new node is selected, so the inspector shows its params
    await page.getByTestId('palette-debug-steps').click();
    await page.getByTestId('node-debug-steps-1').waitFor();
    await page.getByLabel('Steps', { exact: true }).fill('14');
    await page.getByLabel('Work per step (ms)', { exact: true }).fill('150');
    await page.getByTestId('palette-debug-steps').click();
    await page.getByTestId('node-debug-steps-2').waitFor();
    await page.getByLabel('Steps', { exact: true }).fill('3');
    await page.getByTestId('palette-note').click();
    await page.getByLabel('Markdown').fill('Two debug nodes: while one streams, the other card sleeps.');
    await page.getByTestId('graph-title').fill('Render counts');
    await page.getByTestId('save').click();
    await page.waitForURL(/\?g=/);
    savedUrl = page.url();
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });

    await page.getByTestId('run').click();
    const badge = page.getByTestId('status-debug-steps-1');
    await badge.filter({ hasText: /step [3-5]\/14/ }).waitFor({ timeout: 30_000 });
    const a = await snapshot(page, 'debug-steps-1');
    await badge.filter({ hasText: /step (1[0-4])\/14/ }).waitFor({ timeout: 30_000 });
    const b = await snapshot(page, 'debug-steps-1');
    const stepOf = (s: string) => Number(/step (\d+)\//.exec(s)?.[1]);
    const renders = Object.fromEntries(Object.keys(b.counts).map((id) => [id, (b.counts[id] ?? 0) - (a.counts[id] ?? 0)]));
    t.diagnostic(`card renders from ${a.badge} to ${b.badge} of debug-steps-1: ${JSON.stringify(renders)}`);
    assert.ok(stepOf(b.badge) - stepOf(a.badge) >= 4, `several steps between the two counts (${a.badge} → ${b.badge})`);
    assert.ok((b.counts['debug-steps-1'] ?? 0) > (a.counts['debug-steps-1'] ?? 0), 'the streaming card re-rendered');
    for (const id of ['debug-steps-2', 'note-1']) {
      assert.ok((a.counts[id] ?? 0) > 0, `${id}'s card was counted at all`);
      assert.equal(b.counts[id], a.counts[id], `${id}'s card did not re-render during another node's steps`);
    }
    await page.locator('[data-testid="run-phase"][data-phase="done"]').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'studio-after-run.png') });
    await page.close();
  });

  it('fits the view once the cards are measured: an example from the gallery, a saved graph with its run', async () => {
    const page = await open();
    await page.getByTestId('example-text-to-image').click();
    await page.getByTestId('node-decoder').waitFor();
    assert.ok(await allCardsInView(page), 'the example is fitted in view');
    await page.close();

    assert.ok(savedUrl, 'the first test saved a graph');
    const again = await open(savedUrl);
    const film = again.getByTestId('filmstrip-debug-steps-1');
    await film.and(again.locator('[data-frames="14"]')).waitFor({ timeout: 20_000 });
    assert.ok(await allCardsInView(again), 'the reopened graph, its frames drawn, is fitted in view');
    await again.close();
  });
});
