'use client';
// Fits the view when the store asks (store.ts `fit`) and React Flow has measured the nodes it
// was asked for: React Flow has adopted the store's node list and reports every node
// initialised. While the ask says `follow`, it fits again whenever a card or the pane changes
// size (a stored run's frames load after the cards are first drawn; the history panel opens). No timers: it waits for the
// measurements themselves. Rendered inside <ReactFlow>.
import { useEffect, useRef } from 'react';
import { useReactFlow, useStore as useFlowStore, type Edge } from '@xyflow/react';
import type { StudioNode } from '../lib/graphModel';
import { useStudio } from './store';

// never zoom a small graph up past life size: cards are made to be read at 1x
export const FIT = { padding: 0.15, maxZoom: 1 };

export function AutoFit() {
  const rf = useReactFlow<StudioNode, Edge>();
  const fit = useStudio((s) => s.fit);
  const ours = useStudio((s) => s.nodes);
  // the cards' sizes once React Flow holds our nodes and has measured them all, and the pane's
  // (it shrinks when the history panel docks beside it); null until then
  const sizes = useFlowStore((s) => (s.nodesInitialized && s.nodes === ours ? `${s.width}x${s.height}:${s.nodes.map((n) => `${n.measured?.width}x${n.measured?.height}`).join()}` : null));
  const done = useRef({ request: 0, sizes: '' });

  useEffect(() => {
    if (sizes === null || fit.request === 0) return;
    const asked = fit.request !== done.current.request;
    if (!asked && !(fit.follow && sizes !== done.current.sizes)) return;
    done.current = { request: fit.request, sizes };
    void rf.fitView(FIT);
  }, [fit, sizes, rf]);
  return null;
}
