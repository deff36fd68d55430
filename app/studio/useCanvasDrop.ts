'use client';
// Adding to the canvas: a palette entry clicked (at a free spot in the middle of the view) or
// dropped (where it was dropped), and a graph file (JSON or studio PNG) dropped on the canvas.
import { useCallback, type DragEvent } from 'react';
import { useReactFlow, type Edge } from '@xyflow/react';
import type { Catalogue } from '../../protocol';
import { declOf, freeSpot, type StudioNode } from '../lib/graphModel';
import { DRAG_MIME } from './Palette';
import type { StudioStore } from './store';

export function useCanvasDrop(store: StudioStore, catalogue: Catalogue | null, readOnly: boolean, openFile: (f: File) => void) {
  const rf = useReactFlow<StudioNode, Edge>();
  const addAt = useCallback(
    (type: string, pos?: { x: number; y: number }) => {
      const ed = store.getState();
      if (pos) return void ed.addNode(type, pos);
      const rect = document.querySelector('.canvas')?.getBoundingClientRect() ?? { left: 0, top: 0, width: 400, height: 300 };
      const mid = rf.screenToFlowPosition({ x: rect.left + rect.width / 2 - 120, y: rect.top + rect.height / 3 });
      const a = rf.screenToFlowPosition({ x: rect.left, y: rect.top });
      const b = rf.screenToFlowPosition({ x: rect.left + rect.width, y: rect.top + rect.height });
      ed.addNode(type, freeSpot(mid, ed.nodes, declOf(catalogue, type)?.passive ? 300 : 240, 110, { x0: a.x, y0: a.y, x1: b.x, y1: b.y }));
    },
    [store, rf, catalogue],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      if (readOnly) return;
      e.preventDefault();
      const type = e.dataTransfer.getData(DRAG_MIME);
      if (type) return addAt(type, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
      const file = e.dataTransfer.files[0];
      if (file) openFile(file);
    },
    [readOnly, addAt, rf, openFile],
  );

  return { addAt, onDrop };
}
