// Debian's Chromium driven by playwright-core. Tests call `launchChromium()`; where Chromium or
// the built studio is missing they skip with the reason (`e2eMissingReason`, through
// requires.ts skipIfMissing: a failure on CI) rather than pass.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { hasBuiltUI } from './server.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What an end-to-end test lacks on this machine (Chromium, the built studio), or null. */
export function e2eMissingReason(): string | null {
  if (!existsSync(CHROMIUM_PATH)) return `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium; CHROMIUM_PATH names another)`;
  return hasBuiltUI() ? null : 'the studio is not built (run `npm run build` first; `npm test` does)';
}

/** A persistent context in a fresh user-data dir; close() also removes the dir. */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'unclip-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
