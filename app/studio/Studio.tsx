'use client';
// The studio shell: a top bar with the server's status and the node canvas.
import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, type Edge, type Node } from '@xyflow/react';
import { useServerInfo } from './useServerInfo';

const initialNodes: Node[] = [];
const initialEdges: Edge[] = [];

export function Studio() {
  const conn = useServerInfo();
  const label =
    conn.state === 'connected' ? `backend ${conn.info.backend} · v${conn.info.version}` : conn.state === 'error' ? `offline: ${conn.message}` : 'connecting…';
  return (
    <div className="studio">
      <header className="topbar">
        <h1>unCLIP Studio</h1>
        <div className="status" role="status" aria-live="polite">
          <span className="dot" data-state={conn.state} aria-hidden />
          <span data-testid="backend-status" data-backend={conn.state === 'connected' ? conn.info.backend : ''}>
            {label}
          </span>
        </div>
      </header>
      <main className="canvas" data-testid="canvas">
        <ReactFlowProvider>
          <ReactFlow defaultNodes={initialNodes} defaultEdges={initialEdges} fitView proOptions={{ hideAttribution: false }}>
            <Background />
            <Controls />
            <MiniMap pannable zoomable />
          </ReactFlow>
        </ReactFlowProvider>
        <div className="empty-hint">An empty canvas: nodes arrive with the graph engine.</div>
      </main>
    </div>
  );
}
