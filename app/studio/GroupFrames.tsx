'use client';
// Groups drawn on the canvas: a titled frame around each group's nodes (modesAndGroups.ts), in
// the flow's coordinates under the cards. The frame follows its nodes (its box is theirs, plus a
// margin and the title bar above them), so it needs no position of its own; dragging the title
// bar moves the nodes, a click on it selects them, a double-click renames the group and × removes
// the frame (the nodes stay). The frame's body lets clicks through to the canvas and cards.
import { useRef } from 'react';
import { ViewportPortal, useStore as useFlow } from '@xyflow/react';
import type { GraphGroup } from '../../protocol';
import type { StudioNode } from '../lib/graphModel';
import { useStudio } from './store';

/** Margin around the nodes, and the title bar's height above them (flow px). */
const PAD = 16;
const HEAD = 30;

/** The frame's box in flow coordinates, or null when none of its nodes is on the canvas. */
export function groupBox(g: GraphGroup, nodes: StudioNode[]): { x: number; y: number; w: number; h: number } | null {
  const members = nodes.filter((n) => g.nodes.includes(n.id));
  if (!members.length) return null;
  const x0 = Math.min(...members.map((n) => n.position.x)) - PAD;
  const y0 = Math.min(...members.map((n) => n.position.y)) - PAD - HEAD;
  const x1 = Math.max(...members.map((n) => n.position.x + (n.measured?.width ?? 240))) + PAD;
  const y1 = Math.max(...members.map((n) => n.position.y + (n.measured?.height ?? 120))) + PAD;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** The group's title, or the field that edits it (a double-click on the title bar, or Ctrl+G's new group). */
function GroupTitle({ group, editable }: { group: GraphGroup; editable: boolean }) {
  const renaming = useStudio((s) => s.renamingGroup === group.id);
  const setRenaming = useStudio((s) => s.setRenamingGroup);
  const rename = useStudio((s) => s.renameGroup);
  const done = useRef(false);
  if (!renaming || !editable) {
    return (
      <span className="group-title" data-testid={`group-title-${group.id}`}>
        {group.title}
      </span>
    );
  }
  const finish = (value: string | null) => {
    if (done.current) return;
    done.current = true;
    if (value === null) setRenaming(null);
    else rename(group.id, value);
  };
  return (
    <input
      className="group-title-edit"
      aria-label={`title of ${group.id}`}
      data-testid={`group-title-edit-${group.id}`}
      defaultValue={group.title}
      maxLength={200}
      autoFocus
      onFocus={(e) => ((done.current = false), e.target.select())}
      onPointerDown={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Enter') finish(e.currentTarget.value);
        else if (e.key === 'Escape') finish(null);
      }}
      onBlur={(e) => finish(e.target.value)}
    />
  );
}

function GroupFrame({ group, nodes, readOnly }: { group: GraphGroup; nodes: StudioNode[]; readOnly: boolean }) {
  const zoom = useFlow((s) => s.transform[2]);
  const record = useStudio((s) => s.record);
  const moveGroup = useStudio((s) => s.moveGroup);
  const selectGroup = useStudio((s) => s.selectGroup);
  const ungroup = useStudio((s) => s.ungroup);
  const setRenaming = useStudio((s) => s.setRenamingGroup);
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const box = groupBox(group, nodes);
  if (!box) return null;
  return (
    <div className="group-frame" data-testid={`group-${group.id}`} style={{ transform: `translate(${box.x}px, ${box.y}px)`, width: box.w, height: box.h }}>
      <div
        className="group-head nopan nodrag nowheel"
        data-testid={`group-head-${group.id}`}
        onPointerDown={(e) => {
          if (readOnly || e.button !== 0) return;
          e.currentTarget.setPointerCapture(e.pointerId);
          drag.current = { x: e.clientX, y: e.clientY, moved: false };
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d) return;
          if (!d.moved) record(); // the whole drag is one undo step
          d.moved = true;
          moveGroup(group.id, (e.clientX - d.x) / zoom, (e.clientY - d.y) / zoom);
          d.x = e.clientX;
          d.y = e.clientY;
        }}
        onPointerUp={() => {
          if (drag.current && !drag.current.moved) selectGroup(group.id);
          drag.current = null;
        }}
        // on the bar, not the title: the bar holds the pointer (capture) from the first click on
        onDoubleClick={readOnly ? undefined : () => setRenaming(group.id)}
      >
        <GroupTitle group={group} editable={!readOnly} />
        {readOnly ? null : (
          <button type="button" className="group-remove" title="Ungroup: remove the frame, keep the nodes" aria-label={`ungroup ${group.title}`} data-testid={`ungroup-${group.id}`} onPointerDown={(e) => e.stopPropagation()} onClick={() => ungroup(group.id)}>
            ×
          </button>
        )}
      </div>
    </div>
  );
}

export function GroupFrames({ readOnly }: { readOnly: boolean }) {
  const groups = useStudio((s) => s.groups);
  const nodes = useStudio((s) => s.nodes);
  if (!groups.length) return null;
  return (
    <ViewportPortal>
      {groups.map((g) => <GroupFrame key={g.id} group={g} nodes={nodes} readOnly={readOnly} />)}
    </ViewportPortal>
  );
}
