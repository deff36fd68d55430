// Every node type the server offers, in palette order. Adding a node type is adding its file
// and one line here; the catalogue (GET /api/nodes), validation and the worker all read this list.
//
// PLANNED_NODE_TYPES names types whose models do not exist yet: graphs naming them are refused
// with NODE_UNAVAILABLE rather than UNKNOWN_NODE_TYPE. Empty now that the prior, decoder and
// upsampler have arrived; kept for the next model.
import { DEFAULT_LIMITS, type Catalogue, type Limits, type Migrations } from '../protocol/index.js';
import { clipImageEncodeNode } from './clip-image-encode.js';
import { clipTextEncodeNode } from './clip-text-encode.js';
import { debugStepsNode } from './debug-steps.js';
import { decoderNode } from './decoder.js';
import { embeddingPlotNode } from './embedding-plot.js';
import { imageInputNode } from './image-input.js';
import { interpolateNode } from './interpolate.js';
import { maskNode } from './mask.js';
import { noteNode } from './note.js';
import { priorNode } from './prior.js';
import { similarityNode } from './similarity.js';
import { sweepNode } from './sweep.js';
import { textDiffNode } from './text-diff.js';
import { textNode } from './text.js';
import { upsampleNode } from './upsample.js';
import type { NodeDef } from './types.js';

export * from './types.js';

export const NODE_DEFS: readonly NodeDef[] = [
  textNode,
  imageInputNode,
  maskNode,
  clipTextEncodeNode,
  clipImageEncodeNode,
  priorNode,
  decoderNode,
  upsampleNode,
  interpolateNode,
  textDiffNode,
  similarityNode,
  embeddingPlotNode,
  sweepNode,
  noteNode,
];

/** Test instruments, offered only when UNCLIP_DEBUG=1. */
export const DEBUG_NODE_DEFS: readonly NodeDef[] = [debugStepsNode];

export const PLANNED_NODE_TYPES: readonly string[] = [];

export function nodeDefs(opts: { debug?: boolean } = {}): NodeDef[] {
  return opts.debug ? [...NODE_DEFS, ...DEBUG_NODE_DEFS] : [...NODE_DEFS];
}

export function findNodeDef(type: string, opts: { debug?: boolean } = {}): NodeDef | undefined {
  return nodeDefs(opts).find((d) => d.decl.type === type);
}

export function catalogue(opts: { debug?: boolean; limits?: Limits } = {}): Catalogue {
  return {
    nodes: nodeDefs(opts).map((d) => d.decl),
    planned: PLANNED_NODE_TYPES.filter((t) => !nodeDefs(opts).some((d) => d.decl.type === t)),
    limits: opts.limits ?? DEFAULT_LIMITS,
  };
}

export function migrations(opts: { debug?: boolean } = {}): Migrations {
  const out: Migrations = {};
  for (const d of nodeDefs(opts)) if (d.migrate) out[d.decl.type] = d.migrate.bind(d);
  return out;
}
