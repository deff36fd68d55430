// Emoji in a prompt are read as their names (emojibase-data's English labels: 🍎 → "red apple"),
// so "🍎❤️🔥" encodes as "red apple red heart fire" rather than as nothing. The tokenizer calls this
// before splitting words, so every prompt CLIP reads (nodes, generate, eval) goes through it.
// - variation selectors (U+FE0F, U+FE0E) are ignored: "❤" and "❤️" are both "red heart";
// - a ZWJ sequence with a name of its own is that name ("❤️‍🔥" → "heart on fire"); one without
//   is read part by part ("👩‍🦰‍🚀"-like made-up sequences);
// - skin tones are named as emojibase labels them ("👍🏽" → "thumbs up: medium skin tone"), and a
//   tone on an emoji with no toned label reads as the emoji's name then the tone's.
// A static import (not a require at run time), so bundles (gpu/build.ts) carry the table.
import data from 'emojibase-data/en/compact.json' with { type: 'json' };

const SELECTORS = /[\u{FE0E}\u{FE0F}]/gu;
const ZWJ = '\u200D';
const TONES = /[\u{1F3FB}-\u{1F3FF}]/gu;
const TONE_NAMES: Record<string, string> = { '\u{1F3FB}': 'light skin tone', '\u{1F3FC}': 'medium-light skin tone', '\u{1F3FD}': 'medium skin tone', '\u{1F3FE}': 'medium-dark skin tone', '\u{1F3FF}': 'dark skin tone' };
// a whole RGI emoji (flags, keycaps, ZWJ sequences, tones), else any pictograph with its
// selectors, tones and ZWJ joins (sequences typed without U+FE0F are not RGI but mean the same)
const MOD = '[\\u{FE0E}\\u{FE0F}\\u{1F3FB}-\\u{1F3FF}]*';
const EMOJI = new RegExp(`\\p{RGI_Emoji}|\\p{Extended_Pictographic}${MOD}(?:\\u200D\\p{Extended_Pictographic}${MOD})*`, 'gv');

let names: Map<string, string> | null = null;

/** Emoji (without variation selectors) → name; built on first use. */
function table(): Map<string, string> {
  if (names) return names;
  names = new Map();
  for (const e of data) for (const x of [e, ...(e.skins ?? [])]) names.set(x.unicode.replace(SELECTORS, ''), x.label);
  return names;
}

/** The name of one emoji sequence as matched, or null where emojibase has none for any part. */
function nameOf(seq: string): string | null {
  const t = table();
  const bare = seq.replace(SELECTORS, '');
  const whole = t.get(bare);
  if (whole) return whole;
  const parts = bare.split(ZWJ).map((part) => {
    const named = t.get(part);
    if (named) return named;
    const tones = part.match(TONES) ?? [];
    const base = t.get(part.replace(TONES, ''));
    return base ? [base, ...tones.map((c) => TONE_NAMES[c]!)].join(' ') : null;
  });
  const known = parts.filter((p): p is string => p !== null);
  return known.length ? known.join(' ') : null;
}

/** `text` with each emoji replaced by its name (spaced from its neighbours); an emoji with no name is left as it is. */
export function emojiToNames(text: string): string {
  if (!/[^\p{ASCII}]/u.test(text)) return text; // the common case: nothing to look up
  return text.replace(EMOJI, (seq) => {
    const name = nameOf(seq);
    return name === null ? seq : ` ${name} `;
  });
}

/**
 * `text` cut at its emoji: the emoji `emojiToNames` would name, each a piece of its own with its
 * name, and the text between them (word weights show an emoji as one word: ml/clip/word-weights.ts).
 */
export function splitAtEmoji(text: string): { text: string; name?: string }[] {
  if (!/[^\p{ASCII}]/u.test(text)) return [{ text }];
  const out: { text: string; name?: string }[] = [];
  let at = 0;
  for (const m of text.matchAll(EMOJI)) {
    const name = nameOf(m[0]);
    if (name === null) continue;
    if (m.index > at) out.push({ text: text.slice(at, m.index) });
    out.push({ text: m[0], name });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}
