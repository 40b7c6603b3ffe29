/**
 * The StateStore in SQLite (better-sqlite3, WAL, synchronous=FULL): the embedded
 * default. A revision row is written in one transaction with its function's traffic
 * table and generation, after its artifacts are stored, so a crash never leaves a
 * revision without code. better-sqlite3 is synchronous; the methods are async so that
 * callers are written for stores that are not (a JetStream KV).
 *
 * Every write also appends the function it changed to a `changes` table, in its transaction; the
 * change feed is read from there (reconciling each changed function against what this store last
 * saw), so several processes on one data directory (`--processes N`) each follow every write: with
 * `shared`, a process polls SQLite's data_version and catches up on other processes' commits.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeError } from '../../core/errors.ts';
import { revisionName } from '../../core/ids.ts';
import type { FunctionRecord, NewRevision, RevisionConfig, RevisionRecord, RuntimeKind, StateChange, StateStore, TrafficTarget } from '../types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS functions (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  next_seq INTEGER NOT NULL,
  traffic TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS revisions (
  name TEXT PRIMARY KEY,
  function TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  digest TEXT NOT NULL,
  runtime TEXT NOT NULL,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS revisions_by_function ON revisions(function, seq);
CREATE INDEX IF NOT EXISTS revisions_by_digest ON revisions(digest);
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  function TEXT NOT NULL
);
`;
/** Change rows kept for processes that fell behind; one further behind reconciles every function. */
const CHANGES_KEPT = 10_000;

/** The latest revision rides along with each function row, so one query reads a whole FunctionRecord. */
const FUNCTION_COLUMNS = `f.name, f.created_at, f.traffic, f.generation,
  (SELECT r.name FROM revisions r WHERE r.function = f.name ORDER BY r.seq DESC LIMIT 1) AS latest`;

interface RevisionRow { name: string; function: string; seq: number; digest: string; runtime: string; config: string; created_at: number }
interface FunctionRow { name: string; created_at: number; traffic: string; generation: number; latest: string | null }

export interface SqliteStateOptions {
  /** Other processes write this data directory too: poll for their commits every `pollMs` (default 25). */
  shared?: boolean;
  pollMs?: number;
}

export class SqliteStateStore implements StateStore {
  readonly #db: Database.Database;
  readonly #listeners = new Set<(c: StateChange) => void>();
  readonly #q;
  /** What the feed last told of each function: its generation and revisions (to reconcile against). */
  readonly #seen = new Map<string, { generation: number; revisions: Set<string> }>();
  /** The last `changes` row applied. */
  #applied = 0;
  #dataVersion = 0;
  readonly #poll: NodeJS.Timeout | undefined;

  constructor(dataDir: string, opts: SqliteStateOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.#db = new Database(join(dataDir, 'isoedge.db'));
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    // Another process may hold the write lock for a commit: wait for it rather than fail.
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    // Data directories made before generations existed get the column on first open.
    const cols = this.#db.prepare('PRAGMA table_info(functions)').all() as { name: string }[];
    if (!cols.some((c) => c.name === 'generation')) this.#db.exec('ALTER TABLE functions ADD COLUMN generation INTEGER NOT NULL DEFAULT 1');
    const db = this.#db;
    this.#q = {
      functions: db.prepare(`SELECT ${FUNCTION_COLUMNS} FROM functions f ORDER BY f.name`),
      fn: db.prepare(`SELECT ${FUNCTION_COLUMNS} FROM functions f WHERE f.name = ?`),
      fnRow: db.prepare('SELECT next_seq, generation FROM functions WHERE name = ?'),
      revisions: db.prepare('SELECT * FROM revisions ORDER BY function, seq'),
      revisionsOf: db.prepare('SELECT * FROM revisions WHERE function = ? ORDER BY seq'),
      revision: db.prepare('SELECT * FROM revisions WHERE name = ?'),
      latest: db.prepare('SELECT name FROM revisions WHERE function = ? ORDER BY seq DESC LIMIT 1'),
      traffic: db.prepare('SELECT traffic FROM functions WHERE name = ?'),
      insertFn: db.prepare('INSERT INTO functions (name, created_at, next_seq, traffic, generation) VALUES (?, ?, ?, ?, 1)'),
      updateFn: db.prepare('UPDATE functions SET next_seq = ?, traffic = ?, generation = generation + 1 WHERE name = ?'),
      setTraffic: db.prepare('UPDATE functions SET traffic = ?, generation = generation + 1 WHERE name = ? AND generation = ?'),
      bump: db.prepare('UPDATE functions SET generation = generation + 1 WHERE name = ? AND generation = ?'),
      insertRev: db.prepare('INSERT INTO revisions (name, function, seq, digest, runtime, config, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      deleteRevs: db.prepare('DELETE FROM revisions WHERE function = ?'),
      deleteFn: db.prepare('DELETE FROM functions WHERE name = ?'),
      deleteRev: db.prepare('DELETE FROM revisions WHERE name = ?'),
      digestUsed: db.prepare('SELECT 1 FROM revisions WHERE digest = ? LIMIT 1'),
      changed: db.prepare('INSERT INTO changes (function) VALUES (?)'),
      prune: db.prepare('DELETE FROM changes WHERE seq <= ?'),
      changesSince: db.prepare('SELECT seq, function FROM changes WHERE seq > ? ORDER BY seq'),
      firstChange: db.prepare('SELECT MIN(seq) AS seq FROM changes'),
      lastChange: db.prepare('SELECT MAX(seq) AS seq FROM changes'),
    };
    // What is stored now is the starting point: the feed tells of changes from here on.
    this.#applied = (this.#q.lastChange.get() as { seq: number | null }).seq ?? 0;
    for (const f of this.#q.functions.all() as FunctionRow[]) this.#seen.set(f.name, { generation: f.generation, revisions: new Set() });
    for (const r of this.#q.revisions.all() as RevisionRow[]) this.#seen.get(r.function)?.revisions.add(r.name);
    this.#dataVersion = this.#db.pragma('data_version', { simple: true }) as number;
    if (opts.shared) {
      this.#poll = setInterval(() => this.#pollOthers(), opts.pollMs ?? 25);
      this.#poll.unref();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#poll);
    this.#listeners.clear();
    this.#db.close();
  }

  watch(listener: (c: StateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get applied(): number {
    return this.#applied;
  }

  /** data_version moves when another connection (another process) committed: catch up on its changes. */
  #pollOthers(): void {
    const v = this.#db.pragma('data_version', { simple: true }) as number;
    if (v === this.#dataVersion) return;
    this.#dataVersion = v;
    this.#catchUp();
  }

  /** Applies every change row after the last one applied, in order, reconciling each function named. */
  #catchUp(): void {
    const rows = this.#q.changesSince.all(this.#applied) as { seq: number; function: string }[];
    const first = (this.#q.firstChange.get() as { seq: number | null }).seq;
    // Pruned past what this store applied: it cannot know which functions changed, so it reconciles all.
    const names = first !== null && first > this.#applied + 1 ? new Set([...this.#seen.keys(), ...(this.#q.functions.all() as FunctionRow[]).map((f) => f.name)]) : undefined;
    if (names) for (const n of names) this.#reconcile(n);
    for (const r of rows) {
      if (!names) this.#reconcile(r.function);
      this.#applied = r.seq;
    }
  }

  /** Tells watchers how `fn` differs from what they last heard: revisions gone, revisions new, then the function. */
  #reconcile(fn: string): void {
    const was = this.#seen.get(fn);
    const f = this.#function(fn);
    const revs = f ? (this.#q.revisionsOf.all(fn) as RevisionRow[]).map(toRevision) : [];
    const now = new Set(revs.map((r) => r.name));
    const out: StateChange[] = [];
    for (const name of was?.revisions ?? []) if (!now.has(name)) out.push({ kind: 'revision', name, fn, revision: undefined });
    for (const r of revs) if (!was?.revisions.has(r.name)) out.push({ kind: 'revision', name: r.name, fn, revision: r });
    if (f && f.generation !== was?.generation) out.push({ kind: 'function', name: fn, function: f });
    if (!f && was) out.push({ kind: 'function', name: fn, function: undefined });
    if (f) this.#seen.set(fn, { generation: f.generation, revisions: now });
    else this.#seen.delete(fn);
    for (const c of out) for (const l of this.#listeners) l(c);
  }

  /** Runs a write in one transaction with its change row, then feeds every change up to it to watchers. */
  #commit<T>(fn: string, write: () => T): T {
    const out = this.#db.transaction(() => {
      const v = write();
      const seq = Number(this.#q.changed.run(fn).lastInsertRowid);
      if (seq % 1000 === 0) this.#q.prune.run(seq - CHANGES_KEPT);
      return v;
    }).immediate();
    this.#dataVersion = this.#db.pragma('data_version', { simple: true }) as number;
    this.#catchUp();
    return out;
  }

  #function(name: string): FunctionRecord | undefined {
    const row = this.#q.fn.get(name) as FunctionRow | undefined;
    return row ? toFunction(row) : undefined;
  }

  async listFunctions(): Promise<FunctionRecord[]> {
    return (this.#q.functions.all() as FunctionRow[]).map(toFunction);
  }

  async getFunction(name: string): Promise<FunctionRecord | undefined> {
    return this.#function(name);
  }

  async listRevisions(fn?: string): Promise<RevisionRecord[]> {
    const rows = (fn === undefined ? this.#q.revisions.all() : this.#q.revisionsOf.all(fn)) as RevisionRow[];
    return rows.map(toRevision);
  }

  async getRevision(name: string): Promise<RevisionRecord | undefined> {
    const row = this.#q.revision.get(name) as RevisionRow | undefined;
    return row ? toRevision(row) : undefined;
  }

  async createRevision(r: NewRevision): Promise<{ revision: RevisionRecord; function: FunctionRecord }> {
    const revision = this.#commit(r.function, () => {
      const f = this.#q.fnRow.get(r.function) as { next_seq: number } | undefined;
      const seq = f ? f.next_seq : 1;
      const name = revisionName(r.function, seq);
      const prev = this.#q.latest.get(r.function) as { name: string } | undefined;
      const current = f ? JSON.parse((this.#q.traffic.get(r.function) as { traffic: string }).traffic) as TrafficTarget[] : undefined;
      const table = JSON.stringify(r.traffic(name, current, prev?.name));
      if (f) this.#q.updateFn.run(seq + 1, table, r.function);
      else this.#q.insertFn.run(r.function, r.createdAt, seq + 1, table);
      this.#q.insertRev.run(name, r.function, seq, r.digest, r.runtime, JSON.stringify(r.config), r.createdAt);
      return { name, function: r.function, seq, digest: r.digest, runtime: r.runtime, config: r.config, createdAt: r.createdAt } satisfies RevisionRecord;
    });
    return { revision, function: this.#function(r.function)! };
  }

  async setTraffic(fn: string, table: TrafficTarget[], generation: number): Promise<FunctionRecord> {
    this.#commit(fn, () => {
      if (this.#q.setTraffic.run(JSON.stringify(table), fn, generation).changes === 0) throw this.#conflict(fn, generation);
    });
    return this.#function(fn)!;
  }

  #conflict(fn: string, generation: number): EdgeError {
    const now = this.#q.fnRow.get(fn) as { generation: number } | undefined;
    if (!now) return new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(fn)}`);
    return new EdgeError('EDGE_ERR_CONFLICT', `function ${fn} changed while this request ran (generation ${generation} is now ${now.generation}); read it again and retry`);
  }

  async deleteFunction(name: string): Promise<RevisionRecord[]> {
    return this.#commit(name, () => {
      const rows = (this.#q.revisionsOf.all(name) as RevisionRow[]).map(toRevision);
      this.#q.deleteRevs.run(name);
      this.#q.deleteFn.run(name);
      return rows;
    });
  }

  async deleteRevision(name: string, generation: number): Promise<void> {
    const row = this.#q.revision.get(name) as RevisionRow | undefined;
    if (!row) return;
    this.#commit(row.function, () => {
      if (this.#q.bump.run(row.function, generation).changes === 0) throw this.#conflict(row.function, generation);
      this.#q.deleteRev.run(name);
    });
  }

  async isDigestUsed(digest: string): Promise<boolean> {
    return this.#q.digestUsed.get(digest) !== undefined;
  }

  async restoreFunction(f: { name: string; createdAt: number; traffic: TrafficTarget[] }, revisions: RevisionRecord[]): Promise<FunctionRecord> {
    for (const r of revisions) if (r.function !== f.name) throw new TypeError(`revision ${r.name} is of function ${r.function}, not ${f.name}`);
    this.#commit(f.name, () => {
      if (this.#q.fnRow.get(f.name)) throw new EdgeError('EDGE_ERR_CONFLICT', `function ${f.name} exists; an import never overwrites it (delete it first to import it)`);
      const next = Math.max(0, ...revisions.map((r) => r.seq)) + 1;
      this.#q.insertFn.run(f.name, f.createdAt, next, JSON.stringify(f.traffic));
      for (const r of revisions) this.#q.insertRev.run(r.name, f.name, r.seq, r.digest, r.runtime, JSON.stringify(r.config), r.createdAt);
    });
    return this.#function(f.name)!;
  }
}

function toFunction(r: FunctionRow): FunctionRecord {
  return { name: r.name, createdAt: r.created_at, traffic: JSON.parse(r.traffic) as TrafficTarget[], latestRevision: r.latest ?? undefined, generation: r.generation };
}

function toRevision(r: RevisionRow): RevisionRecord {
  return { name: r.name, function: r.function, seq: r.seq, digest: r.digest, runtime: r.runtime as RuntimeKind, config: JSON.parse(r.config) as RevisionConfig, createdAt: r.created_at };
}
