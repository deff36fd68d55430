// End-to-end, in Debian's Chromium against the real server (issue 25): the inpainting example runs
// (the decoders show frames with the mask outlined, and their output); a mask painted with the
// mouse over the linked apple is saved in the graph (shape "painted", a PNG with the stroke) and
// the rerun succeeds with it; the Text node offers the corpus's style words.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ARTIFACTS as ART, studioForSuite } from './helpers/studio.js';
import { missingWeights } from './helpers/weights.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);
const weightsSkip = missingWeights('clip', 'prior', 'decoder');

describe('masks and edits end to end', { skip }, () => {
  const studio = studioForSuite();
  const select = (page: Page, id: string) => page.getByTestId(`node-${id}`).click({ position: { x: 60, y: 10 } });

  async function runToEnd(page: Page) {
    await page.getByTestId('run').click();
    await page.locator('[data-testid="run-phase"][data-phase="done"], [data-testid="run-phase"][data-phase="error"]').waitFor({ timeout: 300_000 });
    assert.equal(await page.getByTestId('run-phase').getAttribute('data-phase'), 'done', (await page.getByTestId('run-phase').textContent()) ?? '');
  }

  it('runs the inpainting example, paints a mask with the mouse, saves it in the graph and reruns with it', { skip: weightsSkip, timeout: 600_000 }, async () => {
    const page = await studio().open();
    await page.setViewportSize({ width: 1680, height: 1000 });
    await page.getByTestId('example-inpainting').click();
    await page.getByTestId('node-apple-top').waitFor();
    await runToEnd(page);
    // the decoder shows its steps with the masked region outlined, and the image it made
    const film = page.getByTestId('filmstrip-inpaint-apple');
    await film.waitFor();
    assert.ok(Number(await film.getAttribute('data-frames')) > 1, 'frames of every step');
    await page.getByTestId('mask-outline-inpaint-apple').locator('path').first().waitFor();
    assert.equal(await page.getByTestId('mask-outline-inpaint-apple').locator('path').count(), 2, 'one outline on x_t, one on x0');
    await page.getByTestId('images-inpaint-apple').locator('img').first().waitFor();
    await page.getByTestId('node-inpaint-apple').screenshot({ path: join(ART, 'masks-inpaint-rectangle.png') });

    // paint: the painter shows the apple the mask is linked to under a blank mask
    await select(page, 'apple-top');
    const painter = page.getByTestId('mask-painter-apple-top');
    await painter.locator('img').waitFor();
    const canvas = page.getByTestId('mask-canvas-apple-top');
    const box = (await canvas.boundingBox())!;
    // a stroke across the upper third, brush 4 mask pixels, in small mouse moves
    await painter.getByLabel('brush size').fill('4');
    await page.mouse.move(box.x + box.width * 0.15, box.y + box.height * 0.2);
    await page.mouse.down();
    for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + box.width * (0.15 + 0.07 * k), box.y + box.height * 0.2);
    await page.mouse.up();
    assert.equal(await page.getByLabel('Shape', { exact: true }).inputValue(), 'painted', 'painting makes the shape "painted"');
    // erase a dab in the middle of the stroke
    await painter.getByRole('button', { name: 'erase' }).click();
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.2);
    await painter.screenshot({ path: join(ART, 'masks-painter.png') });

    // saved in the graph: a PNG that is white along the stroke, black elsewhere, erased in the middle
    await page.getByTestId('save').click();
    await page.waitForURL(/\?g=/);
    const id = new URL(page.url()).searchParams.get('g');
    const saved = (await (await fetch(`${studio().server.url}/api/graphs/${id}`)).json()) as { graph?: { nodes: { id: string; params: Record<string, unknown> }[] }; nodes?: { id: string; params: Record<string, unknown> }[] };
    const nodes = saved.graph?.nodes ?? saved.nodes ?? [];
    const params = nodes.find((n) => n.id === 'apple-top')!.params;
    assert.equal(params.shape, 'painted');
    const m = /^data:image\/png;base64,(.+)$/.exec(String(params.painted));
    assert.ok(m, `painted is a PNG data URL: ${String(params.painted).slice(0, 40)}`);
    const { data, info } = await sharp(Buffer.from(m[1]!, 'base64')).greyscale().raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.width, 32);
    const at = (x: number, y: number) => data[Math.floor(y * 32) * 32 + Math.floor(x * 32)]!;
    assert.equal(at(0.25, 0.2), 255, 'the stroke is white');
    assert.equal(at(0.8, 0.2), 255, 'to its end');
    assert.equal(at(0.5, 0.2), 0, 'the erased dab is black');
    assert.equal(at(0.5, 0.8), 0, 'the rest is black');

    // the rerun uses the painted mask: the decoder runs again (not cached) and makes its image
    await runToEnd(page);
    assert.equal(await page.getByTestId('status-inpaint-apple').getAttribute('data-status'), 'done');
    assert.equal(await page.getByTestId('cached-inpaint-apple').count(), 0, 'a new mask: drawn again');
    await page.getByTestId('images-inpaint-apple').locator('img').first().waitFor();
    await page.getByTestId('mask-outline-inpaint-apple').locator('path').first().waitFor();
    await page.getByTestId('node-inpaint-apple').screenshot({ path: join(ART, 'masks-inpaint-painted.png') });
    await page.screenshot({ path: join(ART, 'masks-studio.png') });
    await page.close();
  });

  it('the Text node offers the style words the corpus captions end in', async () => {
    const page = await studio().open();
    await page.getByTestId('palette-text').click();
    await page.getByTestId('node-text-1').waitFor();
    const chips = page.getByTestId('suggestions-text');
    await chips.getByRole('button', { name: 'openmoji' }).click();
    assert.equal(await page.getByLabel('Prompt', { exact: true }).inputValue(), 'red apple, openmoji style');
    // another style replaces it, and is shown as picked
    await chips.getByRole('button', { name: 'fluent flat' }).click();
    assert.equal(await page.getByLabel('Prompt', { exact: true }).inputValue(), 'red apple, fluent flat style');
    assert.equal(await chips.getByRole('button', { name: 'fluent flat' }).getAttribute('aria-pressed'), 'true');
    await page.close();
  });
});
