// Integration: the real server process on a loopback port, talked to over HTTP and with a real
// socket.io client typed by the shared protocol.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import { ServerInfoSchema, type ClientToServerEvents, type ServerInfo, type ServerToClientEvents } from '../protocol/index.js';
import { PACKAGE_VERSION } from '../server/app-info.js';
import { startServer, type RunningServer } from './helpers/server.js';

let server: RunningServer;
before(async () => {
  server = await startServer({ ui: false });
});
after(async () => {
  await server?.stop();
});

test('GET /healthz answers ok, the backend and the package version', async () => {
  const r = await fetch(`${server.url}/healthz`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const body = ServerInfoSchema.parse(await r.json());
  assert.equal(body.version, PACKAGE_VERSION);
  assert.ok(['wasm', 'cpu', 'tensorflow'].includes(body.backend), body.backend);
  if (!process.env.UNCLIP_BACKEND) assert.match(server.output(), /\[backend\] \S+: /, 'the backend choice is logged in one line');
});

test('a socket.io client is greeted with server:info and pings round-trip', async () => {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(server.url, { transports: ['websocket'], forceNew: true });
  try {
    const info = await new Promise<ServerInfo>((resolve, reject) => {
      socket.once('server:info', resolve);
      socket.once('connect_error', reject);
    });
    assert.equal(info.ok, true);
    assert.equal(info.version, PACKAGE_VERSION);
    const reply = await socket.timeout(5000).emitWithAck('server:ping', { clientTime: 1234 });
    assert.ok(!('ok' in reply), JSON.stringify(reply));
    assert.equal(reply.clientTime, 1234);
    assert.ok(Math.abs(reply.serverTime - Date.now()) < 60_000);
  } finally {
    socket.close();
  }
});

test('a malformed ping is refused with BAD_REQUEST and the server stays up', async () => {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(server.url, { transports: ['websocket'], forceNew: true });
  try {
    // Deliberately break the typed contract, as a hostile client would.
    const reply = await (socket.timeout(5000) as unknown as Socket).emitWithAck('server:ping', { clientTime: 'soon' });
    assert.equal(reply.ok, false);
    assert.equal(reply.error.code, 'BAD_REQUEST');
    assert.match(reply.error.message, /clientTime/);
  } finally {
    socket.close();
  }
  const r = await fetch(`${server.url}/healthz`);
  assert.equal(r.status, 200);
});

test('SIGTERM closes open sockets and exits 0', async () => {
  const own = await startServer({ ui: false });
  const socket = io(own.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const disconnected = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
  const code = await own.stop();
  assert.equal(code, 0, own.output());
  assert.ok(await disconnected);
  socket.close();
});
