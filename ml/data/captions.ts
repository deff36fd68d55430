// Captions for corpus entries: several lower-case forms per entry built from the emojibase label,
// tags and group and the style's words, and a seeded sampler over them.

import type { CorpusEntry } from './corpus.js';
import { toneWords } from './emoji-index.js';
import { STYLE_WORDS } from './match.js';

export { mulberry32 } from '../rng.js';

/** "flag: japan" -> "flag japan"; "keycap: #" -> "keycap #"; trims and lower-cases. */
export function cleanLabel(label: string): string {
  return label
    .toLowerCase()
    .replace(/[:,]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Tags that add something beyond the label's own words (the label words themselves are dropped). */
function extraTags(e: CorpusEntry): string[] {
  const labelWords = new Set(cleanLabel(e.label).split(' '));
  return e.tags.map((t) => t.toLowerCase().trim()).filter((t) => t && !labelWords.has(t));
}

/** The label, with the skin tone for toned entries ("thumbs up, medium skin tone"): what a person would type. */
export function captionHead(e: CorpusEntry): string {
  const label = cleanLabel(e.label);
  const tone = e.tone.length > 0 ? [...new Set(e.tone.map(toneWords))].join(' and ') : '';
  return tone ? `${label}, ${tone}` : label;
}

/**
 * The caption forms of an entry, all lower-case, no duplicates, label first:
 *   label; "label, tag, tag"; "label, group"; "label, <style words> style"; "tag, tag"
 * plus, for skin-tone variants, "label, <tone> skin tone" (the tone also joins the label-led forms).
 */
export function captionForms(e: CorpusEntry): string[] {
  const label = cleanLabel(e.label);
  const head = captionHead(e);
  const tags = extraTags(e);
  const style = `${STYLE_WORDS[e.style]} style`;
  const forms = [
    label,
    head,
    tags.length > 0 ? `${head}, ${tags.slice(0, 3).join(', ')}` : '',
    `${head}, ${e.group}`,
    `${head}, ${style}`,
    tags.length > 0 ? `${label}, ${tags.slice(0, 2).join(', ')}, ${style}` : '',
    tags.length >= 2 ? tags.slice(0, 3).join(', ') : '',
  ];
  return [...new Set(forms.filter((f) => f !== '').map((f) => f.toLowerCase()))];
}

/**
 * One caption for training: a random form, where the tag lists are re-drawn (random subset, random
 * order) so the model sees more than the first three tags. Deterministic given `rng`.
 */
export function sampleCaption(e: CorpusEntry, rng: () => number): string {
  const forms = captionForms(e);
  const r = rng();
  const tags = extraTags(e);
  if (tags.length >= 2 && r < 0.15) {
    // label + 1..3 tags, or 2..3 tags alone (one tag alone, e.g. "therapist", says too little)
    const withLabel = rng() < 0.5;
    const lo = withLabel ? 1 : 2;
    const n = lo + Math.floor(rng() * (Math.min(3, tags.length) - lo + 1));
    const pick = shuffled(tags, rng).slice(0, n);
    return (withLabel ? [cleanLabel(e.label), ...pick] : pick).join(', ').toLowerCase();
  }
  return forms[Math.floor(rng() * forms.length)] ?? cleanLabel(e.label);
}

function shuffled<T>(xs: readonly T[], rng: () => number): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}
