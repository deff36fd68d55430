// PNG text chunks: every PNG the studio downloads carries its graph as JSON in a tEXt chunk
// (keyword "unclip-graph"), so dropping the PNG back on a canvas restores the graph that made it.
// tEXt holds Latin-1 only, so the JSON is written with every non-ASCII character escaped
// (\uXXXX): still valid JSON, and prompts with emoji survive the trip.

export const GRAPH_KEYWORD = 'unclip-graph';
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

interface Chunk {
  type: string;
  start: number; // offset of the length field
  end: number; // offset after the CRC
  data: Uint8Array;
}

function chunks(png: Uint8Array): Chunk[] {
  if (!isPng(png)) throw new Error('not a PNG file');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  let at = 8;
  while (at + 12 <= png.length) {
    const len = view.getUint32(at);
    const end = at + 12 + len;
    if (end > png.length) throw new Error('truncated PNG chunk');
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    out.push({ type, start: at, end, data: png.subarray(at + 8, at + 8 + len) });
    at = end;
    if (type === 'IEND') break;
  }
  return out;
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (ch) => {
  const c = ch.charCodeAt(0);
  if (c > 255) throw new Error('tEXt holds Latin-1 only');
  return c;
});

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(latin1(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** All tEXt chunks as keyword → text. */
export function readTextChunks(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of chunks(png)) {
    if (c.type !== 'tEXt') continue;
    const nul = c.data.indexOf(0);
    if (nul <= 0) continue;
    const key = String.fromCharCode(...c.data.subarray(0, nul));
    let text = '';
    for (const b of c.data.subarray(nul + 1)) text += String.fromCharCode(b);
    out[key] = text;
  }
  return out;
}

/** A copy of `png` with a tEXt chunk `keyword` = `text` just before IEND (replacing one of the same keyword). */
export function writeTextChunk(png: Uint8Array, keyword: string, text: string): Uint8Array {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error('a tEXt keyword is 1-79 printable characters');
  const all = chunks(png);
  const iend = all.find((c) => c.type === 'IEND');
  if (!iend) throw new Error('PNG has no IEND chunk');
  const kept = all.filter((c) => c.type !== 'IEND' && !(c.type === 'tEXt' && readKey(c.data) === keyword));
  const body = new Uint8Array(keyword.length + 1 + text.length);
  body.set(latin1(keyword), 0);
  body.set(latin1(text), keyword.length + 1);
  const parts = [png.subarray(0, 8), ...kept.map((c) => png.subarray(c.start, c.end)), chunk('tEXt', body), png.subarray(iend.start, iend.end)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function readKey(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return nul < 0 ? '' : String.fromCharCode(...data.subarray(0, nul));
}

/** JSON with every non-ASCII character escaped, so it fits a tEXt chunk and parses back the same. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function embedGraph(png: Uint8Array, graph: unknown): Uint8Array {
  return writeTextChunk(png, GRAPH_KEYWORD, asciiJson(graph));
}

/** The graph JSON text a studio PNG carries, or null. */
export function extractGraphText(png: Uint8Array): string | null {
  return readTextChunks(png)[GRAPH_KEYWORD] ?? null;
}
