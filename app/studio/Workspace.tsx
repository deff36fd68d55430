'use client';
// The studio's working area: toolbar, palette, canvas (or notebook), inspector, and the glue
// between the graph editor, runs, saving and files. Studio.tsx wraps it with the connection and
// catalogue; the share page renders it read-only.
import { useCallback, useEffect, useMemo, useState, type DragEvent } from 'react';
import { Background, Controls, MiniMap, ReactFlow, useReactFlow, type Edge } from '@xyflow/react';
import type { Catalogue, WireValue } from '../../protocol';
import { connectionProblem, declOf, freeSpot, toGraph, type StudioNode } from '../lib/graphModel';
import { replay } from '../lib/runState';
import { api, editToken } from './api';
import { ConnectionHint } from './ConnectionHint';
import { StudioContext, type StudioCtx } from './context';
import { downloadJson } from './download';
import { graphFromFile } from './fileDrop';
import { Gallery, type Example } from './Gallery';
import { Inspector } from './Inspector';
import { NodeCard } from './NodeCard';
import { NotebookView } from './NotebookView';
import { DRAG_MIME, Palette } from './Palette';
import { RunStatus } from './RunStatus';
import { Toolbar } from './Toolbar';
import { useGraphEditor } from './useGraphEditor';
import { useRun } from './useRun';
import { shareUrl, useSaved } from './useSaved';
import type { StudioSocket } from './useServerInfo';
import { useShortcuts } from './useShortcuts';

const nodeTypes = { studio: NodeCard };
// never zoom a small graph up past life size: cards are made to be read at 1x
const FIT = { padding: 0.15, maxZoom: 1 };

export interface WorkspaceProps {
  socket: StudioSocket | null;
  catalogue: Catalogue | null;
  catalogueError: string | null;
  /** The share page: this saved graph, read-only. */
  viewId?: string;
  examples?: Example[];
  header: React.ReactNode;
}

export function Workspace({ socket, catalogue, catalogueError, viewId, examples, header }: WorkspaceProps) {
  const readOnly = viewId !== undefined;
  const rf = useReactFlow<StudioNode, Edge>();
  const ed = useGraphEditor(catalogue);
  const run = useRun(socket);
  const sv = useSaved();
  const [notice, setNotice] = useState<{ text: string; bad?: boolean } | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [notebook, setNotebook] = useState(false);
  const [title, setTitle] = useState('');
  const say = useCallback((text: string, bad = false) => setNotice({ text, bad }), []);
  const currentGraph = useCallback(() => toGraph(ed.current().nodes, ed.current().edges, catalogue), [ed, catalogue]);
  const dirty = sv.saved ? ed.revision !== sv.savedRevision || (title.trim() || 'untitled') !== sv.saved.title : ed.nodes.length > 0;

  // Open a saved graph: the share page's, or the editor's /?g=<id> (after a save or fork).
  useEffect(() => {
    const id = viewId ?? new URLSearchParams(window.location.search).get('g');
    if (!id) return;
    if (!viewId && !editToken(id)) {
      window.location.replace(`/g/${encodeURIComponent(id)}`); // not ours to edit: the read-only page
      return;
    }
    let live = true;
    api
      .get(id)
      .then((rec) => {
        if (!live) return;
        ed.load(rec.graph);
        sv.adopt(rec.id, rec.title, ed.revision);
        setTitle(rec.title === 'untitled' ? '' : rec.title);
        setTimeout(() => void rf.fitView(FIT), 50);
        return api.latestRun(id).then(
          (r) => {
            if (!live) return;
            if (r.status === 'running' || r.status === 'queued') run.watch(r.id, replay(r.id, r.events));
            else run.show(replay(r.id, r.events));
            // the outputs make the cards taller: fit again once they are drawn
            setTimeout(() => void rf.fitView(FIT), 150);
          },
          () => undefined,
        );
      })
      .catch((e: Error) => say(`could not open graph ${id}: ${e.message}`, true));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [viewId]);

  const doRun = useCallback(async () => {
    if (readOnly || run.busy) return;
    let g = currentGraph();
    if (!g.nodes.length) return say('Add some nodes first.');
    let saved = sv.saved?.token ? sv.saved : null;
    if (saved && dirty) {
      // a saved graph's run is kept for its share link, so the saved graph must be what ran
      saved = await sv.save(g, ed.revision, title.trim() || 'untitled').catch(() => null);
      g = currentGraph();
    }
    const runnable = g.nodes.filter((n) => !declOf(catalogue, n.type)?.passive).map((n) => n.id);
    setNotice(null);
    run.start(g, runnable, saved?.token ? { graphId: saved.id, editToken: saved.token } : undefined);
  }, [readOnly, run, currentGraph, say, sv, dirty, ed.revision, catalogue, title]);

  const doSave = useCallback(async () => {
    if (readOnly) return null;
    try {
      const ref = await sv.save(currentGraph(), ed.revision, title.trim() || 'untitled');
      say(`Saved. Runs from now on are kept for the link /g/${ref.id}.`);
      return ref;
    } catch (e) {
      say(`save failed: ${(e as Error).message}`, true);
      return null;
    }
  }, [readOnly, sv, currentGraph, ed.revision, say, title]);

  const doShare = useCallback(async () => {
    const id = viewId ?? (sv.saved && !dirty ? sv.saved.id : (await doSave())?.id);
    if (!id) return;
    const url = shareUrl(id);
    setLink(url);
    try {
      await navigator.clipboard.writeText(url);
      say('Read-only link copied.');
    } catch {
      say('Copy the read-only link below.');
    }
  }, [viewId, sv.saved, dirty, doSave, say]);

  const doFork = useCallback(async () => {
    try {
      const from = viewId ?? sv.saved?.id ?? (await doSave())?.id;
      if (!from) return;
      const id = await sv.fork(from);
      window.location.assign(`/?g=${encodeURIComponent(id)}`);
    } catch (e) {
      say(`fork failed: ${(e as Error).message}`, true);
    }
  }, [viewId, sv, doSave, say]);

  const openFile = useCallback(
    async (file: File) => {
      try {
        const g = await graphFromFile(file);
        ed.load(g, { keepHistory: true });
        setTimeout(() => void rf.fitView(FIT), 50);
        say(`Opened the graph from ${file.name} (${g.nodes.length} nodes).`);
      } catch (e) {
        say((e as Error).message, true);
      }
    },
    [ed, rf, say],
  );

  const addAt = useCallback(
    (type: string, pos?: { x: number; y: number }) => {
      if (pos) return void ed.addNode(type, pos);
      const rect = document.querySelector('.canvas')?.getBoundingClientRect() ?? { left: 0, top: 0, width: 400, height: 300 };
      const mid = rf.screenToFlowPosition({ x: rect.left + rect.width / 2 - 120, y: rect.top + rect.height / 3 });
      const a = rf.screenToFlowPosition({ x: rect.left, y: rect.top });
      const b = rf.screenToFlowPosition({ x: rect.left + rect.width, y: rect.top + rect.height });
      ed.addNode(type, freeSpot(mid, ed.current().nodes, declOf(catalogue, type)?.passive ? 300 : 240, 110, { x0: a.x, y0: a.y, x1: b.x, y1: b.y }));
    },
    [ed, rf, catalogue],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      if (readOnly) return;
      e.preventDefault();
      const type = e.dataTransfer.getData(DRAG_MIME);
      if (type) return addAt(type, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
      const file = e.dataTransfer.files[0];
      if (file) void openFile(file);
    },
    [readOnly, addAt, rf, openFile],
  );

  useShortcuts({ run: () => void doRun(), undo: ed.undo, redo: ed.redo, copy: ed.copy, paste: ed.paste, selectAll: ed.selectAll, save: () => void doSave() }, !readOnly);

  // unknown words, shown on the text node that wrote them
  const unknownWords = useMemo(() => {
    const out: Record<string, string[]> = {};
    for (const e of ed.edges) {
      const tokens = run.view.nodes[e.target]?.outputs?.tokens as Extract<WireValue, { kind: 'tokens' }> | undefined;
      if (tokens?.kind === 'tokens' && e.targetHandle === 'text') out[e.source] = [...(out[e.source] ?? []), ...tokens.unknownWords.flat()];
    }
    return out;
  }, [ed.edges, run.view.nodes]);

  const ctx: StudioCtx = useMemo(() => ({ catalogue, run: run.view, readOnly, unknownWords, setParam: ed.setParam, currentGraph }), [catalogue, run.view, readOnly, unknownWords, ed.setParam, currentGraph]);
  const selected = ed.nodes.filter((n) => n.selected);

  return (
    <StudioContext.Provider value={ctx}>
      <div className={`studio${readOnly ? ' read-only' : ''}`}>
        <header className="topbar">
          {header}
          {readOnly ? (
            title ? <span className="graph-title">{title}</span> : null
          ) : (
            <input className="graph-title" value={title} placeholder="Untitled graph" maxLength={200} aria-label="graph title" data-testid="graph-title" onChange={(e) => setTitle(e.target.value)} />
          )}
          <Toolbar
            readOnly={readOnly}
            busy={run.busy}
            canUndo={ed.canUndo}
            canRedo={ed.canRedo}
            saved={!!sv.saved}
            dirty={dirty}
            notebook={notebook}
            onRun={() => void doRun()}
            onCancel={run.cancel}
            onUndo={ed.undo}
            onRedo={ed.redo}
            onFit={() => void rf.fitView(FIT)}
            onSave={() => void doSave()}
            onShare={() => void doShare()}
            onFork={() => void doFork()}
            onExport={() => downloadJson(currentGraph(), `${(title.trim() || 'graph').replace(/[^\w. -]+/g, '_')}.json`)}
            onImport={(f) => void openFile(f)}
            onNotebook={() => setNotebook(!notebook)}
            onTidy={() => {
              ed.arrange();
              setTimeout(() => void rf.fitView(FIT), 50);
            }}
          />
        </header>
        <RunStatus view={run.view} notice={notice} link={link} readOnly={readOnly} title={sv.saved?.title} />
        <div className="workspace">
          {!readOnly ? <Palette catalogue={catalogue} error={catalogueError} onAdd={(t) => addAt(t)} /> : null}
          <main className="canvas" data-testid="canvas" onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }}>
            {notebook ? <NotebookView nodes={ed.nodes} edges={ed.edges} /> : null}
            <div className="flow" hidden={notebook}>
              <ReactFlow<StudioNode, Edge>
                nodes={ed.nodes}
                edges={ed.edges}
                nodeTypes={nodeTypes}
                onNodesChange={ed.onNodesChange}
                onEdgesChange={ed.onEdgesChange}
                onConnect={ed.connect}
                isValidConnection={(c) => connectionProblem(c, ed.nodes, ed.edges, catalogue) === null}
                onConnectEnd={(_, s) => {
                  if (s.isValid === false && s.toHandle) say('That link was refused: the ports do not fit (see the reason shown while dragging).', true);
                }}
                onNodeDragStart={ed.record}
                onBeforeDelete={async () => {
                  ed.record();
                  return true;
                }}
                nodesDraggable={!readOnly}
                nodesConnectable={!readOnly}
                deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
                multiSelectionKeyCode={['Control', 'Meta', 'Shift']}
                defaultViewport={{ x: 0, y: 0, zoom: 1 }}
                minZoom={0.2}
                proOptions={{ hideAttribution: false }}
              >
                <Background />
                <Controls showInteractive={false} />
                <MiniMap pannable zoomable ariaLabel="minimap" style={{ width: 150, height: 100 }} />
                <ConnectionHint nodes={ed.nodes} edges={ed.edges} catalogue={catalogue} />
              </ReactFlow>
            </div>
            {!ed.nodes.length && !readOnly && !notebook ? <Gallery examples={examples ?? []} onOpen={(g) => { ed.load(g, { keepHistory: true }); setTimeout(() => void rf.fitView(FIT), 50); }} /> : null}
          </main>
          <Inspector
            node={selected.length === 1 ? selected[0]! : null}
            count={selected.length}
            nodes={ed.nodes}
            edges={ed.edges}
            catalogue={catalogue}
            readOnly={readOnly}
            onParam={ed.setParam}
            onLink={(target, port, from) => (from ? ed.connect({ source: from[0], sourceHandle: from[1], target, targetHandle: port }) : ed.unlink(target, port))}
          />
        </div>
      </div>
    </StudioContext.Provider>
  );
}
