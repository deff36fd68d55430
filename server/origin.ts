// Which web pages may drive this server. A browser sends an Origin header with every socket.io
// handshake and every POST/PUT/PATCH/DELETE, also from a page on another site (a cross-origin
// `no-cors` POST still reaches the server, and WebSockets have no CORS at all). So the server
// itself answers only its own pages (the Origin's host is the Host the request was sent to) and
// the origins UNCLIP_ALLOWED_ORIGINS lists. A request without an Origin comes from no web page
// (curl, Node clients, the tests) and is let through: the header is what a page cannot leave out.
import type http from 'node:http';

/** Methods that change state: these, and socket.io handshakes, are checked. */
export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * UNCLIP_ALLOWED_ORIGINS: comma-separated origins (`https://studio.example.com`), each cut to its
 * origin; `*` lets every page in. Throws on an entry that is not an origin, so a typo stops start-up.
 */
export function parseAllowedOrigins(raw: string | undefined, name = 'UNCLIP_ALLOWED_ORIGINS'): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      if (s === '*') return s;
      let origin = 'null';
      try {
        origin = new URL(s).origin;
      } catch {
        /* refused below */
      }
      if (origin === 'null') throw new Error(`${name}: "${s}" is not an origin such as https://studio.example.com`);
      return origin;
    });
}

/** Whether the page that sent this request (if any) may use the server. */
export function originAllowed(headers: http.IncomingHttpHeaders, allowed: readonly string[]): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes('*')) return true;
  let page: URL;
  try {
    page = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed frame, a file:) and garbage
  }
  if (allowed.includes(page.origin)) return true;
  if (!headers.host) return false;
  try {
    // the Host as the page's scheme writes it (a default port is left out, as in the Origin)
    return new URL(`${page.protocol}//${headers.host}`).host === page.host;
  } catch {
    return false;
  }
}
