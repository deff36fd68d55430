// Checking a graph: `validateGraph` checks a graph against a node catalogue and the server's
// limits and lists EVERY problem it finds (never only the first), each naming its node, port and
// a stable code from the one error table in events.ts. It is pure (zod only), so the browser can
// run the same checks before it sends a graph; the server runs it again and adds what needs the
// server (uploaded image pixels, model weights present). The params it hands out are exactly what
// graph.ts's ParamValues promises for each declaration, which is what lets nodes read them typed.
import { echo, MAX_LISTED_PROBLEMS, type ErrorCode } from './events.js';
import { planModes, type NodeHold } from './modes.js';
import { describePortType, GraphSchema, portsCompatible, type Catalogue, type Graph, type GraphNode, type Limits, type NodeDecl, type ParamDecl, type PortDecl } from './graph.js';
import { planSweep, SWEEP_NODE_TYPE, type CheckValue, type SweepPlan } from './sweep.js';

export interface NodeError {
  /** The node the problem is on; null for whole-graph problems (size, top-level schema). */
  nodeId: string | null;
  /** The port (input or output name) or param name concerned, when there is one. */
  port?: string;
  code: ErrorCode;
  message: string;
}

/** A node type's migration from older saved versions, supplied with the catalogue on the server. */
export type Migrations = Record<string, ((version: number, params: Record<string, unknown>) => Record<string, unknown>) | undefined>;

export interface ValidateOptions {
  catalogue: Catalogue;
  /** Server-side migrations by node type; absent in the browser (it then refuses old versions). */
  migrations?: Migrations;
}

export interface ValidGraph {
  graph: Graph;
  /** The ids of the nodes that run, in execution (topological) order; ties broken by the graph's node order. */
  order: string[];
  /** The nodes that do not run (bypassed, muted, or skipped after a muted one: modes.ts); in no other field but params. */
  held: Map<string, NodeHold>;
  /** Params per node with defaults filled in (and migrated). */
  params: Map<string, Record<string, unknown>>;
  /** For each node that runs, its linked inputs: port → [source node, source port], a bypassed source followed to what it passes on. */
  inputs: Map<string, Map<string, [string, string]>>;
  /** A sweep node's variants (protocol/sweep.ts): the graph runs once per variant. */
  sweep?: SweepPlan;
}

/** How many bytes an image param value holds (a data: URL is measured decoded). */
export function imageParamBytes(v: unknown): number | null {
  if (v instanceof Uint8Array) return v.byteLength;
  if (v instanceof ArrayBuffer) return v.byteLength;
  if (typeof v === 'string') {
    const m = /^data:image\/(png|jpeg|webp);base64,([A-Za-z0-9+/=]*)$/.exec(v);
    if (!m) return null;
    const b64 = m[2]!;
    const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
    return Math.floor((b64.length * 3) / 4) - pad;
  }
  return null;
}

/** More params than any node type declares; a node with more is refused before they are read one by one. */
/** A number/integer param's allowed range as the studio shows it ("1 … 100", "0 … ∞"). */
export function paramRange(p: Pick<ParamDecl, 'min' | 'max'>): string {
  return `${p.min ?? '−∞'} … ${p.max ?? '∞'}`;
}

/**
 * What is wrong with a finite number for a number/integer param (not whole, out of its declared
 * range), or null: validateGraph's check, and the studio's number fields say the same.
 */
export function numberParamProblem(p: Pick<ParamDecl, 'kind' | 'min' | 'max'>, v: number): { code: 'PARAM_TYPE' | 'PARAM_OUT_OF_RANGE'; message: string } | null {
  if (p.kind === 'integer' && !Number.isInteger(v)) return { code: 'PARAM_TYPE', message: `wants a whole number, got ${v}` };
  if ((p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max)) return { code: 'PARAM_OUT_OF_RANGE', message: `${v} is outside ${paramRange(p)}` };
  return null;
}

/** The most characters a string param may hold here: its own maxLength, and for a prompt (`limit: 'text'`) the server's limit if smaller. */
export function stringMaxLength(p: Pick<ParamDecl, 'limit' | 'maxLength'>, limits: Pick<Limits, 'maxTextChars'>): number | undefined {
  return p.limit === 'text' ? Math.min(limits.maxTextChars, p.maxLength ?? Infinity) : p.maxLength;
}

export const MAX_PARAMS_PER_NODE = 64;

/**
 * A refusal: the problems found, at most MAX_LISTED_PROBLEMS of them (a reply stays small
 * whatever was sent); `omitted` counts the ones found beyond those.
 */
export type GraphProblems = { ok: false; errors: NodeError[]; omitted?: number };

/** Parse and check a graph. Returns every problem found (up to the listing cap), or the graph with its execution plan. */
export function validateGraph(input: unknown, opts: ValidateOptions): { ok: true; value: ValidGraph } | GraphProblems {
  const { catalogue } = opts;
  const limits = catalogue.limits;
  const errors: NodeError[] = [];
  let omitted = 0;
  const err = (nodeId: string | null, code: ErrorCode, message: string, port?: string) => {
    if (errors.length >= MAX_LISTED_PROBLEMS) omitted++;
    else errors.push(port === undefined ? { nodeId, code, message } : { nodeId, port, code, message });
  };
  const refused = (): GraphProblems => (omitted > 0 ? { ok: false, errors, omitted } : { ok: false, errors });

  // Size first, before zod walks a huge array or a node's huge params.
  if (input && typeof input === 'object') {
    const g = input as { nodes?: unknown; edges?: unknown };
    if (Array.isArray(g.nodes) && g.nodes.length > limits.maxNodes) err(null, 'GRAPH_TOO_LARGE', `${g.nodes.length} nodes; at most ${limits.maxNodes}`);
    if (Array.isArray(g.edges) && g.edges.length > limits.maxEdges) err(null, 'GRAPH_TOO_LARGE', `${g.edges.length} edges; at most ${limits.maxEdges}`);
    if (Array.isArray(g.nodes) && !errors.length) {
      for (const [i, n] of g.nodes.entries()) {
        const params = (n as { params?: unknown } | null)?.params;
        if (!params || typeof params !== 'object') continue;
        let count = 0;
        for (const _ in params) if (++count > MAX_PARAMS_PER_NODE) break;
        if (count > MAX_PARAMS_PER_NODE) err(rawId(n, i), 'GRAPH_TOO_LARGE', `more than ${MAX_PARAMS_PER_NODE} params`);
      }
    }
    if (errors.length) return refused();
  }

  const parsed = GraphSchema.safeParse(input);
  if (!parsed.success) {
    const raw = input as { nodes?: unknown[] } | null;
    for (const issue of parsed.error.issues) {
      // Name the node when the problem sits inside nodes[i] and that node has a readable id.
      let nodeId: string | null = null;
      let port: string | undefined;
      if (issue.path[0] === 'nodes' && typeof issue.path[1] === 'number') {
        nodeId = rawId(raw?.nodes?.[issue.path[1]], issue.path[1]);
        if (issue.path[2] === 'params' && typeof issue.path[3] === 'string') port = echo(issue.path[3]);
      }
      err(nodeId, 'GRAPH_SCHEMA', `${echo(issue.path.join('.')) || '(root)'}: ${echo(issue.message, 320)}`, port);
    }
    return refused();
  }
  const graph = parsed.data;

  const decls = new Map(catalogue.nodes.map((d) => [d.type, d]));
  const planned = new Set(catalogue.planned);
  const nodeById = new Map<string, GraphNode>();
  const declById = new Map<string, NodeDecl>();
  const params = new Map<string, Record<string, unknown>>();

  for (const node of graph.nodes) {
    if (nodeById.has(node.id)) {
      err(node.id, 'DUPLICATE_NODE_ID', `two nodes have the id "${node.id}"`);
      continue;
    }
    nodeById.set(node.id, node);
    const decl = decls.get(node.type);
    if (!decl) {
      if (planned.has(node.type)) err(node.id, 'NODE_UNAVAILABLE', `node type "${node.type}" needs a model this server does not have yet`);
      else err(node.id, 'UNKNOWN_NODE_TYPE', `unknown node type "${node.type}"`);
      continue;
    }
    let p: Record<string, unknown> = node.params;
    if (node.version > decl.version) {
      err(node.id, 'NODE_VERSION', `${node.type} v${node.version} is newer than this server's v${decl.version}`);
      continue;
    }
    if (node.version < decl.version) {
      const migrate = opts.migrations?.[node.type];
      if (!migrate) {
        err(node.id, 'NODE_VERSION', `${node.type} v${node.version} cannot be migrated to v${decl.version}`);
        continue;
      }
      try {
        p = migrate(node.version, { ...p });
      } catch (e) {
        err(node.id, 'NODE_VERSION', `migrating ${node.type} v${node.version}: ${(e as Error).message}`);
        continue;
      }
    }
    declById.set(node.id, decl);
    params.set(node.id, checkParams(node.id, decl, p, limits, err));
  }

  // Edges: ports exist, types fit, one link per input.
  const inputs = new Map<string, Map<string, [string, string]>>();
  const outgoing = new Map<string, Set<string>>();
  for (const e of graph.edges) {
    const fromDecl = declById.get(e.from.node);
    const toDecl = declById.get(e.to.node);
    let ok = true;
    if (!nodeById.has(e.from.node)) {
      err(e.to.node, 'UNKNOWN_NODE', `edge from unknown node "${e.from.node}"`, e.to.port);
      ok = false;
    }
    if (!nodeById.has(e.to.node)) {
      err(e.from.node, 'UNKNOWN_NODE', `edge to unknown node "${e.to.node}"`, e.from.port);
      ok = false;
    }
    if (!ok || !fromDecl || !toDecl) continue; // unknown types were already reported
    const out = fromDecl.outputs.find((p) => p.name === e.from.port);
    const inp = toDecl.inputs.find((p) => p.name === e.to.port);
    if (!out) err(e.from.node, 'UNKNOWN_PORT', `${fromDecl.type} has no output "${e.from.port}" (has ${names(fromDecl.outputs)})`, e.from.port);
    if (!inp) err(e.to.node, 'UNKNOWN_PORT', `${toDecl.type} has no input "${e.to.port}" (has ${names(toDecl.inputs)})`, e.to.port);
    if (!out || !inp) continue;
    if (!portsCompatible(out.type, inp.type)) {
      err(e.to.node, 'INCOMPATIBLE_LINK', `${e.from.node}.${e.from.port} gives ${describePortType(out.type)}, ${e.to.node}.${e.to.port} takes ${describePortType(inp.type)}`, e.to.port);
      continue;
    }
    let m = inputs.get(e.to.node);
    if (!m) inputs.set(e.to.node, (m = new Map()));
    if (m.has(e.to.port)) {
      err(e.to.node, 'DUPLICATE_INPUT', `input "${e.to.port}" is linked more than once`, e.to.port);
      continue;
    }
    m.set(e.to.port, [e.from.node, e.from.port]);
    let o = outgoing.get(e.from.node);
    if (!o) outgoing.set(e.from.node, (o = new Set()));
    o.add(e.to.node);
  }

  // Kahn's algorithm in graph order; whatever is left sits on or behind a cycle.
  const indeg = new Map<string, number>();
  for (const id of nodeById.keys()) indeg.set(id, 0);
  // in-degree counts distinct upstream nodes: one node may feed several inputs of another
  for (const [to, m] of inputs) indeg.set(to, new Set([...m.values()].map(([src]) => src)).size);
  const order: string[] = [];
  const ready = graph.nodes.map((n) => n.id).filter((id, i, a) => a.indexOf(id) === i && indeg.get(id) === 0);
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    // successors in graph order keep the plan stable for the same graph
    for (const n of graph.nodes) {
      if (!outgoing.get(id)?.has(n.id)) continue;
      const d = indeg.get(n.id)! - 1;
      indeg.set(n.id, d);
      if (d === 0) ready.push(n.id);
    }
  }
  if (order.length < nodeById.size) {
    const stuck = [...nodeById.keys()].filter((id) => !order.includes(id));
    // report the nodes that are actually on a cycle (reach themselves), not those merely behind one
    for (const id of stuck) {
      if (reaches(id, id, outgoing)) err(id, 'CYCLE', `node is on a cycle (${stuck.filter((s) => reaches(s, id, outgoing) && reaches(id, s, outgoing)).join(' → ')})`);
    }
    // never hand out a plan that silently leaves nodes out
    if (!errors.some((e) => e.code === 'CYCLE')) for (const id of stuck) err(id, 'CYCLE', 'node cannot be put in execution order');
  }

  // bypass and mute (modes.ts), on a graph without cycles: what runs, fed by what
  const modes = errors.some((e) => e.code === 'CYCLE')
    ? null
    : planModes({ ids: order, mode: (id) => nodeById.get(id)?.mode, decl: (id) => declById.get(id), inputs: (id) => inputs.get(id) });
  for (const p of modes?.problems ?? []) err(p.nodeId, 'BYPASS_IMPOSSIBLE', p.message, p.port);
  const held = modes?.held ?? new Map<string, NodeHold>();
  // a node that does not run needs none of its inputs (mute a half-wired node to run the rest)
  for (const [id, decl] of declById) {
    if (held.has(id)) continue;
    for (const p of decl.inputs) {
      if (p.required !== false && !inputs.get(id)?.has(p.name)) err(id, 'MISSING_INPUT', `input "${p.name}" (${describePortType(p.type)}) is not linked`, p.name);
    }
  }

  // a sweep's values are checked as the swept param's own values would be; a muted sweep node sweeps nothing
  const checkValue: CheckValue = (decl, p, v) => {
    const found: { code: ErrorCode; message: string }[] = [];
    checkParams(decl.type, decl, { [p.name]: v }, limits, (_n, code, message) => found.push({ code, message }));
    return found;
  };
  const sweepNodes = graph.nodes.filter((n) => declById.get(n.id)?.type === SWEEP_NODE_TYPE && !held.has(n.id)).map((n) => ({ id: n.id, params: params.get(n.id)! }));
  const sweep = planSweep(sweepNodes, declById, limits, checkValue, err);
  for (const a of sweep?.axes ?? []) {
    const hold = held.get(a.nodeId);
    if (hold) err(sweep!.nodeId, 'BAD_SWEEP', `"${a.nodeId}" is ${hold} and does not run, so sweeping its ${a.param} changes nothing`);
  }

  if (errors.length || !modes) return refused();
  const runs = order.filter((id) => !held.has(id));
  const value: ValidGraph = { graph, order: runs, params, inputs: new Map(runs.map((id) => [id, modes.inputs.get(id)!])), held };
  return { ok: true, value: sweep ? { ...value, sweep } : value };
}

/** How a problem names a node that may not have passed the schema: its id (cut to size) if it has a string one. */
function rawId(n: unknown, index: number): string {
  const id = (n as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? echo(id) : `nodes[${index}]`;
}

function names(ports: PortDecl[]): string {
  return ports.length ? ports.map((p) => `"${p.name}"`).join(', ') : 'none';
}

function reaches(from: string, target: string, outgoing: Map<string, Set<string>>): boolean {
  const seen = new Set<string>();
  const stack = [...(outgoing.get(from) ?? [])];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === target) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(outgoing.get(n) ?? []));
  }
  return false;
}

function checkParams(
  nodeId: string,
  decl: NodeDecl,
  given: Record<string, unknown>,
  limits: Limits,
  err: (nodeId: string | null, code: ErrorCode, message: string, port?: string) => void,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(given)) {
    if (!decl.params.some((p) => p.name === name)) err(nodeId, 'UNKNOWN_PARAM', `${decl.type} has no param "${echo(name)}"`, echo(name));
  }
  for (const p of decl.params) {
    const v = given[p.name];
    if (v === undefined || v === null) {
      out[p.name] = p.default;
      continue;
    }
    out[p.name] = v;
    const bad = (code: ErrorCode, message: string) => err(nodeId, code, `${p.name}: ${message}`, p.name);
    switch (p.kind) {
      case 'number':
      case 'integer': {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          bad('PARAM_TYPE', `wants a finite number, got ${typeName(v)}`);
          break;
        }
        const wrong = numberParamProblem(p, v);
        if (wrong) bad(wrong.code, wrong.message);
        else if (p.limit === 'steps' && v > limits.maxSteps) bad('TOO_MANY_STEPS', `${v} steps; this server allows at most ${limits.maxSteps}`);
        else if (p.limit === 'batch' && v > limits.maxBatch) bad('BATCH_TOO_LARGE', `${v}; this server allows a batch or sweep of at most ${limits.maxBatch}`);
        break;
      }
      case 'string': {
        if (typeof v !== 'string') {
          bad('PARAM_TYPE', `wants a string, got ${typeName(v)}`);
          break;
        }
        const max = stringMaxLength(p, limits);
        if (max !== undefined && v.length > max) bad(p.limit === 'text' ? 'TEXT_TOO_LONG' : 'PARAM_OUT_OF_RANGE', `${v.length} characters; at most ${max}`);
        break;
      }
      case 'enum':
        if (typeof v !== 'string') bad('PARAM_TYPE', `wants one of ${p.options?.join(', ')}, got ${typeName(v)}`);
        else if (!p.options?.includes(v)) bad('PARAM_OUT_OF_RANGE', `"${echo(v)}" is not one of ${p.options?.join(', ')}`);
        break;
      case 'boolean':
        if (typeof v !== 'boolean') bad('PARAM_TYPE', `wants true or false, got ${typeName(v)}`);
        break;
      case 'image': {
        const n = imageParamBytes(v);
        if (n === null) bad('PARAM_TYPE', `wants image bytes or a data:image/(png|jpeg|webp);base64 URL, got ${typeName(v)}`);
        else if (n > limits.maxUploadBytes) bad('IMAGE_TOO_LARGE', `${n} bytes; at most ${limits.maxUploadBytes}`);
        break;
      }
    }
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'string' ? `the string "${v.length > 20 ? v.slice(0, 20) + '…' : v}"` : typeof v;
}
