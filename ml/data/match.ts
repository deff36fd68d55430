// Matching icon names from the Iconify emoji sets to emojibase-data entries (names only, no
// rendering): which concept, label, tags and group each icon shows.
//
// Order of evidence, first hit wins:
//   1. the set's own `chars.json` (codepoint sequence -> icon name; noto, twemoji, openmoji and
//      fluent-emoji-flat ship one) matched on the emojibase hexcode with FE0F removed;
//   2. a hexcode encoded in the name (`1f600`, `u1f600`, `emoji_u1f600`);
//   3. the name as a slug of an emojibase label or skin-variant label (`red-apple`,
//      `thumbs-up-dark-skin-tone`), of a shortcode (cldr, emojibase, github, iamcal, joypixels),
//      or of the Unicode character name;
//   4. the same with all separators removed (fxemoji's `admissiontickets`);
//   5. small per-set rewrites: fluent's `-light` tone suffixes, streamline's `-1`/`-2` variant
//      suffixes, a few hand-made synonyms for names no table has.
// Skin tones: a tone variant maps to its BASE concept (concept = base hexcode, label = base
// label); the tone is kept in `tone` and as tag words ("dark skin tone") so captions can use it.
//
// This file is the rules and their order. The emojibase side (the hexcode and name index, slugs,
// tone words) is emoji-index.ts; the hand-checked synonyms and exclusions are name-overrides.ts.

import { createRequire } from 'node:module';
import { emojiIndex, normHex, slug, TONE_WORDS, type MatchTarget } from './emoji-index.js';
import { EXCLUDE, SYNONYMS } from './name-overrides.js';

const require = createRequire(import.meta.url);

export type StyleName =
  | 'noto'
  | 'twemoji'
  | 'openmoji'
  | 'fluent-emoji-flat'
  | 'emojione'
  | 'fxemoji'
  | 'streamline-emojis';

export const STYLES: readonly StyleName[] = [
  'noto',
  'twemoji',
  'openmoji',
  'fluent-emoji-flat',
  'emojione',
  'fxemoji',
  'streamline-emojis',
];

/** Human words for a style, as used in captions ("twemoji style"). */
export const STYLE_WORDS: Record<StyleName, string> = {
  noto: 'noto',
  twemoji: 'twemoji',
  openmoji: 'openmoji',
  'fluent-emoji-flat': 'fluent flat',
  emojione: 'emojione',
  fxemoji: 'fxemoji',
  'streamline-emojis': 'streamline',
};

export interface IconifyIcon {
  body: string;
  width?: number;
  height?: number;
  left?: number;
  top?: number;
}
export interface IconifySet {
  prefix: string;
  icons: Record<string, IconifyIcon>;
  aliases?: Record<string, { parent: string }>;
  width?: number;
  height?: number;
}

export interface IconMatch {
  style: StyleName;
  iconName: string;
  target: MatchTarget | null;
  how: string; // which rule matched, for the report
}

const setCache = new Map<StyleName, IconifySet>();
export function loadIconSet(style: StyleName): IconifySet {
  let s = setCache.get(style);
  if (!s) {
    s = require(`@iconify-json/${style}/icons.json`) as IconifySet;
    setCache.set(style, s);
  }
  return s;
}

function loadChars(style: StyleName): Record<string, string> {
  try {
    return require(`@iconify-json/${style}/chars.json`) as Record<string, string>;
  } catch {
    return {};
  }
}

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

const TONE_SUFFIX = /-(medium-light|medium-dark|light|medium|dark)(?:-skin-tone)?$/;
const TONE_NUM: Record<string, number> = { light: 1, 'medium-light': 2, medium: 3, 'medium-dark': 4, dark: 5 };

/**
 * Split trailing skin-tone words off a name: "men-wrestling-dark-skin-tone-light-skin-tone" ->
 * { stem: "men-wrestling", tone: [5, 1] }. `bare` also accepts fluent's "-light" / "-medium-dark"
 * (without "skin-tone"), which only fluent uses; "flashlight" has no dash before "light".
 */
export function splitTones(name: string, bare = false): { stem: string; tone: number[] } {
  let stem = name;
  const tone: number[] = [];
  for (;;) {
    const m = TONE_SUFFIX.exec(stem);
    if (!m?.[1] || m.index === 0) break;
    if (!bare && !m[0].endsWith('-skin-tone')) break;
    tone.unshift(TONE_NUM[m[1]] ?? 0);
    stem = stem.slice(0, m.index);
  }
  return { stem, tone };
}

function nameCandidates(style: StyleName, name: string): string[] {
  const out = [name];
  const syn = SYNONYMS[`${style}:${name}`] ?? SYNONYMS[name];
  if (syn) out.unshift(syn);
  // streamline: writing-hand-1, writing-hand-2 -> writing-hand
  const m = /^(.*?)-\d+$/.exec(name);
  if (m?.[1]) {
    const stemSyn = SYNONYMS[`${style}:${m[1]}`] ?? SYNONYMS[m[1]];
    out.push(m[1], ...(stemSyn ? [stemSyn] : []));
  }
  // fxemoji: clock3oclock -> "three o'clock", clock3thirty -> "three-thirty"
  const c = /^clock(\d+)(oclock|thirty)$/.exec(name);
  const num = c?.[1] ? NUMBER_WORDS[Number(c[1])] : undefined;
  if (c && num) out.push(c[2] === 'oclock' ? `${num} o’clock` : `${num}-thirty`);
  // emojione: letter-a -> regional indicator A (its regional indicators are lettered circles)
  const l = /^letter-([a-z])$/.exec(name);
  if (style === 'emojione' && l?.[1]) out.push(`regional indicator ${l[1]}`);
  // twemoji/emojione: flag-for-flag-japan, flag-for-japan -> flag-japan; flag-for-white-flag -> white-flag
  const f = /^flag-for-(?:flag-)?(.*)$/.exec(name);
  if (f?.[1]) out.push(`flag-${f[1]}`, f[1]);
  // openmoji: alabama-flag -> flag-alabama
  const f2 = /^(.*)-flag$/.exec(name);
  if (f2?.[1]) out.push(`flag-${f2[1]}`);
  // emojione: a-button -> "A button (blood type)"
  out.push(`${name}-blood-type`);
  // fluent: "man-medium-light" -> "man-medium-light-skin-tone"; also two tones
  const { stem, tone } = splitTones(name, style === 'fluent-emoji-flat');
  if (tone.length > 0) out.push(`${stem}-${tone.map((t) => `${TONE_WORDS[t]}-skin-tone`).join('-')}`);
  return out;
}

function hexFromName(name: string): string | null {
  const m = /^(?:emoji[-_])?u?([0-9a-f]{4,6}(?:[-_]u?[0-9a-f]{4,6})*)$/i.exec(name);
  if (!m?.[1]) return null;
  return normHex(m[1].replace(/u/gi, ''));
}

/** Match every non-alias icon of a style. Aliases are counted separately, never matched. */
export function matchStyle(style: StyleName): { matches: IconMatch[]; aliases: number } {
  const set = loadIconSet(style);
  const idx = emojiIndex();
  const chars = loadChars(style);
  const fromChars = new Map<string, MatchTarget>();
  for (const [hex, iconName] of Object.entries(chars)) {
    const parent = set.icons[iconName] ? iconName : set.aliases?.[iconName]?.parent;
    const t = idx.byHex.get(normHex(hex));
    if (!parent || !t || fromChars.has(parent)) continue;
    // the icon's own name wins over an alias's codepoint
    fromChars.set(parent, t);
  }
  // Prefer the codepoint of the icon's own name when both it and an alias list one.
  for (const [hex, iconName] of Object.entries(chars)) {
    const t = idx.byHex.get(normHex(hex));
    if (t && set.icons[iconName]) fromChars.set(iconName, t);
  }
  const matches: IconMatch[] = [];
  for (const iconName of Object.keys(set.icons)) {
    let target: MatchTarget | null = null;
    let how = 'none';
    if (EXCLUDE.has(`${style}:${iconName}`)) {
      matches.push({ style, iconName, target, how: 'excluded' });
      continue;
    }
    const c = fromChars.get(iconName);
    if (c) {
      target = c;
      how = 'chars';
    }
    if (!target) {
      const h = hexFromName(iconName);
      const t = h ? idx.byHex.get(h) : undefined;
      if (t) {
        target = t;
        how = 'hexname';
      }
    }
    if (!target) {
      for (const cand of nameCandidates(style, iconName)) {
        const s = slug(cand);
        const t = idx.byName.get(s) ?? idx.byCompact.get(s.replace(/-/g, ''));
        if (t) {
          target = t;
          how = cand === iconName ? 'name' : 'rewrite';
          break;
        }
      }
    }
    if (!target) {
      // A tone variant emojibase does not list (Emoji 16 tones for wrestlers, fluent's skier):
      // match the stem and keep the tone, as for every other tone variant.
      const { stem, tone } = splitTones(iconName, style === 'fluent-emoji-flat');
      if (tone.length > 0) {
        for (const cand of nameCandidates(style, stem)) {
          const s = slug(cand);
          const t = idx.byName.get(s) ?? idx.byCompact.get(s.replace(/-/g, ''));
          if (t) {
            target = { ...t, tone };
            how = 'tone-stem';
            break;
          }
        }
      }
    }
    matches.push({ style, iconName, target, how });
  }
  return { matches, aliases: Object.keys(set.aliases ?? {}).length };
}
