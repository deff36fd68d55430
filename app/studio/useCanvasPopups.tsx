'use client';
// The canvas's pop-ups and the gestures that open them: a double-click on empty canvas (or the
// menu's "Add node…") opens the node search there; a link dropped on empty canvas opens it for
// the types that fit the link, and the chosen node is wired by its first port that fits; a
// right-click on a node or the canvas opens the context menu (a node right-clicked outside the
// selection becomes the selection, as in ComfyUI).
import { useCallback, useRef, useState, type MouseEvent as ReactMouseEvent, type ReactNode } from 'react';
import { useReactFlow, type Edge, type FinalConnectionState } from '@xyflow/react';
import type { Catalogue } from '../../protocol';
import { declOf, type StudioNode } from '../lib/graphModel';
import { linkTo, type LinkEnd, type SearchHit } from '../lib/nodeSearch';
import type { ActionState } from './actions';
import { ContextMenu, type MenuAt } from './ContextMenu';
import { NodeSearch, type SearchAt } from './NodeSearch';
import { useStudioApi } from './store';

type Point = { clientX: number; clientY: number };

export function useCanvasPopups(catalogue: Catalogue | null, readOnly: boolean) {
  const rf = useReactFlow<StudioNode, Edge>();
  const store = useStudioApi();
  const [search, setSearch] = useState<SearchAt | null>(null);
  const [menu, setMenu] = useState<MenuAt | null>(null);
  /** where the open menu is: its "Add node…" opens the search there (Ctrl+K: the middle of the canvas) */
  const lastMenu = useRef<Point | null>(null);

  /** `p` in px from the canvas's top left, moved in so a pop-up of about `w` x `h` stays on the canvas. */
  const local = (p: Point, w = 200, h = 240) => {
    const r = document.querySelector('.canvas')?.getBoundingClientRect() ?? { left: 0, top: 0, width: 1e4, height: 1e4 };
    return { x: Math.max(0, Math.min(p.clientX - r.left, r.width - w)), y: Math.max(0, Math.min(p.clientY - r.top, r.height - h)) };
  };
  const openSearch = useCallback(
    (p: Point, from?: LinkEnd | null) => {
      if (readOnly) return;
      setMenu(null);
      setSearch({ ...local(p, 270, 330), flow: rf.screenToFlowPosition({ x: p.clientX, y: p.clientY }), from });
    },
    [rf, readOnly],
  );
  /** The search at the last menu's place, or the middle of the canvas. */
  const searchHere = useCallback(() => {
    const r = document.querySelector('.canvas')?.getBoundingClientRect() ?? { left: 0, top: 0, width: 400, height: 300 };
    openSearch(lastMenu.current ?? { clientX: r.left + r.width / 2 - 120, clientY: r.top + r.height / 3 });
    lastMenu.current = null;
  }, [openSearch]);

  const pick = useCallback(
    (hit: SearchHit) => {
      const at = search;
      setSearch(null);
      if (!at) return;
      const node = store.getState().addNode(hit.decl.type, at.flow);
      if (node && at.from && hit.port) store.getState().connect(linkTo(at.from, node.id, hit.port));
    },
    [search, store],
  );

  const onDoubleClick = useCallback(
    (e: ReactMouseEvent) => {
      if ((e.target as Element).classList.contains('react-flow__pane')) openSearch(e);
    },
    [openSearch],
  );

  /** A link dropped: on empty canvas, the search for what fits it; on a port that does not fit, `refused`. */
  const onConnectEnd = useCallback(
    (e: MouseEvent | TouchEvent, s: FinalConnectionState, refused: () => void) => {
      if (s.isValid === false && s.toHandle) return refused();
      const target = ('changedTouches' in e ? null : e.target) as Element | null;
      if (s.toNode || !s.fromNode || !s.fromHandle?.id || (target && !target.classList.contains('react-flow__pane'))) return;
      const side = s.fromHandle.type === 'source' ? 'out' : 'in';
      const fromNode = store.getState().nodes.find((n) => n.id === s.fromNode!.id);
      const decl = fromNode && declOf(catalogue, fromNode.data.type);
      const port = (side === 'out' ? decl?.outputs : decl?.inputs)?.find((p) => p.name === s.fromHandle!.id);
      if (!port) return;
      const p = 'changedTouches' in e ? e.changedTouches[0]! : e;
      openSearch(p, { nodeId: s.fromNode.id, port: port.name, side, type: port.type });
    },
    [catalogue, openSearch, store],
  );

  const openMenu = useCallback(
    (e: ReactMouseEvent | MouseEvent, node?: StudioNode) => {
      if (readOnly) return;
      e.preventDefault();
      if (node) store.getState().selectForMenu(node.id);
      setSearch(null);
      lastMenu.current = { clientX: e.clientX, clientY: e.clientY };
      setMenu({ kind: node ? 'node' : 'pane', ...local(e) });
    },
    [readOnly, store],
  );
  // a menu closed (Esc, a click elsewhere, an entry run) leaves no place for a later Ctrl+K
  const closeMenu = useCallback(() => {
    lastMenu.current = null;
    setMenu(null);
  }, []);

  const popups = (state: ActionState): ReactNode => (
    <>
      {search ? <NodeSearch at={search} catalogue={catalogue} onPick={pick} onClose={() => setSearch(null)} /> : null}
      {menu ? <ContextMenu at={menu} state={state} onClose={closeMenu} /> : null}
    </>
  );
  return { popups, onDoubleClick, onConnectEnd, openMenu, searchHere };
}
