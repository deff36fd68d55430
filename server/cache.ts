// The output cache: each node's outputs under a hash of its type, version, params, its inputs'
// hashes and the hashes of the weights it uses. Inputs are named by the upstream node's key, so
// a key changes exactly when anything the node depends on changed — changing a late node's param
// leaves every earlier key, and its cache hit, as it was (reactive, like a notebook).
// LRU within a byte budget (UNCLIP_CACHE_MB).
import { createHash } from 'node:crypto';
import { imageList, type WireValue } from '../protocol/index.js';
import type { Outputs } from '../nodes/index.js';

export interface CacheEntry {
  outputs: Outputs;
  wire: Record<string, WireValue>;
  bytes: number;
}

export function cacheKey(parts: {
  type: string;
  version: number;
  params: Record<string, unknown>;
  inputs: Record<string, { key: string; port: string }>;
  weights: Record<string, string>;
}): string {
  const canon = {
    t: parts.type,
    v: parts.version,
    p: canonical(parts.params),
    i: Object.keys(parts.inputs).sort().map((k) => [k, parts.inputs[k]!.key, parts.inputs[k]!.port]),
    w: Object.keys(parts.weights).sort().map((k) => [k, parts.weights[k]]),
  };
  return createHash('sha256').update(JSON.stringify(canon)).digest('hex');
}

/** JSON-able, key order fixed, bytes replaced by their hash. */
function canonical(v: unknown): unknown {
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
    const b = v instanceof ArrayBuffer ? new Uint8Array(v) : v;
    return `bytes:sha256:${createHash('sha256').update(b).digest('hex')}`;
  }
  if (typeof v === 'string' && v.length > 256) return `string:sha256:${createHash('sha256').update(v).digest('hex')}`;
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, canonical(o[k])]));
  }
  return v;
}

export function sizeOf(outputs: Outputs, wire: Record<string, WireValue>): number {
  let n = 0;
  for (const v of Object.values(outputs)) {
    if (v.kind === 'image') n += v.data.byteLength;
    else if (v.kind === 'embedding') n += v.data.byteLength + (v.tokenStates?.byteLength ?? 0) + (v.words?.reduce((s, w) => s + w.without.byteLength, 0) ?? 0);
    else n += JSON.stringify(v).length;
  }
  for (const w of Object.values(wire)) {
    if (w.kind === 'image') n += imageList(w.images).reduce((s, b) => s + (typeof b === 'string' ? b.length : b.byteLength), 0);
    else if (w.kind === 'embedding') n += w.vectors.length * w.width * 8;
  }
  return n + 256;
}

export class OutputCache {
  private map = new Map<string, CacheEntry>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private budgetBytes: number) {}

  get(key: string): CacheEntry | undefined {
    const e = this.map.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, e); // most recent last
    return e;
  }

  set(key: string, e: CacheEntry): void {
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.bytes;
      this.map.delete(key);
    }
    if (e.bytes > this.budgetBytes) return;
    this.map.set(key, e);
    this.bytes += e.bytes;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budgetBytes) break;
      this.map.delete(k);
      this.bytes -= v.bytes;
    }
  }

  stats(): { entries: number; bytes: number; hits: number; misses: number } {
    return { entries: this.map.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }
}
