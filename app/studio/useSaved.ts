'use client';
// Save / share / fork. The first save creates the graph on the server and keeps its edit token
// in this browser; later saves update it. The editor's address becomes /?g=<id> so a reload
// reopens it; the read-only link to give away is /g/<id>.
import { useCallback, useState } from 'react';
import type { Graph } from '../../protocol';
import { api, editToken, keepEditToken } from './api';

export interface SavedRef {
  id: string;
  token: string | null;
  title: string;
}

export function shareUrl(id: string): string {
  return `${window.location.origin}/g/${encodeURIComponent(id)}`;
}

export function useSaved() {
  const [saved, setSaved] = useState<SavedRef | null>(null);

  const adopt = useCallback((id: string, title: string) => setSaved({ id, token: editToken(id), title }), []);
  /** A new graph: nothing saved yet. */
  const reset = useCallback(() => setSaved(null), []);

  const save = useCallback(
    async (graph: Graph, title?: string): Promise<SavedRef> => {
      let ref: SavedRef;
      if (saved?.token) {
        await api.update(saved.id, saved.token, graph, title ?? saved.title);
        ref = { ...saved, title: title ?? saved.title };
      } else {
        const t = title ?? saved?.title ?? 'untitled';
        const r = await api.save(graph, t);
        keepEditToken(r.id, r.editToken);
        ref = { id: r.id, token: r.editToken, title: t };
        window.history.replaceState(null, '', `/?g=${encodeURIComponent(r.id)}`);
      }
      setSaved(ref);
      return ref;
    },
    [saved],
  );

  /** A new editable copy on the server (of the saved graph, or of this unsaved one); returns its id. */
  const fork = useCallback(async (id: string): Promise<string> => {
    const r = await api.fork(id);
    keepEditToken(r.id, r.editToken);
    return r.id;
  }, []);

  return { saved, adopt, reset, save, fork };
}
