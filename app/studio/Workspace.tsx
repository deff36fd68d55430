'use client';
// The studio's working area: toolbar, palette, canvas (or notebook), inspector, and the glue
// between the store (the graph editor, the run's view), runs, saving and files. Studio.tsx wraps
// it with the connection, the catalogue and the store; the share page renders it read-only.
// The tab's work is autosaved (useAutosave.ts) and restored on a reload, with the run it showed.
// It reads only what it lays out from the store, never the run's per-node state, so a step of
// a run re-renders the card it concerns and not this.
import { useCallback, useEffect, useRef, useState } from 'react';
import { Background, Controls, MiniMap, ReactFlow, useReactFlow, type Edge } from '@xyflow/react';
import { GRAPH_FORMAT_VERSION, type Catalogue } from '../../protocol';
import { connectionProblem, declOf, heldNodes, type StudioNode } from '../lib/graphModel';
import { IDLE_RUN } from '../lib/runState';
import type { ActionState } from './actions';
import { AutoFit, FIT } from './AutoFit';
import { ConnectionHint } from './ConnectionHint';
import { downloadJson } from './download';
import { graphFromFile } from './fileDrop';
import { Gallery, type Example } from './Gallery';
import { GroupFrames } from './GroupFrames';
import { Inspector } from './Inspector';
import { modeAndGroupActions } from './modesAndGroups';
import { NodeCard } from './NodeCard';
import { NotebookView } from './NotebookView';
import { Palette } from './Palette';
import { RunCount } from './RunCount';
import { RunHistory } from './RunHistory';
import { RunStatus } from './RunStatus';
import { Toolbar } from './Toolbar';
import { blockingDrafts, isBusy, useStudio, useStudioApi } from './store';
import { useCanvasDrop } from './useCanvasDrop';
import { useCanvasPopups } from './useCanvasPopups';
import { clearWorkingCopy, useAutosave, type WorkingCopy } from './useAutosave';
import { useOpenGraph } from './useOpenGraph';
import { useReopenRun } from './useReopenRun';
import { useRun } from './useRun';
import { useRunHistory } from './useRunHistory';
import { useRunQueue } from './useRunQueue';
import { shareUrl, useSaved } from './useSaved';
import type { StudioSocket } from './useServerInfo';
import { useShortcuts } from './useShortcuts';

const nodeTypes = { studio: NodeCard };

export interface WorkspaceProps {
  socket: StudioSocket | null;
  catalogue: Catalogue | null;
  catalogueError: string | null;
  /** The share page: this saved graph, read-only. */
  viewId?: string;
  examples?: Example[];
  /** The connection's status light (beside the title). */
  header: React.ReactNode;
}

/** What the graph is compared with for "unsaved changes": the editor's revision and the title when it was last loaded or saved. */
interface Baseline {
  revision: number;
  title: string;
}
const titleOf = (t: string) => t.trim() || 'untitled';
/** a restored working copy that had unsaved changes: unsaved until saved */
const UNSAVED = -1;

export function Workspace({ socket, catalogue, catalogueError, viewId, examples, header }: WorkspaceProps) {
  const readOnly = viewId !== undefined;
  const rf = useReactFlow<StudioNode, Edge>();
  const store = useStudioApi();
  // the store's actions never change: read once, call from anywhere
  const ed = store.getState();
  const nodes = useStudio((s) => s.nodes);
  const edges = useStudio((s) => s.edges);
  const revision = useStudio((s) => s.revision);
  const canUndo = useStudio((s) => s.canUndo);
  const canRedo = useStudio((s) => s.canRedo);
  const notebook = useStudio((s) => s.notebook);
  const busy = useStudio(isBusy);
  const run = useRun(socket);
  const sv = useSaved();
  // a notice about one gesture (a refused link) is `passing`: the next action clears it
  const notice = useStudio((s) => s.notice);
  const setNotice = useStudio((s) => s.setNotice);
  const clearPassing = useCallback(() => setNotice((n) => (n?.passing ? null : n)), [setNotice]);
  const [link, setLink] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  const [base, setBase] = useState<Baseline>({ revision: 0, title: '' });
  const fileInput = useRef<HTMLInputElement>(null);
  const say = useCallback((text: string, bad = false) => setNotice({ text, bad }), [setNotice]);
  const currentGraph = ed.currentGraph;
  const dirty = (!!sv.saved || nodes.length > 0) && (revision !== base.revision || titleOf(title) !== titleOf(base.title));
  /** what was just loaded or saved is the baseline for "unsaved changes" */
  const settle = useCallback((t: string, revision = store.getState().revision) => setBase({ revision, title: t }), [store]);

  useEffect(() => store.setState({ catalogue }), [store, catalogue]);
  useEffect(clearPassing, [revision, clearPassing]);

  /** a graph was opened under title `t`; `unsaved`: it differs from the saved one */
  const onTitle = useCallback((t: string, unsaved: boolean) => (setTitle(t), settle(t, unsaved ? UNSAVED : undefined)), [settle]);
  const opened = useOpenGraph({ viewId, store, run, sv, say, onTitle });

  const autosave = useAutosave(
    store,
    opened.ready && !readOnly,
    (): WorkingCopy | null => {
      const s = store.getState();
      if (!s.nodes.length && !sv.saved) return null;
      const owned = run.owned();
      const shown = s.run.runId ? { id: s.run.runId, ...(owned ? { ownerKey: owned.ownerKey } : {}) } : null;
      return { graph: s.currentGraph(), title, savedId: sv.saved?.id ?? null, dirty, run: shown };
    },
    `${title}\n${sv.saved?.id}\n${dirty}`,
  );

  /** Save `g` under the title as it stands; what was saved becomes the baseline. */
  const saveAs = useCallback(
    async (g: ReturnType<typeof currentGraph>, rev = revision) => {
      const t = titleOf(title);
      const ref = await sv.save(g, t);
      settle(t, rev);
      return ref;
    },
    [sv, title, revision, settle],
  );

  const doRun = useCallback(async () => {
    if (readOnly || isBusy(store.getState())) return;
    let g = currentGraph();
    if (!g.nodes.length) return say('Add some nodes first.');
    const draft = blockingDrafts(store.getState())[0];
    if (draft) return say(`Fix ${draft.title} on ${draft.nodeId} first: ${draft.message}.`, true);
    // seeds set to renew get fresh values first: the graph that runs (and is saved) holds them
    const reseeded = ed.reseed() > 0;
    if (reseeded) g = currentGraph();
    let saved = sv.saved?.token ? sv.saved : null;
    if (saved && (dirty || reseeded)) {
      // a saved graph's run is kept for its share link, so the saved graph must be what ran
      saved = await saveAs(g, store.getState().revision).catch(() => null);
      g = currentGraph();
    }
    const runnable = g.nodes.filter((n) => !declOf(catalogue, n.type)?.passive && !heldNodes(store.getState().nodes, store.getState().edges, catalogue).has(n.id)).map((n) => n.id);
    setNotice(null);
    ed.stopFollowing();
    run.start(g, runnable, saved?.token ? { graphId: saved.id, editToken: saved.token } : undefined);
  }, [readOnly, store, ed, run, currentGraph, say, sv, dirty, catalogue, saveAs]);

  const doSave = useCallback(async () => {
    if (readOnly) return null;
    try {
      const ref = await saveAs(currentGraph());
      say(`Saved. Runs from now on are kept for the link /g/${ref.id}.`);
      return ref;
    } catch (e) {
      say(`save failed: ${(e as Error).message}`, true);
      return null;
    }
  }, [readOnly, currentGraph, say, saveAs]);

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

  /** Fork (what is shown: unsaved edits are saved first) and open the fork; `andRun`: run it there. */
  const doFork = useCallback(async (andRun = false) => {
    try {
      const from = viewId ?? (sv.saved && !dirty ? sv.saved.id : (await doSave())?.id);
      if (!from) return;
      const id = await sv.fork(from);
      autosave.leave();
      window.location.assign(`/?g=${encodeURIComponent(id)}${andRun ? '&run=1' : ''}`);
    } catch (e) {
      say(`fork failed: ${(e as Error).message}`, true);
    }
  }, [viewId, sv, dirty, doSave, say, autosave]);

  // "Run in a fork": the fork runs once it can (catalogue and connection there)
  useEffect(() => {
    const { runOnOpen, ranOnOpen } = opened;
    if (!runOnOpen || !catalogue || !socket) return;
    const go = () => {
      ranOnOpen();
      void doRun();
    };
    if (socket.connected) return go();
    socket.once('connect', go);
    return () => void socket.off('connect', go);
  }, [opened.runOnOpen, opened.ranOnOpen, catalogue, socket, doRun]);

  /** Back to the examples with an empty canvas (the toolbar's New, the title), asking before unsaved work or a run is dropped. */
  const startOver = useCallback(() => {
    if ((dirty || busy) && !window.confirm(busy ? 'Cancel the run and start a new graph? Unsaved changes are dropped.' : 'Drop the unsaved changes and start a new graph?')) return;
    if (busy) run.cancel();
    clearWorkingCopy();
    ed.load({ version: GRAPH_FORMAT_VERSION, nodes: [], edges: [] });
    run.show(IDLE_RUN);
    sv.reset();
    setTitle('');
    settle('');
    setNotice(null);
    setLink(null);
    window.history.replaceState(null, '', '/');
  }, [dirty, busy, run, ed, sv, settle]);

  const openFile = useCallback(
    async (file: File) => {
      try {
        const g = await graphFromFile(file);
        ed.load(g, { keepHistory: true });
        if (!sv.saved) settle(title); // an unsaved canvas now shows the file; a saved graph's edit it is
        ed.requestFit();
        say(`Opened the graph from ${file.name} (${g.nodes.length} nodes).`);
      } catch (e) {
        say((e as Error).message, true);
      }
    },
    [ed, say, sv.saved, settle, title],
  );

  const { addAt, onDrop } = useCanvasDrop(store, catalogue, readOnly, (f) => void openFile(f));

  const queue = useRunQueue(store, doRun);
  const history = useRunHistory(store, { queue, cancelRun: run.cancel, context: () => ({ title: titleOf(title), graphId: sv.saved?.token ? sv.saved.id : null }) });
  // the panel docks beside the canvas, which shrinks: fit the cards to what is left (and back)
  const showHistory = history.open && !readOnly;
  const dockedBefore = useRef(showHistory);
  useEffect(() => {
    if (dockedBefore.current === showHistory) return;
    dockedBefore.current = showHistory;
    if (store.getState().nodes.length) ed.requestFit({ follow: true });
  }, [showHistory, store, ed]);
  const reopen = useReopenRun({ store, run, sv, dirty, say, onTitle, markGone: (id) => history.put({ id, gone: true }) });
  const popups = useCanvasPopups(catalogue, readOnly);
  const selected = nodes.filter((n) => n.selected);
  const actions: ActionState = {
    readOnly,
    busy,
    canUndo,
    canRedo,
    saved: !!sv.saved,
    dirty,
    notebook,
    history: history.open,
    selected: selected.length,
    do: {
      run: queue.start,
      cancel: run.cancel,
      undo: ed.undo,
      redo: ed.redo,
      fit: () => void rf.fitView(FIT),
      tidy: () => {
        ed.arrange();
        ed.requestFit();
      },
      toggleNotebook: () => ed.setNotebook(!notebook),
      toggleHistory: history.toggle,
      save: () => void doSave(),
      share: () => void doShare(),
      fork: () => void doFork(),
      startOver,
      exportJson: () => downloadJson(currentGraph(), `${(title.trim() || 'graph').replace(/[^\w. -]+/g, '_')}.json`),
      pickFile: () => fileInput.current?.click(),
      copy: ed.copy,
      paste: ed.paste,
      selectAll: ed.selectAll,
      rename: () => selected.length === 1 && ed.setRenaming(selected[0]!.id),
      toggleCollapsed: ed.toggleCollapsed,
      duplicate: () => void ed.duplicateSelected(),
      remove: () => void ed.deleteSelected(),
      search: popups.searchHere,
      ...modeAndGroupActions(ed, say),
    },
  };
  useShortcuts(actions);

  return (
    <div className={`studio${readOnly ? ' read-only' : ''}`}>
      <header className="topbar">
        <h1>
          {/* the editor's title starts over in place (asking first); the share page's is a link home */}
          <a href="/" className="home" onClick={readOnly ? undefined : (e) => (e.preventDefault(), startOver())}>
            unCLIP Studio
          </a>
        </h1>
        {header}
        {readOnly ? (
          title ? <span className="graph-title">{title}</span> : null
        ) : (
          <input className="graph-title" value={title} placeholder="Untitled graph" maxLength={200} aria-label="graph title" data-testid="graph-title" onChange={(e) => setTitle(e.target.value)} />
        )}
        <Toolbar state={actions} fileInput={fileInput} onFile={(f) => void openFile(f)} afterRun={<RunCount count={queue.count} left={queue.left} onCount={queue.setCount} />} />
      </header>
      <RunStatus notice={notice} link={link} readOnly={readOnly} title={sv.saved?.title} notRun={opened.notRun} onRunInFork={() => void doFork(true)} viewId={viewId} />
      <div className="workspace">
        {!readOnly ? <Palette catalogue={catalogue} error={catalogueError} onAdd={(t) => addAt(t)} /> : null}
        <main className={`canvas${showHistory ? ' with-history' : ''}`} data-testid="canvas" onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }}>
          {notebook ? <NotebookView nodes={nodes} edges={edges} /> : null}
          <div className="flow" hidden={notebook} onDoubleClick={popups.onDoubleClick}>
            <ReactFlow<StudioNode, Edge>
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              onNodesChange={ed.onNodesChange}
              onEdgesChange={ed.onEdgesChange}
              onConnect={ed.connect}
              isValidConnection={(c) => connectionProblem(c, nodes, edges, catalogue) === null}
              onConnectEnd={(e, s) => popups.onConnectEnd(e, s, () => setNotice({ text: 'That link was refused: the ports do not fit (see the reason shown while dragging).', bad: true, passing: true }))}
              onConnectStart={clearPassing}
              onNodeClick={clearPassing}
              onPaneClick={clearPassing}
              onNodeContextMenu={(e, n) => popups.openMenu(e, n)}
              onPaneContextMenu={(e) => popups.openMenu(e)}
              zoomOnDoubleClick={false}
              onNodeDragStart={() => (clearPassing(), ed.record())}
              onMoveStart={(e) => e && ed.stopFollowing()}
              onBeforeDelete={async () => (ed.record(), true)}
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
              <ConnectionHint nodes={nodes} edges={edges} catalogue={catalogue} />
              <GroupFrames readOnly={readOnly} />
              <AutoFit />
            </ReactFlow>
          </div>
          {popups.popups(actions)}
          {showHistory ? <RunHistory pending={queue.pending} title={titleOf(title)} busy={busy} onOpen={(r) => void reopen(r)} onCancel={history.cancel} onClose={history.close} /> : null}
          {!nodes.length && !readOnly && !notebook ? <Gallery examples={examples ?? []} onOpen={(g) => { ed.load(g, { keepHistory: true }); settle(title); ed.requestFit(); }} /> : null}
        </main>
        <Inspector
          node={selected.length === 1 ? selected[0]! : null}
          count={selected.length}
          nodes={nodes}
          edges={edges}
          catalogue={catalogue}
          readOnly={readOnly}
          onParam={ed.setParam}
          onLink={(target, port, from) => (from ? ed.connect({ source: from[0], sourceHandle: from[1], target, targetHandle: port }) : ed.unlink(target, port))}
        />
      </div>
    </div>
  );
}
