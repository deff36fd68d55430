// Bypass, mute and groups, as a slice of the studio store (store.ts), the way ComfyUI users know
// them: Ctrl+B bypasses the selected nodes (each output passes on an input of its type:
// protocol/modes.ts, which also says why a node cannot be), Ctrl+M mutes them (they and what
// needs them do not run), Ctrl+G puts a titled frame around them (GroupFrames.tsx draws it and
// drags its nodes along). Each edit is one undo step; modes and groups are saved in the graph.
import type { StateCreator } from 'zustand';
import { bypassRoutes, type GraphGroup, type NodeMode } from '../../protocol';
import { declOf, type StudioNode } from '../lib/graphModel';
import type { StudioState } from './store';

export interface ModesAndGroupsSlice {
  /**
   * Give the selected nodes `mode`, or take it off if they all have it. Returns why it could not
   * (a node that cannot be bypassed, a note), changing nothing; null when done.
   */
  toggleMode(mode: NodeMode): string | null;
  /** A new group around the selected nodes (taken out of any group they were in); its title is then edited. Returns its id. */
  groupSelected(): string | null;
  /** Remove a group (its nodes stay), or the groups of the selected nodes. */
  ungroup(id?: string): number;
  /** The group whose title is being edited. */
  renamingGroup: string | null;
  setRenamingGroup(id: string | null): void;
  renameGroup(id: string, title: string): void;
  /** Move a group's nodes (a drag of its frame: record() once when it starts). */
  moveGroup(id: string, dx: number, dy: number): void;
  /** Select the group's nodes and nothing else. */
  selectGroup(id: string): void;
}

export const DEFAULT_GROUP_TITLE = 'Group';
const picked = (nodes: StudioNode[]) => nodes.filter((n) => n.selected);

export const modesAndGroupsSlice: StateCreator<StudioState, [], [], ModesAndGroupsSlice> = (set, get) => ({
  toggleMode(mode) {
    const { nodes, catalogue } = get();
    const sel = picked(nodes);
    if (!sel.length) return null;
    const on = !sel.every((n) => n.data.mode === mode);
    if (on) {
      for (const n of sel) {
        const decl = declOf(catalogue, n.data.type);
        if (!decl) return `${n.id}: unknown node type`;
        if (decl.passive) return `${n.data.title ?? decl.title} does not run: there is nothing to ${mode}.`;
        if (mode === 'bypass') {
          const r = bypassRoutes(decl);
          if (!r.ok) return `${r.reason}. Mute it instead (Ctrl+M).`;
        }
      }
    }
    get().record();
    const ids = new Set(sel.map((n) => n.id));
    set((s) => ({ nodes: s.nodes.map((n) => (ids.has(n.id) ? { ...n, data: withMode(n.data, on ? mode : undefined) } : n)) }));
    return null;
  },
  groupSelected() {
    const sel = picked(get().nodes);
    if (!sel.length) return null;
    get().record();
    const ids = new Set(sel.map((n) => n.id));
    const taken = new Set(get().groups.map((g) => g.id));
    let i = 1;
    while (taken.has(`group-${i}`)) i++;
    const group: GraphGroup = { id: `group-${i}`, title: DEFAULT_GROUP_TITLE, nodes: [...ids] };
    const others = get().groups.map((g) => ({ ...g, nodes: g.nodes.filter((id) => !ids.has(id)) })).filter((g) => g.nodes.length);
    set({ groups: [...others, group], renamingGroup: group.id });
    return group.id;
  },
  ungroup(id) {
    const sel = new Set(picked(get().nodes).map((n) => n.id));
    const gone = (g: GraphGroup) => (id !== undefined ? g.id === id : g.nodes.some((n) => sel.has(n)));
    const count = get().groups.filter(gone).length;
    if (!count) return 0;
    get().record();
    set((s) => ({ groups: s.groups.filter((g) => !gone(g)) }));
    return count;
  },
  renamingGroup: null,
  setRenamingGroup: (renamingGroup) => set({ renamingGroup }),
  renameGroup(id, title) {
    const t = title.trim().slice(0, 200) || DEFAULT_GROUP_TITLE;
    set({ renamingGroup: null });
    if (get().groups.find((g) => g.id === id)?.title === t) return;
    get().record();
    set((s) => ({ groups: s.groups.map((g) => (g.id === id ? { ...g, title: t } : g)) }));
  },
  moveGroup(id, dx, dy) {
    const members = new Set(get().groups.find((g) => g.id === id)?.nodes ?? []);
    set((s) => ({ nodes: s.nodes.map((n) => (members.has(n.id) ? { ...n, position: { x: n.position.x + dx, y: n.position.y + dy } } : n)) }));
  },
  selectGroup(id) {
    const members = new Set(get().groups.find((g) => g.id === id)?.nodes ?? []);
    set((s) => ({ nodes: s.nodes.map((n) => (!!n.selected === members.has(n.id) ? n : { ...n, selected: members.has(n.id) })) }));
  },
});

function withMode({ mode: _, ...d }: StudioNode['data'], mode: NodeMode | undefined): StudioNode['data'] {
  return mode ? { ...d, mode } : d;
}

/** The action table's entries for these edits (actions.ts); a refusal is said with `say`. */
export function modeAndGroupActions(s: StudioState, say: (text: string, bad?: boolean) => void) {
  const mode = (m: NodeMode) => () => {
    const why = s.toggleMode(m);
    if (why) say(why, true);
  };
  return { bypass: mode('bypass'), mute: mode('mute'), group: () => void s.groupSelected(), ungroup: () => void s.ungroup() };
}
