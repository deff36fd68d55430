// End-to-end: a filmstrip's WebP download gives its graph back (issue 24 item 5). In Debian's
// Chromium against the real server: run a debug-steps node, download its steps with the
// filmstrip's WebP link (an animation the server made, the graph in its XMP), drop that file on
// a fresh, empty canvas, and the graph is back with its params. Screenshots go to test/artifacts/.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractWebpGraphText, isWebp } from '../app/lib/webp.js';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ARTIFACTS as ART, dropFile, studioForSuite } from './helpers/studio.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);

describe('a dropped filmstrip WebP restores its graph', { skip }, () => {
  const studio = studioForSuite();

  it('downloads a run\'s steps as WebP, drops it on an empty canvas and gets the graph back', async () => {
    const page = await studio().open();
    await page.getByTestId('palette-debug-steps').click();
    await page.getByTestId('node-debug-steps-1').waitFor();
    await page.getByLabel('Steps', { exact: true }).fill('6');
    await page.getByLabel('Work per step (ms)', { exact: true }).fill('20');
    await page.getByTestId('palette-note').click();
    await page.getByLabel('Markdown').fill('# Steps as WebP\nDropped back, this note returns — café 🍎 <b>&</b>');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByTestId('status-debug-steps-1').and(page.locator('[data-status="done"]')).waitFor({ timeout: 60_000 });
    const download = page.waitForEvent('download');
    await page.getByTestId('anim-webp-debug-steps-1').click();
    const webpPath = join(ART, 'debug-steps.webp');
    await (await download).saveAs(webpPath);
    const bytes = readFileSync(webpPath);
    assert.ok(isWebp(bytes), 'the download is a WebP');
    assert.ok(extractWebpGraphText(bytes), 'carrying a graph');
    await page.close();

    const fresh = await studio().open();
    assert.equal(await fresh.locator('.react-flow__node').count(), 0);
    await dropFile(fresh, bytes, 'debug-steps.webp', 'image/webp');
    await fresh.getByTestId('node-debug-steps-1').waitFor({ timeout: 10_000 });
    await fresh.getByTestId('node-note-1').waitFor();
    await fresh.getByTestId('notice').filter({ hasText: 'Opened the graph from debug-steps.webp (2 nodes)' }).waitFor();
    await fresh.screenshot({ path: join(ART, 'studio-webp-dropped.png') });
    await fresh.getByTestId('node-debug-steps-1').click();
    assert.equal(await fresh.getByLabel('Steps', { exact: true }).inputValue(), '6');
    assert.equal(await fresh.getByLabel('Work per step (ms)', { exact: true }).inputValue(), '20');
    await fresh.getByTestId('node-note-1').click();
    assert.equal(await fresh.getByLabel('Markdown').inputValue(), '# Steps as WebP\nDropped back, this note returns — café 🍎 <b>&</b>');
    await fresh.close();
  });
});
