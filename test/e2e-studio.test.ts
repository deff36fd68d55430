// End-to-end: the studio in Debian's Chromium against the real server (UNCLIP_DEBUG=1 for the
// debug-steps node, a fresh data folder). Builds a graph from the palette by drag and connect,
// sees a wrong link refused with its reason, runs (CLIP nodes: the MODEL_MISSING error shown on
// the node while weights are absent, else the heatmap), runs debug-steps and scrubs its
// filmstrip, saves and opens the share link read-only in a fresh browser, forks, and drops an
// exported PNG back on the canvas to get the graph back. With the diffusion weights installed,
// it also builds text → CLIP → prior → decoder → upsample (+ embedding plot) from the palette,
// runs it (decoder and upsample frames live, the final image), scrubs and plays the decoder's
// filmstrip, and finds the prior's trajectory on the map and a corpus thumbnail on hover.
// Screenshots go to test/artifacts/.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { extractGraphText } from '../app/lib/png.js';
import { e2eMissingReason, launchChromium } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ROOT } from './helpers/server.js';
import { ARTIFACTS as ART, dropFile, studioForSuite } from './helpers/studio.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);
// the server inherits this environment, so UNCLIP_WEIGHTS_DIR=/empty exercises the no-CLIP path
const clipPresent = existsSync(join(process.env.UNCLIP_WEIGHTS_DIR || join(ROOT, 'weights'), 'clip'));
const diffusionMissing = ['clip', 'prior', 'decoder', 'upsampler'].filter((m) => !existsSync(join(process.env.UNCLIP_WEIGHTS_DIR || join(ROOT, 'weights'), m)));
const diffusionSkip = diffusionMissing.length ? `no weights for ${diffusionMissing.join(', ')}` : false;

describe('studio end to end', { skip }, () => {
  const studio = studioForSuite();
  let shareLink = '';
  let pngPath = '';
  const open = (url?: string) => studio().open(url);
  const handle = (page: Page, node: string, side: 'in' | 'out', port: string) => page.locator(`[data-testid="node-${node}"] .port-${side}[data-port="${port}"] .react-flow__handle`);
  /**
   * The canvas re-renders a frame or more after a key press or click (more under load): wait up to
   * 10 s for `selector` to match n elements, then assert (a readable failure if it never does).
   */
  async function expectCount(page: Page, selector: string, n: number, message?: string) {
    await page.waitForFunction(([s, k]) => document.querySelectorAll(s).length === k, [selector, n] as const, { timeout: 10_000 }).catch(() => {});
    assert.equal(await page.locator(selector).count(), n, message ?? `${selector}: expected ${n}`);
  }

  async function link(page: Page, from: [string, string], to: [string, string], release = true) {
    const a = await handle(page, from[0], 'out', from[1]).boundingBox();
    const b = await handle(page, to[0], 'in', to[1]).boundingBox();
    assert.ok(a && b, 'both handles are on screen');
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    if (release) await page.mouse.up();
  }

  it('builds text → CLIP text encode → similarity from the palette, refuses a wrong link, and runs', async () => {
    const page = await open();
    const canvas = page.getByTestId('canvas');
    await page.getByTestId('palette-text').dragTo(canvas, { targetPosition: { x: 40, y: 120 } });
    await page.getByTestId('palette-clip-text-encode').dragTo(canvas, { targetPosition: { x: 320, y: 60 } });
    await page.getByTestId('palette-similarity').dragTo(canvas, { targetPosition: { x: 320, y: 300 } });
    await page.getByTestId('node-similarity-1').waitFor();
    await expectCount(page, '.react-flow__node', 3);

    // wrong: text into an embedding input. The reason shows while hovering; the drop adds nothing.
    await link(page, ['text-1', 'text'], ['similarity-1', 'rows'], false);
    await page.getByTestId('link-hint').waitFor({ timeout: 5000 });
    assert.match((await page.getByTestId('link-hint').textContent()) ?? '', /text cannot feed embedding\(any\)/);
    await page.screenshot({ path: join(ART, 'studio-link-refused.png') });
    await page.mouse.up();
    await expectCount(page, '.react-flow__edge', 0, 'the wrong link was not made');
    await page.getByTestId('notice').filter({ hasText: 'refused' }).waitFor();

    await link(page, ['text-1', 'text'], ['clip-text-encode-1', 'text']);
    await link(page, ['clip-text-encode-1', 'embedding'], ['similarity-1', 'rows']);
    await expectCount(page, '.react-flow__edge', 2);

    // undo removes the last link, redo brings it back
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    await expectCount(page, '.react-flow__edge', 1);
    await page.keyboard.press('Control+Shift+z');
    await expectCount(page, '.react-flow__edge', 2);

    // a prompt with a word CLIP cannot know
    await page.getByTestId('node-text-1').click();
    await page.getByLabel('Prompt', { exact: true }).fill('red apple zzqxv');

    // run with the columns input unlinked: the server names the node and the port
    await page.keyboard.press('Control+Enter');
    await page.locator('[data-testid="node-similarity-1"] .port[data-port="cols"][data-bad="true"]').waitFor({ timeout: 20_000 });
    assert.match((await page.getByTestId('problems-similarity-1').textContent()) ?? '', /MISSING_INPUT on cols/);
    await page.screenshot({ path: join(ART, 'studio-port-error.png') });

    // select text + encoder (Ctrl+click), copy and paste them: the copy keeps its inner link.
    // The copy feeds the columns, so the matrix compares two prompt sets.
    await page.getByTestId('node-clip-text-encode-1').click({ modifiers: ['Control'], position: { x: 60, y: 10 } });
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await page.getByTestId('node-clip-text-encode-2').waitFor();
    await expectCount(page, '.react-flow__node', 5);
    await expectCount(page, '.react-flow__edge', 3);
    // (clicking one node of a selection keeps the selection: clear it on the pane first)
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.getByTestId('node-text-2').click({ position: { x: 60, y: 10 } });
    await page.getByLabel('Prompt', { exact: true }).fill('banana');
    await link(page, ['clip-text-encode-2', 'embedding'], ['similarity-1', 'cols']);
    await expectCount(page, '.react-flow__edge', 4);
    await page.keyboard.press('Control+Enter');
    // Without CLIP weights the server refuses the run and names the node (MODEL_MISSING); with
    // them (training drops a checkpoint mid-session) it runs and the heatmap appears.
    await page.locator('[data-testid="run-phase"][data-phase="done"], [data-testid="run-phase"][data-phase="error"]').waitFor({ timeout: 180_000 });
    await page.screenshot({ path: join(ART, 'studio-clip-graph.png') });
    const phase = await page.getByTestId('run-phase').getAttribute('data-phase');
    if (phase === 'error') {
      const problems = page.getByTestId('problems-clip-text-encode-1');
      await problems.waitFor();
      if (!clipPresent) assert.match((await problems.textContent()) ?? '', /MODEL_MISSING/);
      assert.equal(await page.getByTestId('status-clip-text-encode-1').getAttribute('data-status'), 'error');
    } else {
      await page.getByTestId('heatmap').waitFor();
      // the unknown word is underlined on the Text node, and marked (weight 0) among the encoder's word weights
      await page.getByTestId('node-text-1').locator('.unknown-word', { hasText: 'zzqxv' }).waitFor();
      await page.getByTestId('node-clip-text-encode-1').getByTestId('word-weights').locator('.unknown-word', { hasText: 'zzqxv' }).waitFor();
      await page.getByTestId('heatmap').locator('rect').first().hover();
      assert.match((await page.getByTestId('heatmap-readout').textContent()) ?? '', /red apple zzqxv × banana: -?\d\.\d{3}/);
    }

    // wire from the keyboard: the inspector lists the outputs that fit each input
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.getByTestId('node-similarity-1').click({ position: { x: 60, y: 10 } });
    const cols = page.getByLabel(/^columns/);
    assert.deepEqual(await cols.locator('option').allTextContents(), ['— not linked —', 'clip-text-encode-1 · text embedding', 'clip-text-encode-2 · text embedding'], 'only fitting outputs are offered');
    await cols.selectOption({ label: '— not linked —' });
    await expectCount(page, '.react-flow__edge', 3);
    await cols.focus();
    await page.keyboard.press('Control+z'); // a select has focus: undo is the browser's, not the canvas's
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    await expectCount(page, '.react-flow__edge', 4);

    // delete a node (its links go with it), then undo brings both back
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.getByTestId('node-similarity-1').click({ position: { x: 60, y: 10 } });
    await page.keyboard.press('Delete');
    await expectCount(page, '.react-flow__node', 4);
    await expectCount(page, '.react-flow__edge', 2);
    await page.keyboard.press('Control+z');
    await expectCount(page, '.react-flow__node', 5);
    await expectCount(page, '.react-flow__edge', 4);
    await page.close();
  });

  it('runs debug-steps: frames arrive live, then the filmstrip scrubs and plays', async () => {
    const page = await open();
    await page.getByTestId('palette-debug-steps').click();
    await page.getByTestId('node-debug-steps-1').waitFor();
    await page.getByLabel('Steps', { exact: true }).fill('16');
    await page.getByLabel('Work per step (ms)', { exact: true }).fill('150');
    await page.getByTestId('palette-note').click();
    await page.getByLabel('Markdown').fill('# Noise frames\nA **debug** node: each step is a new random frame. [docs](https://example.com) [bad](javascript:alert(1))');
    await page.getByTestId('graph-title').fill('Noise frames demo');
    await page.getByTestId('save').click();
    await page.waitForURL(/\?g=/);
    await page.getByRole('button', { name: 'Run' }).click();
    const film = page.getByTestId('filmstrip-debug-steps-1');
    await film.and(page.locator('[data-live="true"]')).waitFor({ timeout: 30_000 });
    // a few steps in, so the screenshot shows a run under way
    await page.getByTestId('status-debug-steps-1').filter({ hasText: /step ([6-9]|1[0-4])\/16/ }).waitFor();
    await page.screenshot({ path: join(ART, 'studio-mid-run.png') });
    await page.getByTestId('status-debug-steps-1').and(page.locator('[data-status="done"]')).waitFor({ timeout: 60_000 });
    assert.equal(await film.getAttribute('data-frames'), '16');
    assert.equal(await page.locator('.markdown a[href^="javascript"]').count(), 0, 'unsafe link not rendered');
    assert.equal(await page.locator('.markdown a[href="https://example.com/"]').count(), 1);
    await page.getByTestId('scrubber-debug-steps-1').fill('0');
    assert.match((await page.getByTestId('film-step-debug-steps-1').textContent()) ?? '', /step 1\/16/);
    await page.getByTestId('schedule-plot').waitFor();
    await page.getByTestId('play-debug-steps-1').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="filmstrip-debug-steps-1"]')?.getAttribute('data-index')) > 2);
    await page.getByTestId('scrubber-debug-steps-1').fill('7');
    // the steps as an animation, made on the server from this run's frames
    const anim = await page.getByTestId('anim-webp-debug-steps-1').getAttribute('href');
    const webp = await fetch(new URL(anim!, page.url()));
    assert.equal(webp.headers.get('content-type'), 'image/webp');
    assert.equal((await sharp(Buffer.from(await webp.arrayBuffer()), { animated: true }).metadata()).pages, 16);
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.screenshot({ path: join(ART, 'studio-filmstrip.png') });

    // share link, and a PNG download carrying the graph
    await page.getByTestId('share').click();
    shareLink = await page.getByTestId('share-link').inputValue();
    assert.match(shareLink, /\/g\/[A-Za-z0-9_-]+$/);
    const download = page.waitForEvent('download');
    await page.getByTestId('images-debug-steps-1').getByRole('button').first().click();
    pngPath = join(ART, 'exported-debug-steps.png');
    // a download that never starts has its reason in the notice line (startDownload)
    const notice = async () => (await page.getByTestId('notice').count()) ? await page.getByTestId('notice').innerText() : 'no notice';
    await (await download.catch(async (e: Error) => assert.fail(`no PNG download (${e.message}); the studio said: ${await notice()}`))).saveAs(pngPath);
    const text = extractGraphText(new Uint8Array(readFileSync(pngPath)));
    assert.ok(text, 'the PNG carries the graph');
    assert.deepEqual(JSON.parse(text).nodes.map((n: { id: string }) => n.id).sort(), ['debug-steps-1', 'note-1']);
    await page.close();
  });

  it('opens the share link read-only in a fresh browser, with the stored frames, and forks', async () => {
    const fresh = await launchChromium();
    try {
      const page = await fresh.context.newPage();
      studio().watch(page);
      await page.goto(shareLink, { waitUntil: 'domcontentloaded' });
      await page.getByTestId('read-only').filter({ hasText: 'Noise frames demo' }).waitFor();
      const film = page.getByTestId('filmstrip-debug-steps-1');
      await film.waitFor({ timeout: 20_000 });
      assert.equal(await film.getAttribute('data-frames'), '16', 'the stored run replays without rerunning');
      assert.equal(await page.getByTestId('run').count(), 0, 'no Run button on the read-only page');
      assert.equal(await page.getByTestId('palette').count(), 0);
      await page.screenshot({ path: join(ART, 'studio-shared-readonly.png') });
      await page.getByTestId('fork').click();
      await page.waitForURL(/\/\?g=/);
      await page.getByTestId('run').waitFor();
      await page.getByTestId('node-debug-steps-1').waitFor();
      assert.notEqual(new URL(page.url()).searchParams.get('g'), shareLink.split('/').pop(), 'the fork has its own id');
    } finally {
      await fresh.close();
    }
  });

  it('a share link opened mid-run follows the run live (run:watch)', async () => {
    const page = await open();
    await page.getByTestId('palette-debug-steps').click();
    await page.getByLabel('Steps', { exact: true }).fill('30');
    await page.getByLabel('Work per step (ms)', { exact: true }).fill('200');
    await page.getByTestId('save').click();
    await page.waitForURL(/\?g=/);
    await page.getByTestId('share').click();
    const link = await page.getByTestId('share-link').inputValue();
    await page.getByTestId('run').click();
    await page.getByTestId('status-debug-steps-1').filter({ hasText: /step \d+\/30/ }).waitFor({ timeout: 30_000 });
    const viewer = await open(link);
    await viewer.getByTestId('read-only').waitFor();
    await viewer.getByTestId('filmstrip-debug-steps-1').and(viewer.locator('[data-live="true"]')).waitFor({ timeout: 20_000 });
    await viewer.getByTestId('status-debug-steps-1').and(viewer.locator('[data-status="done"]')).waitFor({ timeout: 60_000 });
    assert.equal(await viewer.getByTestId('filmstrip-debug-steps-1').getAttribute('data-frames'), '30', 'the frames before joining and after');
    await viewer.close();
    await page.close();
  });

  it('drops an exported PNG on an empty canvas and gets the graph back; exports and imports JSON', async () => {
    const page = await open();
    await expectCount(page, '.react-flow__node', 0);
    await dropFile(page, readFileSync(pngPath), 'graph.png', 'image/png');
    await page.getByTestId('node-debug-steps-1').waitFor({ timeout: 10_000 });
    await page.getByTestId('node-note-1').waitFor();
    await page.getByTestId('notice').filter({ hasText: 'Opened the graph' }).waitFor();
    await page.getByTestId('node-debug-steps-1').click();
    assert.equal(await page.getByLabel('Steps', { exact: true }).inputValue(), '16');

    // export as JSON, then import it on a fresh page with the Import button's file input
    const download = page.waitForEvent('download');
    await page.getByTestId('export').click();
    const jsonPath = join(ART, 'exported-graph.json');
    await (await download).saveAs(jsonPath);
    const exported = JSON.parse(readFileSync(jsonPath, 'utf8')) as { version: number; nodes: { id: string; params: Record<string, unknown> }[] };
    assert.equal(exported.version, 1);
    assert.equal(exported.nodes.find((n) => n.id === 'debug-steps-1')?.params.steps, 16);
    await page.close();
    const again = await open();
    await again.getByTestId('import-file').setInputFiles(jsonPath);
    await again.getByTestId('node-debug-steps-1').waitFor({ timeout: 10_000 });
    assert.equal(await again.locator('.react-flow__node').count(), exported.nodes.length);
    await again.close();
  });

  it('runs the CLIP-scores example: heatmap and the embedding map with neighbours', { skip: clipPresent ? false : 'no CLIP weights in weights/clip' }, async () => {
    const page = await open();
    await page.getByTestId('example-clip-similarity').click();
    await page.getByTestId('node-scores').waitFor();
    await page.getByTestId('run').click();
    // the first embedding-plot run fits the corpus map (encodes every icon): minutes on 2 cores
    await page.locator('[data-testid="run-phase"][data-phase="done"], [data-testid="run-phase"][data-phase="error"]').waitFor({ timeout: 420_000 });
    assert.equal(await page.getByTestId('run-phase').getAttribute('data-phase'), 'done', (await page.getByTestId('run-phase').textContent()) ?? '');
    await page.getByTestId('heatmap').waitFor();
    await page.getByTestId('tidy').click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ART, 'studio-clip-example.png') });
    const map = page.getByTestId('embedding-map');
    await map.waitFor();
    await map.locator('.corpus-dot').first().waitFor({ timeout: 20_000 });
    assert.ok((await map.locator('.series-dot').count()) >= 8, 'four prompts and four icons drawn on the map');
    assert.match((await page.getByTestId('neighbours').textContent()) ?? '', /\d\.\d\d/);
    await page.getByTestId('node-scores').locator('rect').first().hover();
    await page.getByTestId('node-scores').screenshot({ path: join(ART, 'studio-heatmap.png') });
    // run again: nothing changed, so every node comes from the cache and says so
    await page.getByTestId('run').click();
    await page.getByTestId('cached-text-enc').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="run-phase"][data-phase="done"]').waitFor({ timeout: 60_000 });
    await page.getByTestId('notebook-toggle').click();
    const notebook = page.getByTestId('notebook');
    await notebook.waitFor();
    assert.equal(await notebook.locator('.cell').count(), 7);
    const mapCell = notebook.locator('.cell', { has: page.getByTestId('embedding-map') });
    await mapCell.scrollIntoViewIfNeeded();
    await mapCell.locator('.corpus-dot').last().hover({ force: true });
    await mapCell.screenshot({ path: join(ART, 'studio-embedding-map.png') });
    await page.screenshot({ path: join(ART, 'studio-notebook.png') });
    await page.close();
  });

  it('builds text-to-image from the palette and runs it: decoder and upsample frames live, the final image, the filmstrip scrubs, the prior on the map', { skip: diffusionSkip }, async () => {
    const page = await open();
    // a wider window, so the six cards fit side by side at full size once they have run
    await page.setViewportSize({ width: 1680, height: 1000 });
    // the gallery lists every examples/*.json, the diffusion ones included
    for (const name of ['text-to-image', 'variations', 'interpolation', 'text-diff', 'prior-vs-no-prior']) await page.getByTestId(`example-${name}`).waitFor();
    assert.match((await page.getByTestId('example-text-to-image').textContent()) ?? '', /Text to image/, 'titled by its note');

    // text → CLIP text encode → prior → decoder → upsample, and an embedding plot of the text and
    // the prior's embedding, by drag and connect
    const canvas = page.getByTestId('canvas');
    const place: [string, number, number][] = [
      ['text', 30, 10], ['clip-text-encode', 30, 150], ['embedding-plot', 30, 400],
      ['prior', 330, 10], ['decoder', 620, 10], ['upsample', 910, 10],
    ];
    for (const [type, x, y] of place) {
      await page.getByTestId(`palette-${type}`).dragTo(canvas, { targetPosition: { x, y } });
      await page.getByTestId(`node-${type}-1`).waitFor();
    }
    // (a drag that React Flow did not take as a connection, say while it was still settling
    // the last drop, is tried once more)
    const wire = async (from: [string, string], to: [string, string]) => {
      const before = await page.locator('.react-flow__edge').count();
      await link(page, from, to);
      if ((await page.locator('.react-flow__edge').count()) === before) {
        await page.waitForTimeout(300);
        await link(page, from, to);
      }
    };
    await wire(['text-1', 'text'], ['clip-text-encode-1', 'text']);
    await wire(['clip-text-encode-1', 'embedding'], ['prior-1', 'embedding']);
    await wire(['prior-1', 'embedding'], ['decoder-1', 'embedding']);
    await wire(['decoder-1', 'image'], ['upsample-1', 'image']);
    await wire(['clip-text-encode-1', 'embedding'], ['embedding-plot-1', 'a']);
    await wire(['prior-1', 'embedding'], ['embedding-plot-1', 'b']);
    await page.screenshot({ path: join(ART, 'studio-text-to-image-built.png') });
    await expectCount(page, '.react-flow__edge', 6);

    // few steps, so the run is short on a busy CPU (set in the inspector)
    const setParam = async (node: string, label: string, value: string) => {
      await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
      await page.getByTestId(`node-${node}`).click({ position: { x: 60, y: 10 } });
      await page.getByLabel(label, { exact: true }).fill(value);
    };
    await setParam('text-1', 'Prompt', 'red apple');
    await setParam('prior-1', 'Steps', '10');
    await setParam('decoder-1', 'Steps', '10');
    await setParam('upsample-1', 'Steps', '3');
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    // fit, then pan the graph to the top: the cards grow downwards as their outputs arrive
    await page.getByRole('button', { name: 'fit view', exact: true }).click();
    await page.waitForTimeout(300);
    const cbox = (await canvas.boundingBox())!;
    const dy = (await page.getByTestId('node-text-1').boundingBox())!.y - cbox.y - 16;
    const grab = { x: cbox.x + cbox.width * 0.6, y: cbox.y + cbox.height - 100 };
    await page.mouse.move(grab.x, grab.y);
    await page.mouse.down();
    await page.mouse.move(grab.x, grab.y - dy, { steps: 8 });
    await page.mouse.up();

    const phase = page.getByTestId('run-phase');
    // A whole run takes seconds, faster than polling looks: the page records, at every DOM
    // change, how many frames each filmstrip had while it was live.
    const liveSeen = (id: string) => page.evaluate((id) => (window as unknown as { liveSeen: Record<string, number> }).liveSeen[id] ?? 0, id);
    const runOnce = async (shot?: string) => {
      await page.evaluate(() => {
        const seen: Record<string, number> = {};
        (window as unknown as { liveSeen: Record<string, number> }).liveSeen = seen;
        new MutationObserver(() => {
          for (const el of document.querySelectorAll<HTMLElement>('[data-live="true"]')) seen[el.dataset.testid!] = Math.max(seen[el.dataset.testid!] ?? 0, Number(el.dataset.frames));
        }).observe(document.body, { subtree: true, childList: true, attributes: true });
      });
      await page.keyboard.press('Control+Enter');
      // frames arrive while the decoder runs: the live frame (x_t beside the predicted x0), the
      // step on its badge, the schedule so far; a screenshot half way through
      await page.waitForFunction(() => ((window as unknown as { liveSeen: Record<string, number> }).liveSeen['filmstrip-decoder-1'] ?? 0) >= 5, undefined, { polling: 'raf', timeout: 300_000 });
      if (shot) await page.screenshot({ path: join(ART, shot) });
      await page.locator('[data-testid="run-phase"][data-phase="done"], [data-testid="run-phase"][data-phase="error"]').waitFor({ timeout: 300_000 });
      assert.equal(await phase.getAttribute('data-phase'), 'done', (await phase.textContent()) ?? '');
      assert.ok((await liveSeen('filmstrip-decoder-1')) >= 5, 'the decoder showed its frames live');
      // (the upsampler's three steps can all land while the page is busy taking the screenshot,
      // and be drawn in one go: its frames are counted below, not watched live)
    };
    await runOnce('studio-text-to-image-mid-run.png');

    // every step's frame was kept; a frame is x_t | x0, twice as wide as tall, and drawn so
    const film = page.getByTestId('filmstrip-decoder-1');
    assert.equal(await film.getAttribute('data-frames'), '10');
    assert.equal(await page.getByTestId('filmstrip-upsample-1').getAttribute('data-frames'), '3');
    const frame = page.getByTestId('frame-decoder-1');
    const natural = await frame.evaluate((im: HTMLImageElement) => [im.naturalWidth, im.naturalHeight]);
    assert.deepEqual(natural, [64, 32], 'decoder frame: 32x32 x_t beside 32x32 x0');
    const box = (await frame.boundingBox())!;
    assert.ok(Math.abs(box.width / box.height - 2) < 0.05, `drawn 2:1, not squashed (${box.width}x${box.height})`);
    assert.equal(await frame.evaluate((im) => getComputedStyle(im).imageRendering), 'pixelated');
    const upNatural = await page.getByTestId('frame-upsample-1').evaluate((im: HTMLImageElement) => [im.naturalWidth, im.naturalHeight]);
    assert.deepEqual(upNatural, [128, 64], 'upsample frame: 64x64 x_t beside 64x64 x0');
    // the final image
    const out = page.getByTestId('images-upsample-1').locator('img').first();
    await page.waitForFunction(() => (document.querySelector('[data-testid="images-upsample-1"] img') as HTMLImageElement | null)?.naturalWidth === 64);
    assert.equal(await out.getAttribute('alt'), 'prior(red apple)');

    await page.getByRole('button', { name: 'fit view', exact: true }).click();
    // scrub back to the first (noisiest) step, then play
    await page.getByTestId('scrubber-decoder-1').fill('0');
    assert.match((await page.getByTestId('film-step-decoder-1').textContent()) ?? '', /step 1\/10 · noise t 0\.\d{3}/);
    assert.equal(await film.locator('[data-testid="schedule-plot"]').getAttribute('data-step'), '1');
    await page.getByTestId('play-decoder-1').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="filmstrip-decoder-1"]')?.getAttribute('data-index')) === 9);
    await page.getByTestId('scrubber-decoder-1').fill('4');
    assert.equal(await film.locator('[data-testid="schedule-plot"]').getAttribute('data-step'), '5');
    await page.screenshot({ path: join(ART, 'studio-text-to-image-done.png') });

    // the prior's path on the map: its points stream once the map is fitted (an embedding-plot
    // run fits it); if this run fitted it, a new prior seed runs the prior again with points
    if ((await page.getByTestId('map-track-prior-1').count()) === 0) {
      await setParam('prior-1', 'Seed', '1');
      await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
      await runOnce();
    }
    const track = page.getByTestId('map-track-prior-1');
    await track.waitFor({ timeout: 10_000 });
    assert.equal(await track.getAttribute('data-steps'), '10');
    assert.match((await page.getByTestId('track-legend').textContent()) ?? '', /prior-1: its predicted embedding at each of 10 steps/);
    assert.equal(await page.getByTestId('trajectory-prior-1').getAttribute('data-steps'), '10', 'and on the prior card');

    // close-ups in the notebook view (every node at full size): the filmstrip, and the map with
    // a corpus icon's thumbnail on hover
    await page.getByTestId('notebook-toggle').click();
    const notebook = page.getByTestId('notebook');
    const decCell = notebook.locator('.cell', { has: page.getByTestId('filmstrip-decoder-1') });
    await decCell.scrollIntoViewIfNeeded();
    await decCell.getByTestId('scrubber-decoder-1').fill('4');
    await decCell.screenshot({ path: join(ART, 'studio-decoder-filmstrip.png') });
    const mapCell = notebook.locator('.cell', { has: page.getByTestId('embedding-map') });
    await mapCell.scrollIntoViewIfNeeded();
    await mapCell.locator('.corpus-dot').first().waitFor({ timeout: 20_000 });
    // hover a corpus icon towards the lower right, where its tooltip leaves the paths in view
    const target = await mapCell.evaluate((cell) => {
      const box = cell.querySelector('.embmap svg')!.getBoundingClientRect();
      const [tx, ty] = [box.x + box.width * 0.85, box.y + box.height * 0.85];
      let best = 0;
      let bestD = Infinity;
      cell.querySelectorAll('.corpus-dot').forEach((d, i) => {
        const r = d.getBoundingClientRect();
        const dd = (r.x - tx) ** 2 + (r.y - ty) ** 2;
        if (dd < bestD) [best, bestD] = [i, dd];
      });
      return best;
    });
    await mapCell.locator('.corpus-dot').nth(target).hover({ force: true });
    const icon = page.getByTestId('map-tooltip-icon');
    await icon.waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid="map-tooltip-icon"]') as HTMLImageElement | null)?.naturalWidth === 64);
    assert.match((await icon.getAttribute('src')) ?? '', /^\/api\/corpus\/icon\/[a-z-]+%3A[a-z0-9_-]+\.png\?size=64$/);
    await mapCell.screenshot({ path: join(ART, 'studio-prior-trajectory.png') });
    await page.close();
  });

  it('fits a narrow window and the dark theme without overlapping panels', async () => {
    const page = await open();
    await page.getByTestId('example-clip-similarity').click();
    await page.getByTestId('node-scores').waitFor();
    await page.screenshot({ path: join(ART, 'studio-example-light.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ART, 'studio-example-dark.png') });
    await page.setViewportSize({ width: 420, height: 800 });
    const boxes = await Promise.all(['palette', 'canvas', 'inspector'].map((id) => page.getByTestId(id).boundingBox()));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        const overlap = a.x < b.x + b.width - 1 && b.x < a.x + a.width - 1 && a.y < b.y + b.height - 1 && b.y < a.y + a.height - 1;
        assert.ok(!overlap, `panels ${i} and ${j} do not overlap`);
      }
      assert.ok(boxes[i]!.x >= 0 && boxes[i]!.x + boxes[i]!.width <= 421, `panel ${i} fits the width`);
    }
    await page.screenshot({ path: join(ART, 'studio-narrow-dark.png'), fullPage: true });
    await page.close();
  });
});
