'use client';
// What every node card needs from the studio without prop drilling through React Flow: the
// catalogue, the current run's state, whether editing is allowed, and how to change a param.
import { createContext, useContext } from 'react';
import type { Catalogue, Graph } from '../../protocol';
import { IDLE_RUN, type RunView } from '../lib/runState';

export interface StudioCtx {
  catalogue: Catalogue | null;
  run: RunView;
  readOnly: boolean;
  /** Unknown words per text node id, learned from the CLIP text encoders it feeds. */
  unknownWords: Record<string, string[]>;
  setParam(nodeId: string, name: string, value: unknown): void;
  /** The graph as it stands (embedded in downloaded PNGs). */
  currentGraph(): Graph;
}

export const StudioContext = createContext<StudioCtx>({
  catalogue: null,
  run: IDLE_RUN,
  readOnly: true,
  unknownWords: {},
  setParam: () => {},
  currentGraph: () => ({ version: 1, nodes: [], edges: [] }),
});

export const useStudio = () => useContext(StudioContext);
