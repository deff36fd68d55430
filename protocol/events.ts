// The socket.io contract between the studio (app/) and the server (server/). Both sides type
// their sockets with these maps, so a renamed event or a changed payload fails to compile on
// both ends at once. Event names are `domain:verb`.
import { z } from 'zod';
import type { EmbeddingSpace } from './graph.js';
import type { NodeError } from './validate.js';

/** What the server says about itself on connect, and what /healthz answers. */
export const ServerInfoSchema = z.object({
  ok: z.literal(true),
  backend: z.string(),
  /** The GPU adapter the backend runs on (WebGPU only). */
  adapter: z.string().optional(),
  version: z.string(),
});
export type ServerInfo = z.infer<typeof ServerInfoSchema>;

/** client → server `server:ping`: a round-trip probe; the ack echoes the client's clock. */
export const PingRequestSchema = z.object({ clientTime: z.number().finite() }).strict();
export type PingRequest = z.infer<typeof PingRequestSchema>;
export interface PingReply {
  clientTime: number;
  serverTime: number;
}

// ---------------------------------------------------------------------------------------------
// Runs

/** Per-client preview settings: a frame every `previewEvery` steps (and always the last), at most `previewSize` px a side. */
export const PreviewOptionsSchema = z
  .object({
    previewEvery: z.number().int().min(1).max(1000).optional(),
    previewSize: z.number().int().min(8).max(1024).optional(),
  })
  .strict();
export type PreviewOptions = z.infer<typeof PreviewOptionsSchema>;

/**
 * client → server `run:start`. `graph` is checked by validateGraph (its problems come back as
 * nodeErrors). With `graphId` + `editToken` of a saved graph, the run is kept as that graph's
 * latest run, so its share link shows the outputs and frames without rerunning.
 */
export const RunStartSchema = z
  .object({
    graph: z.unknown(),
    options: PreviewOptionsSchema.optional(),
    graphId: z.string().min(1).max(64).optional(),
    editToken: z.string().min(1).max(200).optional(),
  })
  .strict();
export type RunStartRequest = z.infer<typeof RunStartSchema>;

export const RunRefSchema = z.object({ runId: z.string().min(1).max(64) }).strict();
export type RunRef = z.infer<typeof RunRefSchema>;
/**
 * client → server `run:watch`: the events so far, then the live ones. With the run's `ownerKey`
 * (from run:start's reply) the watching socket becomes the run's owner again (the tab that
 * started it, after a reload or a dropped connection): it may cancel it.
 */
export const RunWatchSchema = z
  .object({ runId: z.string().min(1).max(64), options: PreviewOptionsSchema.optional(), ownerKey: z.string().min(1).max(64).optional() })
  .strict();
export type RunWatchRequest = z.infer<typeof RunWatchSchema>;

export type RunStatus = 'queued' | 'running' | 'done' | 'cancelled' | 'error';
/** Not finished yet: still counts toward queue limits, can be cancelled or watched. */
export const isActiveRun = (status: RunStatus): boolean => status === 'queued' || status === 'running';

/** A failure with every problem listed (validation), each naming its node and port. */
export interface RunError {
  ok: false;
  error: { code: ErrorCode; message: string; nodeErrors: NodeError[] };
}
/** `ownerKey`: kept by the client that started the run (per tab), to take it back with run:watch. */
export type RunStartReply = { ok: true; runId: string; ownerKey: string } | RunError;
export type RunCancelReply = { ok: true; status: RunStatus } | ProtocolError;
/** `owner`: this socket now owns the run (the ownerKey matched). */
export type RunWatchReply = { ok: true; status: RunStatus; owner: boolean } | ProtocolError;

/**
 * Binary payloads (frames, output images) are PNG or WebP bytes over the socket (socket.io sends
 * them as binary attachments) and `data:image/...;base64,` URLs in REST JSON.
 */
export type ImageBytes = Uint8Array | string;

/**
 * A node's images on one port, packed: every image's bytes back to back in one binary
 * attachment, `ends[i]` the offset where image i ends. socket.io's parser refuses a packet with
 * more than 10 attachments (the client disconnects), and a batch may hold UNCLIP_MAX_BATCH
 * images, so an output never sends one attachment per image. The browser receives `bytes` as an
 * ArrayBuffer.
 */
export interface PackedImages {
  bytes: Uint8Array | ArrayBuffer;
  ends: number[];
}
/** Images over the socket are packed; in REST JSON and stored runs they are a data: URL each. */
export type WireImages = PackedImages | string[];

/** Packs PNG/WebP byte arrays into one buffer (what the server sends over the socket). */
export function packImages(images: Uint8Array[]): PackedImages {
  const ends: number[] = [];
  let n = 0;
  for (const im of images) ends.push((n += im.byteLength));
  const bytes = new Uint8Array(n);
  images.forEach((im, i) => bytes.set(im, i === 0 ? 0 : ends[i - 1]!));
  return { bytes, ends };
}

export function isPackedImages(v: unknown): v is PackedImages {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = v as { bytes?: unknown; ends?: unknown };
  return (p.bytes instanceof Uint8Array || p.bytes instanceof ArrayBuffer) && Array.isArray(p.ends);
}

/** The images of an image output, one entry each, whichever form they came in (views, not copies). */
export function imageList(images: WireImages): ImageBytes[] {
  if (Array.isArray(images)) return images;
  const all = images.bytes instanceof Uint8Array ? images.bytes : new Uint8Array(images.bytes);
  return images.ends.map((end, i) => all.subarray(i === 0 ? 0 : images.ends[i - 1]!, end));
}

/**
 * A piece of a prompt as typed: a word (`word`; an emoji is one word, read as its name), or the
 * text between words. Unknown words and words past the context length are marked (weight 0).
 */
export interface PromptPiece {
  text: string;
  word?: boolean;
  unknown?: boolean;
  cut?: boolean;
}
/**
 * Which words matter in one prompt (clip-text-encode's `wordWeights`): `drops[k]`, for the k-th
 * word piece, is 1 − cos(embedding of the prompt, embedding of the prompt without that word).
 */
export interface WordWeights {
  pieces: PromptPiece[];
  drops: number[];
}
/**
 * Which words drive each cell of a heatmap, for the side made of prompts: `drops[c][k]` is how
 * much cell c's cosine falls when the k-th word is left out (c: the column for a row's prompt,
 * the row for a column's prompt; negative where the word pulled the pair apart).
 */
export interface CellWordWeights {
  pieces: PromptPiece[];
  drops: number[][];
}

/** A node's output on one port, as it crosses the wire. */
export type WireValue =
  | { kind: 'text'; texts: string[] }
  | { kind: 'tokens'; tokens: string[][]; unknownWords: string[][]; truncatedWords: string[][]; words?: WordWeights[] }
  | { kind: 'embedding'; space: EmbeddingSpace; width: number; vectors: number[][]; labels: string[] }
  | { kind: 'image'; width: number; height: number; images: WireImages; labels: string[] }
  | { kind: 'plot'; plot: PlotData };

export interface MapNeighbour {
  key: string;
  label: string;
  /** cosine similarity */
  score: number;
}
export type PlotData =
  | {
      type: 'heatmap';
      metric: 'cosine';
      rows: string[];
      cols: string[];
      values: number[][];
      /** Where the rows (or columns) are prompts with word weights: one entry per row (column). */
      words?: { rows?: CellWordWeights[]; cols?: CellWordWeights[] };
    }
  | {
      type: 'embedding-map';
      /** Identifies the fitted PCA (changes with the CLIP weights); GET /api/embedding-map/:mapId gives the corpus points. */
      mapId: string;
      series: { port: string; space: EmbeddingSpace; labels: string[]; points: [number, number][]; neighbours: MapNeighbour[][] }[];
    };

export interface RunQueuedEvent { runId: string; position: number }
export interface NodeEvent {
  runId: string;
  nodeId: string;
  /**
   * node:start and node:cached: the node's output cache key. The same key means the same outputs
   * and the same steps, so the studio shows a cached node the steps it kept under this key.
   */
  key?: string;
  /** In a sweep (protocol/sweep.ts), which variant of the graph this event is of. */
  variant?: number;
}
export interface NodeStepEvent {
  runId: string;
  nodeId: string;
  step: number;
  total: number;
  t?: number;
  /** Preview frame (PNG bytes over the socket). */
  frame?: ImageBytes;
  /** 2-D points on the embedding map, for embedding nodes (and the decoder's CLIP path). */
  points?: [number, number][];
  /**
   * The decoder's CLIP path: the CLIP image embedding (L2-normalised, CLIP's width: 128 floats)
   * of each image's predicted clean image x0 at this step, one row per image (the first 8, as
   * the frame shows).
   */
  embeddings?: number[][];
  variant?: number;
}
export interface NodeOutputEvent { runId: string; nodeId: string; outputs: Record<string, WireValue>; variant?: number }
export interface NodeErrorEvent { runId: string; nodeId: string; code: ErrorCode; message: string; port?: string; variant?: number }
export interface RunDoneEvent {
  runId: string;
  ms: number;
  /** Wall time per node that ran (cached nodes are absent). */
  timings: Record<string, number>;
  /** Nodes whose outputs came from the cache. */
  cached: string[];
}
export interface RunCancelledEvent { runId: string }
export interface RunErrorEvent { runId: string; code: ErrorCode; message: string; nodeId?: string }

export interface ServerToClientEvents {
  'server:info': (info: ServerInfo) => void;
  'run:queued': (e: RunQueuedEvent) => void;
  'node:start': (e: NodeEvent) => void;
  'node:cached': (e: NodeEvent) => void;
  'node:step': (e: NodeStepEvent) => void;
  'node:output': (e: NodeOutputEvent) => void;
  'node:error': (e: NodeErrorEvent) => void;
  'run:done': (e: RunDoneEvent) => void;
  'run:cancelled': (e: RunCancelledEvent) => void;
  'run:error': (e: RunErrorEvent) => void;
}

/** The events a run emits, as a tagged union (how runs are recorded and replayed). */
export type RunEvent = {
  [K in Exclude<keyof ServerToClientEvents, 'server:info'>]: { event: K; payload: Parameters<ServerToClientEvents[K]>[0] };
}[Exclude<keyof ServerToClientEvents, 'server:info'>];

export interface ClientToServerEvents {
  'server:ping': (req: PingRequest, ack: (reply: PingReply | ProtocolError) => void) => void;
  'run:start': (req: RunStartRequest, ack: (reply: RunStartReply) => void) => void;
  'run:cancel': (req: RunRef, ack: (reply: RunCancelReply) => void) => void;
  'run:watch': (req: RunWatchRequest, ack: (reply: RunWatchReply) => void) => void;
}

/** Per-socket data the server keeps (socket.io's `socket.data`). */
export interface SocketData {
  connectedAt: number;
}

export interface InterServerEvents {}

/** One table of error codes for everything that crosses the wire. */
export const ERROR_CODES = {
  BAD_REQUEST: 'the payload did not match the schema',
  PAYLOAD_TOO_LARGE: 'the request is larger than this server accepts',
  INTERNAL: 'the server failed; the message says how',
  ORIGIN_FORBIDDEN: 'the request came from a web page on another origin than the studio (UNCLIP_ALLOWED_ORIGINS lists more)',
  UNSUPPORTED_MEDIA_TYPE: 'a JSON endpoint was sent a body without Content-Type: application/json',
  // graph validation (before anything runs); each names a node and, where there is one, a port
  INVALID_GRAPH: 'the graph was refused; nodeErrors lists every problem',
  GRAPH_SCHEMA: 'the graph JSON does not match the graph schema',
  GRAPH_TOO_LARGE: 'the graph has more nodes, edges or bytes than this server allows',
  DUPLICATE_NODE_ID: 'two nodes share an id',
  UNKNOWN_NODE_TYPE: 'no node type of that name',
  NODE_UNAVAILABLE: 'the node type needs a model this server does not have yet',
  NODE_VERSION: 'the node version is newer than the server, or cannot be migrated',
  UNKNOWN_NODE: 'an edge names a node that is not in the graph',
  UNKNOWN_PORT: 'an edge names a port the node type does not have',
  INCOMPATIBLE_LINK: 'the output and input port types do not fit',
  DUPLICATE_INPUT: 'an input is linked more than once',
  CYCLE: 'the node is on a cycle',
  MISSING_INPUT: 'a required input is not linked',
  BYPASS_IMPOSSIBLE: 'a bypassed node has an output that none of its inputs can feed, or that would pass an input that is not linked',
  UNKNOWN_PARAM: 'the node type has no param of that name',
  PARAM_TYPE: 'a param has the wrong type',
  PARAM_OUT_OF_RANGE: 'a param is outside its range or options',
  TEXT_TOO_LONG: 'a prompt is longer than this server allows',
  EMPTY_PROMPT: 'a prompt is empty, or has no word the installed CLIP knows (unknown words alone are only a warning)',
  IMAGE_TOO_LARGE: 'an uploaded image has more bytes or pixels than this server allows',
  IMAGE_UNREADABLE: 'an uploaded image is not a readable PNG, JPEG or WebP',
  TOO_MANY_STEPS: 'more sampling steps than this server allows',
  BATCH_TOO_LARGE: 'a batch or sweep larger than this server allows',
  BAD_SWEEP: 'a sweep node names no node, a node that runs nothing (or is bypassed or muted), an image param, the same param twice, or no values',
  MODEL_MISSING: 'the model weights the node needs are not installed',
  MODEL_MISMATCH: 'the model was trained for other CLIP weights than the ones installed',
  // running
  TOO_MANY_QUEUED: 'this client (socket, or all sockets from its address) already has as many runs queued as the server allows',
  UNKNOWN_RUN: 'no run with that id (or it has been forgotten)',
  UNKNOWN_CORPUS_KEY: 'no corpus image with that key',
  INPUT_MISMATCH: 'inputs do not fit together at run time (widths, batch sizes)',
  NODE_FAILED: 'the node failed while running; the message says how',
  WORKER_CRASHED: 'the worker running the node died',
  CANCELLED: 'the run was cancelled',
  SERVER_BUSY: 'the server has as many runs queued as it allows, from all clients; try again later',
  RUN_TOO_EXPENSIVE: 'the run would cost more compute (steps × images × model cost) than this server allows per run',
  // storage
  NOT_FOUND: 'no such graph or run',
  FORBIDDEN: 'the edit token is missing or wrong',
  RATE_LIMITED: 'too many state-changing requests from this address; retry after the Retry-After header\'s seconds',
  STORE_FAILED: 'the server could not write to its database (disk or UNCLIP_MAX_DB_MB full, or a write error); nothing half-written is kept',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error reply lists at most this many problems (its message gives the full count). */
export const MAX_LISTED_PROBLEMS = 50;
/** User text (ids, names, values) quoted in an error message is cut to this many characters. */
export const MAX_ECHO_CHARS = 80;

/** User text as an error message may quote it: cut to `max` characters, saying how long it was. */
export function echo(text: string, max: number = MAX_ECHO_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}

export interface ProtocolError {
  ok: false;
  error: { code: ErrorCode; message: string; nodeErrors?: NodeError[] };
}

export function protocolError(code: ErrorCode, message: string = ERROR_CODES[code]): ProtocolError {
  return { ok: false, error: { code, message } };
}

/** Parse what arrived from the network; never trust a payload's shape. */
export function parsePayload<S extends z.ZodTypeAny>(
  schema: S,
  payload: unknown,
): { ok: true; value: z.infer<S> } | ProtocolError {
  const r = schema.safeParse(payload);
  if (r.success) return { ok: true, value: r.data };
  return protocolError('BAD_REQUEST', formatZodIssues(r.error));
}

/**
 * One line listing the schema problems, each with its path: what BAD_REQUEST messages say. Both
 * are bounded (a path or a message such as "Unrecognized key(s)" may quote any amount of user
 * text): at most MAX_LISTED_PROBLEMS problems, each part cut with `echo`.
 */
export function formatZodIssues(error: z.ZodError): string {
  const listed = error.issues.slice(0, MAX_LISTED_PROBLEMS).map((i) => `${echo(i.path.join('.')) || '(root)'}: ${echo(i.message, 4 * MAX_ECHO_CHARS)}`);
  const more = error.issues.length - listed.length;
  return listed.join('; ') + (more > 0 ? `; … and ${more} more` : '');
}

/**
 * Whether a parsed payload holds more than `maxBytes` (strings and binary by length, plus a few
 * bytes per key and value): checked before a schema walks it. Stops as soon as it is over, and
 * walks without recursion, so neither a huge nor a deeply nested payload costs more than the limit.
 */
export function exceedsBytes(value: unknown, maxBytes: number): boolean {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    n += 8;
    if (typeof v === 'string') n += v.length;
    else if (v instanceof Uint8Array || v instanceof ArrayBuffer) n += v.byteLength;
    else if (Array.isArray(v)) {
      for (const x of v) {
        if ((n += 1) > maxBytes) return true;
        stack.push(x);
      }
    }
    else if (v && typeof v === 'object') {
      for (const k in v) {
        n += k.length + 8;
        if (n > maxBytes) return true;
        if (Object.hasOwn(v, k)) stack.push((v as Record<string, unknown>)[k]);
      }
    }
    if (n > maxBytes) return true;
  }
  return false;
}
