'use client';
// The studio shell: the socket connection and its status light, the node catalogue from the
// server, the studio's store (store.ts), and the workspace (editable at /, read-only on a share
// page /g/<id>).
import { useEffect, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import type { Catalogue } from '../../protocol';
import { api } from './api';
import type { Example } from './Gallery';
import { StudioProvider } from './store';
import { useServerInfo } from './useServerInfo';
import { Workspace } from './Workspace';

export function Studio({ viewId, examples }: { viewId?: string; examples?: Example[] }) {
  const { conn, socket } = useServerInfo();
  const [catalogue, setCatalogue] = useState<Catalogue | null>(null);
  const [catalogueError, setCatalogueError] = useState<string | null>(null);
  useEffect(() => {
    api.catalogue().then(setCatalogue, (e: Error) => setCatalogueError(e.message));
  }, []);
  const label =
    conn.state === 'connected' ? `backend ${conn.info.backend} · v${conn.info.version}` : conn.state === 'error' ? `offline: ${conn.message}` : 'connecting…';
  const header = (
    <div className="status" role="status" aria-live="polite">
      <span className="dot" data-state={conn.state} aria-hidden />
      <span data-testid="backend-status" data-backend={conn.state === 'connected' ? conn.info.backend : ''}>
        {label}
      </span>
    </div>
  );
  return (
    <ReactFlowProvider>
      <StudioProvider>
        <Workspace socket={socket} catalogue={catalogue} catalogueError={catalogueError} viewId={viewId} examples={examples} header={header} />
      </StudioProvider>
    </ReactFlowProvider>
  );
}
