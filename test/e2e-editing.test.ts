// End-to-end, in Debian's Chromium against the real server (issue 23, items 4-7): number fields
// keep what the user types and show an out-of-range value as an error that blocks Run; deleting
// a node of the running run cancels it and says why; a fully cached rerun keeps the filmstrip;
// emoji in a prompt are read as their names, and an empty prompt is an error on its Text node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ROOT } from './helpers/server.js';
import { ARTIFACTS as ART, studioForSuite } from './helpers/studio.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);
const clipPresent = existsSync(join(process.env.UNCLIP_WEIGHTS_DIR || join(ROOT, 'weights'), 'clip'));

describe('studio editing end to end', { skip }, () => {
  const studio = studioForSuite();
  const pane = (page: Page) => page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  const select = (page: Page, id: string) => page.getByTestId(`node-${id}`).click({ position: { x: 60, y: 10 } });

  /** Clear a field and type `text` key by key, as a person does. */
  async function typeInto(page: Page, label: string, text: string) {
    const f = page.getByLabel(label, { exact: true });
    await f.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(text);
    return f;
  }

  it('number fields keep what is typed; out-of-range values are errors with the range and block Run', async () => {
    const page = await studio().open();
    await page.getByTestId('palette-debug-steps').click();
    await page.getByTestId('node-debug-steps-1').waitFor();
    await page.getByLabel('Work per step (ms)', { exact: true }).fill('5');

    // "25", Backspace twice, "8": the field says 8 (it used to say 28)
    const steps = await typeInto(page, 'Steps', '25');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    assert.equal(await steps.inputValue(), '', 'the field can be empty while typing');
    await page.keyboard.type('8');
    assert.equal(await steps.inputValue(), '8');
    // "16" in a field whose minimum is 8: the "1" on the way is not clamped to 8 (it used to give 86)
    const size = await typeInto(page, 'Frame size', '16');
    assert.equal(await size.inputValue(), '16');
    // a decimal typed from "0": not clamped on the way
    const work = await typeInto(page, 'Work per step (ms)', '0.5');
    assert.equal(await work.inputValue(), '0.5');
    // committed: reselecting the node reads the values back from the graph
    await pane(page);
    await select(page, 'debug-steps-1');
    assert.equal(await page.getByLabel('Steps', { exact: true }).inputValue(), '8');
    assert.equal(await page.getByLabel('Frame size', { exact: true }).inputValue(), '16');
    assert.equal(await page.getByLabel('Work per step (ms)', { exact: true }).inputValue(), '0.5');

    // out of range: kept as typed, an error with the range on the field, and Run refuses naming it
    for (const [label, text, range] of [['Steps', '0', /1 … 100000/], ['Steps', '-1', /1 … 100000/], ['Frame size', '100000', /8 … 256/], ['Frame size', '2.5', /whole number/]] as const) {
      const f = await typeInto(page, label, text);
      assert.equal(await f.inputValue(), text, `${label} keeps "${text}"`);
      assert.equal(await f.getAttribute('aria-invalid'), 'true');
      const param = label === 'Steps' ? 'steps' : 'size';
      const err = page.getByTestId(`field-error-${param}`);
      assert.match((await err.textContent()) ?? '', range);
      if (text === '0') await page.screenshot({ path: join(ART, 'studio-field-error.png') });
      // deselected, the card still says so; Run refuses, naming the field
      await pane(page);
      assert.match((await page.getByTestId(`draft-debug-steps-1-${param}`).textContent()) ?? '', range);
      await page.getByTestId('run').click();
      await page.getByTestId('notice').filter({ hasText: new RegExp(`${label}.*debug-steps-1`) }).waitFor({ timeout: 5000 });
      assert.notEqual(await page.getByTestId('run-phase').getAttribute('data-phase'), 'starting');
      // selected again, the field shows what was typed
      await select(page, 'debug-steps-1');
      assert.equal(await page.getByLabel(label, { exact: true }).inputValue(), text);
      await typeInto(page, label, label === 'Steps' ? '3' : '16');
      assert.equal(await page.getByTestId(`draft-debug-steps-1-${param}`).count(), 0);
    }
    await pane(page);
    await page.getByTestId('run').click();
    await page.locator('[data-testid="run-phase"][data-phase="done"]').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('filmstrip-debug-steps-1').getAttribute('data-frames'), '3');
    await page.close();
  });

  it('a fully cached rerun keeps the filmstrip, twice over', async () => {
    const page = await studio().open();
    await page.getByTestId('palette-debug-steps').click();
    await page.getByTestId('node-debug-steps-1').waitFor();
    await page.getByLabel('Steps', { exact: true }).fill('6');
    await page.getByLabel('Work per step (ms)', { exact: true }).fill('5');
    await pane(page);
    const film = page.getByTestId('filmstrip-debug-steps-1');
    const frameSrc = () => page.getByTestId('frame-debug-steps-1').getAttribute('src');
    let firstSrc: string | null = null;
    for (let run = 1; run <= 3; run++) {
      await page.getByTestId('run').click();
      await page.locator('[data-testid="run-phase"][data-phase="done"]').waitFor({ timeout: 60_000 });
      if (run > 1) await page.getByTestId('cached-debug-steps-1').waitFor();
      assert.equal(await film.getAttribute('data-frames'), '6', `run ${run}: every step's frame`);
      await page.getByTestId('scrubber-debug-steps-1').fill('2');
      assert.match((await page.getByTestId('film-step-debug-steps-1').textContent()) ?? '', /step 3\/6/);
      // the frame's picture is still there (its blob: URL not freed while shown)
      await page.waitForFunction(() => {
        const im = document.querySelector<HTMLImageElement>('[data-testid="frame-debug-steps-1"]');
        return !!im && im.complete && im.naturalWidth > 0;
      }, undefined, { timeout: 5000 });
      firstSrc ??= await frameSrc();
    }
    await page.getByTestId('schedule-plot').waitFor();

    // another seed runs the node again; back to the first seed, the cache serves the first run's
    // outputs, and the filmstrip is the first run's too (kept by cache key), not the last one shown
    const seed = async (v: string) => {
      await select(page, 'debug-steps-1');
      await typeInto(page, 'Seed', v);
      await pane(page);
      await page.getByTestId('run').click();
      await page.locator('[data-testid="run-phase"][data-phase="done"]').waitFor({ timeout: 60_000 });
      await page.getByTestId('scrubber-debug-steps-1').fill('2');
    };
    await seed('5');
    assert.equal(await page.getByTestId('cached-debug-steps-1').count(), 0, 'a new seed runs');
    assert.notEqual(await frameSrc(), firstSrc);
    await seed('0');
    await page.getByTestId('cached-debug-steps-1').waitFor();
    assert.equal(await frameSrc(), firstSrc, 'the steps of the outputs on show');
    await page.close();
  });

  it('deleting a node of the running run cancels the run and says why', async () => {
    const page = await studio().open();
    await page.getByTestId('palette-debug-steps').click();
    await page.getByTestId('node-debug-steps-1').waitFor();
    await page.getByLabel('Steps', { exact: true }).fill('60');
    await page.getByLabel('Work per step (ms)', { exact: true }).fill('150');
    await pane(page);
    await page.getByTestId('run').click();
    await page.getByTestId('status-debug-steps-1').filter({ hasText: /step \d+\/60/ }).waitFor({ timeout: 30_000 });
    await select(page, 'debug-steps-1');
    await page.keyboard.press('Delete');
    await page.getByTestId('node-debug-steps-1').waitFor({ state: 'detached' });
    const phase = page.getByTestId('run-phase');
    await page.locator('[data-testid="run-phase"][data-phase="cancelled"]').waitFor({ timeout: 20_000 });
    assert.match((await phase.textContent()) ?? '', /debug-steps-1 was deleted/);
    // undo brings the node back, but not as running: the run is over
    await page.keyboard.press('Control+z');
    await page.getByTestId('node-debug-steps-1').waitFor();
    assert.notEqual(await page.getByTestId('status-debug-steps-1').getAttribute('data-status'), 'running');
    await page.close();
  });

  it('an empty prompt is an error on its Text node; emoji are read as their names', async () => {
    const page = await studio().open();
    await page.getByTestId('palette-text').click();
    await page.getByTestId('node-text-1').waitFor();
    await page.getByLabel('Prompt', { exact: true }).fill('   ');
    await pane(page);
    await page.getByTestId('run').click();
    await page.getByTestId('problems-text-1').waitFor({ timeout: 20_000 });
    assert.match((await page.getByTestId('problems-text-1').textContent()) ?? '', /EMPTY_PROMPT/);
    if (!clipPresent) return void (await page.close());

    const canvas = page.getByTestId('canvas');
    await page.getByTestId('palette-clip-text-encode').dragTo(canvas, { targetPosition: { x: 420, y: 120 } });
    await page.getByTestId('node-clip-text-encode-1').waitFor();
    await pane(page);
    await select(page, 'clip-text-encode-1');
    await page.getByLabel(/^text/).selectOption({ label: 'text-1 · text' });
    await page.locator('.react-flow__edge').first().waitFor();
    // only words CLIP does not know: nothing to encode, an error on the Text node before running
    await select(page, 'text-1');
    await page.getByLabel('Prompt', { exact: true }).fill('zzqxv qqqzx');
    await pane(page);
    await page.getByTestId('run').click();
    await page.getByTestId('problems-text-1').filter({ hasText: /EMPTY_PROMPT.*no word/ }).waitFor({ timeout: 20_000 });

    await select(page, 'text-1');
    await page.getByLabel('Prompt', { exact: true }).fill('🍎❤️🔥');
    await pane(page);
    await page.getByTestId('run').click();
    await page.locator('[data-testid="run-phase"][data-phase="done"], [data-testid="run-phase"][data-phase="error"]').waitFor({ timeout: 180_000 });
    assert.equal(await page.getByTestId('run-phase').getAttribute('data-phase'), 'done', (await page.getByTestId('run-phase').textContent()) ?? '');
    const reads = page.getByTestId('node-text-1').getByTestId('prompt-reads');
    await reads.waitFor();
    assert.match((await reads.textContent()) ?? '', /red apple red heart fire/);
    assert.equal(await page.getByTestId('problems-text-1').count(), 0);
    await page.getByTestId('node-text-1').screenshot({ path: join(ART, 'studio-emoji-prompt.png') });
    await page.close();
  });
});
