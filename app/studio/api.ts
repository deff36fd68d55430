// The studio's REST calls (server/api.ts serves them). Errors come back as
// {ok: false, error: {code, message}}; they are thrown as ApiError with that message.
import type { Catalogue, Graph, RunEvent, WireValue } from '../../protocol';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? 'HTTP', body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body as T;
}

export interface SavedGraph {
  id: string;
  title: string;
  graph: Graph;
  createdAt: string;
  updatedAt: string;
  forkOf: string | null;
}

export interface StoredRun {
  id: string;
  status: string;
  events: RunEvent[];
  outputs: Record<string, Record<string, WireValue>>;
}

/** The fixed PCA map's corpus points (nodes/lib/embedding-map.ts writes the file). */
export interface CorpusMap {
  mapId: string;
  keys: string[];
  labels: string[];
  points: [number, number][];
  explained?: [number, number];
}

export const api = {
  catalogue: () => call<Catalogue>('/api/nodes'),
  save: (graph: Graph, title?: string) => call<{ id: string; editToken: string }>('/api/graphs', { method: 'POST', body: JSON.stringify({ graph, title }) }),
  update: (id: string, token: string, graph: Graph, title?: string) =>
    call<{ id: string; updatedAt: string }>(`/api/graphs/${encodeURIComponent(id)}`, { method: 'PUT', body: JSON.stringify({ graph, title }), headers: { authorization: `Bearer ${token}` } }),
  get: (id: string) => call<SavedGraph>(`/api/graphs/${encodeURIComponent(id)}`),
  fork: (id: string) => call<{ id: string; editToken: string }>(`/api/graphs/${encodeURIComponent(id)}/fork`, { method: 'POST', body: '{}' }),
  latestRun: (id: string) => call<StoredRun>(`/api/graphs/${encodeURIComponent(id)}/runs/latest`),
  embeddingMap: (mapId: string) => call<CorpusMap>(`/api/embedding-map/${encodeURIComponent(mapId)}`),
};

// Edit tokens stay in this browser only (localStorage): whoever holds one may change the graph.
const TOKEN_KEY = (id: string) => `unclip:editToken:${id}`;
export function editToken(id: string): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY(id));
  } catch {
    return null;
  }
}
export function keepEditToken(id: string, token: string): void {
  try {
    localStorage.setItem(TOKEN_KEY(id), token);
  } catch {
    /* private mode: the token lives as long as the page */
  }
}
