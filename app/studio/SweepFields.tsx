'use client';
// A sweep node's axis pickers in the inspector: each axis's node from a list of the graph's nodes
// that run something (by title and id), and its param from that node's sweepable params
// (protocol/sweep.ts: not image uploads), so a sweep cannot name a node or param that is not
// there by a typo. The graph keeps storing plain strings (the node id, the param name); a stored
// name the graph no longer has stays shown, marked, until another is picked (the server refuses it
// with BAD_SWEEP / UNKNOWN_PARAM as before). The values stay free text (ParamField).
import { useId } from 'react';
import { SWEEP_AXIS_PARAMS, sweepableNode, sweepableParams, type Catalogue, type NodeDecl } from '../../protocol';
import { declOf, type StudioNode } from '../lib/graphModel';

/** The sweep params this file edits (the values are ParamField's). */
export const SWEEP_PICKED = new Set<string>(SWEEP_AXIS_PARAMS.flatMap((a) => [a.node, a.param]));

interface Props {
  node: StudioNode;
  nodes: StudioNode[];
  catalogue: Catalogue | null;
  disabled: boolean;
  onParam: (name: string, v: unknown) => void;
}

/** The param a newly picked node is swept over: the one named now if it has it, else its seed, else its first. */
function keepOrFirst(decl: NodeDecl | undefined, now: string): string {
  const names = decl ? sweepableParams(decl).map((p) => p.name) : [];
  return names.includes(now) ? now : names.includes('seed') ? 'seed' : (names[0] ?? now);
}

function Axis({ node, nodes, catalogue, disabled, onParam, axis }: Props & { axis: number }) {
  const id = useId();
  const names = SWEEP_AXIS_PARAMS[axis]!;
  const decl = declOf(catalogue, 'sweep');
  const title = (name: string) => decl?.params.find((p) => p.name === name)?.title ?? name;
  const target = String(node.data.params[names.node] ?? '').trim();
  const param = String(node.data.params[names.param] ?? '');
  const candidates = nodes.filter((n) => n.id !== node.id && (declOf(catalogue, n.data.type) ? sweepableNode(declOf(catalogue, n.data.type)!) : false));
  const targetNode = nodes.find((n) => n.id === target);
  const targetDecl = targetNode ? declOf(catalogue, targetNode.data.type) : undefined;
  const params = targetDecl && sweepableNode(targetDecl) ? sweepableParams(targetDecl) : [];
  const pickNode = (to: string) => {
    onParam(names.node, to);
    const d = declOf(catalogue, nodes.find((n) => n.id === to)?.data.type ?? '');
    const p = keepOrFirst(d, param);
    if (to && p !== param) onParam(names.param, p);
  };
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-node`}>{title(names.node).replace(' id', '')}</label>
        <select id={`${id}-node`} value={target} disabled={disabled} data-testid={`sweep-pick-${names.node}`} onChange={(e) => pickNode(e.target.value)}>
          <option value="">{axis === 0 ? '— pick a node —' : '— none: one row —'}</option>
          {candidates.map((n) => {
            const held = n.data.mode === 'bypass' ? ' · bypassed' : n.data.mode === 'mute' ? ' · muted' : '';
            return (
              <option key={n.id} value={n.id} disabled={held !== ''}>
                {`${n.data.title || declOf(catalogue, n.data.type)?.title || n.data.type} (${n.id})${held}`}
              </option>
            );
          })}
          {target && !candidates.some((n) => n.id === target) ? <option value={target}>{`${target} (${targetNode ? 'runs nothing to sweep' : 'not in the graph'})`}</option> : null}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-param`}>{title(names.param)}</label>
        <select id={`${id}-param`} value={param} disabled={disabled || !target} data-testid={`sweep-pick-${names.param}`} onChange={(e) => onParam(names.param, e.target.value)}>
          {params.map((p) => (
            <option key={p.name} value={p.name}>{p.title === p.name ? p.name : `${p.title} (${p.name})`}</option>
          ))}
          {!params.some((p) => p.name === param) ? <option value={param}>{target && targetDecl ? `${param} (not a param of ${target})` : param}</option> : null}
        </select>
      </div>
    </>
  );
}

/** The picker for one of SWEEP_PICKED's params: each axis renders at its node param, nothing at its param param. */
export function SweepPick({ name, ...props }: Props & { name: string }) {
  const axis = SWEEP_AXIS_PARAMS.findIndex((a) => a.node === name);
  return axis >= 0 ? <Axis {...props} axis={axis} /> : null;
}
