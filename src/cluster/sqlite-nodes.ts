/**
 * The nodes of one machine that share a SQLite data directory (`--processes N`): each process
 * upserts its report into a `nodes` table of isoedge.db on every heartbeat and as soon as it applied
 * new state; a row older than five heartbeats is a process that is gone. `ready(seq)` polls the
 * table until every live process reports the sequence (the processes share one `changes` sequence).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Nodes, NodeReport, ReadyAnswer } from './nodes.ts';

const POLL_MS = 10;

export class SqliteNodes implements Nodes {
  readonly id: string;
  readonly #db: Database.Database;
  readonly #report: () => NodeReport;
  readonly #heartbeatMs: number;
  readonly #timer: NodeJS.Timeout;
  readonly #q;
  #soon = false;

  constructor(dataDir: string, o: { id: string; heartbeatMs: number; report: () => NodeReport }) {
    this.id = o.id;
    this.#report = o.report;
    this.#heartbeatMs = o.heartbeatMs;
    this.#db = new Database(join(dataDir, 'isoedge.db'));
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec('CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, report TEXT NOT NULL, at INTEGER NOT NULL)');
    this.#q = {
      put: this.#db.prepare('INSERT INTO nodes (id, report, at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET report = excluded.report, at = excluded.at'),
      live: this.#db.prepare('SELECT report FROM nodes WHERE at > ? ORDER BY id'),
      gone: this.#db.prepare('DELETE FROM nodes WHERE id = ? OR at < ?'),
    };
    this.beat();
    this.#timer = setInterval(() => this.beat(), o.heartbeatMs);
    this.#timer.unref();
  }

  beat(): void {
    const r = this.#report();
    this.#q.put.run(this.id, JSON.stringify(r), r.at);
  }

  /** New state applied: report it at once (batched per turn), for the `wait=ready` of whoever wrote it. */
  applied(): void {
    if (this.#soon) return;
    this.#soon = true;
    setImmediate(() => { this.#soon = false; this.beat(); });
  }

  async list(): Promise<NodeReport[]> {
    return (this.#q.live.all(Date.now() - 5 * this.#heartbeatMs) as { report: string }[]).map((r) => JSON.parse(r.report) as NodeReport);
  }

  async ready(seq: number, timeoutMs: number): Promise<ReadyAnswer> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const live = await this.list();
      const short = (n: NodeReport) => ({ id: n.id, name: n.name, applied: n.applied });
      const waiting = live.filter((n) => n.applied < seq);
      if (waiting.length === 0 || Date.now() >= end) {
        return { ready: waiting.length === 0, seq, nodes: live.filter((n) => n.applied >= seq).map(short), waiting: waiting.map(short) };
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#q.gone.run(this.id, Date.now() - 5 * this.#heartbeatMs);
    this.#db.close();
  }
}
