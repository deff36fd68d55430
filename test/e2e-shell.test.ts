// End-to-end: the built studio in Debian's Chromium shows the empty canvas and the backend
// name it learned from the server over socket.io. Screenshot in test/artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { e2eMissingReason, launchChromium } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ROOT, startServer } from './helpers/server.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);

test('the studio page renders an empty canvas and the server backend', { skip }, async () => {
  const server = await startServer({ ui: true });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(server.url, { waitUntil: 'domcontentloaded' });
    const backend = (await (await fetch(`${server.url}/healthz`)).json()) as { backend: string };
    const status = page.getByTestId('backend-status');
    await status.and(page.locator(`[data-backend="${backend.backend}"]`)).waitFor({ timeout: 30_000 });
    assert.match((await status.textContent()) ?? '', new RegExp(`backend ${backend.backend}`));
    await page.locator('.react-flow__renderer').waitFor({ timeout: 10_000 });
    // the minimap: hidden where the cards fill the canvas (1280 px: it covered them), shown where there is room
    assert.equal(await page.locator('.react-flow__minimap').isVisible(), false, 'no minimap at 1280 px');
    await page.setViewportSize({ width: 1600, height: 900 });
    await page.locator('.react-flow__minimap').waitFor();
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.equal(await page.locator('.react-flow__node').count(), 0, 'the canvas starts empty');
    mkdirSync(`${ROOT}/test/artifacts`, { recursive: true });
    await page.screenshot({ path: `${ROOT}/test/artifacts/studio-empty.png` });
    assert.deepEqual(consoleErrors, [], 'no console errors');
  } finally {
    await browser.close();
    const code = await server.stop();
    assert.equal(code, 0);
  }
});
