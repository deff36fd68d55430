// End-to-end, in Debian's Chromium against the real server (issue 24, "which words matter"): the
// word-weights example runs; the CLIP text encode card shows each prompt with its words shaded
// by weight (the number in each word's tooltip); hovering a heatmap cell shows which words of
// that row's prompt drive its score; the notebook view and the share page show the same words.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ROOT } from './helpers/server.js';
import { ARTIFACTS as ART, studioForSuite } from './helpers/studio.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);
const WEIGHTS = process.env.UNCLIP_WEIGHTS_DIR || join(ROOT, 'weights');
const noClip = existsSync(join(WEIGHTS, 'clip', 'model.safetensors')) ? false : 'no CLIP weights';

/** The shaded words of one prompt: text and weight (from data-weight), in order. */
async function words(prompt: Locator): Promise<{ text: string; weight: number }[]> {
  return prompt.locator('.ww-word').evaluateAll((els) => els.map((e) => ({ text: e.textContent ?? '', weight: Number(e.getAttribute('data-weight')) })));
}

describe('word weights end to end', { skip }, () => {
  const studio = studioForSuite();

  it('runs the word-weights example: shaded words on the text encoder, per-cell words on heatmap hover, in the notebook and on the share page', { skip: noClip, timeout: 600_000 }, async () => {
    const page = await studio().open();
    await page.setViewportSize({ width: 1680, height: 1000 });
    await page.getByTestId('example-word-weights').click();
    await page.getByTestId('node-text-enc').waitFor();
    await page.getByTestId('save').click();
    await page.waitForURL(/\?g=/);
    await page.getByTestId('run').click();
    await page.locator('[data-testid="run-phase"][data-phase="done"], [data-testid="run-phase"][data-phase="error"]').waitFor({ timeout: 300_000 });
    assert.equal(await page.getByTestId('run-phase').getAttribute('data-phase'), 'done', (await page.getByTestId('run-phase').textContent()) ?? '');

    // the text encoder's card: each prompt as typed, its words shaded; "red" outweighs "with"
    const card = page.getByTestId('node-text-enc');
    const prompts = card.getByTestId('word-weights');
    await prompts.first().waitFor();
    assert.equal(await prompts.count(), 3);
    assert.equal(await prompts.nth(0).textContent(), 'red heart with sparkles');
    const first = await words(prompts.nth(0));
    const w = (t: string) => first.find((x) => x.text === t)!.weight;
    assert.ok(w('red') > w('with'), `red ${w('red')} > with ${w('with')}`);
    assert.match((await prompts.nth(0).locator('.ww-word').first().getAttribute('title')) ?? '', /^weight 0\.\d{4}: 1 − cosine to the prompt without this word \(\d+% of the top word\)$/);
    // the emoji is one word, shaded as such
    assert.deepEqual((await words(prompts.nth(2))).map((x) => x.text), ['🔥', 'and', 'a', 'blue', 'heart']);
    await page.getByTestId('tidy').click();
    await card.screenshot({ path: join(ART, 'word-weights-card.png') });

    // hover a heatmap cell: the row's prompt with the words that drive that cell
    const scores = page.getByTestId('node-scores');
    assert.equal(await scores.getByTestId('heatmap-words').count(), 0, 'nothing before a hover');
    await scores.locator('rect').nth(1).hover(); // row "red heart with sparkles" × column "sparkles"
    const cell = scores.getByTestId('heatmap-words').getByTestId('word-weights');
    await cell.waitFor();
    assert.equal(await cell.textContent(), 'red heart with sparkles');
    assert.match((await cell.locator('.ww-word').last().getAttribute('title')) ?? '', /the cell's cosine (falls|rises) by 0\.\d{4} without this word/);
    const drops = await words(cell);
    assert.ok(drops.some((x) => x.weight !== 0));
    // another cell, other numbers for the same words
    await scores.locator('rect').nth(0).hover();
    await page.waitForFunction((before) => {
      const el = document.querySelector('[data-testid="node-scores"] [data-testid="heatmap-words"]');
      return el && [...el.querySelectorAll('.ww-word')].map((e) => e.getAttribute('data-weight')).join() !== before;
    }, drops.map((x) => String(x.weight)).join());
    await scores.locator('rect').nth(1).hover();
    await scores.screenshot({ path: join(ART, 'word-weights-heatmap.png') });

    // the notebook view shows the shaded prompts too
    await page.getByTestId('notebook-toggle').click();
    const notebook = page.getByTestId('notebook');
    await notebook.getByTestId('word-weights').first().waitFor();
    assert.equal(await notebook.getByTestId('prompt-word-weights').getByTestId('word-weights').count(), 3);
    await page.getByTestId('notebook-toggle').click();

    // the share page replays the run: the same shaded words, read-only
    await page.getByTestId('share').click();
    const link = await page.getByTestId('share-link').inputValue();
    const shared = await studio().open(link);
    const sharedPrompts = shared.getByTestId('node-text-enc').getByTestId('word-weights');
    await sharedPrompts.first().waitFor({ timeout: 20_000 });
    assert.deepEqual(await words(sharedPrompts.nth(0)), first);
    await shared.getByTestId('node-scores').locator('rect').nth(1).hover();
    await shared.getByTestId('node-scores').getByTestId('heatmap-words').waitFor();
    await shared.close();
    await page.close();
  });
});
