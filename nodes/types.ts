// What a node file exports, and what its execute(ctx) receives. Nodes run inside a worker
// thread (server/worker.ts), never on the thread that serves sockets.
//
// Values between nodes are plain typed arrays, never tensors: they cross threads and sit in the
// output cache, and a node that makes tensors frees every one before it returns (leak-tested).
import type { ErrorCode, EmbeddingSpace, Limits, NodeDecl, ParamDecl, ParamValues, PlotData, PromptPiece, WordWeights } from '../protocol/index.js';
import type { Clip } from '../ml/clip/index.js';
import type { Decoder, Upsampler } from '../ml/decoder/index.js';
import type { Prior } from '../ml/prior/index.js';

/** An output (or input) value on one port, as it lives in the worker and the cache. */
export type Value =
  | { kind: 'text'; texts: string[] }
  | { kind: 'tokens'; tokens: string[][]; unknownWords: string[][]; truncatedWords: string[][]; words?: WordWeights[] }
  /**
   * data: [count, width] row-major, float32. Text embeddings from CLIP also carry the caption's
   * token states ([count, T, W] flat, `tokenShape` = [T, W]): the prior reads them (its causal
   * transformer attends to the caption's tokens). With word weights on, they carry each row's
   * prompt pieces and its embedding without each word (`without`: [words, width]): the similarity
   * node reads them to say which words drive a cell. Nodes that make new vectors drop both.
   */
  | {
      kind: 'embedding';
      space: EmbeddingSpace;
      width: number;
      count: number;
      data: Float32Array;
      labels: string[];
      tokenStates?: Float32Array;
      tokenShape?: [number, number];
      words?: { pieces: PromptPiece[]; without: Float32Array }[];
    }
  /** data: [count, size, size, 3] RGB uint8 */
  | { kind: 'image'; count: number; size: number; data: Uint8Array; labels: string[] }
  | { kind: 'plot'; plot: PlotData };

export type Outputs = Record<string, Value>;

/**
 * One RGB frame, [size, width ?? size, 3] uint8 (the server encodes it as PNG). `size` is the
 * height; the diffusion nodes send x_t and the predicted x0 side by side, twice as wide as high.
 */
export interface RawFrame {
  size: number;
  width?: number;
  data: Uint8Array;
}

export interface StepInfo {
  step: number;
  total: number;
  t?: number;
  frame?: RawFrame;
  points?: [number, number][];
  /** CLIP image embedding of each row's predicted clean image (the decoder's CLIP path). */
  embeddings?: number[][];
}

export interface ModelProvider {
  /** CLIP, loaded once per worker (and again only when its weights change). */
  clip(): Promise<Clip>;
  /** The diffusion models, loaded on first use and kept like CLIP. */
  prior(): Promise<Prior>;
  decoder(): Promise<Decoder>;
  upsampler(): Promise<Upsampler>;
  /** Content hash of a model's weights (part of every cache key of a node that uses it). */
  weightsHash(model: string): string;
}

/** A node's params as the engine holds them, before a declaration gives them types. */
export type AnyParams = Record<string, unknown>;

export interface ExecContext<P = AnyParams> {
  nodeId: string;
  /** Validated params with defaults filled in (typed from the declaration: see defineNode). */
  params: P;
  /** Linked inputs by port name (optional inputs that are not linked are absent). */
  inputs: Record<string, Value | undefined>;
  models: ModelProvider;
  limits: Limits;
  /** Folder for derived caches (the embedding map's PCA). */
  cacheDir: string;
  /** Report a step (streamed to clients, recorded for replay). Throws Cancelled if the run was cancelled. */
  step(info: StepInfo): void;
  /** Throws Cancelled if the run was cancelled; call between units of work. */
  checkCancelled(): void;
}

/** A node type: its declaration and what runs it. `P` is its params' type (see defineNode). */
export interface NodeDef<P = AnyParams> {
  decl: NodeDecl;
  /** Bring params saved by an older version of this node type up to decl.version. */
  migrate?(fromVersion: number, params: AnyParams): AnyParams;
  /**
   * Checks that need the server but nothing heavy (e.g. an upload's pixel count from its header,
   * a prompt against the installed CLIP's vocabulary), run on the main thread before the run is
   * accepted. Returns problems; an empty list is fine.
   */
  check?(params: P, limits: Limits, weightsDir: string): Promise<{ code: ErrorCode; message: string; port?: string }[]>;
  execute(ctx: ExecContext<P>): Promise<Outputs>;
}

/**
 * Declares a node type with its params typed from its own param list: `ctx.params.steps` is a
 * number, `ctx.params.sampler` the union of the sampler names, and a name the list lacks does
 * not compile. The types hold at run time because the engine only ever executes params that
 * protocol/validate.ts's validateGraph has checked against this same declaration (kind, range,
 * options, defaults filled in), once, before the run is queued. A plain list literal needs
 * nothing more; a list that spreads shared params (nodes/lib/diffusion.ts) ends in `as const`,
 * since TypeScript keeps the literal types through a spread only then.
 */
export function defineNode<const Ps extends readonly ParamDecl[]>(def: { decl: NodeDecl & { params: Ps } } & Omit<NodeDef<ParamValues<Ps>>, 'decl'>): NodeDef {
  // handed to the engine as a NodeDef over params by name (TypeScript accepts the typed
  // methods there); validateGraph, run before any execute, is what makes that true at run time
  return def;
}

/** A failure with a stable code (from the one table); anything else thrown becomes NODE_FAILED. */
export class NodeFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly port?: string,
  ) {
    super(message);
    this.name = 'NodeFailure';
  }
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers nodes share

export function need<K extends Value['kind']>(ctx: ExecContext<unknown>, port: string, kind: K): Extract<Value, { kind: K }> {
  const v = ctx.inputs[port];
  if (!v) throw new NodeFailure('MISSING_INPUT', `input "${port}" has no value`, port);
  if (v.kind !== kind) throw new NodeFailure('INPUT_MISMATCH', `input "${port}" got ${v.kind}, wants ${kind}`, port);
  return v as Extract<Value, { kind: K }>;
}

export function optional<K extends Value['kind']>(ctx: ExecContext<unknown>, port: string, kind: K): Extract<Value, { kind: K }> | undefined {
  return ctx.inputs[port] ? need(ctx, port, kind) : undefined;
}

/** Row i of an embedding value (a view, not a copy). */
export function row(e: Extract<Value, { kind: 'embedding' }>, i: number): Float32Array {
  return e.data.subarray(i * e.width, (i + 1) * e.width);
}

export function checkBatch(ctx: ExecContext<unknown>, n: number, what: string): void {
  if (n > ctx.limits.maxBatch) throw new NodeFailure('BATCH_TOO_LARGE', `${what}: ${n} rows; this server allows at most ${ctx.limits.maxBatch}`);
}
