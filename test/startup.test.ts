// Integration: start-up failures say in one line what failed, where, and what to do, and exit 1
// (issue 22, item 11). They used to exit 7 after 36 KB of tfjs-wasm's minified source, and a
// damaged late page of the database went unnoticed until some graphs answered 500.
// The real server process (server/main.ts via tsx) against a corrupted, a garbage and an
// unwritable database.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../server/store.js';
import { graph, node } from './helpers/graph.js';
import { freePort, ROOT } from './helpers/server.js';

let tmp: string;
let good: string; // a healthy database with a few hundred graphs
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'unclip-startup-'));
  chmodSync(tmp, 0o755); // another user (below) must reach the folders inside
  const dir = join(tmp, 'good');
  const store = new Store(dir);
  for (let i = 0; i < 300; i++) store.createGraph(graph([node('n', 'note', { markdown: `graph ${i} ${'x'.repeat(500)}` })]) as never, `g${i}`);
  store.close(); // the last connection checkpoints the WAL into the file
  good = join(dir, 'studio.sqlite');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Starts server/main.ts and waits for it to exit (or to come up: then it is stopped and
 * `started` is true). As root, file modes stop no one, so `asOtherUser` runs it as nobody.
 */
async function launch(dataDir: string, asOtherUser = false): Promise<{ code: number | null; started: boolean; stderr: string; stdout: string }> {
  const port = await freePort();
  const root = process.getuid?.() === 0;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', UNCLIP_UI: '0', UNCLIP_WORKERS: '1', UNCLIP_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asOtherUser && root ? { uid: 65534, gid: 65534 } : {}),
  });
  let stdout = '';
  let stderr = '';
  let started = false;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!started && stdout.includes('[server] unCLIP Studio')) {
      started = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, started, stderr, stdout };
}

function assertOneLine(r: Awaited<ReturnType<typeof launch>>, path: string, what: RegExp): void {
  assert.equal(r.started, false, `the server came up:\n${r.stdout}`);
  assert.equal(r.code, 1, r.stderr.slice(0, 2000));
  assert.ok(r.stderr.length < 2048, `stderr is ${r.stderr.length} bytes:\n${r.stderr.slice(0, 2000)}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^\[server\] cannot start: /);
  assert.ok(lines[0]!.includes(path), `names ${path}: ${lines[0]}`);
  assert.match(lines[0]!, what);
}

test('a database with a damaged late page stops start-up with one line naming it', async () => {
  const dir = join(tmp, 'late-page');
  mkdirSync(dir);
  const file = join(dir, 'studio.sqlite');
  copyFileSync(good, file);
  // scribble over the header of the last page (a b-tree page of the graphs): only the graphs on
  // it would fail, so without a check at start the server comes up and answers 500 for them
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(16, 0xa5), 0, 16, size - 4096);
  closeSync(fd);
  assertOneLine(await launch(dir), file, /damaged.*move it away/);
});

test('a file that is not a database stops start-up with one line naming it', async () => {
  const dir = join(tmp, 'garbage');
  mkdirSync(dir);
  writeFileSync(join(dir, 'studio.sqlite'), 'these are not the bytes of a database\n'.repeat(200));
  assertOneLine(await launch(dir), join(dir, 'studio.sqlite'), /damaged/);
});

/**
 * Whether the server can run as nobody here: nobody must read the checkout, which a clone in a
 * private folder (a 0700 mktemp dir) does not allow.
 */
function nobodyReadsCheckout(): boolean {
  if (process.getuid?.() !== 0) return true;
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(join(ROOT, 'server', 'main.ts'))})`], { uid: 65534, gid: 65534 });
  return probe.status === 0;
}

test('an unwritable data dir stops start-up with one line naming it', async () => {
  // a read-only folder, run as nobody; where nobody cannot read the checkout, /sys, which refuses
  // writes even to root, is the unwritable place
  const asNobody = nobodyReadsCheckout();
  const ro = asNobody ? join(tmp, 'read-only') : '/sys';
  if (asNobody) {
    mkdirSync(ro);
    chmodSync(ro, 0o555);
  }
  // the data dir itself, and a data dir still to be made inside a read-only folder
  assertOneLine(await launch(ro, asNobody), join(ro, 'studio.sqlite'), /cannot write there.*UNCLIP_DATA_DIR/);
  const inside = join(ro, asNobody ? 'data' : 'unclip-data');
  assertOneLine(await launch(inside, asNobody), inside, /cannot write there.*UNCLIP_DATA_DIR/);
});

test('the healthy database the others were made from starts', async () => {
  const dir = join(tmp, 'healthy');
  mkdirSync(dir);
  copyFileSync(good, join(dir, 'studio.sqlite'));
  const r = await launch(dir);
  assert.equal(r.started, true, r.stderr.slice(0, 2000));
});
