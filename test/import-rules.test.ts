// The rooms' import rules (test/helpers/import-rules.ts), checked: every import of every file in
// app/, protocol/, server/, nodes/ and ml/ against the table; ARCHITECTURE.md's
// "may import" column against the same table; and the checker itself against imports it must
// refuse, so a checker that stopped reading imports would fail here rather than pass quietly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { breach, describeRule, findBreaches, loadedPackages, readImports, RULES } from './helpers/import-rules.js';
import { ROOT } from './helpers/server.js';

test('no room imports what its rule forbids', () => {
  const found = findBreaches(ROOT);
  assert.ok(
    found.length === 0,
    `imports that break ARCHITECTURE.md's rules (the table is test/helpers/import-rules.ts):\n${found.map((b) => `  ${b.file}:${b.line}  '${b.spec}'  ${b.why}`).join('\n')}`,
  );
});

test('ARCHITECTURE.md\'s "may import" column says what the rule table says', () => {
  const doc = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const m = /^\| `([a-z]+)\/` \|/.exec(line);
    if (!m) continue;
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    rows.set(m[1]!, cells[cells.length - 2]!); // the last cell before the closing pipe
  }
  for (const room of Object.keys(RULES)) {
    assert.equal(rows.get(room), describeRule(room), `ARCHITECTURE.md's row for ${room}/ should end in | ${describeRule(room)} |`);
  }
});

test('every form of import is read, with its line', () => {
  const src = [
    "import a from 'react';",
    "import type { B } from '../server/b.js';",
    "export { c } from './c.js';",
    "const d = await import('d3');",
    "const e = require(`@iconify-json/${style}/icons.json`);",
    'import f = require("sharp");',
    'const g = import(name);',
    "type H = import('zod').ZodType;",
  ].join('\n');
  const refs = readImports('ml/x.ts', src).map((r) => [r.line, r.spec, r.partial, r.typeOnly, r.dynamic]);
  assert.deepEqual(refs, [
    [1, 'react', false, false, false],
    [2, '../server/b.js', false, true, false],
    [3, './c.js', false, false, false],
    [4, 'd3', false, false, true],
    [5, '@iconify-json/', true, false, true],
    [6, 'sharp', false, false, false],
    [7, '', true, false, true],
    [8, 'zod', false, true, false],
  ]);
});

test('the rules refuse what ARCHITECTURE.md forbids and allow what it allows', () => {
  const check = (file: string, spec: string, partial = false) => breach(file, { line: 1, spec, partial, typeOnly: false, dynamic: false });
  const refused: [string, string, boolean?][] = [
    ['ml/x.ts', 'react'],
    ['ml/x.ts', 'socket.io'],
    ['ml/clip/x.ts', '../../server/y.js'],
    ['ml/x.ts', '../nodes/y.js'],
    ['ml/x.ts', '@socket.io/', true], // a template whose head names a forbidden scope
    ['ml/x.ts', '', true], // a computed specifier cannot be checked, so it is refused
    ['nodes/x.ts', '../server/weights.js'],
    ['nodes/x.test.ts', '../server/weights.js'], // tests follow their room's rule
    ['nodes/x.ts', 'better-sqlite3'],
    ['app/studio/x.tsx', '@tensorflow/tfjs-core'],
    ['app/studio/x.tsx', 'sharp'],
    ['app/studio/x.tsx', 'node:fs'],
    ['app/studio/x.tsx', 'fs'],
    ['app/studio/x.tsx', '../../server/api.js'],
    ['app/x.tsx', '../examples/a.json'],
    ['app/x.tsx', '../../outside.js'],
    ['protocol/x.ts', 'sharp'],
    ['protocol/x.ts', '../ml/y.js'],
    ['server/x.ts', 'react'],
    ['server/x.ts', '../app/studio/y.js'],
    ['ml/x.ts', '../experiments/probe.js'],
    ['nodes/x.ts', '../bench/main.js'],
  ];
  for (const [file, spec, partial] of refused) assert.ok(check(file, spec, partial), `${file} importing '${spec}' should be refused`);
  const allowed: [string, string, boolean?][] = [
    ['ml/x.ts', '@tensorflow/tfjs-core'],
    ['ml/data/x.ts', '@iconify-json/', true],
    ['ml/x.ts', './clip/index.js'],
    ['nodes/x.ts', '../ml/y.js'],
    ['nodes/lib/x.ts', '../../protocol/index.js'],
    ['app/studio/x.tsx', '@xyflow/react/dist/style.css'],
    ['app/studio/x.tsx', '../../protocol'],
    ['app/page.tsx', 'node:fs'],
    ['app/lib/x.test.ts', 'node:assert/strict'],
    ['protocol/x.ts', 'zod'],
    ['server/x.ts', '../nodes/index.js'],
    ['test/x.test.ts', '../server/anything.js'],
    ['bench/x.ts', 'react'],
    ['experiments/x.ts', '../server/weights.js'],
  ];
  for (const [file, spec, partial] of allowed) assert.equal(check(file, spec, partial), null, `${file} importing '${spec}'`);
});

test('the REST handler (server/api.ts) loads no tfjs; the map fitter it once went through does', () => {
  const tfjs = (file: string) => [...loadedPackages(ROOT, file)].filter((p) => p.startsWith('@tensorflow/'));
  assert.deepEqual(tfjs('server/api.ts'), []);
  assert.deepEqual(tfjs('nodes/lib/embedding-map.ts'), ['@tensorflow/tfjs-core']);
});
