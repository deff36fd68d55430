// Makes the gallery's thumbnails (examples/<name>.png, each ≤ 20 KB) from a real run of each
// example: the built studio in Chromium against the real server, as a user runs it, then the
// example's key output: its images side by side (drawn on a canvas in the page), or its
// heatmap / map as shown. Needs the shipped weights and `npm run build`.
//   node --import tsx test/make-thumbnails.ts [name ...]
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { launchChromium } from './helpers/browser.js';
import { ROOT, startServer } from './helpers/server.js';

const W = 192; // 2x the gallery's 96 x 56 box
const H = 112;
/** The node whose output stands for each example, and whether it is images or a plot. */
const KEY: Record<string, { node: string; kind: 'images' | 'heatmap' | 'embedding-map' | 'prompt-word-weights' | 'sweep-grid' }> = {
  'text-to-image': { node: 'upsample', kind: 'images' },
  variations: { node: 'upsample', kind: 'images' },
  interpolation: { node: 'decoder', kind: 'images' },
  'text-diff': { node: 'decoder', kind: 'images' },
  'prior-vs-no-prior': { node: 'with-prior', kind: 'images' },
  'clip-similarity': { node: 'scores', kind: 'heatmap' },
  'interpolation-map': { node: 'map', kind: 'embedding-map' },
  'text-diff-map': { node: 'map', kind: 'embedding-map' },
  'image-to-image': { node: 'strength-0.6', kind: 'images' },
  inpainting: { node: 'inpaint-apple', kind: 'images' },
  'style-transfer': { node: 'restyle', kind: 'images' },
  'word-weights': { node: 'text-enc', kind: 'prompt-word-weights' },
  'decoder-clip-path': { node: 'map', kind: 'embedding-map' },
  'sweep-guidance': { node: 'sweep', kind: 'sweep-grid' },
};

const names = process.argv.slice(2).length ? process.argv.slice(2) : readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
const server = await startServer({ ui: true });
const browser = await launchChromium();
try {
  for (const name of names) {
    const key = KEY[name];
    if (!key) {
      console.log(`${name}: no key output named here, skipped (the gallery draws its shape)`);
      continue;
    }
    const t0 = Date.now();
    const page = await browser.context.newPage();
    await page.goto(server.url, { waitUntil: 'domcontentloaded' });
    await page.getByTestId(`example-${name}`).click();
    await page.getByTestId('run').click();
    await page.locator('[data-testid="run-phase"][data-phase="done"], [data-testid="run-phase"][data-phase="error"]').waitFor({ timeout: 1_800_000 });
    if ((await page.getByTestId('run-phase').getAttribute('data-phase')) !== 'done') throw new Error(`${name}: the run failed`);
    const card = page.getByTestId(`node-${key.node}`);
    let png: Buffer;
    if (key.kind === 'images') {
      const url = await card.locator(`[data-testid="images-${key.node}"]`).evaluate(async (el, [w, h]) => {
        const imgs = [...el.querySelectorAll('img')].slice(0, 6);
        await Promise.all(imgs.map((i) => i.decode()));
        const c = document.createElement('canvas');
        [c.width, c.height] = [w, h];
        const g = c.getContext('2d')!;
        const s = Math.min(h, Math.floor(w / imgs.length));
        const x0 = (w - s * imgs.length) / 2;
        imgs.forEach((img, i) => g.drawImage(img, x0 + i * s, (h - s) / 2, s, s));
        return c.toDataURL('image/png');
      }, [W, H] as const);
      png = Buffer.from(url.split(',')[1]!, 'base64');
    } else if (key.kind === 'prompt-word-weights') {
      png = await card.getByTestId(key.kind).screenshot(); // the shaded prompts
    } else if (key.kind === 'sweep-grid') {
      png = await card.locator('.sweep-grid').screenshot();
    } else {
      png = await card.getByTestId(key.kind).locator('svg').first().screenshot();
    }
    const out = await sharp(png).resize(W, H, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } }).png({ palette: true, compressionLevel: 9 }).toBuffer();
    const file = join(ROOT, 'examples', `${name}.png`);
    writeFileSync(file, out);
    console.log(`${name}: ${statSync(file).size} bytes, run ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
