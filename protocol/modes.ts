// Bypass and mute, the two ways ComfyUI users take a node out of a run without unlinking it.
// - bypass: the node does not run; each output passes on the value of the first input whose
//   type fits it (portsCompatible, the rule links follow). A node with an output that no input
//   fits cannot be bypassed (bypassRoutes says why).
// - mute: the node does not run, and neither does any node that takes an input from it
//   (through bypassed nodes too): those are "skipped", not errors.
// One function (planModes) decides both, for the server's plan (validate.ts: what runs, and
// each running node's inputs followed through bypassed nodes to the node that really gives
// them, so cache keys name the real source) and for the studio's cards.
import { describePortType, portsCompatible, type NodeDecl } from './graph.js';

export type NodeMode = 'bypass' | 'mute';
/** Why a node does not run: its own mode, or `skipped`: an input it takes comes from a muted or skipped node. */
export type NodeHold = 'bypassed' | 'muted' | 'skipped';

/** For each output, the input a bypassed node passes to it; or why the node cannot be bypassed. */
export function bypassRoutes(decl: NodeDecl): { ok: true; routes: Map<string, string> } | { ok: false; reason: string } {
  const routes = new Map<string, string>();
  for (const out of decl.outputs) {
    const from = decl.inputs.find((i) => portsCompatible(i.type, out.type));
    if (!from) {
      const why = decl.inputs.length ? `none of its inputs (${decl.inputs.map((i) => describePortType(i.type)).join(', ')}) gives` : 'it has no input to pass on as';
      return { ok: false, reason: `${decl.title} cannot be bypassed: ${why} its ${describePortType(out.type)} output "${out.name}"` };
    }
    routes.set(out.name, from.name);
  }
  return { ok: true, routes };
}

/** What planModes reads of a graph (the server's plan and the studio's canvas both give it). */
export interface ModeGraph {
  /** Node ids (any order). */
  ids: readonly string[];
  mode(id: string): NodeMode | undefined;
  decl(id: string): NodeDecl | undefined;
  /** A node's linked inputs: port → [source node, source port]. */
  inputs(id: string): ReadonlyMap<string, readonly [string, string]> | undefined;
}

export interface ModePlan {
  /** The nodes that do not run, and why. */
  held: Map<string, NodeHold>;
  /** Each node's inputs, followed through bypassed nodes to the node that really gives each value. */
  inputs: Map<string, Map<string, [string, string]>>;
  /** Bypasses that cannot work (BYPASS_IMPOSSIBLE). */
  problems: { nodeId: string; port?: string; message: string }[];
}

/** Which nodes run and what feeds them, given the nodes' modes. The graph must have no cycles (validate.ts checks first; the canvas refuses them). */
export function planModes(g: ModeGraph): ModePlan {
  const held = new Map<string, NodeHold>();
  const inputs = new Map<string, Map<string, [string, string]>>();
  const problems: ModePlan['problems'] = [];
  // what each bypassed node passes on, by output port (absent: nothing to pass)
  const passes = new Map<string, Map<string, [string, string] | undefined>>();
  const done = new Set<string>();
  const visit = (id: string) => {
    if (done.has(id)) return;
    done.add(id); // before the inputs: a cycle (never in a checked graph) cannot recurse forever
    const ins = new Map<string, [string, string]>();
    let starved = false;
    for (const [port, [src, srcPort]] of g.inputs(id) ?? []) {
      visit(src);
      const h = held.get(src);
      if (h === 'muted' || h === 'skipped') starved = true;
      else if (h === 'bypassed') {
        const p = passes.get(src);
        const through = p?.get(srcPort);
        if (through) ins.set(port, through);
        else {
          starved = true;
          // (no `p`: the node cannot be bypassed at all, reported on it already)
          const from = p && bypassRoutes(g.decl(src)!);
          if (from?.ok) problems.push({ nodeId: src, port: srcPort, message: `bypassed: its output "${srcPort}" would pass its input "${from.routes.get(srcPort)}", which is not linked (${id} takes it)` });
        }
      } else ins.set(port, [src, srcPort]);
    }
    inputs.set(id, ins);
    const mode = g.mode(id);
    if (mode === 'mute') held.set(id, 'muted');
    else if (starved) held.set(id, 'skipped');
    else if (mode === 'bypass') {
      held.set(id, 'bypassed');
      const decl = g.decl(id);
      if (!decl) return;
      const r = bypassRoutes(decl);
      if (!r.ok) return void problems.push({ nodeId: id, message: r.reason });
      const out = new Map<string, [string, string] | undefined>();
      for (const [o, i] of r.routes) out.set(o, ins.get(i));
      passes.set(id, out);
    }
  };
  for (const id of g.ids) visit(id);
  return { held, inputs, problems };
}
