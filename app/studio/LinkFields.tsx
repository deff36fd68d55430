'use client';
// Links from the keyboard: each input of the selected node as a select of the outputs that may
// feed it (the same rule as dragging), so a graph can be wired without a pointer.
import { useId } from 'react';
import type { Edge } from '@xyflow/react';
import { describePortType, type Catalogue, type PortDecl } from '../../protocol';
import { connectionProblem, declOf, type StudioNode } from '../lib/graphModel';

const SEP = '\u0000';

function LinkField({ node, port, nodes, edges, catalogue, disabled, onLink }: { node: StudioNode; port: PortDecl; nodes: StudioNode[]; edges: Edge[]; catalogue: Catalogue | null; disabled: boolean; onLink: (target: string, port: string, from: [string, string] | null) => void }) {
  const id = useId();
  const current = edges.find((e) => e.target === node.id && e.targetHandle === port.name);
  const options: { value: string; label: string }[] = [];
  for (const n of nodes) {
    for (const o of declOf(catalogue, n.data.type)?.outputs ?? []) {
      const c = { source: n.id, sourceHandle: o.name, target: node.id, targetHandle: port.name };
      if (connectionProblem(c, nodes, edges, catalogue) === null) options.push({ value: `${n.id}${SEP}${o.name}`, label: `${n.id} · ${o.title}` });
    }
  }
  const value = current ? `${current.source}${SEP}${current.sourceHandle}` : '';
  return (
    <div className="field">
      <label htmlFor={id}>
        {port.title} <span className="muted">({describePortType(port.type)})</span>
      </label>
      <select
        id={id}
        value={value}
        disabled={disabled}
        onChange={(e) => {
          const [src, out] = e.target.value.split(SEP);
          onLink(node.id, port.name, src && out ? [src, out] : null);
        }}
      >
        <option value="">{port.required === false ? '— optional, not linked —' : '— not linked —'}</option>
        {current && !options.some((o) => o.value === value) ? <option value={value}>{`${current.source} · ${current.sourceHandle}`}</option> : null}
        {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>
    </div>
  );
}

export function LinkFields(props: { node: StudioNode; nodes: StudioNode[]; edges: Edge[]; catalogue: Catalogue | null; disabled: boolean; onLink: (target: string, port: string, from: [string, string] | null) => void }) {
  const inputs = declOf(props.catalogue, props.node.data.type)?.inputs ?? [];
  if (!inputs.length) return null;
  return (
    <fieldset className="links">
      <legend>Inputs</legend>
      {inputs.map((p) => <LinkField key={p.name} port={p} {...props} />)}
    </fieldset>
  );
}
