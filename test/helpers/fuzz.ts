// A seeded generator of hostile requests for test/fuzz.test.ts: socket events (mostly `run:start`
// with mutated example graphs, also malformed payloads, other events, no ack, binary where text
// belongs) and REST requests. The same seed gives the same cases (ml/rng.ts). Graphs that stay
// valid must be cheap to run, so the examples are first cut to one sampling step and one image,
// and numbers are only ever mutated to values that are wrong or tiny, never to a large valid one.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Rng } from '../../ml/rng.js';
import { ROOT } from './server.js';

type Json = Record<string, any>;

export type FuzzCase =
  | { kind: 'socket'; name: string; event: string; args: unknown[]; ack: boolean }
  | { kind: 'rest'; name: string; method: string; path: string; headers: Record<string, string>; body?: string | Uint8Array<ArrayBuffer> };

/** The examples, cut to cheap runs: one sampling step, one image, short sweeps. */
export function cheapExamples(): Json[] {
  const dir = join(ROOT, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const g = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Json;
      for (const n of g.nodes as Json[]) {
        if (['prior', 'decoder', 'upsample'].includes(n.type)) n.params.steps = 1;
        if ('count' in n.params) n.params.count = 1;
        if ('bestOf' in n.params) n.params.bestOf = 1;
        if ('sweep' in n.params) n.params.sweep = 2;
      }
      return g;
    });
}

/** A 1x1 PNG. */
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** The same PNG claiming 100,000 x 100,000 pixels (its header CRC fixed): a decompression bomb's header. */
function pixelBomb(): Uint8Array {
  const png = Buffer.from(PNG_1PX, 'base64');
  png.writeUInt32BE(100_000, 16);
  png.writeUInt32BE(100_000, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return new Uint8Array(png);
}

/** Built-in object names: as keys they must never reach a prototype. */
const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];
const long = (n: number) => 'x'.repeat(n);

/** Values that are wrong for almost every field (and the few cheap right ones: 0, 1, ""). */
function badValue(r: Rng): unknown {
  const values: (() => unknown)[] = [
    () => -1, () => 0, () => 1, () => 1.5, () => -0.5, () => 1e308, () => -1e308, () => 2 ** 53 + 1, () => Number.MAX_VALUE,
    () => NaN, () => Infinity, () => -Infinity, // sent as null by JSON
    () => null, () => true, () => false, () => '', () => 'NaN', () => '1', () => '1e999', () => long(100_000),
    () => '\u0000\uffff\ud800', () => '<script>alert(1)</script>', () => [], () => [1, 2, 3], () => ({}),
    () => ({ __proto__: { polluted: 1 } }), () => JSON.parse('{"__proto__": {"polluted": 1}}'), () => pick(r, PROTO_NAMES),
    () => new Uint8Array([0, 1, 2, 255]), () => nest(r.next() < 0.5 ? 100 : 2000),
  ];
  return pick(r, values)();
}

/** An array nested `depth` deep. */
function nest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[Math.floor(r.next() * xs.length)]!;
}

function randomString(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.next() < 0.8 ? 32 + Math.floor(r.next() * 95) : Math.floor(r.next() * 0x3000));
  return s;
}

/** One random change to a graph (a copy of an example): the ways a graph can be wrong. */
function mutateGraph(r: Rng, g: Json): Json | unknown {
  const nodes = Array.isArray(g.nodes) ? (g.nodes as Json[]) : [];
  const edges = Array.isArray(g.edges) ? (g.edges as Json[]) : [];
  // earlier mutations may have left anything in these lists; only objects are changed further
  const objects = (xs: unknown[]) => xs.filter((x): x is Json => !!x && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Uint8Array));
  const n = objects(nodes).length ? pick(r, objects(nodes)) : undefined;
  const e = objects(edges).filter((x) => objects([x.from, x.to]).length === 2).length ? pick(r, objects(edges).filter((x) => objects([x.from, x.to]).length === 2)) : undefined;
  const m = Math.floor(r.next() * 22);
  // a mutation that does not fit what earlier ones left (params a string, say) changes nothing
  try {
  switch (m) {
    case 0: if (n) { const keys = Object.keys(n.params ?? {}); if (keys.length) n.params[pick(r, keys)] = badValue(r); } break;
    case 1: if (n) n.params = { ...n.params, [pick(r, [...PROTO_NAMES, randomString(r, 8), long(5000)])]: badValue(r) }; break;
    case 2: if (n) delete n[pick(r, ['id', 'type', 'version', 'params', 'position'])]; break;
    case 3: if (n) n.type = pick(r, [...PROTO_NAMES, 'nope', '', long(3000), 'debug-steps', 'Text', ' text']); break;
    case 4: if (n) n.id = pick(r, [...PROTO_NAMES, '', long(10_000), randomString(r, 12), 'a.b', 'a/b']); break;
    case 5: if (n) n.version = pick(r, [0, 2, 999, -1, '1', 1.5, null]); break;
    case 6: if (e) (r.next() < 0.5 ? e.from : e.to).port = pick(r, [...PROTO_NAMES, 'nope', '', long(2000)]); break;
    case 7: if (e) (r.next() < 0.5 ? e.from : e.to).node = pick(r, [...PROTO_NAMES, 'ghost', '']); break;
    case 8: if (e) edges.push({ from: e.to, to: e.from }); break; // a cycle of two (or a bad link)
    case 9: if (n) nodes.push(structuredClone(n)); break; // duplicate id
    case 10: if (e) edges.push(structuredClone(e)); break; // duplicate input
    case 11: if (edges.length) edges.splice(Math.floor(r.next() * edges.length), 1); break; // missing input
    case 12: delete g[pick(r, ['version', 'nodes', 'edges'])]; break;
    case 13: g[pick(r, ['version', 'nodes', 'edges'])] = badValue(r); break;
    case 14: g[pick(r, [...PROTO_NAMES, 'extra'])] = badValue(r); break;
    case 15: for (let i = 0; i < 70; i++) nodes.push({ id: `n${i}`, type: 'note', version: 1, params: {}, position: { x: 0, y: 0 } }); break;
    case 16: if (n && n.type === 'text') n.params.text = pick(r, [long(600), randomString(r, 200), '', '\n\n\n', '🍎'.repeat(300)]); break;
    case 17: if (n && n.type === 'image-input') n.params = pick(r, [{ source: 'upload', upload: `data:image/png;base64,${PNG_1PX}` }, { source: 'upload', upload: Buffer.from(PNG_1PX, 'base64') }, { source: 'upload', upload: pixelBomb() }, { source: 'upload', upload: 'data:image/png;base64,AAAA' }, { source: 'upload', upload: new Uint8Array(64) }, { source: 'upload' }, { source: 'corpus', key: `noto:${pick(r, PROTO_NAMES)}` }, { source: 'corpus', key: 'noto:nope x y' }]); break;
    case 18: if (n) n.position = pick(r, [null, { x: NaN, y: 'a' }, [1, 2], long(1000)]); break;
    case 19: if (e) e[pick(r, ['from', 'to'])] = badValue(r); break;
    case 20: if (n) n.params = badValue(r); break;
    default: if (e && n) edges.push({ from: { node: n.id, port: pick(r, ['text', 'embedding', 'image', 'plot']) }, to: { node: pick(r, objects(nodes)).id, port: pick(r, ['text', 'embedding', 'image', 'a', 'b']) } });
  }
  } catch {
    /* left as it was */
  }
  return g;
}

/** A `run:start` payload: a mutated example, or a payload wrong around the graph. */
function runStartArgs(r: Rng, bases: Json[]): unknown[] {
  const graph = structuredClone(pick(r, bases));
  const u = r.next();
  if (u < 0.06) return [graph]; // the graph itself as the payload (no {graph} wrapper)
  if (u < 0.1) return [pick(r, [null, 0, 'run', [graph], new Uint8Array([1, 2, 3]), JSON.stringify({ graph })])];
  if (u < 0.16) return [{ graph, [pick(r, ['options', 'graphId', 'editToken', 'extra', ...PROTO_NAMES])]: badValue(r) }];
  if (u < 0.2) return [{ graph, graphId: pick(r, ['nope', long(65), '__proto__']), editToken: pick(r, ['x', long(201), '']) }];
  if (u < 0.24) return [{ graph: JSON.stringify(graph) }];
  if (u < 0.28) return [{ graph, options: { previewEvery: badValue(r), previewSize: badValue(r) } }];
  let g: unknown = graph;
  const times = 1 + Math.floor(r.next() * 3);
  for (let i = 0; i < times && g && typeof g === 'object'; i++) g = mutateGraph(r, g as Json);
  return [{ graph: g }];
}

/** Any other socket request: cancel, watch, ping and unknown events, with shapes right or wrong. */
function otherSocketCase(r: Rng): { event: string; args: unknown[] } {
  const event = pick(r, ['run:cancel', 'run:watch', 'server:ping', 'run:teleport', '__proto__', 'constructor', long(2000), 'error', 'ping']);
  const payload = pick(r, [
    () => ({ runId: pick(r, ['nope', '', long(100), ...PROTO_NAMES]) }),
    () => ({ runId: badValue(r) }),
    () => ({ clientTime: badValue(r) }),
    () => ({ runId: 'x', options: { previewEvery: badValue(r) } }),
    () => badValue(r),
  ])();
  return { event, args: r.next() < 0.15 ? [] : [payload] };
}

/** A REST request: saves of mutated graphs, odd bodies and headers, odd ids and paths. */
function restCase(r: Rng, bases: Json[]): Omit<Extract<FuzzCase, { kind: 'rest' }>, 'kind' | 'name'> {
  const json = { 'content-type': 'application/json' };
  const u = r.next();
  if (u < 0.4) {
    let g: unknown = structuredClone(pick(r, bases));
    for (let i = 0; i < 1 + Math.floor(r.next() * 2) && g && typeof g === 'object'; i++) g = mutateGraph(r, g as Json);
    const body = pick(r, [{ graph: g }, { graph: g, title: badValue(r) }, { graph: g, [pick(r, PROTO_NAMES)]: 1 }]);
    return { method: pick(r, ['POST', 'PUT']), path: pick(r, ['/api/graphs', '/api/graphs/nope', '/api/graphs/__proto__']), headers: { ...json, authorization: pick(r, ['Bearer x', '', 'Basic Og==']) }, body: JSON.stringify(body) ?? 'null' };
  }
  if (u < 0.6) {
    const body = pick(r, ['', '{', 'null', '[]', '"graph"', '{"graph": {"__proto__": {"nodes": []}}}', long(3000), '\u0000\u0001', '{"graph":' + '['.repeat(5000) + ']'.repeat(5000) + '}']);
    return { method: 'POST', path: pick(r, ['/api/graphs', '/api/graphs/abc/fork']), headers: pick(r, [json, { 'content-type': 'text/plain' }, {}]), body: r.next() < 0.2 ? new Uint8Array([0xff, 0xfe, 0, 1]) : body };
  }
  const id = pick(r, [...PROTO_NAMES, 'nope', long(64), long(65), '%00', '..%2F..%2Fetc%2Fpasswd', encodeURIComponent(randomString(r, 6))]);
  const path = pick(r, [`/api/graphs/${id}`, `/api/graphs/${id}/runs/latest`, `/api/runs/${id}`, `/api/embedding-map/${id}`, `/api/corpus/icon/noto:${id}.png`, `/api/corpus/icon/noto:red-apple.png?size=${id}`, `/api/${id}`, '/api/nodes', '/api/graphs']);
  return { method: pick(r, ['GET', 'GET', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']), path, headers: {} };
}

/**
 * `n` cases from `seed`: about 3 in 4 `run:start` (a few of them sent without an ack), the rest
 * other socket requests and REST requests.
 */
export function fuzzCases(seed: number, n: number, bases: Json[] = cheapExamples()): FuzzCase[] {
  const r = new Rng(seed);
  const out: FuzzCase[] = [];
  for (let i = 0; i < n; i++) {
    const u = r.next();
    const ack = r.next() >= 0.03;
    if (u < 0.75) out.push({ kind: 'socket', name: `#${i} run:start`, event: 'run:start', args: runStartArgs(r, bases), ack });
    else if (u < 0.87) {
      const c = otherSocketCase(r);
      out.push({ kind: 'socket', name: `#${i} ${c.event.slice(0, 20)}`, ...c, ack });
    } else {
      const c = restCase(r, bases);
      out.push({ kind: 'rest', name: `#${i} ${c.method} ${c.path.slice(0, 60)}`, ...c });
    }
  }
  return out;
}
