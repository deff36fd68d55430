// The emojibase-data index the icon matcher looks names up in (ml/data/match.ts): every emoji and
// skin-tone variant by hexcode (FE0F removed), by slug of its label, shortcodes (cldr, emojibase,
// github, iamcal, joypixels) and Unicode character name, and by the same slug with separators
// removed; plus the slug and hexcode normal forms both sides are compared in. Built once per
// process: the emojibase JSON is large and every style is matched against the same index.
// Skin tones: a tone variant maps to its BASE concept (concept = base hexcode, label = base
// label); the tone is kept in `tone`, and `toneWords` names it for captions.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface EmojibaseEmoji {
  label: string;
  hexcode: string;
  tags?: string[];
  group?: number;
  subgroup?: number;
  tone?: number | number[];
  skins?: EmojibaseEmoji[];
}

export interface MatchTarget {
  concept: string; // base hexcode
  hexcode: string; // the exact variant matched (with tones)
  label: string; // base label
  tags: string[];
  group: string;
  subgroup: string;
  tone: number[]; // [] for the base, [t] or [t1,t2] for skin-tone variants (1 light .. 5 dark)
}

/** The form every name is compared in: ASCII, lower case, words joined by '-' ("Côte d’Ivoire" -> "cote-divoire"). */
export function slug(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’'`.]/g, '')
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
/** A hexcode sequence as the index keys it: upper case, '-'-joined, without FE0F (sets differ on it). */
export const normHex = (h: string) =>
  h
    .toUpperCase()
    .split(/[-_ ]/)
    .filter((p) => p !== 'FE0F' && p !== '')
    .join('-');

/** Tone words by emojibase tone number (1 light .. 5 dark), in slug form as icon names spell them. */
export const TONE_WORDS = ['', 'light', 'medium-light', 'medium', 'medium-dark', 'dark'];
export function toneWords(t: number): string {
  return `${(TONE_WORDS[t] ?? '').replace('-', ' ')} skin tone`;
}

/** "food-drink" -> "food & drink", "face-smiling" -> "face smiling". */
function groupWords(key: string): string {
  if (key === 'food-drink') return 'food & drink';
  if (key === 'smileys-emotion') return 'smileys & emotion';
  if (key === 'people-body') return 'people & body';
  if (key === 'animals-nature') return 'animals & nature';
  if (key === 'travel-places') return 'travel & places';
  return key.replace(/-/g, ' ');
}

export interface EmojiIndex {
  byHex: Map<string, MatchTarget>;
  byName: Map<string, MatchTarget>;
  byCompact: Map<string, MatchTarget>;
  concepts: Map<string, MatchTarget>;
}

let indexCache: EmojiIndex | null = null;
export function emojiIndex(): EmojiIndex {
  if (indexCache) return indexCache;
  const data = require('emojibase-data/en/data.json') as EmojibaseEmoji[];
  const meta = require('emojibase-data/meta/groups.json') as {
    groups: Record<string, string>;
    subgroups: Record<string, string>;
  };
  const names = require('emojibase-data/meta/unicode-names.json') as Record<string, string>;
  const shortcodeSets = ['cldr', 'emojibase', 'github', 'iamcal', 'joypixels', 'emojibase-legacy'].map(
    (p) => require(`emojibase-data/en/shortcodes/${p}.json`) as Record<string, string | string[]>,
  );
  const byHex = new Map<string, MatchTarget>();
  const byName = new Map<string, MatchTarget>();
  const byCompact = new Map<string, MatchTarget>();
  const concepts = new Map<string, MatchTarget>();
  const addName = (name: string, t: MatchTarget) => {
    const s = slug(name);
    if (s && !byName.has(s)) byName.set(s, t);
    const c = s.replace(/-/g, '');
    if (c && !byCompact.has(c)) byCompact.set(c, t);
  };
  const all: { e: EmojibaseEmoji; t: MatchTarget }[] = [];
  for (const base of data) {
    const group = base.group === undefined ? 'component' : groupWords(meta.groups[String(base.group)] ?? 'other');
    const subgroup =
      base.subgroup === undefined ? 'regional indicator' : groupWords(meta.subgroups[String(base.subgroup)] ?? 'other');
    const label = base.label.toLowerCase();
    const tags = [...new Set((base.tags ?? []).map((t) => t.toLowerCase()))];
    const bt: MatchTarget = { concept: base.hexcode, hexcode: base.hexcode, label, tags, group, subgroup, tone: [] };
    concepts.set(base.hexcode, bt);
    all.push({ e: base, t: bt });
    for (const sk of base.skins ?? []) {
      const tone = sk.tone === undefined ? [] : Array.isArray(sk.tone) ? sk.tone : [sk.tone];
      all.push({ e: sk, t: { ...bt, hexcode: sk.hexcode, tone } });
    }
  }
  // Priority: hexcodes, labels, then shortcodes, then unicode names.
  for (const { e, t } of all) byHex.set(normHex(e.hexcode), t);
  for (const { e, t } of all) addName(e.label, t);
  for (const sc of shortcodeSets) {
    for (const { e, t } of all) {
      const v = sc[e.hexcode];
      if (v === undefined) continue;
      // 1-2 letter shortcodes are flag codes ("dj", "jp") and "+1" slugs to "1": too ambiguous
      for (const n of Array.isArray(v) ? v : [v]) if (slug(n).replace(/-/g, '').length >= 3) addName(n, t);
    }
  }
  for (const { e, t } of all) {
    const n = names[e.hexcode];
    if (n) addName(n, t);
  }
  // Keycaps: "keycap: #" slugs to "keycap"; give the symbol names every set uses.
  const key = (sym: string, words: string[]) => {
    const t = byHex.get(normHex(`${sym}-20E3`));
    if (t) for (const w of words) addName(`keycap ${w}`, t);
  };
  key('0023', ['pound', 'hash', 'hashtag', 'number sign', 'number']);
  key('002A', ['asterisk', 'star']);
  indexCache = { byHex, byName, byCompact, concepts };
  return indexCache;
}
