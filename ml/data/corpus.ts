// The captioned emoji image corpus: every non-alias icon of seven Iconify emoji sets, rendered
// with sharp onto white, matched to emojibase-data for label, tags and group (see match.ts).
//
// Cache layout (data/cache/, git-ignored):
//   corpus-<size>-v<N>.bin   uint8 [M, size, size, 3]: EVERY non-alias icon of every style, matched
//                            or not, in the order of the .json's `icons`
//   corpus-<size>-v<N>.json  { version, size, icons: string[] (keys), entries (as matched at build
//                            time, for inspection), failed, buildMs, ... }
// Matching is re-run at load time (about 1 s), so improving the matcher never needs a re-render;
// changing the renderer needs a bump of RENDER_VERSION, which makes a new file name.

import { mkdir, readFile, rename, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { ProgressFn } from '../progress.js';
import { loadIconSet, matchStyle, STYLES, type IconMatch, type StyleName } from './match.js';

export { STYLES, STYLE_WORDS, type StyleName } from './match.js';

/** Held out of training entirely; used only to evaluate generalisation to an unseen style. */
export const HELDOUT_STYLE: StyleName = 'twemoji';

/** Bump when the rendering changes (supersampling, background, fit): makes a new cache file. */
export const RENDER_VERSION = 1;

export interface CorpusEntry {
  key: string; // `${style}:${iconName}`
  style: StyleName;
  iconName: string;
  concept: string; // emojibase hexcode of the BASE emoji (skin-tone variants map to their base)
  label: string; // base label, lower-case: "thumbs up", "flag: japan", "keycap: 1"
  tags: string[];
  group: string; // "food & drink"
  subgroup: string; // "food fruit"
  hexcode: string; // the exact emojibase variant matched (with skin tones), e.g. "1F44D-1F3FF"
  tone: number[]; // [] base; [1..5] light..dark; two numbers for two-person sequences
}

export interface Corpus {
  entries: CorpusEntry[];
  size: number;
  images: Uint8Array; // [N, size, size, 3] RGB on white, row-major, entries order
}

export interface LoadOptions {
  size?: 32 | 64;
  onProgress?: ProgressFn;
  styles?: readonly StyleName[];
  /** Keep skin-tone variants (default true). false: only the base (no-tone) icon of each concept. */
  skinTones?: boolean;
  /** Cache folder (default <repo>/data/cache). */
  cacheDir?: string;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CACHE_DIR = path.join(REPO_ROOT, 'data', 'cache');

export function cachePaths(size: number, cacheDir = DEFAULT_CACHE_DIR): { bin: string; json: string } {
  const base = path.join(cacheDir, `corpus-${size}-v${RENDER_VERSION}`);
  return { bin: `${base}.bin`, json: `${base}.json` };
}

sharp.concurrency(1);

// ---------------------------------------------------------------------------------------------
// Rendering

function splitKey(key: string): { style: StyleName; iconName: string } {
  const i = key.indexOf(':');
  const style = key.slice(0, i) as StyleName;
  if (i < 0 || !STYLES.includes(style)) throw new Error(`bad corpus key "${key}" (want style:iconName)`);
  return { style, iconName: key.slice(i + 1) };
}

/** The SVG document of one icon (aliases resolve to their parent), drawn at `px` x `px`. */
export function iconSvg(style: StyleName, iconName: string, px: number): string {
  const set = loadIconSet(style);
  // own properties only: a key such as "noto:__proto__" or "noto:constructor" names no icon
  const own = <T>(o: Record<string, T> | undefined, k: string): T | undefined => (o && Object.hasOwn(o, k) ? o[k] : undefined);
  let name = iconName;
  for (let hops = 0; !own(set.icons, name) && hops < 4; hops++) {
    const parent = own(set.aliases, name)?.parent;
    if (!parent) break;
    name = parent;
  }
  const icon = own(set.icons, name);
  if (!icon) throw new Error(`no icon "${iconName}" in ${style}`);
  const w = icon.width ?? set.width ?? 16;
  const h = icon.height ?? set.height ?? 16;
  const l = icon.left ?? 0;
  const t = icon.top ?? 0;
  // preserveAspectRatio (default xMidYMid meet) centres non-square icons in the square.
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="${l} ${t} ${w} ${h}" width="${px}" height="${px}">${icon.body}</svg>`;
}

/** Supersampling factor: draw at 4x and reduce with a box filter, so thin strokes survive at 32. */
const SUPERSAMPLE = 4;

async function renderSvg(svg: string, size: number): Promise<Buffer> {
  const { data, info } = await sharp(Buffer.from(svg))
    .flatten({ background: '#ffffff' })
    .resize(size, size, { fit: 'contain', background: '#ffffff', kernel: 'mitchell' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3) {
    throw new Error(`render gave ${info.width}x${info.height}x${info.channels}`);
  }
  return data;
}

/** One icon as [size, size, 3] RGB on white. `key` is `${style}:${iconName}` (aliases allowed). */
export async function renderIcon(key: string, size: 32 | 64): Promise<Uint8Array> {
  const { style, iconName } = splitKey(key);
  const buf = await renderSvg(iconSvg(style, iconName, size * SUPERSAMPLE), size);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Matching -> entries

const matchCache = new Map<StyleName, IconMatch[]>();
function matchesFor(style: StyleName): IconMatch[] {
  let m = matchCache.get(style);
  if (!m) {
    m = matchStyle(style).matches;
    matchCache.set(style, m);
  }
  return m;
}

function toEntry(m: IconMatch): CorpusEntry | null {
  const t = m.target;
  if (!t) return null;
  return {
    key: `${m.style}:${m.iconName}`,
    style: m.style,
    iconName: m.iconName,
    concept: t.concept,
    label: t.label,
    tags: t.tags,
    group: t.group,
    subgroup: t.subgroup,
    hexcode: t.hexcode,
    tone: t.tone,
  };
}

/** All matched entries (names only, nothing rendered), in STYLES order then icon order. */
export function corpusEntries(styles: readonly StyleName[] = STYLES): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const s of STYLES) {
    if (!styles.includes(s)) continue;
    for (const m of matchesFor(s)) {
      const e = toEntry(m);
      if (e) out.push(e);
    }
  }
  return out;
}

/** Every non-alias icon key of the given styles, matched or not (the cache's row order). */
export function allIconKeys(styles: readonly StyleName[] = STYLES): string[] {
  const out: string[] = [];
  for (const s of styles) for (const name of Object.keys(loadIconSet(s).icons)) out.push(`${s}:${name}`);
  return out;
}

export interface StyleReport {
  style: StyleName;
  icons: number; // non-alias icons
  aliases: number; // skipped (duplicates of icons), counted only
  matched: number;
  missed: string[]; // icon names with no emojibase entry
  toneVariants: number; // matched icons that are skin-tone variants
  concepts: number; // distinct base concepts matched
}

export function matchReportByStyle(): StyleReport[] {
  return STYLES.map((style) => {
    const matches = matchesFor(style);
    const aliases = Object.keys(loadIconSet(style).aliases ?? {}).length;
    const ok = matches.filter((m) => m.target);
    return {
      style,
      icons: matches.length,
      aliases,
      matched: ok.length,
      missed: matches.filter((m) => !m.target).map((m) => m.iconName),
      toneVariants: ok.filter((m) => (m.target?.tone.length ?? 0) > 0).length,
      concepts: new Set(ok.map((m) => m.target?.concept)).size,
    };
  });
}

/** Icons with no emojibase entry: reported, never silently dropped. */
export async function matchReport(): Promise<{ matched: number; missed: { style: StyleName; iconName: string }[] }> {
  let matched = 0;
  const missed: { style: StyleName; iconName: string }[] = [];
  for (const r of matchReportByStyle()) {
    matched += r.matched;
    for (const iconName of r.missed) missed.push({ style: r.style, iconName });
  }
  return { matched, missed };
}

/** Indices into `entries`: train = every style but HELDOUT_STYLE; heldout = HELDOUT_STYLE only. */
export function splitByStyle(entries: CorpusEntry[]): { train: number[]; heldout: number[] } {
  const train: number[] = [];
  const heldout: number[] = [];
  entries.forEach((e, i) => (e.style === HELDOUT_STYLE ? heldout : train).push(i));
  return { train, heldout };
}

// ---------------------------------------------------------------------------------------------
// Cache

interface CacheIndex {
  format: 'unclip-emoji-corpus';
  version: number;
  size: number;
  supersample: number;
  icons: string[];
  failed: { key: string; error: string }[];
  buildMs: number;
  builtAt: string;
  entries: CorpusEntry[]; // as matched at build time (informational; re-matched on load)
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Render every non-alias icon of every style at `size` and write the cache. Returns the index. */
export async function buildCache(
  size: 32 | 64,
  opts: { onProgress?: ProgressFn; cacheDir?: string; parallel?: number } = {},
): Promise<{ index: CacheIndex; images: Uint8Array }> {
  const t0 = Date.now();
  const keys = allIconKeys(STYLES);
  const px = size * size * 3;
  const images = new Uint8Array(keys.length * px);
  const failed: { key: string; error: string }[] = [];
  const parallel = opts.parallel ?? 3;
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= keys.length) return;
      const key = keys[i] as string;
      try {
        images.set(await renderIcon(key, size), i * px);
      } catch (err) {
        images.fill(255, i * px, (i + 1) * px);
        failed.push({ key, error: String((err as Error).message ?? err) });
      }
      done++;
      opts.onProgress?.(done, keys.length, { style: splitKey(key).style, failed: failed.length });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const index: CacheIndex = {
    format: 'unclip-emoji-corpus',
    version: RENDER_VERSION,
    size,
    supersample: SUPERSAMPLE,
    icons: keys,
    failed,
    buildMs: Date.now() - t0,
    builtAt: new Date().toISOString(),
    entries: corpusEntries(STYLES),
  };
  const dir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
  await mkdir(dir, { recursive: true });
  const { bin, json } = cachePaths(size, dir);
  await writeAtomic(bin, images); // the .json is written last: it marks the pair complete
  await writeAtomic(json, JSON.stringify(index));
  return { index, images };
}

function sameEntries(a: CorpusEntry[] | undefined, b: CorpusEntry[]): boolean {
  if (!a || a.length !== b.length) return false;
  return a.every((e, i) => e.key === b[i]?.key && e.concept === b[i]?.concept && e.label === b[i]?.label);
}

async function readCache(size: number, cacheDir: string): Promise<{ index: CacheIndex; images: Uint8Array } | null> {
  const { bin, json } = cachePaths(size, cacheDir);
  if (!(await exists(json)) || !(await exists(bin))) return null;
  const index = JSON.parse(await readFile(json, 'utf8')) as CacheIndex;
  if (index.format !== 'unclip-emoji-corpus' || index.version !== RENDER_VERSION || index.size !== size) return null;
  const buf = await readFile(bin);
  if (buf.byteLength !== index.icons.length * size * size * 3) return null;
  return { index, images: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

/**
 * The corpus at `size` (default 32): matched entries of `styles` (default all) and their images.
 * Builds the cache on first call (a few minutes, progress through onProgress); later calls read
 * it. Icons missing from an older cache (an icon package update) trigger a rebuild.
 */
export async function loadCorpus(opts: LoadOptions = {}): Promise<Corpus> {
  const size = opts.size ?? 32;
  const styles = opts.styles ?? STYLES;
  const cacheDir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
  let cache = await readCache(size, cacheDir);
  // UNCLIP_CORPUS_CACHE_ONLY=1 trusts the cache's own entry list: where the icon packages are not
  // installed (the GPU bundle carries the cache, not 60 MB of SVGs), nothing can be re-matched.
  const cacheOnly = process.env.UNCLIP_CORPUS_CACHE_ONLY === '1';
  if (cacheOnly && !cache) throw new Error(`UNCLIP_CORPUS_CACHE_ONLY=1 but ${cachePaths(size, cacheDir).bin} is missing or stale`);
  const want = cacheOnly ? [] : allIconKeys(STYLES);
  if (cache) {
    const have = new Set(cache.index.icons);
    if (want.some((k) => !have.has(k))) cache = null;
  }
  if (!cache) cache = await buildCache(size, { onProgress: opts.onProgress, cacheDir });
  const c = cache;
  const row = new Map<string, number>();
  c.index.icons.forEach((k, i) => row.set(k, i));
  const everything = cacheOnly ? c.index.entries : corpusEntries(STYLES);
  if (!cacheOnly && !sameEntries(c.index.entries, everything)) {
    // the matcher changed since the build: refresh the informational entry list (images are reused)
    c.index.entries = everything;
    await writeAtomic(cachePaths(size, cacheDir).json, JSON.stringify(c.index)).catch(() => {});
  }
  let entries = everything.filter((e) => styles.includes(e.style));
  if (opts.skinTones === false) entries = entries.filter((e) => e.tone.length === 0);
  const px = size * size * 3;
  const images = new Uint8Array(entries.length * px);
  entries.forEach((e, i) => {
    const r = row.get(e.key) as number;
    images.set(c.images.subarray(r * px, (r + 1) * px), i * px);
  });
  return { entries, size, images };
}
