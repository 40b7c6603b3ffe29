/**
 * Functions, revisions and traffic tables in SQLite (better-sqlite3, WAL,
 * synchronous=FULL). A revision row is written in one transaction with its
 * function's traffic table, after its artifacts are on disk, so a crash never
 * leaves a revision without code.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RevisionConfig, RevisionRecord, FunctionRecord, TrafficTarget } from './types.ts';

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
`;

interface RevisionRow { name: string; function: string; seq: number; digest: string; runtime: string; config: string; created_at: number }
interface FunctionRow { name: string; created_at: number; next_seq: number; traffic: string }

export class StateStore {
  readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'isoedge.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  listFunctions(): FunctionRecord[] {
    const rows = this.db.prepare('SELECT * FROM functions ORDER BY name').all() as FunctionRow[];
    return rows.map(toFunction);
  }

  getFunction(name: string): FunctionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM functions WHERE name = ?').get(name) as FunctionRow | undefined;
    return row ? toFunction(row) : undefined;
  }

  listRevisions(fn?: string): RevisionRecord[] {
    const rows = (fn === undefined
      ? this.db.prepare('SELECT * FROM revisions ORDER BY function, seq').all()
      : this.db.prepare('SELECT * FROM revisions WHERE function = ? ORDER BY seq').all(fn)) as RevisionRow[];
    return rows.map(toRevision);
  }

  getRevision(name: string): RevisionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM revisions WHERE name = ?').get(name) as RevisionRow | undefined;
    return row ? toRevision(row) : undefined;
  }

  /**
   * Creates the next revision of `fn` (creating the function if needed) and sets
   * its traffic table with `traffic(revisionName, current)`, atomically.
   */
  createRevision(fn: string, digest: string, runtime: string, config: RevisionConfig, now: number,
    traffic: (revision: string, current: TrafficTarget[] | undefined, previousLatest: string | undefined) => TrafficTarget[]): RevisionRecord {
    return this.db.transaction(() => {
      const f = this.db.prepare('SELECT * FROM functions WHERE name = ?').get(fn) as FunctionRow | undefined;
      const seq = f ? f.next_seq : 1;
      const name = `${fn}-${String(seq).padStart(5, '0')}`;
      const prev = this.db.prepare('SELECT name FROM revisions WHERE function = ? ORDER BY seq DESC LIMIT 1').get(fn) as { name: string } | undefined;
      const table = traffic(name, f ? (JSON.parse(f.traffic) as TrafficTarget[]) : undefined, prev?.name);
      if (f) this.db.prepare('UPDATE functions SET next_seq = ?, traffic = ? WHERE name = ?').run(seq + 1, JSON.stringify(table), fn);
      else this.db.prepare('INSERT INTO functions (name, created_at, next_seq, traffic) VALUES (?, ?, ?, ?)').run(fn, now, seq + 1, JSON.stringify(table));
      this.db.prepare('INSERT INTO revisions (name, function, seq, digest, runtime, config, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(name, fn, seq, digest, runtime, JSON.stringify(config), now);
      return { name, function: fn, seq, digest, runtime, config, createdAt: now } as RevisionRecord;
    }).immediate();
  }

  setTraffic(fn: string, table: TrafficTarget[]): void {
    this.db.prepare('UPDATE functions SET traffic = ? WHERE name = ?').run(JSON.stringify(table), fn);
  }

  deleteFunction(name: string): RevisionRecord[] {
    return this.db.transaction(() => {
      const revs = this.listRevisions(name);
      this.db.prepare('DELETE FROM revisions WHERE function = ?').run(name);
      this.db.prepare('DELETE FROM functions WHERE name = ?').run(name);
      return revs;
    }).immediate();
  }

  deleteRevision(name: string): void {
    this.db.prepare('DELETE FROM revisions WHERE name = ?').run(name);
  }

  /** Digests no revision refers to any more (their artifacts can be removed). */
  isDigestUsed(digest: string): boolean {
    return this.db.prepare('SELECT 1 FROM revisions WHERE digest = ? LIMIT 1').get(digest) !== undefined;
  }
}

function toFunction(r: FunctionRow): FunctionRecord {
  return { name: r.name, createdAt: r.created_at, traffic: JSON.parse(r.traffic) as TrafficTarget[] };
}

function toRevision(r: RevisionRow): RevisionRecord {
  return { name: r.name, function: r.function, seq: r.seq, digest: r.digest, runtime: r.runtime as 'js' | 'wasm' | 'component', config: JSON.parse(r.config) as RevisionConfig, createdAt: r.created_at };
}
