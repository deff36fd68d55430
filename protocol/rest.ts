// The shapes of the REST API (server/api.ts serves them, app/studio/api.ts calls them): one
// definition for both sides, like the socket event maps in events.ts.
import type { Graph } from './graph.js';
import type { RunEvent, WireValue } from './events.js';

/** A saved graph as `GET /api/graphs/:id` returns it (read-only; no token). */
export interface SavedGraph {
  id: string;
  title: string;
  graph: Graph;
  createdAt: string;
  updatedAt: string;
  forkOf: string | null;
  /**
   * The run `runs/latest` answers with; null: never run, and `runs/latest` answers 404 (so a
   * client asks for it only when there is one).
   */
  latestRunId: string | null;
}

/** `POST /api/graphs` and `POST /api/graphs/:id/fork`: the edit token is shown once, here. */
export interface CreatedGraph {
  id: string;
  editToken: string;
}

/** `PUT /api/graphs/:id`. */
export interface UpdatedGraph {
  id: string;
  updatedAt: string;
}

/** A run as the store keeps it: every event in order, binary as data: URLs. */
export interface StoredRun {
  id: string;
  graphId: string | null;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  ms: number | null;
  graph: Graph;
  events: RunEvent[];
}

/** `GET /api/graphs/:id/runs/latest` and `GET /api/runs/:id`: the run plus each node's last outputs. */
export interface StoredRunWithOutputs extends StoredRun {
  outputs: Record<string, Record<string, WireValue>>;
}

/** `GET /api/embedding-map/:mapId`: the fixed PCA map of the corpus (fitted once per CLIP checkpoint). */
export interface EmbeddingMapFile {
  format: 'unclip-embedding-map';
  mapId: string;
  weightsHash: string;
  styles: string[];
  width: number;
  count: number;
  mean: number[];
  /** [2][width] unit principal axes */
  components: [number[], number[]];
  /** fraction of variance each axis explains */
  explained: [number, number];
  keys: string[];
  labels: string[];
  points: [number, number][];
}

/** Every REST error body. */
export interface RestError {
  ok: false;
  error: { code: string; message: string };
}
