/**
 * The StateStore in SQLite (better-sqlite3, WAL, synchronous=FULL): the embedded
 * default. A revision row is written in one transaction with its function's traffic
 * table and generation, after its artifacts are stored, so a crash never leaves a
 * revision without code. better-sqlite3 is synchronous; the methods are async so that
 * callers are written for stores that are not (a JetStream KV).
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
`;

/** The latest revision rides along with each function row, so one query reads a whole FunctionRecord. */
const FUNCTION_COLUMNS = `f.name, f.created_at, f.traffic, f.generation,
  (SELECT r.name FROM revisions r WHERE r.function = f.name ORDER BY r.seq DESC LIMIT 1) AS latest`;

interface RevisionRow { name: string; function: string; seq: number; digest: string; runtime: string; config: string; created_at: number }
interface FunctionRow { name: string; created_at: number; traffic: string; generation: number; latest: string | null }

export class SqliteStateStore implements StateStore {
  readonly #db: Database.Database;
  readonly #listeners = new Set<(c: StateChange) => void>();
  readonly #q;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.#db = new Database(join(dataDir, 'isoedge.db'));
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
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
    };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#db.close();
  }

  watch(listener: (c: StateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(changes: StateChange[]): void {
    for (const c of changes) for (const l of this.#listeners) l(c);
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
    const revision = this.#db.transaction(() => {
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
    }).immediate();
    const fn = this.#function(r.function)!;
    this.#emit([{ kind: 'revision', name: revision.name, fn: r.function, revision }, { kind: 'function', name: fn.name, function: fn }]);
    return { revision, function: fn };
  }

  async setTraffic(fn: string, table: TrafficTarget[], generation: number): Promise<FunctionRecord> {
    const changed = this.#q.setTraffic.run(JSON.stringify(table), fn, generation).changes;
    if (changed === 0) throw this.#conflict(fn, generation);
    const f = this.#function(fn)!;
    this.#emit([{ kind: 'function', name: fn, function: f }]);
    return f;
  }

  #conflict(fn: string, generation: number): EdgeError {
    const now = this.#q.fnRow.get(fn) as { generation: number } | undefined;
    if (!now) return new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(fn)}`);
    return new EdgeError('EDGE_ERR_CONFLICT', `function ${fn} changed while this request ran (generation ${generation} is now ${now.generation}); read it again and retry`);
  }

  async deleteFunction(name: string): Promise<RevisionRecord[]> {
    const revs = this.#db.transaction(() => {
      const rows = (this.#q.revisionsOf.all(name) as RevisionRow[]).map(toRevision);
      this.#q.deleteRevs.run(name);
      this.#q.deleteFn.run(name);
      return rows;
    }).immediate();
    this.#emit([...revs.map((r): StateChange => ({ kind: 'revision', name: r.name, fn: name, revision: undefined })), { kind: 'function', name, function: undefined }]);
    return revs;
  }

  async deleteRevision(name: string, generation: number): Promise<void> {
    const row = this.#q.revision.get(name) as RevisionRow | undefined;
    if (!row) return;
    this.#db.transaction(() => {
      if (this.#q.bump.run(row.function, generation).changes === 0) throw this.#conflict(row.function, generation);
      this.#q.deleteRev.run(name);
    }).immediate();
    this.#emit([{ kind: 'revision', name, fn: row.function, revision: undefined }, { kind: 'function', name: row.function, function: this.#function(row.function) }]);
  }

  async isDigestUsed(digest: string): Promise<boolean> {
    return this.#q.digestUsed.get(digest) !== undefined;
  }
}

function toFunction(r: FunctionRow): FunctionRecord {
  return { name: r.name, createdAt: r.created_at, traffic: JSON.parse(r.traffic) as TrafficTarget[], latestRevision: r.latest ?? undefined, generation: r.generation };
}

function toRevision(r: RevisionRow): RevisionRecord {
  return { name: r.name, function: r.function, seq: r.seq, digest: r.digest, runtime: r.runtime as RuntimeKind, config: JSON.parse(r.config) as RevisionConfig, createdAt: r.created_at };
}
