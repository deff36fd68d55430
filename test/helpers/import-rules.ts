// The rooms' import rules, in one place. test/import-rules.test.ts reads every import of every
// file in these rooms (tests beside the code included: they follow their room's rule, so a unit
// test cannot couple two rooms the code keeps apart) and fails on one the table forbids; it also
// checks that ARCHITECTURE.md's "may import" column says what `describeRule` makes of this table,
// so the document cannot drift from the rule. test/, bench/ and experiments/ may import anything
// and are not read; no room here may import them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** What a room may import besides itself. Package names may end in `*` (a prefix). */
export interface Rule {
  /** Other rooms (top-level folders) it may import. */
  rooms: readonly string[];
  /** npm packages and node built-ins (`node:*`): an allow list, or a deny list. */
  packages: { only: readonly string[] } | { never: readonly string[] };
  /** Files of the room that may also import these, and why. */
  files?: Readonly<Record<string, { also: readonly string[]; why: string }>>;
  /** What the room's `*.test.ts(x)` files may also import (they run in Node, never in a bundle). */
  tests?: readonly string[];
}

// The packages of the browser UI, and those of serving (HTTP, sockets, queues, storage).
const BROWSER = ['react', 'react-dom', '@xyflow/react', 'd3', 'zustand', 'socket.io-client'];
const SERVING = ['next', 'socket.io', '@socket.io/*', 'better-sqlite3', 'bullmq', 'ioredis'];

export const RULES: Readonly<Record<string, Rule>> = {
  app: {
    rooms: ['protocol'],
    packages: { only: [...BROWSER, 'next'] },
    files: { 'app/page.tsx': { also: ['node:fs', 'node:path'], why: 'a server component: it reads `examples/`' } },
    tests: ['node:*', 'sharp'],
  },
  protocol: { rooms: [], packages: { only: ['zod'] }, tests: ['node:*'] },
  server: { rooms: ['protocol', 'nodes', 'ml'], packages: { never: BROWSER } },
  nodes: { rooms: ['protocol', 'ml'], packages: { never: [...BROWSER, ...SERVING] } },
  ml: { rooms: [], packages: { never: [...BROWSER, ...SERVING] } },
};

const code = (s: string) => `\`${s}\``;
const list = (xs: readonly string[]) => xs.map(code).join(', ');

/** The rule in words, exactly as ARCHITECTURE.md's "may import" column has it. */
export function describeRule(room: string): string {
  const r = RULES[room];
  if (!r) throw new Error(`no rule for room ${room}`);
  const parts = [r.rooms.length ? list(r.rooms.map((x) => `${x}/`)) : 'no other room'];
  parts.push('only' in r.packages ? `packages: only ${list(r.packages.only)}` : `packages: any but ${list(r.packages.never)}`);
  for (const [file, f] of Object.entries(r.files ?? {})) parts.push(`${code(file)} also ${list(f.also)} (${f.why})`);
  if (r.tests?.length) parts.push(`its tests also ${list(r.tests)}`);
  return parts.join('; ');
}

/** One import as written: the specifier (a template literal gives its fixed head and `partial`). */
export interface ImportRef {
  line: number;
  spec: string;
  partial: boolean;
  /** Erased on compile: `import type`, or named imports that are all `type`. */
  typeOnly: boolean;
  /** `import()` or `require()`: loaded when that line runs, not when the module loads. */
  dynamic: boolean;
}

/** Every import of a source text: `import`/`export … from`, `import x = require()`, `import()`, `require()`. */
export function readImports(fileName: string, text: string): ImportRef[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: ImportRef[] = [];
  const add = (node: ts.Node, arg: ts.Node | undefined, typeOnly: boolean, dynamic = false) => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    const ref = { line, typeOnly, dynamic };
    if (arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg))) out.push({ ...ref, spec: arg.text, partial: false });
    else if (arg && ts.isTemplateExpression(arg)) out.push({ ...ref, spec: arg.head.text, partial: true });
    else out.push({ ...ref, spec: '', partial: true }); // computed: checked as unknown
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) add(n, n.moduleSpecifier, !!n.importClause && isAllTypes(n.importClause));
    else if (ts.isExportDeclaration(n) && n.moduleSpecifier) add(n, n.moduleSpecifier, n.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) add(n, n.moduleReference.expression, n.isTypeOnly);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) add(n, n.argument.literal, true);
    else if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))) add(n, n.arguments[0], false, true);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Where an import leads: a room (relative path, resolved) or a package (built-ins as `node:x`). */
export type Target = { kind: 'room'; room: string; path: string } | { kind: 'package'; name: string } | { kind: 'outside' } | { kind: 'unknown' };

export function targetOf(file: string, ref: ImportRef): Target {
  const { spec } = ref;
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const path = posix.normalize(posix.join(posix.dirname(file), spec));
    if (path === '.' || path.startsWith('..') || spec.startsWith('/')) return { kind: 'outside' };
    return { kind: 'room', room: path.split('/')[0]!, path };
  }
  if (spec === '') return { kind: 'unknown' };
  const bare = spec.replace(/^node:/, '');
  if (spec.startsWith('node:') || builtinModules.includes(bare.split('/')[0]!)) return { kind: 'package', name: `node:${bare.split('/')[0]}` };
  const segs = spec.split('/');
  const name = spec.startsWith('@') ? segs.slice(0, 2).join('/') : segs[0]!;
  // a template's head such as `@iconify-json/` names only a prefix of the package
  return { kind: 'package', name: ref.partial && !spec.slice(name.length).startsWith('/') ? `${name}*` : name };
}

function matches(pattern: string, name: string): boolean {
  const p = pattern.endsWith('*') ? pattern.slice(0, -1) : null;
  const n = name.endsWith('*') ? name.slice(0, -1) : null;
  if (n !== null) return p !== null ? n.startsWith(p) : false; // a prefix is covered only by a wider prefix
  return p !== null ? name.startsWith(p) : name === pattern;
}
function mayMatch(pattern: string, name: string): boolean {
  const n = name.endsWith('*') ? name.slice(0, -1) : null;
  return matches(pattern, name) || (n !== null && pattern.startsWith(n));
}

export const isTestFile = (file: string) => /\.test\.[cm]?[jt]sx?$/.test(file);

/** Why `file` (repo-relative, `/`-separated) may not import `ref`, or null when it may. */
export function breach(file: string, ref: ImportRef): string | null {
  const room = file.split('/')[0]!;
  const rule = RULES[room];
  if (!rule) return null; // test/, bench/, experiments/: anything
  const t = targetOf(file, ref);
  if (t.kind === 'unknown') return 'a computed import the rules cannot read';
  if (t.kind === 'outside') return 'a path outside the repository';
  if (t.kind === 'room') {
    if (t.room === room || rule.rooms.includes(t.room)) return null;
    return `${room}/ may not import ${t.room}/ (it may import ${rule.rooms.length ? rule.rooms.map((r) => `${r}/`).join(', ') : 'no other room'})`;
  }
  const extra = [...(rule.files?.[file]?.also ?? []), ...(isTestFile(file) ? rule.tests ?? [] : [])];
  if (extra.some((p) => matches(p, t.name))) return null;
  if ('only' in rule.packages) {
    return rule.packages.only.some((p) => matches(p, t.name)) ? null : `${room}/ may import only the packages ${rule.packages.only.join(', ')}`;
  }
  const bad = rule.packages.never.find((p) => mayMatch(p, t.name));
  return bad ? `${room}/ may never import ${bad}` : null;
}

const SOURCE = /\.([cm]?[jt]sx?)$/;

/** Every source file of a room, repo-relative with `/`. */
export function roomFiles(root: string, room: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (SOURCE.test(name)) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  try {
    statSync(join(root, room));
  } catch {
    return out; // a room that does not exist (yet) has no files
  }
  walk(join(root, room));
  return out.sort();
}

export interface Breach {
  file: string;
  line: number;
  spec: string;
  why: string;
}

/** Every forbidden import in the rooms of RULES, under the repository root `root`. */
export function findBreaches(root: string): Breach[] {
  const out: Breach[] = [];
  for (const room of Object.keys(RULES)) {
    for (const file of roomFiles(root, room)) {
      for (const ref of readImports(file, readFileSync(join(root, file), 'utf8'))) {
        const why = breach(file, ref);
        if (why) out.push({ file, line: ref.line, spec: ref.partial ? `${ref.spec}…` : ref.spec, why });
      }
    }
  }
  return out;
}

/** The packages a module loads when it is loaded: its value imports (not type-only, not `import()`), followed through the repo's files. */
export function loadedPackages(root: string, entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const ref of readImports(file, readFileSync(join(root, file), 'utf8'))) {
      if (ref.typeOnly || ref.dynamic) continue;
      const t = targetOf(file, ref);
      if (t.kind === 'package') packages.add(t.name);
      else if (t.kind === 'room') {
        const src = sourceFor(root, t.path);
        if (src) visit(src);
      }
    }
  };
  visit(entry);
  return packages;
}

function isAllTypes(c: ts.ImportClause): boolean {
  if (c.isTypeOnly) return true;
  if (c.name) return false;
  const b = c.namedBindings;
  return !!b && ts.isNamedImports(b) && b.elements.length > 0 && b.elements.every((e) => e.isTypeOnly);
}
/** The source file an import path names (`./x.js` is `./x.ts` on disk; a folder is its index). */
function sourceFor(root: string, path: string): string | null {
  const base = path.replace(/\.[cm]?js$/, '');
  for (const c of [path, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`]) {
    try {
      if (statSync(join(root, c)).isFile() && SOURCE.test(c)) return c;
    } catch {
      /* not this one */
    }
  }
  return null;
}
