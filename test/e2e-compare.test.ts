// End-to-end: the compare page (issue 24 item 4) in Debian's Chromium against the real server
// (UNCLIP_DEBUG=1: the debug-steps node streams frames without a model). One saved graph is run
// twice with different seeds (over a plain socket.io client, as its owner); /compare?a=<run A id>
// &b=<its share link> lists the seed with both values, one scrubber moves both filmstrips to the
// same step, and the final images sit side by side. The share page's "Compare with…" opens the
// page with its graph filled in; refs that name nothing, and runs of graphs with nothing in
// common, say so. Screenshots go to test/artifacts/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { e2eMissingReason } from './helpers/browser.js';
import { connect, graph, node, Recorder, startOk, type Client } from './helpers/graph.js';
import { skipIfMissing } from './helpers/requires.js';
import { ROOT } from './helpers/server.js';
import { ARTIFACTS as ART, studioForSuite } from './helpers/studio.js';

const skip = skipIfMissing(e2eMissingReason(), import.meta.url);

const weightsDir = process.env.UNCLIP_WEIGHTS_DIR || join(ROOT, 'weights');
const diffusionMissing = ['clip', 'prior', 'decoder', 'upsampler'].filter((m) => !existsSync(join(weightsDir, m)));
const diffusionSkip = diffusionMissing.length ? `no weights for ${diffusionMissing.join(', ')}` : false;

/** The text-to-image example with fewer steps, and the prior's guidance and the decoder's seed as given. */
function textToImage(guidance: number, seed: number) {
  const g = JSON.parse(readFileSync(join(ROOT, 'examples/text-to-image.json'), 'utf8')) as { nodes: { id: string; params: Record<string, unknown> }[] };
  const set = (id: string, p: Record<string, unknown>) => Object.assign(g.nodes.find((n) => n.id === id)!.params, p);
  set('prior', { steps: 8, guidance, bestOf: 1 });
  set('decoder', { steps: 8, seed });
  set('upsample', { steps: 4 });
  return g;
}

const film = (seed: number) => graph([{ ...node('film', 'debug-steps', { steps: 6, workMs: 0, size: 16, seed }), position: { x: 40, y: 60 } }]);

describe('compare two runs', { skip }, () => {
  const studio = studioForSuite();
  let socket: Client;
  let rec: Recorder;
  let graphId = '';
  let runA = '';
  let runB = '';

  const rest = async (path: string, method: string, body: unknown, token?: string) => {
    const r = await fetch(`${studio().server.url}${path}`, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${await r.clone().text()}`);
    return (await r.json()) as Record<string, string>;
  };
  const run = async (g: unknown, extra: Record<string, unknown> = {}) => {
    const id = await startOk(socket, g, extra);
    const end = await rec.end(id);
    assert.equal(end.event, 'run:done');
    return id;
  };
  /** The compare page (it has no socket, so no backend status to wait for, unlike studio().open). */
  const openCompare = async (query: string) => {
    const page = await studio().browser.context.newPage();
    studio().watch(page);
    await page.goto(`${studio().server.url}/compare?${query}`, { waitUntil: 'domcontentloaded' });
    return page;
  };
  /** Where the filmstrip of `side` stands: [its shown index, its step caption without the noise level]. */
  const strip = async (page: Page, side: 'a' | 'b') => {
    const f = page.locator(`[data-testid="film-${side}-film"] [data-testid="filmstrip-film"]`);
    return [await f.getAttribute('data-index'), (await page.locator(`[data-testid="film-${side}-film"] [data-testid="film-step-film"]`).textContent())?.split(' · ')[0]?.trim()];
  };

  before(async () => {
    socket = await connect(studio().server.url);
    rec = new Recorder(socket);
    const saved = await rest('/api/graphs', 'POST', { graph: film(1), title: 'two seeds' });
    graphId = saved.id!;
    runA = await run(film(1), { graphId, editToken: saved.editToken });
    await rest(`/api/graphs/${graphId}`, 'PUT', { graph: film(2) }, saved.editToken);
    runB = await run(film(2), { graphId, editToken: saved.editToken });
    // the share link answers the newest run once the store has it
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`${studio().server.url}/api/graphs/${graphId}/runs/latest`);
      if (r.ok && ((await r.json()) as { id: string }).id === runB) break;
      await new Promise((res) => setTimeout(res, 100));
    }
  });
  after(() => socket?.close());

  it('lists the param that differs with both values, and one scrubber moves both filmstrips', async () => {
    const page = await openCompare(`a=${runA}&b=/g/${graphId}`);
    const seed = page.locator('[data-testid="diff-param"][data-node="film"][data-param="seed"]');
    await seed.waitFor({ timeout: 20_000 });
    assert.equal((await seed.textContent())?.replace(/\s+/g, ' ').trim(), 'seed: 1 → 2');
    assert.equal(await page.getByTestId('diff-param').count(), 1, 'only the seed differs (the rest are equal or defaults)');
    assert.equal(await page.getByTestId('run-a').getAttribute('data-run'), runA);
    assert.equal(await page.getByTestId('run-b').getAttribute('data-run'), runB, 'the share link stands for its latest run');

    // both strips start at their last step; other seeds, other frames
    assert.deepEqual(await strip(page, 'a'), ['5', 'step 6/6']);
    assert.deepEqual(await strip(page, 'b'), ['5', 'step 6/6']);
    const frame = (side: string) => page.locator(`[data-testid="film-${side}-film"] [data-testid="frame-film"]`).getAttribute('src');
    assert.notEqual(await frame('a'), await frame('b'));
    assert.equal(await page.locator('[data-testid="film-a-film"] [data-testid="scrubber-film"]').count(), 0, 'the strips have no scrubbers of their own');

    const scrubber = page.getByTestId('compare-scrubber');
    await scrubber.focus();
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('[data-testid="film-b-film"] [data-testid="filmstrip-film"]')?.getAttribute('data-index') === '0');
    assert.deepEqual(await strip(page, 'a'), ['0', 'step 1/6']);
    assert.deepEqual(await strip(page, 'b'), ['0', 'step 1/6']);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('[data-testid="film-a-film"] [data-testid="filmstrip-film"]')?.getAttribute('data-index') === '2');
    assert.deepEqual(await strip(page, 'a'), ['2', 'step 3/6']);
    assert.deepEqual(await strip(page, 'b'), ['2', 'step 3/6']);

    // the final images side by side, labelled with their seeds
    assert.match((await page.getByTestId('final-a-film').textContent()) ?? '', /seed 1/);
    assert.match((await page.getByTestId('final-b-film').textContent()) ?? '', /seed 2/);
    await page.getByTestId('no-map').waitFor();
    await page.screenshot({ path: join(ART, 'compare.png'), fullPage: true });
    await page.close();
  });

  it('the share page\'s Compare with… opens the page with its graph as A; pasting B compares', async () => {
    const page = await studio().open(`${studio().server.url}/g/${graphId}`);
    await page.getByTestId('compare-with').click();
    await page.waitForURL(/\/compare\?a=/);
    assert.equal(await page.getByTestId('ref-a').inputValue(), `/g/${graphId}`);
    await page.getByTestId('ref-b').fill(`http://localhost:3000/api/runs/${runA}`);
    await page.getByTestId('compare-go').click();
    const seed = page.locator('[data-testid="diff-param"][data-param="seed"]');
    await seed.waitFor({ timeout: 20_000 });
    assert.equal((await seed.textContent())?.replace(/\s+/g, ' ').trim(), 'seed: 2 → 1');
    await page.close();
  });

  it('a ref that names nothing says so; runs of graphs with nothing in common and without steps say so', async () => {
    // 404s are what this page is about: it records its console on its own (not through watch)
    const page = await studio().browser.context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${studio().server.url}/compare?a=${runA}&b=NoSuchRunOrGraph0000000`, { waitUntil: 'domcontentloaded' });
    const bad = page.getByTestId('ref-error-b');
    await bad.waitFor({ timeout: 20_000 });
    assert.equal((await bad.textContent())?.trim(), 'B: no run or graph has the id NoSuchRunOrGraph0000000');
    assert.equal(await page.getByTestId('ref-error-a').count(), 0);
    assert.ok(errors.length > 0 && errors.every((e) => /404/.test(e)), `only the 404s of the missing ref: ${errors.join(' | ')}`);

    await page.goto(`${studio().server.url}/compare?a=/g/${graphId}&b=${encodeURIComponent('http://h/elsewhere')}`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId('ref-error-b').waitFor({ timeout: 20_000 });
    assert.match((await page.getByTestId('ref-error-b').textContent()) ?? '', /not a share link/);

    // an unsaved graph of one text node: a run the server holds in memory, sharing nothing with the film
    const textRun = await run(graph([node('prompt', 'text', { text: 'a cat' })]));
    await page.goto(`${studio().server.url}/compare?a=${runA}&b=${textRun}`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId('nothing-in-common').waitFor({ timeout: 20_000 });
    const notes = await page.getByTestId('compare-note').allTextContents();
    assert.ok(notes.some((n) => /^B has no stored steps/.test(n)), notes.join(' | '));
    assert.equal(await page.getByTestId('param-diff').count(), 0, 'no param list for graphs with nothing in common');
    assert.equal(await page.getByTestId('final-a-film').count(), 1, 'the outputs are still shown');
    await page.screenshot({ path: join(ART, 'compare-nothing-in-common.png'), fullPage: true });
    await page.close();
  });

  it('two runs of text to image: guidance and seed listed, decoder strips in step, both runs\' embeddings on one map', { skip: diffusionSkip }, async () => {
    const saved = await rest('/api/graphs', 'POST', { graph: textToImage(4, 0), title: 'text to image' });
    const a = await run(textToImage(4, 0), { graphId: saved.id, editToken: saved.editToken });
    await rest(`/api/graphs/${saved.id}`, 'PUT', { graph: textToImage(6, 1) }, saved.editToken);
    const b = await run(textToImage(6, 1), { graphId: saved.id, editToken: saved.editToken });
    const page = await openCompare(`a=${a}&b=${b}`);
    await page.getByTestId('param-diff').waitFor({ timeout: 30_000 });
    const diffs = (await page.getByTestId('diff-param').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.deepEqual(diffs.sort(), ['guidance: 4 → 6', 'seed: 0 → 1']);
    assert.equal(await page.locator('[data-testid="diff-param"][data-node="prior"]').textContent(), 'guidance: 4 → 6');

    const index = (side: string, id: string) => page.locator(`[data-testid="film-${side}-${id}"] [data-testid="filmstrip-${id}"]`).getAttribute('data-index');
    await page.getByTestId('compare-scrubber').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('[data-testid="film-b-decoder"] [data-testid="filmstrip-decoder"]')?.getAttribute('data-index') === '1');
    assert.deepEqual([await index('a', 'decoder'), await index('b', 'decoder')], ['1', '1']);

    // the map: A's two series (text, prior) in A's colour, B's in B's, labelled with their run
    const map = page.getByTestId('combined-map');
    await map.locator('.corpus-dot').first().waitFor({ timeout: 30_000 });
    assert.equal(await map.locator('g[style*="series-a"] .series-dot').count(), 2);
    assert.equal(await map.locator('g[style*="series-b"] .series-dot').count(), 2);
    // and each prior's trajectory from noise to its embedding, named by run
    assert.deepEqual(await map.locator('[data-testid^="map-track-"]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-testid'))), ['map-track-A · prior', 'map-track-B · prior']);
    const near = await map.getByTestId('neighbours').textContent();
    assert.match(near ?? '', /A · /);
    assert.match(near ?? '', /B · /);
    await page.screenshot({ path: join(ART, 'compare-text-to-image.png'), fullPage: true });
    await page.close();
  });
});
