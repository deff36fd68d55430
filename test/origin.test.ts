// Integration: only the studio's own pages (and UNCLIP_ALLOWED_ORIGINS) may drive the server
// (issue 22, item 4). A page on another origin could open a WebSocket, start runs and read every
// event, and a cross-origin `no-cors` text/plain POST created a graph. Real server process, real
// socket.io-client, and a real page on another origin in Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { io } from 'socket.io-client';
import { ERROR_CODES } from '../protocol/index.js';
import { CHROMIUM_PATH, launchChromium } from './helpers/browser.js';
import { graph, node } from './helpers/graph.js';
import { skipIfMissing } from './helpers/requires.js';
import { ROOT, startServer, type RunningServer } from './helpers/server.js';

let server: RunningServer;
let tmp: string;
// two pages on other origins: one the server was told to allow, one it was not
let allowedPage: http.Server;
let foreignPage: http.Server;
const pageUrl = (s: http.Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

const SIO = readFileSync(join(ROOT, 'node_modules/socket.io-client/dist/socket.io.min.js'), 'utf8');
const g = graph([node('n', 'note', { markdown: 'from a page' })]);

/** A page that tries what the attack did: a socket to the studio, a ping on it, and a no-cors POST (to the server started later). */
function pageServer(): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    if (req.url === '/sio.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(SIO);
    const script = `window.result = (async () => {
      const target = ${JSON.stringify(server.url)};
      const socket = await new Promise((resolve) => {
        const s = io(target, { transports: ['websocket'], reconnection: false });
        s.on('connect', () => s.emit('server:ping', { clientTime: 1 }, (r) => { s.close(); resolve('ping ' + r.clientTime); }));
        s.on('connect_error', (e) => resolve('refused: ' + e.message));
      });
      await fetch(target + '/api/graphs', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(JSON.stringify({ graph: g }))} });
      return { socket };
    })();`;
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><script src="/sio.js"></script><script>${script}</script>`);
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'unclip-origin-'));
  allowedPage = await pageServer();
  server = await startServer({ ui: false, env: { UNCLIP_WORKERS: '1', UNCLIP_DATA_DIR: join(tmp, 'data'), UNCLIP_ALLOWED_ORIGINS: `${pageUrl(allowedPage)}, https://studio.example.com/ignored/path` } });
  foreignPage = await pageServer();
});
after(async () => {
  await server?.stop();
  allowedPage?.close();
  foreignPage?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const graphsStored = () => {
  const db = new Database(join(tmp, 'data', 'studio.sqlite'));
  try {
    return (db.prepare('SELECT count(*) AS n FROM graphs').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** Connects a Node socket.io client that says it comes from `origin` (a browser always says). */
function handshake(origin: string | undefined, transport: 'websocket' | 'polling'): Promise<string> {
  const s = io(server.url, { transports: [transport], reconnection: false, forceNew: true, extraHeaders: origin ? { origin } : {} });
  return new Promise((resolve) => {
    s.on('connect', () => (s.close(), resolve('connected')));
    s.on('connect_error', (e) => (s.close(), resolve(`refused: ${e.message}`)));
  });
}

test('socket.io handshakes from other origins are refused, over WebSocket and polling', async () => {
  for (const transport of ['websocket', 'polling'] as const) {
    for (const origin of ['http://evil.example', 'null', `http://localhost:${server.port}`, 'http://127.0.0.1:1']) assert.match(await handshake(origin, transport), /^refused/, `${transport} from ${origin}`);
    for (const origin of [undefined, server.url, pageUrl(allowedPage), 'https://studio.example.com']) assert.equal(await handshake(origin, transport), 'connected', `${transport} from ${origin ?? 'no origin'}`);
  }
});

test('state-changing requests from other origins get 403 ORIGIN_FORBIDDEN and change nothing', async () => {
  const before = graphsStored();
  const body = JSON.stringify({ graph: g });
  for (const [method, path] of [['POST', '/api/graphs'], ['PUT', '/api/graphs/abc'], ['POST', '/api/graphs/abc/fork'], ['DELETE', '/api/graphs/abc'], ['PATCH', '/api/graphs/abc']] as const) {
    const r = await fetch(`${server.url}${path}`, { method, headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body });
    assert.equal(r.status, 403, `${method} ${path}`);
    const j = (await r.json()) as { ok: false; error: { code: string } };
    assert.equal(j.error.code, 'ORIGIN_FORBIDDEN');
    assert.ok(j.error.code in ERROR_CODES);
  }
  assert.equal(graphsStored(), before);
  // reading stays open (the browser's CORS keeps other sites from reading the answer)
  assert.equal((await fetch(`${server.url}/api/nodes`, { headers: { origin: 'http://evil.example' } })).status, 200);
  // the studio's own pages, allowed origins and clients that are not web pages can write
  for (const origin of [server.url, pageUrl(allowedPage), undefined]) {
    const r = await fetch(`${server.url}/api/graphs`, { method: 'POST', headers: { ...(origin ? { origin } : {}), 'content-type': 'application/json; charset=utf-8' }, body });
    assert.equal(r.status, 201, `from ${origin ?? 'no origin'}`);
  }
  assert.equal(graphsStored(), before + 3);
});

test('a JSON endpoint wants Content-Type: application/json (415 UNSUPPORTED_MEDIA_TYPE)', async () => {
  const before = graphsStored();
  const saved = (await (await fetch(`${server.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ graph: g }) })).json()) as { id: string; editToken: string };
  const body = JSON.stringify({ graph: g });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
    for (const [method, path] of [['POST', '/api/graphs'], ['PUT', `/api/graphs/${saved.id}`], ['POST', `/api/graphs/${saved.id}/fork`]] as const) {
      const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${saved.editToken}`, ...(type ? { 'content-type': type } : {}) }, body: path.endsWith('fork') ? '{}' : body });
      assert.equal(r.status, 415, `${method} ${path} as ${type}`);
      const j = (await r.json()) as { ok: false; error: { code: string } };
      assert.equal(j.error.code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.ok(j.error.code in ERROR_CODES);
    }
  }
  assert.equal(graphsStored(), before + 1);
  // a fork with no body at all still works (there is nothing to misread)
  assert.equal((await fetch(`${server.url}/api/graphs/${saved.id}/fork`, { method: 'POST' })).status, 201);
});

test('in Chromium, a page on another origin can neither use the socket nor create a graph; an allowed one can', { skip: skipIfMissing(existsSync(CHROMIUM_PATH) ? null : `Chromium not found at ${CHROMIUM_PATH}`, import.meta.url) }, async () => {
  const browser = await launchChromium();
  try {
    const before = graphsStored();
    const page = await browser.context.newPage();
    await page.goto(`${pageUrl(foreignPage)}/`);
    const foreign = (await page.evaluate('window.result')) as { socket: string };
    assert.match(foreign.socket, /^refused/);
    await page.goto(`${pageUrl(allowedPage)}/`);
    const allowed = (await page.evaluate('window.result')) as { socket: string };
    assert.equal(allowed.socket, 'ping 1');
    // the no-cors text/plain POSTs: the foreign one refused for its origin, the allowed one for its type
    assert.equal(graphsStored(), before);
  } finally {
    await browser.close();
  }
});
