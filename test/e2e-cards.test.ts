// End-to-end (issue #23 items 3 and 10, and the gallery): the built studio in Debian's Chromium
// against the real server. Cards that grow with a run's outputs never end up covering each other
// (the examples whose cards overlapped, run with fewer steps); nodes show a focus ring from the
// keyboard; the refused-link notice goes at the next action; a file that is not an image is an
// error on its node, not a broken picture; the notebook numbers from [1]; the minimap keeps off
// the cards in a 1024 px window; prompts count their characters against the server's limit; map
// labels stay inside the map and clear of each other; the gallery shows thumbnails and a line
// per example with the headline first. Screenshots go to test/artifacts/.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DEFAULT_LIMITS } from '../protocol/index.js';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ROOT } from './helpers/server.js';
import { ARTIFACTS as ART, studioForSuite, dropGraph } from './helpers/studio.js';
import { missingWeights } from './helpers/weights.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);
const runSkip = missingWeights('clip', 'prior', 'decoder', 'upsampler');

/** Pairs of cards (by test id) whose boxes on screen intersect. */
function overlaps(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const boxes = [...document.querySelectorAll<HTMLElement>('.react-flow__node')].map((el) => ({ id: el.dataset.id ?? '?', r: el.getBoundingClientRect() }));
    const out: string[] = [];
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i]!.r, boxes[j]!.r];
        if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) out.push(`${boxes[i]!.id} × ${boxes[j]!.id}`);
      }
    return out;
  });
}


/** An example with fewer diffusion steps (the cards' sizes do not depend on them). */
function quick(name: string) {
  const g = JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')) as { nodes: { type: string; params: Record<string, unknown> }[] };
  for (const n of g.nodes) if (['prior', 'decoder', 'upsample'].includes(n.type)) n.params.steps = 2;
  return g;
}

describe('cards and the small things', { skip }, () => {
  const studio = studioForSuite();

  it('the gallery shows the headline first, a thumbnail and a line for each example', async () => {
    const page = await studio().open();
    const items = page.locator('[data-testid="gallery"] li');
    const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).length;
    assert.equal(await items.count(), examples);
    assert.equal(await items.first().getByRole('button').getAttribute('data-testid'), 'example-text-to-image', 'the headline example comes first');
    for (let i = 0; i < examples; i++) {
      const item = items.nth(i);
      assert.equal(await item.locator('.example-thumb').count(), 1, `example ${i} has a thumbnail`);
      assert.ok(((await item.locator('.example-text .small').textContent()) ?? '').trim().length > 30, `example ${i} says what it shows`);
    }
    // the screenshot (docs/studio-gallery.png) shows every example: a window tall enough that the gallery does not scroll
    const hidden = await page.getByTestId('gallery').evaluate((g) => g.scrollHeight - g.clientHeight);
    const size = page.viewportSize()!;
    if (hidden > 0) await page.setViewportSize({ width: size.width, height: size.height + Math.ceil(hidden / 0.94) + 24 });
    await page.screenshot({ path: join(ART, 'studio-gallery.png') });
    await page.close();
  });

  it('no two cards overlap after running the examples whose outputs grew their cards', { skip: runSkip, timeout: 1_500_000 }, async () => {
    const page = await studio().open();
    for (const name of ['text-to-image', 'prior-vs-no-prior', 'text-diff', 'interpolation', 'clip-similarity', 'word-weights', 'sweep-guidance']) {
      await dropGraph(page, quick(name), `${name}.json`);
      await page.getByTestId('notice').filter({ hasText: `${name}.json` }).waitFor();
      await page.getByTestId('run').click();
      await page.locator('[data-testid="run-phase"][data-phase="done"], [data-testid="run-phase"][data-phase="error"]').waitFor({ timeout: 600_000 });
      assert.equal(await page.getByTestId('run-phase').getAttribute('data-phase'), 'done', `${name} ran`);
      // the last outputs are drawn and measured a frame or two after "done": give it up to 10 s
      let covered = await overlaps(page);
      for (const until = Date.now() + 10_000; covered.length && Date.now() < until; covered = await overlaps(page)) await page.waitForTimeout(200);
      await page.getByLabel('fit view').first().click();
      await page.screenshot({ path: join(ART, `cards-after-${name}.png`) });
      assert.deepEqual(covered, [], `${name}: no card covers another after the run`);
    }
    await page.close();
  });

  it('map labels stay inside the map and clear of each other', { skip: runSkip, timeout: 600_000 }, async () => {
    const page = await studio().open();
    for (const name of ['clip-similarity', 'text-diff-map', 'interpolation-map', 'text-to-image']) {
      await dropGraph(page, quick(name), `${name}.json`);
      await page.getByTestId('notice').filter({ hasText: `${name}.json` }).waitFor();
      await page.getByTestId('run').click();
      await page.locator('[data-testid="run-phase"][data-phase="done"]').waitFor({ timeout: 300_000 });
      await page.locator('[data-testid="embedding-map"] .series-dot').first().waitFor();
      await page.getByTestId('embedding-map').first().screenshot({ path: join(ART, `map-labels-${name}.png`) });
      await checkMapLabels(page, name);
    }
    await page.close();
  });

  it('the refused-link notice goes at the next action', async () => {
    const page = await studio().open();
    await page.getByTestId('palette-text').click();
    await page.getByTestId('palette-similarity').click();
    await page.getByTestId('node-similarity-1').waitFor();
    const from = await page.locator('[data-testid="node-text-1"] .port-out[data-port="text"] .react-flow__handle').boundingBox();
    const to = await page.locator('[data-testid="node-similarity-1"] .port-in[data-port="rows"] .react-flow__handle').boundingBox();
    assert.ok(from && to);
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
    await page.mouse.up();
    const refused = page.getByTestId('notice').filter({ hasText: 'refused' });
    await refused.waitFor();
    await page.getByTestId('palette-note').click(); // the next action
    await page.getByTestId('node-note-1').waitFor();
    await refused.waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
    assert.equal(await refused.count(), 0, 'the refused-link notice is gone after the next action');
    await page.close();
  });

  it('a node reached with Tab shows a focus ring', async () => {
    const page = await studio().open();
    await page.getByTestId('example-text-to-image').click();
    await page.getByTestId('node-prompt').waitFor();
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    for (let i = 0; i < 80 && !(await page.evaluate(() => !!document.activeElement?.classList.contains('react-flow__node'))); i++) await page.keyboard.press('Tab');
    // the focused node's look against another node's (same kind of card, not focused)
    const looks = await page.evaluate(() => {
      const node = document.activeElement as HTMLElement;
      if (!node.classList.contains('react-flow__node')) return null;
      const other = [...document.querySelectorAll<HTMLElement>('.react-flow__node')].find((n) => n !== node)!;
      // (no named functions in here: the test's compiler would wrap them in a helper the page lacks)
      const [focused, unfocused] = [node, other].map((n) => `${getComputedStyle(n).outlineStyle} ${getComputedStyle(n.querySelector('.node-card')!).boxShadow}`);
      return { focused, other: unfocused };
    });
    assert.ok(looks, 'Tab reaches a node');
    assert.notEqual(looks.focused, looks.other, 'a focused node is visibly marked');
    await page.screenshot({ path: join(ART, 'node-focus-ring.png') });
    await page.close();
  });

  it('a file that is not an image is an error on its node, not a broken picture', async () => {
    const page = await studio().open();
    await page.getByTestId('palette-image-input').click();
    await page.getByTestId('node-image-input-1').waitFor();
    await page.getByLabel('Source', { exact: true }).selectOption('upload');
    await page.getByLabel('Upload', { exact: true }).setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('these are my notes, not a picture') });
    await page.getByTestId('problems-image-input-1').filter({ hasText: /not a PNG, JPEG or WebP image/ }).waitFor({ timeout: 5000 });
    assert.equal(await page.locator('img.upload-preview').count(), 0, 'no broken picture');
    await page.getByTestId('run').click();
    await page.getByTestId('notice').filter({ hasText: /not a PNG, JPEG or WebP image/ }).waitFor();
    await page.screenshot({ path: join(ART, 'upload-not-an-image.png') });
    await page.close();
  });

  it('the notebook numbers its cells from [1]', async () => {
    const page = await studio().open();
    await page.getByTestId('example-text-to-image').click();
    await page.getByTestId('notebook-toggle').click();
    await page.getByTestId('notebook').waitFor();
    assert.equal(((await page.locator('.notebook .cell h2 .muted').first().textContent()) ?? '').trim(), '[1]');
    await page.close();
  });

  it('a prompt counts its characters against the server limit', async () => {
    const page = await studio().open();
    await page.getByTestId('example-text-to-image').click();
    await page.getByTestId('node-prompt').click({ position: { x: 60, y: 10 } });
    const counter = page.getByTestId('count-text');
    assert.equal(((await counter.textContent()) ?? '').trim(), `9 / ${DEFAULT_LIMITS.maxTextChars} characters`);
    await page.getByLabel('Prompt', { exact: true }).fill('a red apple');
    assert.equal(((await counter.textContent()) ?? '').trim(), `11 / ${DEFAULT_LIMITS.maxTextChars} characters`);
    assert.equal(await page.getByLabel('Prompt', { exact: true }).getAttribute('maxlength'), String(DEFAULT_LIMITS.maxTextChars));
    await page.close();
  });

  it('the minimap keeps off the cards in a 1024 px window, also after a run', { skip: runSkip, timeout: 600_000 }, async () => {
    const page = await studio().open();
    await page.setViewportSize({ width: 1024, height: 768 });
    await dropGraph(page, quick('text-to-image'), 'text-to-image.json');
    await page.getByTestId('notice').filter({ hasText: 'text-to-image.json' }).waitFor();
    await page.getByTestId('run').click();
    await page.locator('[data-testid="run-phase"][data-phase="done"]').waitFor({ timeout: 300_000 });
    await page.getByTestId('images-upsample').waitFor();
    const covered = await page.evaluate(() => {
      const m = document.querySelector('.react-flow__minimap')?.getBoundingClientRect();
      if (!m || !m.width) return [];
      return [...document.querySelectorAll<HTMLElement>('.react-flow__node')]
        .filter((el) => {
          const r = el.getBoundingClientRect();
          return r.left < m.right && m.left < r.right && r.top < m.bottom && m.top < r.bottom;
        })
        .map((el) => el.dataset.id);
    });
    await page.screenshot({ path: join(ART, 'studio-1024.png') });
    assert.deepEqual(covered, [], 'no card under the minimap');
    await page.close();
  });
});

/** Every label on the example's embedding maps lies inside its plot and clear of the others. */
async function checkMapLabels(page: Page, name: string) {
  const bad = await page.evaluate(() => {
    const out: string[] = [];
    for (const svg of document.querySelectorAll<SVGSVGElement>('[data-testid="embedding-map"] svg')) {
      const vb = svg.viewBox.baseVal;
      const boxes = [...svg.querySelectorAll<SVGTextElement>('text.series-label')].map((t) => ({ t: t.textContent, b: t.getBBox() }));
      if (!boxes.length) out.push('a map with no label');
      for (const { t, b } of boxes) if (b.x < vb.x - 0.5 || b.y < vb.y - 0.5 || b.x + b.width > vb.x + vb.width + 0.5 || b.y + b.height > vb.y + vb.height + 0.5) out.push(`"${t}" outside the map`);
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, c] = [boxes[i]!.b, boxes[j]!.b];
          if (a.x < c.x + c.width - 0.5 && c.x < a.x + a.width - 0.5 && a.y < c.y + c.height - 0.5 && c.y < a.y + a.height - 0.5) out.push(`"${boxes[i]!.t}" over "${boxes[j]!.t}"`);
        }
    }
    return out;
  });
  assert.deepEqual(bad, [], `${name}: map labels inside and apart`);
}
