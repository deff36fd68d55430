// The studio's REST calls (server/api.ts serves them). Errors come back as
// {ok: false, error: {code, message}}; they are thrown as ApiError with that message.
import type { Catalogue, CreatedGraph, EmbeddingMapFile, Graph, SavedGraph, StoredRunWithOutputs, UpdatedGraph } from '../../protocol';

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

export type { SavedGraph, StoredRunWithOutputs as StoredRun, EmbeddingMapFile as CorpusMap } from '../../protocol';

export const api = {
  catalogue: () => call<Catalogue>('/api/nodes'),
  save: (graph: Graph, title?: string) => call<CreatedGraph>('/api/graphs', { method: 'POST', body: JSON.stringify({ graph, title }) }),
  update: (id: string, token: string, graph: Graph, title?: string) =>
    call<UpdatedGraph>(`/api/graphs/${encodeURIComponent(id)}`, { method: 'PUT', body: JSON.stringify({ graph, title }), headers: { authorization: `Bearer ${token}` } }),
  get: (id: string) => call<SavedGraph>(`/api/graphs/${encodeURIComponent(id)}`),
  fork: (id: string) => call<CreatedGraph>(`/api/graphs/${encodeURIComponent(id)}/fork`, { method: 'POST', body: '{}' }),
  latestRun: (id: string) => call<StoredRunWithOutputs>(`/api/graphs/${encodeURIComponent(id)}/runs/latest`),
  /** A run the server still holds: going, recently finished, or a saved graph's stored run. */
  run: (runId: string) => call<StoredRunWithOutputs>(`/api/runs/${encodeURIComponent(runId)}`),
  embeddingMap: (mapId: string) => call<EmbeddingMapFile>(`/api/embedding-map/${encodeURIComponent(mapId)}`),
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
