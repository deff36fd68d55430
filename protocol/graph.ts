// The graph format, port types and node declarations shared by the studio and the server.
//
// A graph is JSON:
//   {"version": 1,
//    "nodes": [{"id", "type", "version", "params": {by name}, "position": {"x", "y"}, "mode"?}],
//    "edges": [{"from": {"node", "port"}, "to": {"node", "port"}}],
//    "groups"?: [{"id", "title", "nodes": [ids]}]}
//
// A node's `mode` (bypass, mute) changes what runs (modes.ts); groups are the studio's frames.
// validate.ts checks a graph against a node catalogue and the server's limits (validateGraph).
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Port types

export const EMBEDDING_SPACES = ['clip-text', 'clip-image'] as const;
export type EmbeddingSpace = (typeof EMBEDDING_SPACES)[number];

/**
 * What flows along an edge. Embeddings carry their space (which CLIP tower made them) and width;
 * a declaration may leave the space open (`any`: interpolation, similarity) and the width open
 * (undefined: "whatever the loaded model gives", checked when the node runs).
 */
export type PortType =
  | { kind: 'text' }
  | { kind: 'tokens' }
  | { kind: 'embedding'; space: EmbeddingSpace | 'any'; width?: number }
  | { kind: 'image' }
  | { kind: 'plot' };
export type PortKind = PortType['kind'];

export const PortTypeSchema: z.ZodType<PortType> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text') }),
  z.object({ kind: z.literal('tokens') }),
  z.object({ kind: z.literal('embedding'), space: z.enum(['clip-text', 'clip-image', 'any']), width: z.number().int().positive().optional() }),
  z.object({ kind: z.literal('image') }),
  z.object({ kind: z.literal('plot') }),
]);

/**
 * May an output of type `from` feed an input of type `to`? Same kind; for embeddings the spaces
 * must be equal unless either side says `any`, and the widths equal when both are declared.
 * (A clip-text embedding into a port that wants clip-image is the classic mistake this refuses:
 * the prior exists precisely because the two spaces differ.)
 */
export function portsCompatible(from: PortType, to: PortType): boolean {
  if (from.kind !== to.kind) return false;
  if (from.kind === 'embedding' && to.kind === 'embedding') {
    if (from.space !== 'any' && to.space !== 'any' && from.space !== to.space) return false;
    if (from.width !== undefined && to.width !== undefined && from.width !== to.width) return false;
  }
  return true;
}

export function describePortType(t: PortType): string {
  if (t.kind !== 'embedding') return t.kind;
  return `embedding(${t.space}${t.width !== undefined ? `, ${t.width}` : ''})`;
}

// ---------------------------------------------------------------------------------------------
// Node declarations (the catalogue entry the browser builds its palette from)

export interface PortDecl {
  name: string;
  title: string;
  type: PortType;
  /** Inputs only: must be linked for the node to run (default true). */
  required?: boolean;
}

/**
 * A param's kind says how it is edited and checked:
 * - number/integer: min/max inclusive; `limit` ties the max to a server limit (steps, batch),
 *   refused with that limit's own code when exceeded.
 * - string: maxLength (a prompt's length is a server limit: TEXT_TOO_LONG).
 * - enum: one of options.
 * - boolean.
 * - image: uploaded image bytes (binary over the socket, or a data: URL in JSON); limited in
 *   bytes and pixels (IMAGE_TOO_LARGE). A graph never names a file path.
 */
export type ParamKind = 'number' | 'integer' | 'string' | 'enum' | 'boolean' | 'image';

export interface ParamDecl {
  name: string;
  title: string;
  kind: ParamKind;
  default: number | string | boolean | null;
  min?: number;
  max?: number;
  /** string: maximum characters (when `limit: 'text'`, the server's prompt limit applies instead if smaller). */
  maxLength?: number;
  options?: readonly string[];
  /** Which server limit bounds this param, if any. */
  limit?: 'steps' | 'batch' | 'text';
  /** UI hint: multi-line text. */
  multiline?: boolean;
  /** UI hint, string: words the studio offers to add (a prompt's known style words: "openmoji style"). */
  suggestions?: readonly string[];
  description?: string;
}

/** An image param's value: uploaded bytes, or a data: URL in saved JSON (see imageParamBytes). */
export type ImageParam = Uint8Array | ArrayBuffer | string;

/**
 * The value a declared param holds once validateGraph has passed it (defaults filled in): what
 * validate.ts's checkParams guarantees, as a type. number/integer → number, string → string,
 * boolean → boolean, enum → the union of its options, image → ImageParam; null only where the
 * default is.
 */
export type ParamValue<P extends ParamDecl> =
  | (P extends { kind: 'number' | 'integer' } ? number
    : P extends { kind: 'string' } ? string
    : P extends { kind: 'boolean' } ? boolean
    : P extends { kind: 'enum'; options: readonly (infer O extends string)[] } ? O
    : P extends { kind: 'image' } ? ImageParam
    : never)
  | (null extends P['default'] ? null : never);

/**
 * A node's validated params by name, from its declaration's param list (declared `as const`, or
 * through nodes/types.ts's defineNode): `{ steps: number; sampler: 'ddpm' | 'ddim' | ... }`.
 */
export type ParamValues<Ps extends readonly ParamDecl[]> = {
  // a param whose name is only `string` (a list typed ParamDecl[]) gives no key: reading it then
  // fails to compile, rather than every name being allowed
  readonly [P in Ps[number] as string extends P['name'] ? never : P['name']]: ParamValue<P>;
};

export interface NodeDecl {
  type: string;
  version: number;
  title: string;
  category: 'input' | 'clip' | 'embedding' | 'diffusion' | 'view' | 'doc' | 'debug';
  description: string;
  inputs: PortDecl[];
  outputs: PortDecl[];
  params: readonly ParamDecl[];
  /** Model checkpoints the node needs (folders under the weights root), e.g. ['clip']. */
  models: string[];
  /** Runs nothing (notes). */
  passive?: boolean;
}

/** Server limits, sent with the catalogue so the studio can check before sending. */
export interface Limits {
  maxNodes: number;
  maxEdges: number;
  maxTextChars: number;
  maxUploadBytes: number;
  maxUploadPixels: number;
  maxSteps: number;
  maxBatch: number;
  maxQueuedPerClient: number;
  /** The compute one run may cost, in decoder image-steps (server/run-cost.ts): RUN_TOO_EXPENSIVE over it. */
  maxRunCost: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxNodes: 64,
  maxEdges: 256,
  maxTextChars: 500,
  maxUploadBytes: 4 * 1024 * 1024,
  maxUploadPixels: 4096 * 4096,
  maxSteps: 1000,
  maxBatch: 64,
  maxQueuedPerClient: 4,
  maxRunCost: 2000,
};

export interface Catalogue {
  nodes: NodeDecl[];
  /** Types a later release adds (they need models not shipped yet): refused with NODE_UNAVAILABLE. */
  planned: string[];
  limits: Limits;
}

// ---------------------------------------------------------------------------------------------
// Graph JSON

export const GRAPH_FORMAT_VERSION = 1;

const IdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'ids use letters, digits and _ . : -');
const PortNameSchema = z.string().min(1).max(64);

export const GraphNodeSchema = z
  .object({
    id: IdSchema,
    type: z.string().min(1).max(64),
    version: z.number().int().positive(),
    params: z.record(z.unknown()).default({}),
    position: z.object({ x: z.number().finite(), y: z.number().finite() }).strict(),
    /** Optional display title (the studio's label for this node). */
    title: z.string().max(200).optional(),
    // UI-only state the studio keeps with its graph; the server stores it and ignores it.
    /** Shown as its header only. */
    collapsed: z.boolean().optional(),
    /** Seed params the studio gives a fresh random value before each run (the value that ran is saved). */
    reseed: z.array(PortNameSchema).max(16).optional(),
    /** bypass: its outputs pass on its inputs instead of running it; mute: it and what needs it do not run (modes.ts). */
    mode: z.enum(['bypass', 'mute']).optional(),
  })
  .strict();
export type GraphNode = z.infer<typeof GraphNodeSchema>;

export const EdgeEndSchema = z.object({ node: IdSchema, port: PortNameSchema }).strict();
export const GraphEdgeSchema = z.object({ from: EdgeEndSchema, to: EdgeEndSchema }).strict();
export type GraphEdge = z.infer<typeof GraphEdgeSchema>;

/** A titled frame around some nodes (UI only: the server stores it and ignores it). Its box follows its nodes. */
export const GraphGroupSchema = z
  .object({
    id: IdSchema,
    title: z.string().max(200),
    nodes: z.array(IdSchema).max(256),
  })
  .strict();
export type GraphGroup = z.infer<typeof GraphGroupSchema>;

export const GraphSchema = z
  .object({
    version: z.literal(GRAPH_FORMAT_VERSION),
    nodes: z.array(GraphNodeSchema),
    edges: z.array(GraphEdgeSchema).default([]),
    /** absent in graphs saved before groups (still the same format version: it only adds) */
    groups: z.array(GraphGroupSchema).max(64).optional(),
  })
  .strict();
export type Graph = z.infer<typeof GraphSchema>;
