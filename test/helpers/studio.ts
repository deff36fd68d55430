// The built studio for an end-to-end test: the real server (UNCLIP_DEBUG=1 for the debug-steps
// node, a fresh data folder) and Debian's Chromium, pages that record console errors, and one
// stop that tears both down; `studioForSuite` does both around a describe's tests and checks
// the server exits 0 and no page logged an error.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { ROOT, startServer, type RunningServer } from './server.js';

/** Where e2e tests leave their screenshots and downloads. */
export const ARTIFACTS = join(ROOT, 'test/artifacts');

export interface StudioSession {
  server: RunningServer;
  browser: Awaited<ReturnType<typeof launchChromium>>;
  consoleErrors: string[];
  /** Record `page`'s console errors and uncaught exceptions. */
  watch(page: Page): void;
  /** A new page at `url` (the studio by default), once it is connected to the server. `init` runs before the page's own scripts. */
  open(url?: string, init?: () => void): Promise<Page>;
  /** Close the browser and stop the server; resolves with the server's exit code. */
  stop(): Promise<number | null>;
}

export async function startStudio(): Promise<StudioSession> {
  const dataDir = mkdtempSync(join(tmpdir(), 'unclip-e2e-'));
  const server = await startServer({ ui: true, env: { UNCLIP_DEBUG: '1', UNCLIP_DATA_DIR: dataDir } });
  const browser = await launchChromium();
  const consoleErrors: string[] = [];
  const watch = (page: Page) => {
    // (Chromium reports every 4xx fetch as a console error: the studio makes none in normal use)
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  };
  return {
    server,
    browser,
    consoleErrors,
    watch,
    async open(url = server.url, init) {
      const page = await browser.context.newPage();
      watch(page);
      if (init) await page.addInitScript(init);
      await page.goto(url, { waitUntil: 'domcontentloaded' });
      await page.locator('[data-backend]:not([data-backend=""])').waitFor({ timeout: 30_000 });
      return page;
    },
    async stop() {
      await browser.close();
      const code = await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Inside a describe: the studio started before its tests and stopped after them (exit 0, no console errors). */
export function studioForSuite(): () => StudioSession {
  let studio: StudioSession | undefined;
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    studio = await startStudio();
  });
  after(async () => {
    if (!studio) return;
    assert.equal(await studio.stop(), 0);
    assert.deepEqual(studio.consoleErrors, [], 'no console errors');
  });
  return () => studio!;
}

/** Drop a file on the page's canvas, as a user drags one in from the desktop; resolves once the studio's notice names the file. */
export async function dropFile(page: Page, data: Uint8Array | string, name: string, type: string): Promise<void> {
  await page.evaluate(
    ([b64, file, mime]) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], file, { type: mime }));
      document.querySelector('[data-testid="canvas"]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    [Buffer.from(data).toString('base64'), name, type] as const,
  );
  await page.getByTestId('notice').filter({ hasText: name }).waitFor();
}

/** Open `graph` on the page's canvas as a dropped JSON file. */
export function dropGraph(page: Page, graph: unknown, name = 'graph.json'): Promise<void> {
  return dropFile(page, JSON.stringify(graph), name, 'application/json');
}
