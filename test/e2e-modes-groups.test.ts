// End-to-end, in Debian's Chromium against the real server (issue 23, "the editing people know
// from ComfyUI"): bypass (Ctrl+B, the menu) and mute (Ctrl+M) drawn on the cards and honoured by
// the server's run, a node that cannot be bypassed saying why, and groups (Ctrl+G): a titled frame
// that drags its nodes, is renamed, saved with the graph and removed. Needs no weights:
// debug-steps (UNCLIP_DEBUG=1) and the mask node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { e2eMissingReason } from './helpers/browser.js';
import { skipIfMissing } from './helpers/requires.js';
import { ARTIFACTS as ART, studioForSuite } from './helpers/studio.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);

describe('studio bypass, mute and groups end to end', { skip }, () => {
  const studio = studioForSuite();
  const node = (page: Page, id: string) => page.getByTestId(`node-${id}`);
  const handle = (page: Page, id: string, side: 'in' | 'out', port: string) => page.locator(`[data-testid="node-${id}"] .port-${side}[data-port="${port}"] .react-flow__handle`);
  const select = (page: Page, id: string, add = false) => page.getByTestId(`title-${id}`).click(add ? { modifiers: ['Shift'] } : {});
  const hold = (page: Page, id: string) => node(page, id).getAttribute('data-hold');
  const status = (page: Page, id: string) => page.getByTestId(`status-${id}`).getAttribute('data-status');
  /** The card shows outputs of the run (a held node shows its hold, and no run status). */
  const ran = async (page: Page, id: string) => (await node(page, id).locator('.outputs').count()) > 0;
  async function add(page: Page, type: string, id: string) {
    await page.getByTestId(`palette-${type}`).click();
    await node(page, id).waitFor();
  }
  async function link(page: Page, from: string, out: string, to: string, inp: string) {
    const a = (await handle(page, from, 'out', out).boundingBox())!;
    const b = (await handle(page, to, 'in', inp).boundingBox())!;
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await page.mouse.up();
    await page.getByTestId(`rf__edge-${from}.${out}->${to}.${inp}`).waitFor({ state: 'attached' });
  }
  async function runToEnd(page: Page) {
    await page.keyboard.press('Control+Enter');
    await page.locator('[data-testid=run-phase][data-phase=running], [data-testid=run-phase][data-phase=done]').first().waitFor();
    await page.locator('[data-testid=run-phase][data-phase=done]').waitFor({ timeout: 60_000 });
  }
  /** debug-steps-1 → mask-1 → mask-2, quick to run. */
  async function chain(page: Page) {
    await add(page, 'debug-steps', 'debug-steps-1');
    await page.getByLabel('Steps', { exact: true }).fill('2');
    await page.getByLabel('Work per step (ms)', { exact: true }).fill('0');
    await add(page, 'mask', 'mask-1');
    await add(page, 'mask', 'mask-2');
    await link(page, 'debug-steps-1', 'image', 'mask-1', 'image');
    await link(page, 'mask-1', 'mask', 'mask-2', 'image');
  }

  it('Ctrl+B bypasses a node: drawn purple, not run by the server while what follows runs; one that cannot be bypassed says why', async () => {
    const page = await studio().open();
    await chain(page);
    // debug-steps has no input to pass on: refused, with the reason, and nothing changes
    await select(page, 'debug-steps-1');
    await page.keyboard.press('Control+b');
    const notice = page.getByTestId('notice');
    await notice.filter({ hasText: 'Debug steps cannot be bypassed: it has no input to pass on as its image output "image". Mute it instead (Ctrl+M).' }).waitFor();
    assert.equal(await notice.getAttribute('class'), 'notice bad');
    assert.equal(await hold(page, 'debug-steps-1'), null);
    // the mask passes its image input on to its mask output
    await select(page, 'mask-1');
    await page.keyboard.press('Control+b');
    await page.locator('[data-testid=node-mask-1].held-bypassed').waitFor();
    assert.equal(await page.getByTestId('hold-mask-1').textContent(), 'bypassed');
    const colour = await node(page, 'mask-1').evaluate((e) => getComputedStyle(e).borderTopColor);
    assert.equal(colour, 'rgb(155, 93, 229)', 'purple (the left edge keeps its category colour)');
    await page.screenshot({ path: join(ART, 'studio-bypassed.png') });
    await runToEnd(page);
    assert.deepEqual([await status(page, 'debug-steps-1'), await status(page, 'mask-2')], ['done', 'done']);
    assert.deepEqual([await ran(page, 'mask-1'), await ran(page, 'mask-2')], [false, true], 'the server sent nothing for mask-1');
    // the menu takes it off again (the same action); the next run runs it
    await node(page, 'mask-1').click({ button: 'right', position: { x: 60, y: 12 } });
    await page.getByTestId('menu-bypass').click();
    await page.locator('[data-testid=node-mask-1]:not([data-hold])').waitFor();
    await runToEnd(page);
    assert.equal(await status(page, 'mask-1'), 'done');
  });

  it('Ctrl+M mutes a node: it and what needs it are greyed, not run, and the run is done, not an error', async () => {
    const page = await studio().open();
    await chain(page);
    await add(page, 'debug-steps', 'debug-steps-2');
    await page.getByLabel('Steps', { exact: true }).fill('2');
    await select(page, 'debug-steps-1');
    await page.keyboard.press('Control+m');
    await page.locator('[data-testid=node-debug-steps-1][data-hold=muted]').waitFor();
    assert.deepEqual([await hold(page, 'mask-1'), await hold(page, 'mask-2'), await hold(page, 'debug-steps-2')], ['skipped', 'skipped', null]);
    assert.deepEqual([await page.getByTestId('hold-mask-2').textContent(), await page.getByTestId('hold-mask-2').getAttribute('title')], ['skipped', 'Skipped: it needs the output of a muted node']);
    assert.ok(Number(await node(page, 'mask-2').evaluate((e) => getComputedStyle(e).opacity)) < 0.6, 'greyed');
    await page.screenshot({ path: join(ART, 'studio-muted.png') });
    await runToEnd(page);
    assert.equal(await status(page, 'debug-steps-2'), 'done');
    assert.deepEqual(await Promise.all(['debug-steps-1', 'mask-1', 'mask-2', 'debug-steps-2'].map((id) => ran(page, id))), [false, false, false, true]);
    assert.equal(await page.locator('[data-testid^=problems-]').count(), 0, 'no errors on any card');
    // saved with the graph, and Ctrl+M again unmutes
    await page.keyboard.press('Control+s');
    await page.waitForURL(/\?g=/);
    const reopened = await studio().open(page.url());
    await reopened.locator('[data-testid=node-debug-steps-1][data-hold=muted]').waitFor();
    await select(reopened, 'debug-steps-1');
    await reopened.keyboard.press('Control+m');
    await reopened.locator('[data-testid=node-mask-2]:not([data-hold])').waitFor();
  });

  it('Ctrl+G frames the selection in a titled group that drags its nodes, is renamed, saved with the graph and removed', async () => {
    const page = await studio().open();
    await add(page, 'debug-steps', 'debug-steps-1');
    await add(page, 'mask', 'mask-1');
    await add(page, 'note', 'note-1');
    await select(page, 'debug-steps-1');
    await select(page, 'mask-1', true);
    await page.keyboard.press('Control+g');
    // its title is edited at once
    await page.getByTestId('group-title-edit-group-1').waitFor();
    await page.keyboard.type('Inputs');
    await page.keyboard.press('Enter');
    assert.equal(await page.getByTestId('group-title-group-1').textContent(), 'Inputs');
    const frame = page.getByTestId('group-group-1');
    const inside = async (id: string) => {
      const [f, n] = [(await frame.boundingBox())!, (await node(page, id).boundingBox())!];
      return n.x > f.x && n.y > f.y && n.x + n.width < f.x + f.width && n.y + n.height < f.y + f.height;
    };
    assert.deepEqual([await inside('debug-steps-1'), await inside('mask-1'), await inside('note-1')], [true, true, false]);
    await page.screenshot({ path: join(ART, 'studio-group.png') });
    // dragging the title bar moves both nodes, not the note
    const before = await Promise.all(['debug-steps-1', 'mask-1', 'note-1'].map(async (id) => (await node(page, id).boundingBox())!));
    const head = (await page.getByTestId('group-head-group-1').boundingBox())!;
    await page.mouse.move(head.x + 40, head.y + head.height / 2);
    await page.mouse.down();
    await page.mouse.move(head.x + 140, head.y + head.height / 2 + 60, { steps: 10 });
    await page.mouse.up();
    const after = await Promise.all(['debug-steps-1', 'mask-1', 'note-1'].map(async (id) => (await node(page, id).boundingBox())!));
    const moved = after.map((b, i) => [Math.round(b.x - before[i]!.x), Math.round(b.y - before[i]!.y)]);
    assert.deepEqual(moved, [[100, 60], [100, 60], [0, 0]], 'at zoom 1, the pointer\'s move');
    assert.deepEqual([await inside('debug-steps-1'), await inside('mask-1')], [true, true], 'the frame follows');
    // one undo step for the whole drag
    await page.keyboard.press('Control+z');
    assert.equal(Math.round((await node(page, 'mask-1').boundingBox())!.x), Math.round(before[1]!.x));
    // renamed by a double-click; saved and loaded with the graph
    await page.getByTestId('group-title-group-1').dblclick();
    await page.getByTestId('group-title-edit-group-1').waitFor();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Sources');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+s');
    await page.waitForURL(/\?g=/);
    const id = new URL(page.url()).searchParams.get('g')!;
    const saved = (await (await fetch(`${studio().server.url}/api/graphs/${id}`)).json()) as { graph: { groups?: unknown } };
    assert.deepEqual(saved.graph.groups, [{ id: 'group-1', title: 'Sources', nodes: ['debug-steps-1', 'mask-1'] }]);
    const reopened = await studio().open(page.url());
    await reopened.getByTestId('group-title-group-1').filter({ hasText: 'Sources' }).waitFor();
    // the read-only share page draws the frame, with nothing to drag, rename or remove
    const shared = await studio().open(`${studio().server.url}/g/${id}`);
    await shared.getByTestId('group-title-group-1').filter({ hasText: 'Sources' }).waitFor();
    await shared.getByTestId('group-title-group-1').dblclick();
    assert.deepEqual([await shared.getByTestId('ungroup-group-1').count(), await shared.getByTestId('group-title-edit-group-1').count()], [0, 0]);
    // × removes the frame, the nodes stay; undo brings it back; Ctrl+Shift+G removes the selection's
    await reopened.getByTestId('ungroup-group-1').click();
    await reopened.getByTestId('group-group-1').waitFor({ state: 'detached' });
    assert.equal(await reopened.locator('.react-flow__node').count(), 3);
    await reopened.keyboard.press('Control+z');
    await reopened.getByTestId('group-group-1').waitFor();
    // a click on the title bar selects the group's nodes
    await reopened.getByTestId('group-title-group-1').click();
    await reopened.locator('.react-flow__node.selected').nth(1).waitFor();
    assert.equal(await reopened.locator('.react-flow__node.selected').count(), 2);
    await reopened.keyboard.press('Control+Shift+G');
    await reopened.getByTestId('group-group-1').waitFor({ state: 'detached' });
  });
});
