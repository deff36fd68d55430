// Graphs and their runs in SQLite (better-sqlite3 12), in UNCLIP_DATA_DIR (default ./data).
//
// - A graph gets an unguessable share id (128 random bits, base64url) and an edit token (another
//   128 bits) that is kept only as its sha-256: a leaked database does not leak edit rights.
// - A run of a saved graph keeps every event it emitted (step frames and outputs as data: URLs),
//   so a share link shows the last run without rerunning.
// - WAL journal, synchronous=NORMAL: every committed transaction survives the process being
//   killed (kill -9) at any point; only an OS crash or power loss may drop the last commits.
//   Runs still "running" when the process died are marked "interrupted" at the next start.
// - Bounded (issue 22, item 5): each new run prunes the stored runs the retention rule lets go
//   (RunRetention), a run's steps are stored without frames and embeddings past its size limit
//   (the runner keeps its log within it: server/run-log.ts), and a
//   graph can be deleted with its edit token, its runs with it.
// - A node a run served from the cache streamed no steps; its steps are the ones stored by the run
//   that made that output under the same cache key. The store keeps a reference to them
//   (run_step_sources), not a copy, and a run that holds referenced steps is not pruned while a
//   kept run refers to it; getRun puts them back, so a share link of a fully cached rerun still
//   shows its filmstrips.
// - Store.open checks the file (PRAGMA quick_check, which reads every page): a damaged or
//   unreadable database stops start-up with one line (StoreOpenError), not failed requests later.
import Database from 'better-sqlite3';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { echo, type Graph, type RunEvent, type SavedGraph, type StoredRun } from '../protocol/index.js';

export type { StoredRun };


export type TokenCheck = 'ok' | 'forbidden' | 'not-found';

/**
 * Which stored runs are kept: the newest `keepPerGraph` of each graph, and none older than
 * `maxAgeDays` (0: no age limit); a graph's newest finished run (what its share link shows) and
 * runs still going are always kept.
 */
export interface RunRetention {
  keepPerGraph: number;
  maxAgeDays: number;
}

export const newId = (): string => randomBytes(16).toString('base64url');
const hashToken = (t: string): Buffer => createHash('sha256').update(t).digest();

/**
 * The store could not be opened: one line saying what, where and what to do (server/main.ts
 * prints it and exits instead of a stack trace).
 */
export class StoreOpenError extends Error {
  constructor(dir: string, path: string, cause: NodeJS.ErrnoException) {
    const code = String(cause.code ?? '');
    const reason = echo(cause.message.split('\n')[0]!, 300);
    const advice = /^SQLITE_(NOTADB|CORRUPT)/.test(code)
      ? `the file is damaged: move it away (a fresh one is made at start) or put back a backup`
      : /^(EACCES|EPERM|EROFS|SQLITE_CANTOPEN|SQLITE_READONLY|SQLITE_PERM)/.test(code)
        ? `this user cannot write there: make ${dir} writable, or set UNCLIP_DATA_DIR to a folder that is`
        : /^(ENOSPC|SQLITE_FULL)/.test(code)
          ? `the disk is full: free some space`
          : `check the file and its folder (UNCLIP_DATA_DIR)`;
    super(`cannot open the database ${path} (${reason}${code && !reason.includes(code) ? `, ${code}` : ''}): ${advice}`);
  }
}

export class Store {
  readonly db: Database.Database;
  readonly path: string;

  constructor(
    dir: string,
    private readonly retention: RunRetention = { keepPerGraph: Infinity, maxAgeDays: 0 },
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'studio.sqlite');
    this.db = new Database(this.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS graphs (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        graph TEXT NOT NULL,
        token_sha256 BLOB NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        fork_of TEXT
      );
      CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        graph_id TEXT REFERENCES graphs(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        graph TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        ms REAL
      );
      CREATE INDEX IF NOT EXISTS runs_by_graph ON runs(graph_id, started_at);
      CREATE TABLE IF NOT EXISTS run_events (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        event TEXT NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
      -- where a cached node's steps are: the stored run (and its node) that made that output
      CREATE TABLE IF NOT EXISTS run_step_sources (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        node_id TEXT NOT NULL,
        variant INTEGER NOT NULL,
        src_run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        src_node_id TEXT NOT NULL,
        src_variant INTEGER NOT NULL,
        PRIMARY KEY (run_id, node_id, variant)
      );
      CREATE INDEX IF NOT EXISTS run_step_sources_by_src ON run_step_sources(src_run_id);
      CREATE INDEX IF NOT EXISTS node_starts_by_key ON run_events(json_extract(payload, '$.key')) WHERE event = 'node:start';
    `);
    this.db.prepare(`UPDATE runs SET status = 'interrupted' WHERE status IN ('queued', 'running')`).run();
  }

  /**
   * Opens the store in `dir` and checks the file (quick_check reads every page: a damaged one
   * would otherwise show only as 500s on the graphs that live on it). Any failure is a
   * StoreOpenError saying what to do.
   */
  static open(...args: ConstructorParameters<typeof Store>): Store {
    const dir = args[0];
    let store: Store | undefined;
    try {
      store = new Store(...args);
      const check = store.db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
      return store;
    } catch (e) {
      if (store?.db.open) store.close();
      throw new StoreOpenError(dir, join(dir, 'studio.sqlite'), e as NodeJS.ErrnoException);
    }
  }

  createGraph(graph: Graph, title: string, forkOf: string | null = null): { id: string; editToken: string } {
    const id = newId();
    const editToken = randomBytes(16).toString('base64url');
    const now = new Date().toISOString();
    this.db
      .prepare(`INSERT INTO graphs (id, title, graph, token_sha256, created_at, updated_at, fork_of) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(id, title, JSON.stringify(graph), hashToken(editToken), now, now, forkOf);
    return { id, editToken };
  }

  getGraph(id: string): SavedGraph | null {
    const r = this.db.prepare(`SELECT id, title, graph, created_at, updated_at, fork_of FROM graphs WHERE id = ?`).get(id) as
      | { id: string; title: string; graph: string; created_at: string; updated_at: string; fork_of: string | null }
      | undefined;
    if (!r) return null;
    return { id: r.id, title: r.title, graph: JSON.parse(r.graph) as Graph, createdAt: r.created_at, updatedAt: r.updated_at, forkOf: r.fork_of, latestRunId: this.latestRunId(id) };
  }

  checkToken(id: string, token: string | undefined): TokenCheck {
    const r = this.db.prepare(`SELECT token_sha256 FROM graphs WHERE id = ?`).get(id) as { token_sha256: Buffer } | undefined;
    if (!r) return 'not-found';
    if (!token) return 'forbidden';
    return timingSafeEqual(r.token_sha256, hashToken(token)) ? 'ok' : 'forbidden';
  }

  updateGraph(id: string, token: string | undefined, graph: Graph, title?: string): TokenCheck {
    const check = this.checkToken(id, token);
    if (check !== 'ok') return check;
    const now = new Date().toISOString();
    if (title === undefined) this.db.prepare(`UPDATE graphs SET graph = ?, updated_at = ? WHERE id = ?`).run(JSON.stringify(graph), now, id);
    else this.db.prepare(`UPDATE graphs SET graph = ?, title = ?, updated_at = ? WHERE id = ?`).run(JSON.stringify(graph), title, now, id);
    return 'ok';
  }

  /** Deletes a graph and its stored runs (the edit token decides). */
  deleteGraph(id: string, token: string | undefined): TokenCheck {
    const check = this.checkToken(id, token);
    if (check !== 'ok') return check;
    // runs and their events go with it (ON DELETE CASCADE)
    this.db.prepare(`DELETE FROM graphs WHERE id = ?`).run(id);
    return 'ok';
  }

  /** Records a new run, and prunes what the retention rule no longer keeps (pruned on write). */
  createRun(run: { id: string; graphId: string | null; graph: Graph; startedAt: Date }): void {
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO runs (id, graph_id, status, graph, started_at) VALUES (?, ?, 'running', ?, ?)`)
        .run(run.id, run.graphId, JSON.stringify(run.graph), run.startedAt.toISOString());
      if (run.graphId) this.pruneRuns(run.graphId);
    })();
  }

  /** Deletes the runs the retention rule lets go: past the newest N of this graph, and (all graphs) past the age limit. */
  pruneRuns(graphId: string): number {
    // a graph's newest finished run: what its share link shows, kept whatever its age or rank
    const shown = `SELECT d.id FROM runs d WHERE d.status = 'done' AND NOT EXISTS (
      SELECT 1 FROM runs n WHERE n.graph_id = d.graph_id AND n.status = 'done' AND (n.started_at > d.started_at OR (n.started_at = d.started_at AND n.rowid > d.rowid)))`;
    // a run whose steps a kept run shows for a cached node (run_step_sources) goes with the last such run
    const sources = `SELECT src_run_id FROM run_step_sources WHERE src_run_id <> run_id`;
    let n = 0;
    const { keepPerGraph, maxAgeDays } = this.retention;
    if (Number.isFinite(keepPerGraph)) {
      n += this.db
        .prepare(`DELETE FROM runs WHERE graph_id = ? AND status NOT IN ('queued', 'running') AND id NOT IN (${shown})
          AND id NOT IN (${sources}) AND id NOT IN (SELECT id FROM runs WHERE graph_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?)`)
        .run(graphId, graphId, keepPerGraph).changes;
    }
    if (maxAgeDays > 0) {
      const before = new Date(Date.now() - maxAgeDays * 86_400_000).toISOString();
      n += this.db.prepare(`DELETE FROM runs WHERE started_at < ? AND status NOT IN ('queued', 'running') AND id NOT IN (${shown}) AND id NOT IN (${sources})`).run(before).changes;
    }
    return n;
  }

  /** Appends events (already JSON-safe) from sequence number `from`, in one transaction. */
  appendEvents(runId: string, from: number, events: RunEvent[]): void {
    const ins = this.db.prepare(`INSERT INTO run_events (run_id, seq, event, payload) VALUES (?, ?, ?, ?)`);
    this.db.transaction(() => {
      events.forEach((e, i) => {
        ins.run(runId, from + i, e.event, JSON.stringify(e.payload));
        if (e.event === 'node:cached') this.linkCachedSteps(runId, e.payload);
      });
    })();
  }

  /**
   * A node served from the cache: finds the stored run whose node made that output (node:start
   * with the same key, and its node:output: it finished) and notes where its steps are. The
   * newest such run, of the same graph first (a sweep's variant may find it in its own run); none (the output was made by an unsaved graph's
   * run): nothing is noted, and the node shows no steps, as before.
   */
  private linkCachedSteps(runId: string, p: { nodeId: string; key?: string; variant?: number }): void {
    if (p.key === undefined) return;
    const src = this.db
      .prepare(
        `SELECT s.run_id AS runId, json_extract(s.payload, '$.nodeId') AS nodeId, json_extract(s.payload, '$.variant') AS variant
         FROM run_events s JOIN runs r ON r.id = s.run_id
         WHERE s.event = 'node:start' AND json_extract(s.payload, '$.key') = ?
           AND EXISTS (SELECT 1 FROM run_events o WHERE o.run_id = s.run_id AND o.seq > s.seq AND o.event = 'node:output'
             AND json_extract(o.payload, '$.nodeId') = json_extract(s.payload, '$.nodeId')
             AND json_extract(o.payload, '$.variant') IS json_extract(s.payload, '$.variant'))
         ORDER BY r.graph_id IS (SELECT graph_id FROM runs WHERE id = ?) DESC, r.started_at DESC, r.rowid DESC LIMIT 1`,
      )
      .get(p.key, runId) as { runId: string; nodeId: string; variant: number | null } | undefined;
    if (!src) return;
    this.db
      .prepare(`INSERT OR REPLACE INTO run_step_sources (run_id, node_id, variant, src_run_id, src_node_id, src_variant) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(runId, p.nodeId, p.variant ?? -1, src.runId, src.nodeId, src.variant ?? -1);
  }

  /**
   * A run's events with its cached nodes' steps (linkCachedSteps) put back, each just before its
   * node:cached, so a view folding them ends with the node done and cached: for a stored run, and
   * for a saved graph's run the runner still holds (GET /api/runs/:id, its animation).
   */
  withCachedSteps(runId: string, events: RunEvent[]): RunEvent[] {
    const carried = this.cachedSteps(runId);
    if (carried.size === 0) return events;
    return events.flatMap((e) => (e.event === 'node:cached' ? [...(carried.get(`${e.payload.nodeId}/${e.payload.variant ?? -1}`) ?? []), e] : [e]));
  }

  /** The steps a run's cached nodes show (linkCachedSteps), as this run's events, by node and variant ("node/variant"). */
  private cachedSteps(runId: string): Map<string, RunEvent[]> {
    const out = new Map<string, RunEvent[]>();
    const links = this.db.prepare(`SELECT node_id, variant, src_run_id, src_node_id, src_variant FROM run_step_sources WHERE run_id = ?`).all(runId) as {
      node_id: string; variant: number; src_run_id: string; src_node_id: string; src_variant: number;
    }[];
    const steps = this.db.prepare(
      `SELECT payload FROM run_events WHERE run_id = ? AND event = 'node:step' AND json_extract(payload, '$.nodeId') = ? AND coalesce(json_extract(payload, '$.variant'), -1) = ? ORDER BY seq`,
    );
    for (const l of links) {
      const evs = (steps.all(l.src_run_id, l.src_node_id, l.src_variant) as { payload: string }[]).map((r) => {
        const { variant: _v, ...p } = JSON.parse(r.payload) as Extract<RunEvent, { event: 'node:step' }>['payload'];
        return { event: 'node:step', payload: { ...p, runId, nodeId: l.node_id, ...(l.variant < 0 ? {} : { variant: l.variant }) } } as RunEvent;
      });
      out.set(`${l.node_id}/${l.variant}`, evs);
    }
    return out;
  }

  /**
   * Caps the database file at about `bytes` (PRAGMA max_page_count, for this connection): past it
   * writes fail with SQLITE_FULL, as on a full disk (UNCLIP_MAX_DB_MB).
   */
  limitBytes(bytes: number): void {
    const page = this.db.pragma('page_size', { simple: true }) as number;
    this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(bytes / page))}`);
  }

  /**
   * Marks a run failed when its events could not all be stored: the part that was stored goes
   * (which also frees the room this needs on a full database) and `end` is its one event, so a
   * stored run is whole or says it failed, never silently cut short.
   */
  failRun(runId: string, end: RunEvent, ms: number, finishedAt: Date): void {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM run_events WHERE run_id = ?`).run(runId);
      this.db.prepare(`INSERT INTO run_events (run_id, seq, event, payload) VALUES (?, 0, ?, ?)`).run(runId, end.event, JSON.stringify(end.payload));
      this.finishRun(runId, 'error', ms, finishedAt);
    })();
  }

  finishRun(runId: string, status: string, ms: number, finishedAt: Date): void {
    this.db.prepare(`UPDATE runs SET status = ?, ms = ?, finished_at = ? WHERE id = ?`).run(status, ms, finishedAt.toISOString(), runId);
  }

  getRun(runId: string): StoredRun | null {
    const r = this.db.prepare(`SELECT * FROM runs WHERE id = ?`).get(runId) as
      | { id: string; graph_id: string | null; status: string; graph: string; started_at: string; finished_at: string | null; ms: number | null }
      | undefined;
    if (!r) return null;
    const stored = (this.db.prepare(`SELECT event, payload FROM run_events WHERE run_id = ? ORDER BY seq`).all(runId) as { event: string; payload: string }[]).map(
      (e) => ({ event: e.event, payload: JSON.parse(e.payload) }) as RunEvent,
    );
    const events = this.withCachedSteps(runId, stored);
    return { id: r.id, graphId: r.graph_id, status: r.status, startedAt: r.started_at, finishedAt: r.finished_at, ms: r.ms, graph: JSON.parse(r.graph) as Graph, events };
  }

  /** The graph's newest run that finished (done, or the newest of any status if none finished). */
  latestRun(graphId: string): StoredRun | null {
    const id = this.latestRunId(graphId);
    return id ? this.getRun(id) : null;
  }

  /** The id of the run latestRun returns; null: the graph has no runs yet. */
  latestRunId(graphId: string): string | null {
    const r = (this.db.prepare(`SELECT id FROM runs WHERE graph_id = ? AND status = 'done' ORDER BY started_at DESC, rowid DESC LIMIT 1`).get(graphId) ??
      this.db.prepare(`SELECT id FROM runs WHERE graph_id = ? ORDER BY started_at DESC, rowid DESC LIMIT 1`).get(graphId)) as { id: string } | undefined;
    return r?.id ?? null;
  }

  close(): void {
    this.db.close();
  }
}
