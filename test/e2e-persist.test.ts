// End-to-end: work is never lost in the studio (issue 23 items 1, 2, 9), in Debian's Chromium
// against the real server.
// - An edited example survives a reload (the tab's autosave), leaving with unsaved changes
//   warns, and the title and the New button ask before dropping them; a saved graph being edited
//   comes back edited, with its link.
// - A reload in the middle of a run reattaches to it: the steps so far and the live ones, the run
//   completes, and Cancel still works after a reload (of a saved graph too). So does a dropped
//   connection (a TCP proxy between browser and server cuts every connection mid-run).
// - A share link made before any run says "not run yet" (no 404 in the console) and offers to
//   run it in a fork; the share link of a graph rerun unchanged (all from the cache) still shows
//   the filmstrips (the steps of the stored run that made those outputs).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import type { Dialog, Page } from 'playwright-core';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ARTIFACTS as ART, studioForSuite } from './helpers/studio.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);

/** Accepts every dialog (beforeunload, confirm) unless told otherwise, and records their types. */
function dialogs(page: Page): { seen: string[]; dismissNext(): void } {
  const seen: string[] = [];
  let dismiss = false;
  page.on('dialog', (d: Dialog) => {
    seen.push(d.type());
    const no = dismiss;
    dismiss = false;
    void (no ? d.dismiss() : d.accept());
  });
  return { seen, dismissNext: () => (dismiss = true) };
}

/** A TCP proxy to `port` on loopback; `cut()` drops every connection through it (the browser reconnects). */
async function proxy(port: number): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const open = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    for (const [a, b] of [[down, up], [up, down]] as const) {
      open.add(a);
      a.pipe(b);
      a.on('error', () => {});
      a.on('close', () => (open.delete(a), b.destroy()));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut: () => open.forEach((s) => s.destroy()),
    close: () => new Promise((resolve) => (open.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

describe('studio: work is never lost', { skip }, () => {
  const studio = studioForSuite();
  const pane = (page: Page) => page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  const select = async (page: Page, id: string) => {
    await pane(page);
    await page.getByTestId(`node-${id}`).click({ position: { x: 60, y: 10 } });
  };

  it('an edited example survives a reload; leaving warns; the title and New ask before starting over', async () => {
    const page = await studio().open();
    const d = dialogs(page);
    await page.getByTestId('example-clip-similarity').click();
    await select(page, 'prompts');
    await page.getByLabel('Prompt', { exact: true }).fill('red apple\nsunset over the sea');
    await page.getByTestId('graph-title').fill('my prompts');
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.getByTestId('node-prompts').waitFor({ timeout: 20_000 });
    await select(page, 'prompts');
    assert.equal(await page.getByLabel('Prompt', { exact: true }).inputValue(), 'red apple\nsunset over the sea', 'the edit came back');
    assert.equal(await page.getByTestId('graph-title').inputValue(), 'my prompts');
    assert.ok(d.seen.includes('beforeunload'), `leaving with unsaved changes asks first (dialogs: ${d.seen.join(', ')})`);
    await page.screenshot({ path: join(ART, 'persist-restored.png') });

    // New, answered "no": nothing changes; the title link, answered "yes": back to the examples
    d.dismissNext();
    await page.getByTestId('new').click();
    await page.waitForFunction(() => true); // let the click's handlers finish
    assert.equal(d.seen.at(-1), 'confirm');
    assert.equal(await page.getByTestId('node-prompts').count(), 1, 'declined: the graph stays');
    await page.getByRole('link', { name: 'unCLIP Studio' }).click();
    await page.getByTestId('example-clip-similarity').waitFor();
    assert.equal(await page.locator('.react-flow__node').count(), 0);
    assert.equal(d.seen.at(-1), 'confirm', 'the title asked too');
    // and the dropped work stays dropped: a reload shows the examples, without a warning
    const before = d.seen.length;
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.getByTestId('example-clip-similarity').waitFor({ timeout: 20_000 });
    assert.equal(d.seen.length, before, 'nothing unsaved: no warning');

    // a saved graph being edited comes back edited, still linked to its saved copy
    await page.getByTestId('palette-debug-steps').click();
    await page.getByLabel('Steps', { exact: true }).fill('12');
    await page.getByTestId('save').click();
    await page.waitForURL(/\?g=/);
    const url = page.url();
    await page.getByTestId('save').filter({ hasText: /^Saved$/ }).waitFor();
    await select(page, 'debug-steps-1');
    await page.getByLabel('Steps', { exact: true }).fill('13');
    await page.reload({ waitUntil: 'domcontentloaded' });
    await select(page, 'debug-steps-1');
    assert.equal(await page.getByLabel('Steps', { exact: true }).inputValue(), '13', 'the unsaved edit of the saved graph came back');
    assert.equal(page.url(), url, 'still the saved graph');
    assert.equal(await page.getByTestId('save').textContent(), 'Save*', 'and still unsaved');
    await page.close();
  });

  it('a reload mid-run reattaches: the steps so far and the live ones, to the end; Cancel still works', async () => {
    const page = await studio().open();
    dialogs(page);
    await page.getByTestId('palette-debug-steps').click();
    await page.getByLabel('Steps', { exact: true }).fill('30');
    await page.getByLabel('Work per step (ms)', { exact: true }).fill('150');
    await page.getByTestId('run').click();
    const status = page.getByTestId('status-debug-steps-1');
    await status.filter({ hasText: /step ([4-9]|1\d)\/30/ }).waitFor({ timeout: 30_000 });
    await page.reload({ waitUntil: 'domcontentloaded' });
    // back on the run: live frames again, then the end, with every step's frame
    await page.getByTestId('filmstrip-debug-steps-1').and(page.locator('[data-live="true"]')).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ART, 'persist-reattached.png') });
    await status.and(page.locator('[data-status="done"]')).waitFor({ timeout: 90_000 });
    assert.equal(await page.getByTestId('filmstrip-debug-steps-1').getAttribute('data-frames'), '30', 'the frames from before the reload and after');
    assert.equal(await page.getByTestId('run-phase').getAttribute('data-phase'), 'done');

    // a reload makes this tab the run's owner again: Cancel works (here on a saved graph)
    await page.getByTestId('save').click();
    await page.waitForURL(/\?g=/);
    await select(page, 'debug-steps-1');
    await page.getByLabel('Seed', { exact: true }).fill('5');
    await page.getByTestId('run').click();
    await status.filter({ hasText: /step \d+\/30/ }).waitFor({ timeout: 30_000 });
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.getByTestId('cancel').click({ timeout: 30_000 });
    await page.locator('[data-testid="run-phase"][data-phase="cancelled"]').waitFor({ timeout: 30_000 });
    await page.close();
  });

  it('a dropped connection mid-run reconnects and reattaches: the run completes with every step', async () => {
    const via = await proxy(studio().server.port);
    try {
      const page = await studio().open(via.url);
      dialogs(page);
      await page.getByTestId('palette-debug-steps').click();
      await page.getByLabel('Steps', { exact: true }).fill('30');
      await page.getByLabel('Work per step (ms)', { exact: true }).fill('150');
      await page.getByLabel('Seed', { exact: true }).fill('9');
      await page.getByTestId('run').click();
      const status = page.getByTestId('status-debug-steps-1');
      await status.filter({ hasText: /step ([4-9]|1\d)\/30/ }).waitFor({ timeout: 30_000 });
      via.cut();
      await status.and(page.locator('[data-status="done"]')).waitFor({ timeout: 90_000 });
      assert.equal(await page.getByTestId('filmstrip-debug-steps-1').getAttribute('data-frames'), '30', 'the frames from before the drop and after, each once');
      assert.equal(await page.getByTestId('run-phase').getAttribute('data-phase'), 'done');
      await page.close();
    } finally {
      await via.close();
    }
  });

  it('a share link made before any run says "not run yet", without a console error, and runs in a fork', async () => {
    const page = await studio().open();
    await page.getByTestId('palette-debug-steps').click();
    await page.getByLabel('Steps', { exact: true }).fill('4');
    await page.getByTestId('share').click();
    const link = await page.getByTestId('share-link').inputValue();
    await page.close();

    const viewer = await studio().browser.context.newPage();
    const errors: string[] = [];
    viewer.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    studio().watch(viewer);
    await viewer.goto(link, { waitUntil: 'domcontentloaded' });
    await viewer.getByTestId('node-debug-steps-1').waitFor({ timeout: 20_000 });
    await viewer.getByTestId('not-run').waitFor({ timeout: 20_000 });
    assert.match((await viewer.getByTestId('not-run').textContent()) ?? '', /not run yet/);
    await viewer.screenshot({ path: join(ART, 'persist-not-run-yet.png') });
    assert.deepEqual(errors, [], 'no console errors (no 404 for runs/latest)');

    await viewer.getByTestId('run-in-fork').click();
    await viewer.waitForURL(/\/\?g=/);
    await viewer.locator('[data-testid="run-phase"][data-phase="done"]').waitFor({ timeout: 60_000 });
    assert.equal(await viewer.getByTestId('filmstrip-debug-steps-1').getAttribute('data-frames'), '4');
    assert.deepEqual(errors, []);
    await viewer.close();
  });

  it('the share page of a saved graph rerun unchanged (every node from the cache) shows the steps of the run that made them', async () => {
    const page = await studio().open();
    dialogs(page);
    await page.getByTestId('palette-debug-steps').click();
    await page.getByLabel('Steps', { exact: true }).fill('4');
    await page.keyboard.press('Control+s');
    await page.waitForURL(/\?g=/);
    const id = new URL(page.url()).searchParams.get('g')!;
    const latest = async () => ((await (await fetch(`${studio().server.url}/api/graphs/${id}`)).json()) as { latestRunId: string | null }).latestRunId;
    /** Run and wait until the server has recorded a newer finished run than `was`. */
    const runOnce = async (was: string | null) => {
      await page.getByTestId('run').click();
      for (let now = await latest(); now === was; now = await latest()) await page.waitForTimeout(100);
      return latest();
    };
    const first = await runOnce(null);
    const second = await runOnce(first);
    const stored = (await (await fetch(`${studio().server.url}/api/runs/${second}`)).json()) as { events: { event: string; payload: { nodeId?: string } }[] };
    assert.ok(stored.events.some((e) => e.event === 'node:cached' && e.payload.nodeId === 'debug-steps-1'), 'the rerun came from the cache');
    await page.close();

    const viewer = await studio().browser.context.newPage();
    studio().watch(viewer);
    await viewer.goto(`${studio().server.url}/g/${id}`, { waitUntil: 'domcontentloaded' });
    await viewer.locator('[data-testid=filmstrip-debug-steps-1][data-frames="4"]').waitFor({ timeout: 20_000 });
    await viewer.screenshot({ path: join(ART, 'persist-share-cached-rerun.png') });
    await viewer.close();
  });
});
