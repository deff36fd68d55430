// End-to-end, in Debian's Chromium against the real server (issue 23, "the editing people know"):
// the queue and history panel. Two graphs run are listed newest first with a thumbnail of their
// last image and their state; of runs queued with "queue N runs", one still to start in this tab
// and one waiting at the server (behind another client's run) are cancelled from the panel and
// end cancelled while the others finish; Esc closes the panel; the history survives a reload; an
// older run reopens with its graph and outputs, on a canvas the docked panel does not cover (a
// saved graph's as that graph, unsaved only when the saved graph has changed since); two ticked
// runs open /compare?a=…&b=….
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { e2eMissingReason } from './helpers/browser.js';
import { connect, graph, node, startOk } from './helpers/graph.js';
import { skipIfMissing } from './helpers/requires.js';
import { ARTIFACTS as ART, studioForSuite } from './helpers/studio.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);
// one worker thread: another client's long run keeps this page's run waiting at the server
process.env.UNCLIP_WORKERS = '1';

interface Row {
  runId: string;
  state: string;
  title: string;
  text: string;
  thumb: number;
}

describe('run queue and history end to end', { skip }, () => {
  const studio = studioForSuite();
  let page: Page;
  const rows = (): Promise<Row[]> =>
    page.locator('[data-testid=history-entry]').evaluateAll((els) =>
      els.map((e) => ({
        runId: e.getAttribute('data-run-id')!,
        state: e.getAttribute('data-state')!,
        title: e.querySelector('.history-title')!.textContent!,
        text: e.querySelector('[data-testid=history-state]')!.textContent!,
        // the thumbnail's width once decoded (0: none, or not an image)
        thumb: (e.querySelector('img.history-thumb') as HTMLImageElement | null)?.naturalWidth ?? 0,
      })),
    );
  /** Wait up to `ms` for the panel's rows to satisfy `ok`, then return them (the assertions say what was wrong). */
  async function rowsWhen(ok: (r: Row[]) => boolean, ms = 30_000): Promise<Row[]> {
    for (const until = Date.now() + ms; Date.now() < until; await page.waitForTimeout(100)) {
      const r = await rows();
      if (ok(r)) return r;
    }
    return rows();
  }
  /**
   * The cards (and their boxes) that the open history panel covers, or that lie outside the canvas,
   * once the view has settled (the fit follows the cards' images as they load): [] when none.
   */
  async function cardsUnderPanel(ms = 15_000) {
    const probe = () =>
      // no named helpers inside: tsx would wrap them in a __name the page does not have
      page.evaluate(() => {
        const panel = document.querySelector('[data-testid=run-history]')!.getBoundingClientRect();
        const canvas = document.querySelector('[data-testid=canvas]')!.getBoundingClientRect();
        return [...document.querySelectorAll('.react-flow__node')].flatMap((n) => {
          const b = n.getBoundingClientRect();
          const under = b.right > panel.left && b.left < panel.right && b.bottom > panel.top && b.top < panel.bottom;
          const outside = b.left < canvas.left || b.top < canvas.top || b.bottom > canvas.bottom;
          return under || outside ? [{ id: n.getAttribute('data-id'), left: b.left, right: b.right, top: b.top, bottom: b.bottom, panelLeft: panel.left }] : [];
        });
      });
    for (const until = Date.now() + ms; Date.now() < until; await page.waitForTimeout(100)) if ((await probe()).length === 0) return [];
    return probe();
  }
  async function runGraph(title: string, params: Record<string, string>) {
    await page.getByTestId('palette-debug-steps').click();
    await page.getByTestId('node-debug-steps-1').waitFor();
    for (const [label, v] of Object.entries(params)) await page.getByLabel(label, { exact: true }).fill(v);
    await page.getByTestId('graph-title').fill(title);
    await page.getByTestId('run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=run-phase]')?.getAttribute('data-phase') === 'done', null, { timeout: 60_000 });
  }

  it('lists two graphs run, newest first, each with a thumbnail of its last image and its state', async () => {
    page = await studio().open();
    page.on('dialog', (d) => void d.accept()); // "drop the unsaved changes?" on New
    await runGraph('first graph', { Steps: '3', 'Work per step (ms)': '5' });
    await page.getByTestId('new').click();
    await runGraph('second graph', { Steps: '2', 'Work per step (ms)': '5', 'Frame size': '16' });
    assert.equal(await page.getByTestId('run-history').count(), 0, 'closed until asked for');
    await page.getByTestId('history-toggle').click();
    assert.equal(await page.getByTestId('history-toggle').getAttribute('aria-pressed'), 'true');
    const r = await rowsWhen((x) => x.length === 2 && x.every((y) => y.thumb > 0));
    assert.deepEqual(r.map((x) => [x.title, x.state]), [['second graph', 'done'], ['first graph', 'done']]);
    assert.ok(r.every((x) => /^done · \d+/.test(x.text) && x.runId), JSON.stringify(r));
    // the thumbnail is small: the 32 px frame and the 16 px one, at most 56 px a side
    assert.deepEqual(r.map((x) => x.thumb), [16, 32]);
    // Alt+H closes it and opens it again (the shortcut from the one action table)
    await page.getByTestId('canvas').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Alt+h');
    await page.getByTestId('run-history').waitFor({ state: 'detached' });
    await page.keyboard.press('Alt+h');
    await page.getByTestId('run-history').waitFor();
    // Esc closes it too; Alt+H brings it back
    await page.keyboard.press('Escape');
    await page.getByTestId('run-history').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('history-toggle').getAttribute('aria-pressed'), 'false');
    await page.keyboard.press('Alt+h');
    await page.getByTestId('run-history').waitFor();
    await page.screenshot({ path: join(ART, 'studio-history.png') });
  });

  it('cancels a run still to start in this tab and one waiting at the server from the panel; the others finish', async () => {
    const before = (await rows()).length;
    // another client keeps the one worker busy, so this page's next run waits at the server
    const other = await connect(studio().server.url);
    try {
      await startOk(other, graph([node('d', 'debug-steps', { steps: 40, workMs: 200 })]));
      await page.getByTestId('title-debug-steps-1').click();
      await page.getByLabel('Steps', { exact: true }).fill('3');
      await page.getByTestId('run-count').fill('4');
      await page.getByTestId('run').click();
      // one at the server (with its id), three still to start in this tab
      let r = await rowsWhen((x) => x.filter((y) => y.state === 'queued' && y.runId).length === 1 && x.filter((y) => y.state === 'queued' && !y.runId).length === 3);
      const queued = r.filter((x) => x.state === 'queued');
      assert.equal(queued.length, 4, JSON.stringify(r));
      const atServer = queued.find((x) => x.runId)!.runId;
      assert.deepEqual(queued.filter((x) => !x.runId).map((x) => x.text), ['queued · 3 ahead', 'queued · 2 ahead', 'queued · 1 ahead']);
      await page.screenshot({ path: join(ART, 'studio-history-queue.png') });
      // the newest run still to start: dropped here, listed as cancelled
      await page.locator('[data-testid=history-entry][data-state=queued][data-run-id=""] [data-testid=history-cancel]').first().click();
      r = await rowsWhen((x) => x.some((y) => y.state === 'cancelled' && !y.runId));
      assert.equal(r.filter((x) => x.state === 'queued' && !x.runId).length, 2);
      // the one at the server: cancelled there (run:cancel)
      await page.locator(`[data-testid=history-entry][data-run-id="${atServer}"] [data-testid=history-cancel]`).click();
      r = await rowsWhen((x) => x.length === before + 4 && x.filter((y) => y.state === 'done' && y.thumb > 0).length === before + 2, 90_000);
      // four new entries: the two cancelled, and the two others run to the end
      assert.equal(r.length, before + 4, JSON.stringify(r));
      assert.deepEqual(r.slice(0, 4).map((x) => x.state).sort(), ['cancelled', 'cancelled', 'done', 'done'], JSON.stringify(r));
      assert.equal(r.find((x) => x.runId === atServer)?.state, 'cancelled');
      const stored = (await (await fetch(`${studio().server.url}/api/runs/${atServer}`)).json()) as { status: string };
      assert.equal(stored.status, 'cancelled', 'the server cancelled it');
      assert.ok(r.filter((x) => x.state === 'done').every((x) => x.thumb > 0), 'each finished run has its thumbnail');
    } finally {
      other.close();
    }
  });

  it('keeps the history across a reload; reopens an older run with its graph and outputs; two ticked runs open /compare', async () => {
    const was = await rows();
    await page.getByTestId('run-count').fill('1');
    // a run the server has forgotten (kept by another tab yesterday, with its small graph)
    const forgotten = { id: 'forgottenRun', runId: 'forgottenRun', title: 'forgotten graph', graphId: null, state: 'done', ms: 5, at: Date.now() - 86_400_000, graph: { version: 1, nodes: [{ id: 'debug-steps-1', type: 'debug-steps', version: 1, params: { steps: 7 }, position: { x: 0, y: 0 } }], edges: [] } };
    await page.evaluate((e) => localStorage.setItem(`unclip:run:${e.id}`, JSON.stringify(e)), forgotten);
    await page.reload();
    await page.locator('[data-backend]:not([data-backend=""])').waitFor();
    await page.keyboard.press('Alt+h');
    await page.getByTestId('run-history').waitFor();
    const r = await rowsWhen((x) => x.length === was.length + 1 && x.every((y) => y.state !== 'done' || y.thumb > 0 || y.runId === forgotten.id));
    assert.deepEqual(r.map((x) => [x.runId, x.state, x.title]), [...was, forgotten].map((x) => [x.runId, x.state, x.title]));
    // the forgotten run: its entry says its results are gone, and its graph opens without them
    await page.locator(`[data-testid=history-entry][data-run-id=forgottenRun] [data-testid=history-open]`).click();
    await page.locator('[data-testid=history-entry][data-run-id=forgottenRun] [data-testid=history-gone]').waitFor();
    assert.match((await page.getByTestId('notice').textContent())!, /results of “forgotten graph” .* are no longer on the server: its graph is open, without them/);
    await page.getByTestId('title-debug-steps-1').click();
    assert.equal(await page.getByLabel('Steps', { exact: true }).inputValue(), '7');
    assert.equal(await page.locator('[data-testid=images-debug-steps-1]').count(), 0, 'no outputs shown');
    // Chromium logs the 404 of GET /api/runs/forgottenRun; that one is expected
    const errors = studio().consoleErrors;
    const i = errors.findIndex((m) => /404/.test(m));
    assert.ok(i >= 0, `the 404 was logged: ${errors}`);
    errors.splice(i, 1);
    // the first graph's run: its title, its params and its 32 px output come back
    const first = r.find((x) => x.title === 'first graph')!;
    await page.locator(`[data-testid=history-entry][data-run-id="${first.runId}"] [data-testid=history-open]`).click();
    await page.waitForFunction(() => (document.querySelector('[data-testid=graph-title]') as HTMLInputElement | null)?.value === 'first graph');
    const img = page.locator('[data-testid=images-debug-steps-1] img').first();
    await img.waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid=images-debug-steps-1] img') as HTMLImageElement | null)?.naturalWidth === 32);
    await page.getByTestId('title-debug-steps-1').click();
    assert.equal(await page.getByLabel('Steps', { exact: true }).inputValue(), '3');
    assert.equal(await page.getByTestId('run-phase').getAttribute('data-phase'), 'done');
    // the panel hides no card: the canvas ends where it begins, and the view is fitted to what is left
    const overlap = await cardsUnderPanel();
    assert.deepEqual(overlap, [], `cards under the history panel: ${JSON.stringify(overlap)}`);
    await page.screenshot({ path: join(ART, 'studio-history-reopened.png') });
    // compare: the older of the two ticked is a, the newer b (the compare page is its own feature)
    await page.route('**/compare?*', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>compare</title>' }));
    const second = r.find((x) => x.title === 'second graph')!;
    assert.equal(await page.getByTestId('history-compare').isDisabled(), true);
    await page.locator(`[data-testid=history-entry][data-run-id="${second.runId}"] [data-testid=history-pick]`).check();
    await page.locator(`[data-testid=history-entry][data-run-id="${first.runId}"] [data-testid=history-pick]`).check();
    await page.getByTestId('history-compare').click();
    await page.waitForURL(/\/compare\?/);
    const u = new URL(page.url());
    assert.deepEqual([u.searchParams.get('a'), u.searchParams.get('b')], [first.runId, second.runId]);
  });

  it("a saved graph's run reopens as that graph (/?g=<id>): unchanged when the graph is as saved, marked unsaved (the next Run saves first) when the saved graph has changed since", async () => {
    await page.goto(studio().server.url);
    await page.locator('[data-backend]:not([data-backend=""])').waitFor();
    await page.getByTestId('new').click();
    await page.getByTestId('palette-debug-steps').click();
    await page.getByTestId('graph-title').fill('saved graph');
    await page.keyboard.press('Control+s');
    await page.waitForURL(/\?g=/);
    const id = new URL(page.url()).searchParams.get('g');
    await page.getByTestId('run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=run-phase]')?.getAttribute('data-phase') === 'done', null, { timeout: 60_000 });
    await page.getByTestId('new').click();
    await page.waitForURL((u) => !u.search.includes('g='));
    await page.getByTestId('history-toggle').click();
    const saved = (await rowsWhen((x) => x[0]?.title === 'saved graph' && x[0].state === 'done'))[0]!;
    assert.equal(saved.title, 'saved graph');
    await page.locator(`[data-testid=history-entry][data-run-id="${saved.runId}"] [data-testid=history-open]`).click();
    await page.waitForURL((u) => u.searchParams.get('g') === id);
    await page.locator('[data-testid=images-debug-steps-1] img').first().waitFor();
    assert.equal(await page.getByTestId('graph-title').inputValue(), 'saved graph');
    assert.equal(await page.getByTestId('save').textContent(), 'Saved', 'the run is of the graph as saved: nothing to save');
    // the saved graph changes (Steps 5, saved); the run's graph, reopened, is now unsaved work
    await page.getByTestId('title-debug-steps-1').click();
    await page.getByLabel('Steps', { exact: true }).fill('5');
    await page.waitForFunction(() => document.querySelector('[data-testid=save]')?.textContent === 'Save*');
    await page.keyboard.press('Control+s');
    await page.waitForFunction(() => document.querySelector('[data-testid=save]')?.textContent === 'Saved');
    await page.locator(`[data-testid=history-entry][data-run-id="${saved.runId}"] [data-testid=history-open]`).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=save]')?.textContent === 'Save*');
    await page.getByTestId('title-debug-steps-1').click();
    assert.notEqual(await page.getByLabel('Steps', { exact: true }).inputValue(), '5', 'the graph as it ran');
    assert.equal(new URL(page.url()).searchParams.get('g'), id);
  });
});
