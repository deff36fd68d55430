// End-to-end, in Debian's Chromium against the real server (issue 23, "the editing people know"):
// node search on a double-click of empty canvas and on a link dropped there (filtered to the
// types that fit, and wired), the right-click menu from the action table, rename, collapse (saved
// with the graph), a new seed every run and "queue N runs" one after another.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ARTIFACTS as ART, studioForSuite } from './helpers/studio.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);

describe('studio canvas editing end to end', { skip }, () => {
  const studio = studioForSuite();
  const node = (page: Page, id: string) => page.getByTestId(`node-${id}`);
  // (attached, not visible: a straight horizontal link has an empty bounding box)
  const edge = (page: Page, id: string) => ({ waitFor: () => page.getByTestId(`rf__edge-${id}`).waitFor({ state: 'attached' }) });
  const handle = (page: Page, id: string, side: 'in' | 'out', port: string) => page.locator(`[data-testid="node-${id}"] .port-${side}[data-port="${port}"] .react-flow__handle`);
  const select = (page: Page, id: string) => page.getByTestId(`title-${id}`).click();
  async function add(page: Page, type: string, id: string) {
    await page.getByTestId(`palette-${type}`).click();
    await node(page, id).waitFor();
  }
  /** A point on the canvas `dx`, `dy` px from its top left. */
  async function at(page: Page, dx: number, dy: number) {
    const c = (await page.getByTestId('canvas').boundingBox())!;
    return { x: c.x + dx, y: c.y + dy };
  }
  const options = (page: Page) => page.locator('[data-testid=node-search] [role=option]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice('search-'.length)));

  it('a double-click on empty canvas opens node search there: type, arrows and Enter add the match; Esc closes', async () => {
    const page = await studio().open();
    await add(page, 'text', 'text-1');
    const p = await at(page, 520, 430);
    await page.mouse.dblclick(p.x, p.y);
    const search = page.getByTestId('node-search');
    await search.waitFor();
    assert.equal(await page.getByRole('combobox', { name: 'add a node' }).evaluate((e) => e === document.activeElement), true, 'the search has focus');
    await page.keyboard.type('e');
    const all = await options(page);
    assert.ok(all.includes('note') && all.includes('text'), all.join());
    await page.keyboard.type('ncode');
    const encoders = await options(page);
    assert.ok(encoders.length >= 2 && encoders.every((t) => t.includes('encode')), encoders.join());
    await page.keyboard.press('ArrowDown');
    const second = (await options(page))[1]!;
    assert.equal(await page.getByTestId(`search-${second}`).getAttribute('aria-selected'), 'true');
    await page.screenshot({ path: join(ART, 'studio-node-search.png') });
    await page.keyboard.press('Enter');
    await search.waitFor({ state: 'detached' });
    const added = node(page, `${second}-1`);
    await added.waitFor();
    const box = (await added.boundingBox())!;
    assert.ok(Math.abs(box.x - p.x) < 20 && Math.abs(box.y - p.y) < 20, `the node lands where the canvas was double-clicked (${box.x},${box.y} vs ${p.x},${p.y})`);
    // Esc closes without adding; a click on a match adds it
    const q = await at(page, 700, 150);
    await page.mouse.dblclick(q.x, q.y);
    await search.waitFor();
    await page.keyboard.press('Escape');
    await search.waitFor({ state: 'detached' });
    assert.equal(await page.locator('.react-flow__node').count(), 2);
    await page.mouse.dblclick(q.x, q.y);
    await page.keyboard.type('note');
    await page.getByTestId('search-note').click();
    await node(page, 'note-1').waitFor();
    // a double-click on a node is not the canvas's
    await node(page, 'text-1').dblclick({ position: { x: 120, y: 60 } });
    assert.equal(await search.count(), 0);
    // by keyboard: Ctrl+K opens it too
    await page.keyboard.press('Control+k');
    await search.waitFor();
    await page.keyboard.type('similar');
    await page.keyboard.press('Enter');
    await node(page, 'similarity-1').waitFor();
  });

  it('a link dropped on empty canvas opens the search for the types that fit it, and wires the one chosen', async () => {
    const page = await studio().open();
    await add(page, 'debug-steps', 'debug-steps-1');
    const h = (await handle(page, 'debug-steps-1', 'out', 'image').boundingBox())!;
    await page.mouse.move(h.x + h.width / 2, h.y + h.height / 2);
    await page.mouse.down();
    await page.mouse.move(h.x + 220, h.y + 160, { steps: 12 });
    await page.mouse.up();
    await page.getByTestId('node-search').waitFor();
    const fits = await options(page);
    assert.ok(fits.includes('upsample') && fits.includes('clip-image-encode'), fits.join());
    for (const t of ['text', 'prior', 'note', 'debug-steps', 'clip-text-encode']) assert.ok(!fits.includes(t), `${t} takes no image`);
    await page.screenshot({ path: join(ART, 'studio-link-search.png') });
    await page.keyboard.type('upsa');
    await page.keyboard.press('Enter');
    await node(page, 'upsample-1').waitFor();
    await edge(page, 'debug-steps-1.image->upsample-1.image').waitFor();
    // dragged from an input, the search offers what can feed it
    const u = (await handle(page, 'upsample-1', 'in', 'image').boundingBox())!;
    await page.mouse.move(u.x + u.width / 2, u.y + u.height / 2);
    await page.mouse.down();
    const drop = await at(page, 320, (await page.getByTestId('canvas').boundingBox())!.height - 90);
    await page.mouse.move(drop.x, drop.y, { steps: 12 });
    await page.mouse.up();
    await page.getByRole('combobox', { name: 'add a node that fits image' }).waitFor();
    const feeds = await options(page);
    assert.ok(feeds.includes('debug-steps') && feeds.includes('decoder') && !feeds.includes('clip-image-encode'), feeds.join());
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('.react-flow__node').count(), 2, 'Esc adds nothing');
  });

  it('a right-click menu on a node and on the canvas offers the toolbar and key actions', async () => {
    const page = await studio().open();
    await add(page, 'debug-steps', 'debug-steps-1');
    await node(page, 'debug-steps-1').click({ button: 'right', position: { x: 100, y: 40 } });
    const menu = page.getByTestId('context-menu');
    await menu.waitFor();
    const items = await menu.getByRole('menuitem').evaluateAll((els) => els.map((e) => e.textContent));
    assert.deepEqual(items, ['Rename…F2', 'Collapse / expandAlt+C', 'DuplicateCtrl+D', 'CopyCtrl+C', 'DeleteDelete', 'BypassCtrl+B', 'MuteCtrl+M', 'GroupCtrl+G', 'UngroupCtrl+Shift+G', '▶ RunCtrl+Enter']);
    // the same title as the toolbar's button (one table)
    assert.equal(await page.getByTestId('menu-run').getAttribute('title'), 'Run the graph');
    assert.match((await page.getByTestId('run').getAttribute('title')) ?? '', /^Run the graph/);
    await page.screenshot({ path: join(ART, 'studio-context-menu.png') });
    await page.getByTestId('menu-duplicate').click();
    await node(page, 'debug-steps-2').waitFor();
    assert.equal(await menu.count(), 0, 'the menu closes');
    // by keyboard: the menu has focus; arrows to Delete, Enter
    await node(page, 'debug-steps-2').click({ button: 'right', position: { x: 100, y: 40 } });
    assert.equal(await page.getByTestId('menu-rename').evaluate((e) => e === document.activeElement), true);
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
    assert.equal(await page.getByTestId('menu-delete').evaluate((e) => e === document.activeElement), true);
    await page.keyboard.press('Enter');
    await node(page, 'debug-steps-2').waitFor({ state: 'detached' });
    // Ctrl+D, the key of the menu's Duplicate
    await select(page, 'debug-steps-1');
    await page.keyboard.press('Control+d');
    await node(page, 'debug-steps-2').waitFor();
    // the canvas's menu: Esc closes it; "Add node…" opens the search where it was
    const p = await at(page, 600, 420);
    await page.mouse.click(p.x, p.y, { button: 'right' });
    await menu.waitFor();
    assert.equal(await page.getByTestId('menu-rename').count(), 0, 'no node actions on the canvas');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    await page.mouse.click(p.x, p.y, { button: 'right' });
    await page.getByTestId('menu-search').click();
    await page.getByTestId('node-search').waitFor();
    await page.keyboard.type('text');
    await page.keyboard.press('Enter');
    await node(page, 'text-1').waitFor();
  });

  it('a node is renamed by a double-click on its title, F2 or the menu, and the title is saved in the graph', async () => {
    const page = await studio().open();
    await add(page, 'debug-steps', 'debug-steps-1');
    const title = page.getByTestId('title-debug-steps-1');
    await title.dblclick();
    await page.keyboard.type('Hero shot');
    await page.keyboard.press('Enter');
    assert.equal(await title.textContent(), 'Hero shot');
    // F2 edits it; Esc keeps the old title
    await select(page, 'debug-steps-1');
    await page.keyboard.press('F2');
    await page.getByTestId('title-edit-debug-steps-1').waitFor();
    await page.keyboard.type('not this');
    await page.keyboard.press('Escape');
    assert.equal(await title.textContent(), 'Hero shot');
    // the menu's Rename; Delete while typing edits the text, not the graph
    await node(page, 'debug-steps-1').click({ button: 'right', position: { x: 100, y: 40 } });
    await page.getByTestId('menu-rename').click();
    await page.keyboard.type('Final frame!');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Enter');
    assert.equal(await title.textContent(), 'Final frame');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    const path = join(ART, 'studio-renamed.json');
    await download.saveAs(path);
    const { readFileSync } = await import('node:fs');
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).nodes[0].title, 'Final frame');
    // Ctrl+Z takes the rename back
    await page.keyboard.press('Control+z');
    assert.equal(await title.textContent(), 'Hero shot');
  });

  it('a node collapses to its header (Alt+C, the menu), its links stay, and it stays collapsed after save and reload', async () => {
    const page = await studio().open();
    await add(page, 'text', 'text-1');
    await add(page, 'clip-text-encode', 'clip-text-encode-1');
    const card = node(page, 'text-1');
    const tall = (await card.boundingBox())!.height;
    // linked by dragging output to input
    const a = (await handle(page, 'text-1', 'out', 'text').boundingBox())!;
    const b = (await handle(page, 'clip-text-encode-1', 'in', 'text').boundingBox())!;
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await page.mouse.up();
    const link = edge(page, 'text-1.text->clip-text-encode-1.text');
    await link.waitFor();
    await select(page, 'text-1');
    await page.keyboard.press('Alt+c');
    await page.locator('[data-testid=node-text-1].collapsed').waitFor();
    const short = (await card.boundingBox())!.height;
    assert.ok(short < tall - 30, `collapsed ${short} px, from ${tall} px`);
    assert.equal(await card.locator('.prompt').count(), 0, 'no body');
    assert.equal(await card.locator('.port-name').first().isVisible(), false);
    await link.waitFor();
    await page.screenshot({ path: join(ART, 'studio-collapsed.png') });
    await page.keyboard.press('Control+s');
    await page.waitForURL(/\?g=/);
    const reopened = await studio().open(page.url());
    await reopened.locator('[data-testid=node-text-1].collapsed').waitFor();
    await edge(reopened, 'text-1.text->clip-text-encode-1.text').waitFor();
    // expanded again from the menu
    await node(reopened, 'text-1').click({ button: 'right', position: { x: 40, y: 10 } });
    await reopened.getByTestId('menu-collapse').click();
    await reopened.locator('[data-testid=node-text-1]:not(.collapsed)').waitFor();
    assert.ok((await node(reopened, 'text-1').boundingBox())!.height > tall * 0.8);
    // the read-only share page shows it collapsed too, with no menu, search or rename
    const id = new URL(page.url()).searchParams.get('g')!;
    const shared = await studio().open(`${studio().server.url}/g/${id}`);
    await shared.locator('[data-testid=node-text-1].collapsed').waitFor();
    await node(shared, 'text-1').click({ button: 'right', position: { x: 40, y: 10 } });
    await shared.getByTestId('title-text-1').dblclick();
    const c = (await shared.getByTestId('canvas').boundingBox())!;
    await shared.mouse.dblclick(c.x + c.width - 60, c.y + 40);
    assert.deepEqual([await shared.getByTestId('context-menu').count(), await shared.getByTestId('node-search').count(), await shared.getByTestId('title-edit-text-1').count()], [0, 0, 0]);
  });

  it('"new seed every run" gives each run a fresh seed kept in the graph; "queue N runs" runs N times, one after another', async () => {
    const page = await studio().open();
    // what the page sends and hears over socket.io, in order
    const heard: { dir: 'sent' | 'got'; event: string; payload: { graph?: { nodes: { params: { seed?: number } }[] } } }[] = [];
    page.on('websocket', (ws) => {
      const read = (dir: 'sent' | 'got') => (f: { payload: string | Buffer }) => {
        if (typeof f.payload !== 'string' || !/^4[2-6]/.test(f.payload)) return;
        try {
          const [event, payload] = JSON.parse(f.payload.slice(f.payload.indexOf('[')));
          if (/^run:/.test(event)) heard.push({ dir, event, payload });
        } catch {}
      };
      ws.on('framesent', read('sent'));
      ws.on('framereceived', read('got'));
    });
    await page.reload();
    await page.locator('[data-backend]:not([data-backend=""])').waitFor();
    await add(page, 'debug-steps', 'debug-steps-1');
    await page.getByLabel('Steps', { exact: true }).fill('3');
    await page.getByLabel('Work per step (ms)', { exact: true }).fill('30');
    const seed = page.getByLabel('Seed', { exact: true });
    assert.equal(await seed.inputValue(), '0');
    await page.getByTestId('reseed-seed').check();
    // typed as a person does: the field may be empty on the way
    await page.getByTestId('run-count').click();
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Backspace');
    assert.equal(await page.getByTestId('run-count').inputValue(), '');
    await page.keyboard.type('3');
    await page.screenshot({ path: join(ART, 'studio-queue-runs.png') });
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=run-phase]')?.getAttribute('data-phase') === 'done' && !document.querySelector('[data-testid=queue-left]'), null, { timeout: 60_000 });
    // wait for the third run's end (the phase reads "done" between runs too)
    for (let i = 0; i < 600 && heard.filter((h) => h.event === 'run:done').length < 3; i++) await page.waitForTimeout(100);
    const starts = heard.filter((h) => h.event === 'run:start');
    const order = heard.filter((h) => h.event === 'run:start' || h.event === 'run:done').map((h) => h.event);
    assert.deepEqual(order, ['run:start', 'run:done', 'run:start', 'run:done', 'run:start', 'run:done'], 'each run starts when the one before is done');
    const seeds = starts.map((s) => s.payload.graph!.nodes[0]!.params.seed!);
    assert.equal(new Set(seeds).size, 3, `a fresh seed each run: ${seeds}`);
    assert.ok(!seeds.includes(0));
    // the seed that ran last is the graph's (the field shows it): the run is reproducible from it
    assert.equal(await seed.inputValue(), String(seeds[2]));
    // off again: the next run keeps the seed
    await page.getByTestId('reseed-seed').uncheck();
    await page.getByTestId('run-count').fill('1');
    await page.getByTestId('run').click();
    for (let i = 0; i < 600 && heard.filter((h) => h.event === 'run:done').length < 4; i++) await page.waitForTimeout(100);
    assert.equal(heard.filter((h) => h.event === 'run:start').at(-1)!.payload.graph!.nodes[0]!.params.seed, seeds[2]);
    // a saved graph: the seed a run renews is saved before it runs (the share link shows what made it)
    await page.keyboard.press('Control+s');
    await page.waitForURL(/\?g=/);
    await page.getByTestId('reseed-seed').check();
    await page.getByTestId('run').click();
    for (let i = 0; i < 600 && heard.filter((h) => h.event === 'run:done').length < 5; i++) await page.waitForTimeout(100);
    const ran = heard.filter((h) => h.event === 'run:start').at(-1)!.payload.graph!.nodes[0]!.params.seed;
    assert.notEqual(ran, seeds[2]);
    const id = new URL(page.url()).searchParams.get('g')!;
    const saved = (await (await fetch(`${studio().server.url}/api/graphs/${id}`)).json()) as { graph: { nodes: { params: { seed: number }; reseed?: string[] }[] } };
    assert.deepEqual([saved.graph.nodes[0]!.params.seed, saved.graph.nodes[0]!.reseed], [ran, ['seed']]);
    assert.equal(await page.getByTestId('save').textContent(), 'Saved', 'nothing left unsaved');
    // and again with no edit between: still the seed that ran
    await page.getByTestId('run').click();
    for (let i = 0; i < 600 && heard.filter((h) => h.event === 'run:done').length < 6; i++) await page.waitForTimeout(100);
    const again = heard.filter((h) => h.event === 'run:start').at(-1)!.payload.graph!.nodes[0]!.params.seed;
    assert.notEqual(again, ran);
    const resaved = (await (await fetch(`${studio().server.url}/api/graphs/${id}`)).json()) as typeof saved;
    assert.equal(resaved.graph.nodes[0]!.params.seed, again);
  });
});
