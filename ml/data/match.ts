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

import { createRequire } from 'node:module';

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
const compact = (s: string) => slug(s).replace(/-/g, '');
export const normHex = (h: string) =>
  h
    .toUpperCase()
    .split(/[-_ ]/)
    .filter((p) => p !== 'FE0F' && p !== '')
    .join('-');

const TONE_WORDS = ['', 'light', 'medium-light', 'medium', 'medium-dark', 'dark'];
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

// Icons a name table matches wrongly (checked by eye): left unmatched, so they show as misses.
// openmoji's "android" is the Android logo (a shortcode for mobile phone); streamline's
// "champagne-glass" is one glass (the only table hit is "clinking glasses").
const EXCLUDE = new Set([
  'noto:pound', // the bare '#' glyph, like noto's bare digits (not keycaps, not a banknote)
  'noto:asterisk',
  'openmoji:android', 'streamline-emojis:champagne-glass-1', 'streamline-emojis:champagne-glass-2']);

// Hand-made synonyms for names that appear in no table (checked by eye against the images).
const SYNONYMS: Record<string, string> = {
  'openmoji:flag-cte-divoire': 'flag: Côte d’Ivoire',
  'openmoji:flag-curaao': 'flag: Curaçao',
  'openmoji:flag-land-islands': 'flag: Åland Islands',
  'openmoji:flag-runion': 'flag: Réunion',
  'openmoji:flag-so-tom-prncipe': 'flag: São Tomé & Príncipe',
  'openmoji:flag-st-barthlemy': 'flag: St. Barthélemy',
  'fxemoji:kiss': 'kissing face',
  'fxemoji:couple': 'couple with heart',
  'openmoji:cake': 'custard',
  'emojione:exclamation-mark': 'red exclamation mark',
  'streamline-emojis:exclamation-mark': 'red exclamation mark',
  'streamline-emojis:2': 'hatching chick',
  'streamline-emojis:amazed-face': 'astonished face',
  'streamline-emojis:amusing-face': 'face with hand over mouth',
  'streamline-emojis:white-wine-glass': 'wine glass',
  'emojione:pound-symbol': 'keycap: #',
  'emojione:flag-for-macau-sar-china': 'flag: Macao SAR China',
  'emojione:digit-zero': 'keycap: 0',
  'emojione:digit-one': 'keycap: 1',
  'emojione:digit-two': 'keycap: 2',
  'emojione:digit-three': 'keycap: 3',
  'emojione:digit-four': 'keycap: 4',
  'emojione:digit-five': 'keycap: 5',
  'emojione:digit-six': 'keycap: 6',
  'emojione:digit-seven': 'keycap: 7',
  'emojione:digit-eight': 'keycap: 8',
  'emojione:digit-nine': 'keycap: 9',
  'fxemoji:aok': 'ok hand',
  'fxemoji:hands': 'open hands',
  'fxemoji:handup': 'person raising hand',
  'fxemoji:japaneseangrymask': 'ogre',
  'fxemoji:frown': 'person frowning',
  'fxemoji:frownmouth': 'frowning face with open mouth',
  'fxemoji:smileeyes': 'smiling face with smiling eyes',
  'fxemoji:smiletongue': 'face savoring food',
  'fxemoji:grineyes': 'beaming face with smiling eyes',
  'fxemoji:grinsquint': 'grinning squinting face',
  'fxemoji:grinsweat': 'grinning face with sweat',
  'fxemoji:grintears': 'face with tears of joy',
  'fxemoji:grinwide': 'grinning face',
  'fxemoji:grinwideeyes': 'grinning face with big eyes',
  'fxemoji:high5': 'raising hands',
  'fxemoji:index': 'backhand index pointing up',
  'fxemoji:fistedhand': 'oncoming fist',
  'fxemoji:acorn': 'chestnut',
  'fxemoji:blackwaving': 'black flag',
  'fxemoji:pinkwallet': 'purse',
  'fxemoji:makeupbag': 'clutch bag',
  'fxemoji:waitress': 'person tipping hand',
  'fxemoji:mensrunner': 'running shoe',
  'fxemoji:womansshirt': 'woman’s clothes',
  'fxemoji:construct': 'construction worker',
  'fxemoji:guapimao': 'person with skullcap',
  'fxemoji:tongueoutwink2': 'winking face with tongue',
  'fxemoji:cjkunifiedideograph-a': 'Japanese “reserved” button',
  'fxemoji:cjkunifiedideograph-b': 'Japanese “open for business” button',
  'fxemoji:cjkunifiedideograph-c': 'Japanese “prohibited” button',
  'fxemoji:cjkunifiedideograph-d': 'Japanese “vacancy” button',
  'fxemoji:cjkunifiedideograph-e': 'Japanese “passing grade” button',
  'fxemoji:cjkunifiedideograph-f': 'Japanese “no vacancy” button',
  'fxemoji:cjkunifiedideograph-g': 'Japanese “not free of charge” button',
  'fxemoji:cjkunifiedideograph-h': 'Japanese “monthly amount” button',
  'fxemoji:cjkunifiedideograph-i': 'Japanese “free of charge” button',
  'fxemoji:cjkunifiedideograph-j': 'Japanese “application” button',
  'fxemoji:cjkunifiedideograph-k': 'Japanese “discount” button',
  'fluent-emoji-flat:man-with-bunny-ears': 'men with bunny ears',
  'fluent-emoji-flat:person-with-bunny-ears': 'people with bunny ears',
  'fluent-emoji-flat:person-wrestling': 'people wrestling',
  'emojione:up-text-button': 'UP! button',
  'emojione:laptop-computer': 'laptop',
  'grinning-cat-face': 'grinning cat',
  'kissing-cat-face': 'kissing cat',
  'smiling-cat-face-with-heart-eyes': 'smiling cat with heart-eyes',
  'emojione:o-button': 'O button (blood type)',
  'crazy-face': 'zany face',
  'streamline-emojis:red-wine-glass': 'wine glass',
  'streamline-emojis:game-dice': 'game die',
  'streamline-emojis:school-backpack': 'backpack',
  'streamline-emojis:gesturing-ok-1': 'person gesturing ok',
  'man-in-suit-levitating': 'person in suit levitating',
  'noto:face-with-stuck-out-tongue-and-closed-eyes': 'squinting face with tongue',
  'noto:smiling-face-with-open-mouth-and-closed-eyes': 'grinning squinting face',
  'fxemoji:2hearts': 'two hearts',
  'fxemoji:americasglobe': 'globe showing americas',
  'fxemoji:asiaaustraliaglobe': 'globe showing asia-australia',
  'fxemoji:europeafricaglobe': 'globe showing europe-africa',
  'fxemoji:meridianglobe': 'globe with meridians',
  'fxemoji:anguish': 'anguished face',
  'fxemoji:okgesture': 'person gesturing ok',
  'fxemoji:nogesture': 'person gesturing no',
  'fxemoji:banknotedollar': 'dollar banknote',
  'fxemoji:banknoteeuro': 'euro banknote',
  'fxemoji:banknotepound': 'pound banknote',
  'fxemoji:banknoteyen': 'yen banknote',
  'fxemoji:bellcancellation': 'bell with slash',
  'fxemoji:blackskullcrossbones': 'skull and crossbones',
  'fxemoji:blonde': 'person: blond hair',
  'fxemoji:bolt': 'high voltage',
  'fxemoji:bookmarktab': 'bookmark tabs',
  'fxemoji:bouquetofflowers': 'bouquet',
  'fxemoji:bowing': 'person bowing',
  'fxemoji:bride': 'person with veil',
  'fxemoji:bullhorn': 'megaphone',
  'fxemoji:bullhornwithsoundwaves': 'loudspeaker',
  'fxemoji:bunny': 'rabbit face',
  'fxemoji:bunnyside': 'rabbit',
  'fxemoji:bunny-ears': 'people with bunny ears',
  'fxemoji:catside': 'cat',
  'fxemoji:dogside': 'dog',
  'fxemoji:dragonhead': 'dragon face',
  'fxemoji:dragonside': 'dragon',
  'fxemoji:leopardside': 'leopard',
  'fxemoji:mouseside': 'mouse',
  'fxemoji:pigside': 'pig',
  'fxemoji:tigerside': 'tiger',
  'fxemoji:pigsnout': 'pig nose',
  'fxemoji:cellphone': 'mobile phone',
  'fxemoji:chartdownwardstrend': 'chart decreasing',
  'fxemoji:chartupwardstrend': 'chart increasing',
  'fxemoji:chartupwardstrendyen': 'chart increasing with yen',
  'fxemoji:chilipepper': 'hot pepper',
  'fxemoji:clockwiserightwardsleftwardscirclearrows': 'repeat button',
  'fxemoji:clockwiserightwardsleftwardscirclearrowsone': 'repeat single button',
  'fxemoji:clockwisedownupcircledarrows': 'clockwise vertical arrows',
  'fxemoji:anticlockwiseupwardsanddownwardsarrows': 'counterclockwise arrows button',
  'fxemoji:closedmailboxlowered': 'closed mailbox with lowered flag',
  'fxemoji:closedmailboxraised': 'closed mailbox with raised flag',
  'fxemoji:openmailboxlowered': 'open mailbox with lowered flag',
  'fxemoji:openmailboxraised': 'open mailbox with raised flag',
  'fxemoji:confetti': 'confetti ball',
  'fxemoji:controlknob': 'control knobs',
  'fxemoji:crying': 'crying face',
  'fxemoji:loudlycrying': 'loudly crying face',
  'fxemoji:devilhorns': 'sign of the horns',
  'fxemoji:dissapointedrelief': 'sad but relieved face',
  'fxemoji:doubleexclaimationmark': 'double exclamation mark',
  'fxemoji:exclaimationquestionmark': 'exclamation question mark',
  'fxemoji:heavyexclaimationmarksymbol': 'red exclamation mark',
  'fxemoji:whiteexclaimationmark': 'white exclamation mark',
  'fxemoji:blackquestionmark': 'red question mark',
  'fxemoji:downpointingsmallredtrisngle': 'downwards button',
  'fxemoji:uppointingsmallredtrisngle': 'upwards button',
  'fxemoji:eightspokedasterix': 'eight-spoked asterisk',
  'fxemoji:evergreen': 'evergreen tree',
  'fxemoji:fallingleaf': 'fallen leaf',
  'fxemoji:leaffluttering': 'leaf fluttering in wind',
  'fxemoji:fishcakeswirl': 'fish cake with swirl',
  'fxemoji:flexbicep': 'flexed biceps',
  'fxemoji:floppydisk2': 'floppy disk',
  'fxemoji:folder': 'file folder',
  'fxemoji:openfolder': 'open file folder',
  'fxemoji:forkknife': 'fork and knife',
  'fxemoji:frontfacingchick': 'front-facing baby chick',
  'fxemoji:hampster': 'hamster',
  'fxemoji:heartarrow': 'heart with arrow',
  'fxemoji:heartblue': 'blue heart',
  'fxemoji:heartgreen': 'green heart',
  'fxemoji:heartpurple': 'purple heart',
  'fxemoji:heartyellow': 'yellow heart',
  'fxemoji:heels': 'high-heeled shoe',
  'fxemoji:highspeedtrainbulletnose': 'bullet train',
  'fxemoji:kissclosedeyes': 'kissing face with closed eyes',
  'fxemoji:kisseyes': 'kissing face with smiling eyes',
  'fxemoji:lockandkey': 'locked with key',
  'fxemoji:mensshoe': 'man’s shoe',
  'fxemoji:monkeyhear': 'hear-no-evil monkey',
  'fxemoji:monkeysee': 'see-no-evil monkey',
  'fxemoji:monkeyspeak': 'speak-no-evil monkey',
  'fxemoji:negativesquaredlatincaptiala': 'A button (blood type)',
  'fxemoji:negativesquaredlatincaptialb': 'B button (blood type)',
  'fxemoji:negativesquaredlatincaptialo': 'O button (blood type)',
  'fxemoji:nooneunder18symbol': 'no one under eighteen',
  'fxemoji:notebookdecorativecover': 'notebook with decorative cover',
  'fxemoji:outbox': 'outbox tray',
  'fxemoji:perservere': 'persevering face',
  'fxemoji:potablewatersystem': 'potable water',
  'fxemoji:present': 'wrapped gift',
  'fxemoji:raisedhandsfingerssplayed': 'hand with fingers splayed',
  'fxemoji:ringingbell': 'bell',
  'fxemoji:saggitarius': 'Sagittarius',
  'fxemoji:screamfear': 'face screaming in fear',
  'fxemoji:sleuthspy': 'detective',
  'fxemoji:snowmountains': 'snow-capped mountain',
  'fxemoji:spurtingwhale': 'spouting whale',
  'fxemoji:studiomic': 'studio microphone',
  'fxemoji:telephonereceiver2': 'telephone receiver',
  'fxemoji:thoughtbaloon': 'thought balloon',
  'fxemoji:speechbubble': 'speech balloon',
  'fxemoji:rightangerbubble': 'right anger bubble',
  'fxemoji:toykotower': 'Tokyo tower',
  'fxemoji:turban': 'person wearing turban',
  'fxemoji:videocasette': 'videocassette',
  'fxemoji:waningbibbousmoon': 'waning gibbous moon',
  'fxemoji:waving': 'waving hand',
  'fxemoji:winking': 'winking face',
  'fxemoji:blackdroplet': 'droplet',
  'fxemoji:blackpushpin': 'pushpin',
  'fxemoji:blackrosette': 'rosette',
  'fxemoji:whitelatincross': 'latin cross',
  'fxemoji:sixpointedstarwithdot': 'dotted six-pointed star',
  'fxemoji:heavymultiplicationsymbol': 'multiply',
  'fxemoji:silhouetteohjapan': 'map of Japan',
  'fxemoji:speaker3soundwaves': 'speaker high volume',
  'fxemoji:speakeronesoundwave': 'speaker medium volume',
  'fxemoji:speakercancellation': 'muted speaker',
  'fxemoji:soonwithrightarrow': 'SOON arrow',
  'fxemoji:endwithleftwardsarrow': 'END arrow',
  'fxemoji:backwithleftwardsarrow': 'BACK arrow',
  'fxemoji:onarrowleftright': 'ON! arrow',
  'fxemoji:topwithupwardsarrow': 'TOP arrow',
  'fxemoji:squaredup': 'UP! button',
  'fxemoji:chineseflag': 'flag: China',
  'fxemoji:franceflag': 'flag: France',
  'fxemoji:greatbritainflag': 'flag: United Kingdom',
  'fxemoji:italianflag': 'flag: Italy',
  'fxemoji:japanflag': 'flag: Japan',
  'fxemoji:koreaflag': 'flag: South Korea',
  'fxemoji:russianflag': 'flag: Russia',
  'fxemoji:spanishflag': 'flag: Spain',
  'fxemoji:gma': 'old woman',
  'fxemoji:gpa': 'old man',
  'fxemoji:girlgirl': 'women holding hands',
  'fxemoji:guyguy': 'men holding hands',
  'fxemoji:girlguy': 'woman and man holding hands',
  'fxemoji:tennisball': 'tennis',
  'fxemoji:sandals': 'woman’s sandal',
  'fxemoji:mansshirt': 't-shirt',
  'fxemoji:smallfrown': 'slightly frowning face',
  'fxemoji:smallsmile': 'slightly smiling face',
  'fxemoji:stormcloud': 'cloud with lightning',
  'fxemoji:sunraincloud': 'sun behind rain cloud',
  'fxemoji:tongueoutwink': 'winking face with tongue',
  'fxemoji:headmassage': 'person getting massage',
};


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
