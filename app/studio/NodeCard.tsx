'use client';
// One node on the canvas: title and state, typed coloured handles (inputs left, outputs right),
// a short body (a note's markdown, a prompt with its unknown words underlined), what the node
// made in the current run, the problems the server found on it and its ports, and its number
// fields' texts that are not values yet (store.ts drafts). It selects from the store only its
// own node's run state, so another node's step does not re-render it.
import { memo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { Handle, Position, useStore as useFlow, type NodeProps } from '@xyflow/react';
import { describePortType, type PortDecl } from '../../protocol';
import { declOf, heldNodes, type StudioNode } from '../lib/graphModel';
import { problemsFor, type NodeRun } from '../lib/runState';
import { renderMarkdown } from '../lib/markdownView';
import { NodeOutputs } from './NodeOutputs';
import { portColor } from './ports';
import { PromptPreview } from './PromptPreview';
import { SweepGrid } from './SweepGrid';
import { countRender } from './renderCount';
import { draftsOf, readWordsOf, unknownWordsOf, useStudio } from './store';

/** How much of a note a canvas card renders (its box shows a few lines; the notebook view shows all). */
const CARD_NOTE_CHARS = 1000;

function Port({ port, side, bad }: { port: PortDecl; side: 'in' | 'out'; bad?: string }) {
  const type = describePortType(port.type);
  return (
    <div className={`port port-${side}`} data-port={port.name} data-bad={bad ? 'true' : undefined} title={bad ?? `${port.title}: ${type}`}>
      <Handle
        type={side === 'in' ? 'target' : 'source'}
        position={side === 'in' ? Position.Left : Position.Right}
        id={port.name}
        className="handle"
        style={{ background: portColor(port.type) }}
        aria-label={`${side === 'in' ? 'input' : 'output'} ${port.title} (${type})`}
      />
      <span className="port-name">
        {port.title}
        {side === 'in' && port.required === false ? <span className="muted"> (optional)</span> : null}
      </span>
    </div>
  );
}

/** Why the node will not run (Ctrl+B, Ctrl+M; protocol/modes.ts), from the graph as it stands. */
const HOLD_TITLE = {
  bypassed: 'Bypassed (Ctrl+B): not run; its outputs pass on its inputs',
  muted: 'Muted (Ctrl+M): not run, nor what needs it',
  skipped: 'Skipped: it needs the output of a muted node',
} as const;

function StatusBadge({ id, run, hasProblems }: { id: string; run?: NodeRun; hasProblems: boolean }) {
  const status = hasProblems ? 'error' : (run?.status ?? 'idle');
  let text: string = status;
  if (status === 'running' && run?.total) text = `step ${run.step}/${run.total}`;
  if (status === 'done') text = run?.ms !== undefined ? `done ${Math.round(run.ms)} ms` : 'done';
  if (status === 'skipped') text = 'not run';
  return (
    <span className="badges">
      {run?.cached ? <span className="badge cached" data-testid={`cached-${id}`}>cached</span> : null}
      <span className={`badge status-${status}`} data-testid={`status-${id}`} data-status={status}>
        {text}
      </span>
    </span>
  );
}

/** A text node's prompt, with the words the CLIP encoders it feeds did not know, and how they read its emoji. */
function TextPrompt({ id, text }: { id: string; text: string }) {
  const unknown = useStudio(useShallow((s) => unknownWordsOf(s, id)));
  const read = useStudio(useShallow((s) => readWordsOf(s, id)));
  return <PromptPreview text={text} unknown={unknown} read={read} />;
}

/** The node's title; a double-click (or F2, or the menu) edits it in place: Enter or leaving keeps it, Esc does not. */
function NodeTitle({ id, title }: { id: string; title: string }) {
  const renaming = useStudio((s) => s.renaming === id);
  const setRenaming = useStudio((s) => s.setRenaming);
  const rename = useStudio((s) => s.rename);
  const editable = useFlow((s) => s.nodesConnectable);
  const done = useRef(false);
  if (!renaming) {
    return (
      <span className="node-title" data-testid={`title-${id}`} onDoubleClick={editable ? () => ((done.current = false), setRenaming(id)) : undefined}>
        {title}
      </span>
    );
  }
  const finish = (value: string | null) => {
    if (done.current) return;
    done.current = true;
    if (value === null) setRenaming(null);
    else rename(id, value);
  };
  return (
    <input
      className="node-title-edit nodrag"
      aria-label={`title of ${id}`}
      data-testid={`title-edit-${id}`}
      defaultValue={title}
      maxLength={200}
      autoFocus
      onFocus={(e) => ((done.current = false), e.target.select())}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Enter') finish(e.currentTarget.value);
        else if (e.key === 'Escape') finish(null);
      }}
      onBlur={(e) => finish(e.target.value)}
    />
  );
}

export const NodeCard = memo(function NodeCard({ id, data, selected }: NodeProps<StudioNode>) {
  countRender(id);
  const catalogue = useStudio((s) => s.catalogue);
  const nr = useStudio((s) => s.run.nodes[id]);
  const runProblems = useStudio((s) => s.run.problems);
  const decl = declOf(catalogue, data.type);
  const drafts = useStudio(useShallow((s) => draftsOf(s, id)));
  const problems = problemsFor(runProblems, id, nr);
  const portProblem = (name: string) => problems.find((p) => p.port === name)?.message;
  const status = problems.length || drafts.length ? 'error' : (nr?.status ?? 'idle');
  const progress = nr?.status === 'running' && nr.total ? (nr.step ?? 0) / nr.total : null;
  const hold = useStudio((s) => heldNodes(s.nodes, s.edges, s.catalogue).get(id));
  return (
    <div
      className={`node-card cat-${decl?.category ?? 'unknown'}${decl?.passive ? ' passive' : ''}${selected ? ' selected' : ''}${data.collapsed ? ' collapsed' : ''}${hold ? ` held-${hold}` : ''}`}
      data-status={status}
      data-hold={hold}
      data-testid={`node-${id}`}
      data-type={data.type}
    >
      <header className="node-head">
        <NodeTitle id={id} title={data.title ?? decl?.title ?? data.type} />
        {hold ? <span className={`badge hold-${hold}`} data-testid={`hold-${id}`} title={HOLD_TITLE[hold]}>{hold}</span> : null}
        {decl?.passive || hold ? null : <StatusBadge id={id} run={nr} hasProblems={problems.length + drafts.length > 0} />}
      </header>
      {progress !== null ? <div className="progress" style={{ width: `${progress * 100}%` }} /> : null}
      {!decl ? <p className="problem">unknown node type “{data.type}”</p> : null}
      {decl && (decl.inputs.length > 0 || decl.outputs.length > 0) ? (
        <div className="ports">
          <div className="ports-in">{decl.inputs.map((p) => <Port key={p.name} port={p} side="in" bad={portProblem(p.name)} />)}</div>
          <div className="ports-out">{decl.outputs.map((p) => <Port key={p.name} port={p} side="out" bad={portProblem(p.name)} />)}</div>
        </div>
      ) : null}
      {data.collapsed ? null : <NodeBody id={id} data={data} nr={nr} problems={problems} drafts={drafts} />}
    </div>
  );
});

/** Everything below the ports (not shown while the node is collapsed to its header). */
function NodeBody({ id, data, nr, problems, drafts }: { id: string; data: StudioNode['data']; nr?: NodeRun; problems: ReturnType<typeof problemsFor>; drafts: ReturnType<typeof draftsOf> }) {
  return (
    <>
      {data.type === 'note' ? <div className="markdown nowheel">{String(data.params.markdown ?? '').trim() ? renderMarkdown(String(data.params.markdown), CARD_NOTE_CHARS) : <em className="muted">empty note: write markdown in the inspector</em>}</div> : null}
      {data.type === 'text' ? <TextPrompt id={id} text={String(data.params.text ?? '')} /> : null}
      {data.type === 'sweep' ? <SweepGrid id={id} params={data.params} /> : null}
      {nr ? <NodeOutputs nodeId={id} nodeType={data.type} run={nr} skipText={data.type === 'text'} /> : null}
      {problems.length || drafts.length ? (
        <ul className="problems" data-testid={`problems-${id}`}>
          {problems.map((p, i) => (
            <li key={i}>
              <code>{p.code}</code>
              {p.port ? <> on <b>{p.port}</b></> : null}: {p.message}
            </li>
          ))}
          {drafts.map((d) => (
            <li key={d.param} data-testid={`draft-${id}-${d.param}`}>
              <b>{d.title}</b> “{d.text}”: {d.message}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
