// Tests of the corpus API that do not need the full build: the matcher runs on names only and a
// few icons are rendered directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captionForms, mulberry32, sampleCaption } from './captions.js';
import {
  corpusEntries,
  HELDOUT_STYLE,
  matchReport,
  matchReportByStyle,
  renderIcon,
  splitByStyle,
  STYLES,
  type CorpusEntry,
} from './corpus.js';
import { splitTones } from './match.js';

const entries = corpusEntries();
const byKey = new Map(entries.map((e) => [e.key, e]));

test('twemoji red apple renders red-ish with white corners', async () => {
  for (const size of [32, 64] as const) {
    const img = await renderIcon('twemoji:red-apple', size);
    assert.equal(img.length, size * size * 3);
    let red = 0;
    let ink = 0;
    for (let p = 0; p < size * size; p++) {
      const r = img[p * 3] ?? 0;
      const g = img[p * 3 + 1] ?? 0;
      const b = img[p * 3 + 2] ?? 0;
      if (r > 240 && g > 240 && b > 240) continue; // background
      ink++;
      if (r > 150 && r > g + 60 && r > b + 60) red++;
    }
    assert.ok(ink > size * size * 0.3, `apple covers ${ink} px`);
    assert.ok(red / ink > 0.6, `red fraction ${(red / ink).toFixed(2)}`);
    for (const [x, y] of [[0, 0], [size - 1, 0], [0, size - 1], [size - 1, size - 1]] as const) {
      const o = (y * size + x) * 3;
      assert.deepEqual([img[o], img[o + 1], img[o + 2]], [255, 255, 255], `corner ${x},${y}`);
    }
  }
});

test('every style renders an icon', async () => {
  for (const s of STYLES) {
    const e = entries.find((x) => x.style === s);
    assert.ok(e, `no entry for ${s}`);
    const img = await renderIcon(e.key, 32);
    assert.equal(img.length, 32 * 32 * 3);
    assert.ok(img.some((v) => v < 200), `${e.key} is blank`);
  }
});

test('renderIcon rejects bad keys', async () => {
  await assert.rejects(renderIcon('nosuchstyle:apple', 32));
  await assert.rejects(renderIcon('twemoji:no-such-icon', 32));
});

test('matcher: known icons get the right concept, label and group', () => {
  const apple = byKey.get('twemoji:red-apple');
  assert.equal(apple?.concept, '1F34E');
  assert.equal(apple?.label, 'red apple');
  assert.equal(apple?.group, 'food & drink');
  assert.equal(apple?.subgroup, 'food fruit');
  assert.ok(apple?.tags.includes('apple'));
  // the same concept across styles, whatever the set calls it
  assert.equal(byKey.get('fxemoji:redapple')?.concept, '1F34E');
  assert.equal(byKey.get('noto:red-apple')?.concept, '1F34E');
  // skin tones map to the base concept and label, tone kept
  const dark = byKey.get('twemoji:thumbs-up-dark-skin-tone');
  assert.equal(dark?.concept, '1F44D');
  assert.equal(dark?.label, 'thumbs up');
  assert.deepEqual(dark?.tone, [5]);
  const fluent = entries.find((e) => e.style === 'fluent-emoji-flat' && e.iconName === 'thumbs-up-medium-light');
  assert.deepEqual(fluent?.tone, [2]);
  assert.equal(fluent?.concept, '1F44D');
  // flags and keycaps are entries whose label says what they are
  assert.equal(byKey.get('twemoji:flag-japan')?.label, 'flag: japan');
  assert.equal(byKey.get('twemoji:keycap-1')?.label, 'keycap: 1');
  assert.equal(byKey.get('emojione:flag-for-japan')?.concept, '1F1EF-1F1F5');
  // look-alikes that must NOT match: noto's bare digit "1" (the "+1" shortcode slugs to "1"),
  // openmoji's DJ (the two-letter shortcode "dj" is Djibouti's flag), the Android logo
  for (const k of ['noto:1', 'noto:pound', 'openmoji:android']) assert.equal(byKey.get(k), undefined, k);
  assert.notEqual(byKey.get('openmoji:dj')?.label, 'flag: djibouti');
});

test('splitTones reads one or two tones, and only tones', () => {
  assert.deepEqual(splitTones('men-wrestling-dark-skin-tone-light-skin-tone'), {
    stem: 'men-wrestling',
    tone: [5, 1],
  });
  assert.deepEqual(splitTones('man-medium-light', true), { stem: 'man', tone: [2] });
  assert.deepEqual(splitTones('flashlight', true), { stem: 'flashlight', tone: [] });
  assert.deepEqual(splitTones('crescent-moon'), { stem: 'crescent-moon', tone: [] });
});

test('entry keys are unique and well-formed', () => {
  const keys = new Set<string>();
  for (const e of entries) {
    assert.ok(!keys.has(e.key), `duplicate ${e.key}`);
    keys.add(e.key);
    assert.equal(e.key, `${e.style}:${e.iconName}`);
    assert.ok(e.label.length > 0 && e.group.length > 0 && e.subgroup.length > 0, e.key);
  }
});

test('match rate is high for the emoji-complete sets', () => {
  for (const r of matchReportByStyle()) {
    if (r.style === 'fxemoji' || r.style === 'openmoji') continue; // both carry many non-emoji icons
    assert.ok(r.matched / r.icons > 0.95, `${r.style}: ${r.matched}/${r.icons}`);
  }
});

test('matchReport lists misses and accounts for every icon', async () => {
  const report = await matchReport();
  assert.ok(report.missed.length > 0);
  assert.ok(report.missed.some((m) => m.style === 'fxemoji'));
  assert.equal(report.matched, entries.length);
  const total = matchReportByStyle().reduce((s, r) => s + r.icons, 0);
  assert.equal(report.matched + report.missed.length, total);
});

test('splitByStyle never puts a held-out entry in train', () => {
  const { train, heldout } = splitByStyle(entries);
  assert.equal(HELDOUT_STYLE, 'twemoji');
  assert.equal(train.length + heldout.length, entries.length);
  for (const i of train) assert.notEqual(entries[i]?.style, 'twemoji');
  for (const i of heldout) assert.equal(entries[i]?.style, 'twemoji');
  assert.ok(heldout.length > 1000);
});

test('captionForms: label, style words, group, all lower-case', () => {
  const apple = byKey.get('twemoji:red-apple') as CorpusEntry;
  const forms = captionForms(apple);
  assert.equal(forms[0], 'red apple');
  assert.ok(forms.includes('red apple, twemoji style'), forms.join(' | '));
  assert.ok(forms.includes('red apple, food & drink'), forms.join(' | '));
  assert.ok(forms.some((f) => f.startsWith('red apple, ') && f.includes('fruit')), forms.join(' | '));
  for (const f of forms) assert.equal(f, f.toLowerCase());
  const dark = byKey.get('twemoji:thumbs-up-dark-skin-tone') as CorpusEntry;
  assert.ok(captionForms(dark).includes('thumbs up, dark skin tone'));
  const fluent = entries.find((e) => e.style === 'fluent-emoji-flat') as CorpusEntry;
  assert.ok(captionForms(fluent).some((f) => f.endsWith('fluent flat style')));
});

test('sampleCaption is deterministic for a seed and varies', () => {
  const apple = byKey.get('noto:red-apple') as CorpusEntry;
  const a = Array.from({ length: 50 }, ((r) => () => sampleCaption(apple, r))(mulberry32(7)));
  const b = Array.from({ length: 50 }, ((r) => () => sampleCaption(apple, r))(mulberry32(7)));
  assert.deepEqual(a, b);
  assert.ok(new Set(a).size >= 4);
  for (const c of a) assert.equal(c, c.toLowerCase());
});

test('mulberry32 is in [0,1) and seed-dependent', () => {
  const r = mulberry32(1);
  const xs = Array.from({ length: 1000 }, r);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notEqual(mulberry32(1)(), mulberry32(2)());
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05);
});
