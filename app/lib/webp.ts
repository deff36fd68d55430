// WebP metadata: the animated WebP a filmstrip downloads (server/animation.ts) carries its graph
// in an XMP packet (`<unclip:graph>` holding the graph JSON, XML-escaped), so dropping it back on
// a canvas restores the graph, as a studio PNG does (png.ts). A WebP is a RIFF file: "RIFF",
// its size, "WEBP", then chunks (a FourCC, a little-endian size, the data, a pad byte to an
// even length); the XMP sits in the chunk named "XMP ". (The GIF carries no graph: the format
// has no place sharp writes metadata.)

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

export function isWebp(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes.subarray(0, 4)) === 'RIFF' && ascii(bytes.subarray(8, 12)) === 'WEBP';
}

/** The WebP's chunks as FourCC and data, in file order. */
export function webpChunks(webp: Uint8Array): { type: string; data: Uint8Array }[] {
  if (!isWebp(webp)) throw new Error('not a WebP file');
  const view = new DataView(webp.buffer, webp.byteOffset, webp.byteLength);
  // the RIFF size counts from "WEBP" on; a file cut short is read as far as it goes
  const end = Math.min(webp.length, 8 + view.getUint32(4, true));
  const out: { type: string; data: Uint8Array }[] = [];
  let at = 12;
  while (at + 8 <= end) {
    const len = view.getUint32(at + 4, true);
    if (at + 8 + len > end) throw new Error('truncated WebP chunk');
    out.push({ type: ascii(webp.subarray(at, at + 4)), data: webp.subarray(at + 8, at + 8 + len) });
    at += 8 + len + (len & 1);
  }
  return out;
}

/** The WebP's XMP packet as text, or null. */
export function webpXmp(webp: Uint8Array): string | null {
  const xmp = webpChunks(webp).find((c) => c.type === 'XMP ');
  return xmp ? new TextDecoder().decode(xmp.data) : null;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const unescapeXml = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e] ?? m),
  );

/** The graph JSON text a studio WebP carries in its XMP, or null. */
export function extractWebpGraphText(webp: Uint8Array): string | null {
  const xmp = webpXmp(webp);
  const m = xmp && /<unclip:graph>([\s\S]*?)<\/unclip:graph>/.exec(xmp);
  return m ? unescapeXml(m[1]!) : null;
}
