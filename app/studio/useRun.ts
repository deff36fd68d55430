'use client';
// Runs over socket.io: run:start with the graph (and the saved graph's id + edit token, so the
// server keeps the run for the share link), run:cancel, and every server event folded into a
// RunView in the studio store (store.ts). Binary frames and images arrive as ArrayBuffers; they become blob: URLs here, so the
// rest of the studio only ever sees URLs. A run's URLs are freed when the run after the next one
// starts, except the step frames the step history keeps (a later run served from the cache shows
// them again; the history frees them when it lets them go): see the section at the end.
// A run outlives the connection (the server's grace period): after a dropped connection the
// socket reconnects and watches the run again, with its owner key, so the view is rebuilt from
// the server's replay and Cancel still works; a reload does the same from the tab's working copy
// (useAutosave.ts, Workspace.tsx).
import { useCallback, useEffect, useRef, useState } from 'react';
import { imageList, type Graph, type NodeEvent, type RunEvent, type ServerToClientEvents, type WireValue } from '../../protocol';
import { applyEvent, emptyNode, IDLE_RUN, refused, startRun, type RunView } from '../lib/runState';
import { runEditEnds } from '../lib/runEdits';
import { StepHistory } from '../lib/stepHistory';
import { isBusy, useStudioApi } from './store';
import type { StudioSocket } from './useServerInfo';

const RUN_EVENTS = ['run:queued', 'node:start', 'node:cached', 'node:step', 'node:output', 'node:error', 'run:done', 'run:cancelled', 'run:error'] as const;

function isBinary(x: unknown): x is ArrayBuffer | Uint8Array {
  return x instanceof ArrayBuffer || x instanceof Uint8Array;
}

function sniffMime(b: Uint8Array): string {
  if (b[0] === 0x89 && b[1] === 0x50) return 'image/png';
  if (b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57) return 'image/webp';
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  return 'application/octet-stream';
}

export function useRun(socket: StudioSocket | null) {
  const store = useStudioApi();
  const setView = useCallback((v: RunView | ((v: RunView) => RunView)) => store.getState().setRun(typeof v === 'function' ? v : () => v), [store]);
  const runId = useRef<string | null>(null);
  /** the key that makes this tab the owner of the run it started (run:start's reply) */
  const ownerKey = useRef<{ runId: string; key: string } | null>(null);
  /** what to do if the server no longer has the run this page follows */
  const gone = useRef<() => void>(() => {});
  const urls = useRef<string[]>([]);
  const lastRunUrls = useRef<string[]>([]);
  const lastNodes = useRef<RunView['nodes']>({});
  const steps = useStepHistory();
  const ran = useRef<RunningGraph | null>(null);
  const recheckEdits = useCancelOnEdit(ran, (why) => {
    setView((v) => ({ ...v, cancelReason: why }));
    const id = runId.current;
    if (id) sock.current?.emit('run:cancel', { runId: id }, () => {});
  });
  // the socket arrives after the first render; callbacks made earlier must still see it
  const sock = useRef(socket);
  sock.current = socket;

  const toUrl = useCallback((x: unknown): unknown => {
    if (!isBinary(x)) return x;
    const bytes = x instanceof Uint8Array ? x : new Uint8Array(x);
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: sniffMime(bytes) }));
    urls.current.push(url);
    return url;
  }, []);

  useEffect(() => {
    if (!socket) return;
    const off: (() => void)[] = [];
    for (const name of RUN_EVENTS) {
      const handler = (payload: Parameters<ServerToClientEvents[typeof name]>[0]) => {
        if (payload.runId !== runId.current) return; // not the run this page follows
        let p: unknown = payload;
        if (name === 'node:step') {
          const s = payload as Extract<RunEvent, { event: 'node:step' }>['payload'];
          p = s.frame !== undefined ? { ...s, frame: toUrl(s.frame) } : s;
        } else if (name === 'node:output') {
          const o = payload as Extract<RunEvent, { event: 'node:output' }>['payload'];
          const outputs: Record<string, WireValue> = {};
          for (const [port, v] of Object.entries(o.outputs)) outputs[port] = v.kind === 'image' ? { ...v, images: imageList(v.images).map((im) => toUrl(im) as string) } : v;
          p = { ...o, outputs };
        }
        const ev = { event: name, payload: p } as RunEvent;
        setView((v) => applyEvent(name === 'node:cached' ? steps.carry(v, payload as NodeEvent) : v, ev));
        if (name === 'node:output' || name === 'node:cached') steps.keep((payload as NodeEvent).nodeId, (payload as NodeEvent).variant);
      };
      socket.on(name, handler as never);
      off.push(() => socket.off(name, handler as never));
    }
    // a run:start whose reply was lost with the connection never started as far as we know;
    // a run that was going is watched again once the socket is (re)connected: the server keeps
    // it for a grace period and replays it
    const onDisconnect = () => setView((v) => (v.phase === 'starting' ? refused('DISCONNECTED', 'lost the connection to the server', []) : v));
    const onConnect = () => {
      const v = store.getState().run;
      if (!v.runId || v.runId !== runId.current || (v.phase !== 'queued' && v.phase !== 'running')) return;
      if (v.phase === 'running') {
        // the replay rebuilds this run's view from its first event: its old frames' URLs go
        for (const u of urls.current) URL.revokeObjectURL(u);
        urls.current = [];
        setView((w) => startRun(v.runId!, Object.keys(w.nodes), w.carried));
      }
      rewatch(socket, v.runId);
    };
    socket.on('disconnect', onDisconnect);
    socket.on('connect', onConnect);
    return () => {
      off.forEach((f) => f());
      socket.off('disconnect', onDisconnect);
      socket.off('connect', onConnect);
    };
    // rewatch only reads refs
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [socket, toUrl, setView, store, steps]);

  const start = useCallback(
    (graph: Graph, runnable: string[], saved?: { graphId: string; editToken: string }) => {
      if (!socket?.connected) {
        setView(refused('DISCONNECTED', 'not connected to the server', []));
        return;
      }
      for (const u of lastRunUrls.current) if (!steps.holds(u)) URL.revokeObjectURL(u);
      lastRunUrls.current = urls.current;
      urls.current = [];
      runId.current = null;
      ran.current = { graph, runnable };
      setView((v) => {
        if (v.phase !== 'starting') lastNodes.current = v.nodes;
        return { ...IDLE_RUN, phase: 'starting' };
      });
      socket.emit('run:start', { graph, options: { previewSize: 128 }, ...saved }, (reply) => {
        if (reply.ok) {
          runId.current = reply.runId;
          ownerKey.current = { runId: reply.runId, key: reply.ownerKey };
          const id = reply.runId;
          gone.current = () => setView((v) => (v.runId === id ? { ...v, phase: 'error', error: { code: 'DISCONNECTED', message: 'the server no longer has this run' } } : v));
          setView(startRun(reply.runId, runnable, lastNodes.current));
          recheckEdits(); // a deletion while the start was on its way
        } else {
          setView(refused(reply.error.code, reply.error.message, reply.error.nodeErrors ?? []));
        }
      });
    },
    [socket, setView, recheckEdits],
  );

  const cancel = useCallback(() => {
    const id = runId.current;
    if (id && socket) socket.emit('run:cancel', { runId: id }, () => {});
  }, [socket]);

  /** Show a stored run (the share page, or a saved graph reopened): events already carry data: URLs. */
  const show = useCallback((v: RunView) => {
    runId.current = v.runId;
    ran.current = null;
    setView(v);
    for (const id of Object.keys(v.nodes)) steps.keep(id);
  }, [setView, steps]);

  /** run:watch of the run this page follows, as its owner where this tab holds the key; `gone` if the server lost it. */
  function rewatch(s: StudioSocket, id: string) {
    const key = ownerKey.current?.runId === id ? ownerKey.current.key : undefined;
    s.emit('run:watch', { runId: id, options: { previewSize: 128 }, ...(key ? { ownerKey: key } : {}) }, (reply) => {
      if (!reply.ok && runId.current === id) gone.current();
    });
  }

  /**
   * Follow a run (a share link opened mid-run, this tab's run after a reload): the server
   * replays its events so far, then sends the live ones. `nodes`: shown as queued until their
   * events say otherwise. `onGone`: the server no longer has it (restarted, or forgot it). With
   * the run's owner key (`key`) this tab owns it again. Before the socket is connected the view
   * waits as queued; the watch goes out on connect.
   */
  const follow = useCallback(
    (id: string, nodes: string[], onGone: () => void, key?: string) => {
      if (key) ownerKey.current = { runId: id, key };
      runId.current = id;
      ran.current = null; // after a reload the page does not know which graph ran: no cancel on edit
      gone.current = onGone;
      setView((v) => startRun(id, nodes, v.nodes));
      const s = sock.current;
      if (s?.connected) rewatch(s, id);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [setView],
  );

  /** Follow a stored run that may still be going; falls back to the stored events if the server has let go. */
  const watch = useCallback((id: string, stored: RunView) => follow(id, [], () => show(stored)), [follow, show]);

  /** The run this tab started and may cancel (with the key to take it back after a reload), if the view shows it. */
  const owned = useCallback((): { runId: string; ownerKey: string } | null => {
    const o = ownerKey.current;
    return o && o.runId === runId.current ? { runId: o.runId, ownerKey: o.key } : null;
  }, []);

  return { start, cancel, show, watch, follow, owned };
}

// ---- step history ----
// Nodes' steps by output cache key (lib/stepHistory.ts), across runs: a node that comes back
// `node:cached` shows the steps kept under its key, so a fully cached rerun keeps every filmstrip,
// schedule and trajectory. Frames the history lets go are freed here.
function useStepHistory() {
  const store = useStudioApi();
  const [steps] = useState(() => {
    const history = new StepHistory();
    return {
      /** The view, with the steps kept under the cached node's key carried for it. */
      carry(v: RunView, e: NodeEvent): RunView {
        const kept = e.key !== undefined ? history.get(e.key) : undefined;
        return kept ? { ...v, carried: { ...v.carried, [e.nodeId]: { ...emptyNode('done'), ...kept } } } : v;
      },
      /** Keep what the node shows now under its key (in a sweep, what it showed in that variant). */
      keep(nodeId: string, variant?: number) {
        const run = store.getState().run;
        const n = variant === undefined ? run.nodes[nodeId] : run.variants?.[variant]?.[nodeId];
        if (n) for (const u of history.keep(n)) URL.revokeObjectURL(u);
      },
      holds: (url: string) => history.holds(url),
    };
  });
  return steps;
}

// ---- cancel on edit ----
// Deleting a node or link the running run uses cancels the run, and the run line says which
// (lib/runEdits.ts): the run would otherwise go on filling cards from a graph no longer shown.

interface RunningGraph {
  graph: Graph;
  /** The nodes that run (not the passive notes). */
  runnable: string[];
}

/** Watches the editor while a run goes; returns a check to run once the run has its id. */
function useCancelOnEdit(ran: { current: RunningGraph | null }, cancelBecause: (why: string) => void): () => void {
  const store = useStudioApi();
  const act = useRef(cancelBecause);
  act.current = cancelBecause;
  const check = useCallback(() => {
    const s = store.getState();
    if (!ran.current || !isBusy(s) || s.run.cancelReason) return;
    const why = runEditEnds(ran.current.graph, ran.current.runnable, s.nodes, s.edges);
    if (why) act.current(why);
  }, [store, ran]);
  useEffect(() => store.subscribe((s, prev) => (s.nodes !== prev.nodes || s.edges !== prev.edges) && check()), [store, check]);
  return check;
}
