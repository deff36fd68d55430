// Checkpoints for every model in the project (CLIP, prior, decoder, upsampler): a folder with
//
//   model.safetensors   the weights (safetensors: other readers, e.g. Python's `safetensors`, open it)
//   config.json         the model's config (whatever JSON the model needs to rebuild itself)
//   state.safetensors   optional training state tensors (optimizer moments), same format
//   state.json          optional training state that is not a tensor (step, RNG state, loss log)
//   <extra files>       optional text files a model keeps beside its weights (CLIP's vocab.json)
//
// safetensors is written here by hand (it is simple): 8-byte little-endian header length N, then
// N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..}}`
// (padded with spaces to a multiple of 8 so the data that follows stays aligned), then the raw
// little-endian tensor bytes; offsets count from the start of that data block.
//
// Float weights may be stored as F16 (`half: true`): half the bytes in every clone's history, at
// a rounding error of at most 2^-11 of each value (measured harmless per model before shipping,
// see its model card). They load as float32, so nothing downstream knows; training state is
// always F32, since Adam's second moments underflow in half precision.
//
// Every file is written to a temporary name and renamed into place, so a crash mid-write leaves
// the previous file whole. The files of one checkpoint carry the same `checkpoint_id` in their
// metadata, and loading refuses a mix of two checkpoints (a crash between two renames).
import * as tf from '@tensorflow/tfjs-core';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export type SafeDType = 'F32' | 'F16' | 'I32';

export interface SafetensorsEntry {
  /** How the values are stored; an F16 entry holds its values as float32 in memory. */
  dtype: SafeDType;
  shape: number[];
  data: Float32Array | Int32Array;
}

const BYTES: Record<SafeDType, number> = { F32: 4, F16: 2, I32: 4 };

// IEEE 754 binary16 by hand (Node 20 has no Float16Array): a float32's bits, rounded to nearest
// even; past the largest half (65504) to infinity, below the smallest subnormal to zero.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const man = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0); // inf, NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // subnormal: shift the mantissa (with its implicit 1) right, rounding to nearest even
    const m = man | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (man >>> 13);
  const rest = man & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // a carry into the exponent is still right
  return sign | h;
}

export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export interface CheckpointState {
  /** JSON-able training state: step, RNG state, loss history... */
  json?: unknown;
  /** Training state tensors (e.g. optimizer moments), saved in state.safetensors. */
  tensors?: Record<string, tf.Tensor>;
}

export interface SaveCheckpointInput {
  config: unknown;
  tensors: Record<string, tf.Tensor>;
  state?: CheckpointState;
  /** Extra text files written beside the weights, by file name (e.g. {"vocab.json": "..."}). */
  files?: Record<string, string>;
  /** Free-form string metadata for the safetensors header. */
  metadata?: Record<string, string>;
  /** Store the float weights (not the training state) as F16. */
  half?: boolean;
}

export interface LoadedCheckpoint {
  config: unknown;
  /** Caller owns these tensors. */
  tensors: Record<string, tf.Tensor>;
  /** Present when the checkpoint has training state. Caller owns its tensors. */
  state?: { json: unknown; tensors: Record<string, tf.Tensor> };
  metadata: Record<string, string>;
  dir: string;
}

export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const STATE_FILE = 'state.safetensors';
export const STATE_JSON_FILE = 'state.json';

/** Write a file atomically: temp name in the same folder, then rename over the target. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}

/** Encode named arrays as one safetensors buffer (names sorted, as the reference writer does). */
export function encodeSafetensors(entries: Record<string, SafetensorsEntry>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(entries).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const e = entries[name]!;
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (count !== e.data.length) throw new Error(`safetensors: ${name} has shape [${e.shape}] but ${e.data.length} values`);
    const bytes = count * BYTES[e.dtype];
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data block starts 8-byte aligned (the reference writer does this too).
  const jsonBytesLen = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + jsonBytesLen) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const e = entries[name]!;
    // Copy through a DataView so the bytes are little-endian whatever the host is.
    const bytes = e.data.length * BYTES[e.dtype];
    const dv = new DataView(out.buffer, pos, bytes);
    if (e.dtype === 'F32') for (let i = 0; i < e.data.length; i++) dv.setFloat32(i * 4, e.data[i]!, true);
    else if (e.dtype === 'F16') for (let i = 0; i < e.data.length; i++) dv.setUint16(i * 2, toHalfBits(e.data[i]!), true);
    else for (let i = 0; i < e.data.length; i++) dv.setInt32(i * 4, e.data[i]!, true);
    pos += bytes;
  }
  return out;
}

/** Decode a safetensors buffer (F32, F16 and I32: all this project writes). */
export function decodeSafetensors(buf: Uint8Array): { entries: Record<string, SafetensorsEntry>; metadata: Record<string, string> } {
  if (buf.length < 8) throw new Error('safetensors: file shorter than its 8-byte header length');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > buf.length) throw new Error(`safetensors: header length ${n} runs past the end of the file`);
  const header = JSON.parse(Buffer.from(buf.subarray(8, 8 + n)).toString('utf8')) as Record<string, unknown>;
  const dataStart = 8 + n;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const entries: Record<string, SafetensorsEntry> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const info = raw as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [begin, end] = info.data_offsets;
    if (info.dtype !== 'F32' && info.dtype !== 'F16' && info.dtype !== 'I32') throw new Error(`safetensors: ${name} has dtype ${info.dtype}; only F32, F16 and I32 are read`);
    const count = info.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[info.dtype] || dataStart + end > buf.length) throw new Error(`safetensors: ${name} offsets [${begin}, ${end}] do not fit shape [${info.shape}]`);
    const dv = new DataView(buf.buffer, buf.byteOffset + dataStart + begin, end - begin);
    const data = info.dtype === 'I32' ? new Int32Array(count) : new Float32Array(count);
    if (info.dtype === 'F32') for (let i = 0; i < count; i++) data[i] = dv.getFloat32(i * 4, true);
    else if (info.dtype === 'F16') for (let i = 0; i < count; i++) data[i] = fromHalfBits(dv.getUint16(i * 2, true));
    else for (let i = 0; i < count; i++) data[i] = dv.getInt32(i * 4, true);
    entries[name] = { dtype: info.dtype, shape: info.shape, data };
  }
  return { entries, metadata };
}

/** A tensor's safetensors entry, given its values (read synchronously or not, by the caller). */
function entryOf(name: string, t: tf.Tensor, data: tf.TypedArray | string[]): SafetensorsEntry {
  if (t.dtype === 'float32') return { dtype: 'F32', shape: t.shape.slice(), data: data as Float32Array };
  if (t.dtype === 'int32') return { dtype: 'I32', shape: t.shape.slice(), data: data as Int32Array };
  throw new Error(`checkpoint: ${name} has dtype ${t.dtype}; only float32 and int32 are saved`);
}

function tensorsToEntries(tensors: Record<string, tf.Tensor>, half = false): Record<string, SafetensorsEntry> {
  const out: Record<string, SafetensorsEntry> = {};
  for (const [name, t] of Object.entries(tensors)) out[name] = halved(entryOf(name, t, t.dataSync()), half);
  return out;
}

function halved(e: SafetensorsEntry, half: boolean): SafetensorsEntry {
  return half && e.dtype === 'F32' ? { ...e, dtype: 'F16' } : e;
}

function entriesToTensors(entries: Record<string, SafetensorsEntry>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, e] of Object.entries(entries)) out[name] = tf.tensor(e.data, e.shape, e.dtype === 'I32' ? 'int32' : 'float32');
  return out;
}

/**
 * Save a checkpoint folder. Files are replaced one by one atomically; state files (if any) are
 * written first and config.json last, and every file carries the same checkpoint id.
 */
export function saveCheckpoint(dir: string, input: SaveCheckpointInput): void {
  writeCheckpoint(dir, input, tensorsToEntries(input.tensors, input.half), input.state ? tensorsToEntries(input.state.tensors ?? {}) : null);
}

/**
 * saveCheckpoint, reading every tensor asynchronously first: what training on a GPU backend needs,
 * since WebGPU under Node cannot read a tensor synchronously. The same files, byte for byte.
 */
export async function saveCheckpointAsync(dir: string, input: SaveCheckpointInput): Promise<void> {
  const weights = await readEntries(input.tensors, input.half);
  const state = input.state ? await readEntries(input.state.tensors ?? {}) : null;
  writeCheckpoint(dir, input, weights, state);
}

async function readEntries(tensors: Record<string, tf.Tensor>, half = false): Promise<Record<string, SafetensorsEntry>> {
  const out: Record<string, SafetensorsEntry> = {};
  for (const [name, t] of Object.entries(tensors)) out[name] = halved(entryOf(name, t, await t.data()), half);
  return out;
}

function writeCheckpoint(dir: string, input: SaveCheckpointInput, weights: Record<string, SafetensorsEntry>, state: Record<string, SafetensorsEntry> | null): void {
  mkdirSync(dir, { recursive: true });
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const meta = { ...(input.metadata ?? {}), checkpoint_id: id, format: 'pt' };
  for (const [name, text] of Object.entries(input.files ?? {})) writeFileAtomic(join(dir, name), text);
  if (input.state && state) {
    writeFileAtomic(join(dir, STATE_FILE), encodeSafetensors(state, { checkpoint_id: id }));
    writeFileAtomic(join(dir, STATE_JSON_FILE), JSON.stringify({ checkpoint_id: id, state: input.state.json ?? null }) + '\n');
  }
  writeFileAtomic(join(dir, WEIGHTS_FILE), encodeSafetensors(weights, meta));
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify({ checkpoint_id: id, config: input.config }, null, 2) + '\n');
}

/** True when `dir` holds a checkpoint (weights and config). */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, WEIGHTS_FILE)) && existsSync(join(dir, CONFIG_FILE));
}

/**
 * Load a checkpoint folder. `withState: false` skips the training state (inference). Training
 * state from a different save than the weights is refused rather than mixed in.
 */
export function loadCheckpoint(dir: string, opts: { withState?: boolean } = {}): LoadedCheckpoint {
  if (!hasCheckpoint(dir)) throw new Error(`no checkpoint in ${dir} (needs ${WEIGHTS_FILE} and ${CONFIG_FILE})`);
  const cfg = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8')) as { checkpoint_id?: string; config: unknown };
  const { entries, metadata } = decodeSafetensors(readFileSync(join(dir, WEIGHTS_FILE)));
  if (cfg.checkpoint_id && metadata.checkpoint_id && cfg.checkpoint_id !== metadata.checkpoint_id) {
    throw new Error(`checkpoint ${dir}: config.json and ${WEIGHTS_FILE} come from different saves`);
  }
  const result: LoadedCheckpoint = { config: cfg.config, tensors: entriesToTensors(entries), metadata, dir };
  const wantState = opts.withState ?? true;
  if (wantState && existsSync(join(dir, STATE_JSON_FILE))) {
    const sj = JSON.parse(readFileSync(join(dir, STATE_JSON_FILE), 'utf8')) as { checkpoint_id?: string; state: unknown };
    if (sj.checkpoint_id && metadata.checkpoint_id && sj.checkpoint_id !== metadata.checkpoint_id) {
      tf.dispose(Object.values(result.tensors));
      throw new Error(`checkpoint ${dir}: ${STATE_JSON_FILE} and ${WEIGHTS_FILE} come from different saves`);
    }
    const st = existsSync(join(dir, STATE_FILE)) ? entriesToTensors(decodeSafetensors(readFileSync(join(dir, STATE_FILE))).entries) : {};
    result.state = { json: sj.state, tensors: st };
  }
  return result;
}

/**
 * The config and weights of an exported model to start a fresh (fine-tuning) run from: no
 * training state. `check` says why the config cannot start this run (null: it can); a refused
 * checkpoint's tensors are freed before the error. Caller owns the tensors.
 */
export function loadInitialWeights<C>(dir: string, check: (config: C) => string | null): { config: C; tensors: Record<string, tf.Tensor> } {
  const ck = loadCheckpoint(dir, { withState: false });
  const config = ck.config as C;
  const why = check(config);
  if (why) {
    tf.dispose(Object.values(ck.tensors));
    throw new Error(`${dir}: ${why}`);
  }
  return { config, tensors: ck.tensors };
}

/** Read an extra text file saved beside a checkpoint. */
export function readCheckpointFile(dir: string, name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

/** A checkpoint folder's config.json, parsed (without loading its weights). */
export function readCheckpointConfig<C>(dir: string): C {
  return (JSON.parse(readCheckpointFile(dir, CONFIG_FILE)) as { config: C }).config;
}

// ---- Adam state -------------------------------------------------------------------------------
// tf.train.adam keeps its moments in lists ordered like the gradients it was given, named after
// the tf.Variable. We save them under the PARAMETER names ("m/<param>", "v/<param>") plus the
// iteration count, so a resumed run continues exactly even if variable ids differ.

/** Collect Adam's state as tensors keyed by parameter name; `paramNames` in gradient order. */
export async function adamState(opt: tf.AdamOptimizer, paramNames: string[]): Promise<Record<string, tf.Tensor>> {
  const weights = await opt.getWeights();
  const out: Record<string, tf.Tensor> = {};
  const iter = weights[0];
  if (!iter) return out;
  out['adam/iterations'] = iter.tensor;
  const moments = weights.slice(1);
  const n = moments.length / 2;
  if (n === 0) return out; // never stepped
  if (n !== paramNames.length) throw new Error(`adam state has ${n} moments for ${paramNames.length} parameters`);
  for (let i = 0; i < n; i++) {
    out[`adam/m/${paramNames[i]}`] = moments[i]!.tensor;
    out[`adam/v/${paramNames[i]}`] = moments[n + i]!.tensor;
  }
  return out;
}

/** Restore Adam's state saved by adamState. Copies the tensors; the caller still owns `saved`. */
export async function restoreAdamState(opt: tf.AdamOptimizer, paramNames: string[], saved: Record<string, tf.Tensor>): Promise<boolean> {
  const iter = saved['adam/iterations'];
  if (!iter) return false;
  const ms: { name: string; tensor: tf.Tensor }[] = [];
  const vs: { name: string; tensor: tf.Tensor }[] = [];
  for (const p of paramNames) {
    const m = saved[`adam/m/${p}`];
    const v = saved[`adam/v/${p}`];
    if (!m || !v) throw new Error(`adam state lacks moments for ${p}`);
    ms.push({ name: `${p}/m`, tensor: m.clone() });
    vs.push({ name: `${p}/v`, tensor: v.clone() });
  }
  await opt.setWeights([{ name: 'iter', tensor: iter }, ...ms, ...vs]);
  // setWeights made Variables from the clones; drop our clone handles.
  tf.dispose([...ms.map((x) => x.tensor), ...vs.map((x) => x.tensor)]);
  return true;
}
