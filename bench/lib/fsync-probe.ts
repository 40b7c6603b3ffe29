/**
 * What one commit costs on the disk the bench hosts' data directories live on (os.tmpdir()), in the
 * invocation store's settings (better-sqlite3, WAL, synchronous=FULL): a commit of 1 row and of 50
 * rows of about an async call's size. better-sqlite3 is synchronous, so in the host this time is
 * spent on the gateway's thread, with its event loop stopped.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize, type Summary } from './stats.ts';

export function commitCost(commits = 200): { oneRowMs: Summary; fiftyRowsMs: Summary } {
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-bench-fsync-'));
  const db = new Database(join(dir, 'probe.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE calls (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, request TEXT NOT NULL, created_at INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO calls (id, request, created_at) VALUES (?, ?, ?)');
    const request = JSON.stringify({ method: 'POST', url: 'http://hello.localhost/', headers: [['host', 'hello.localhost'], ['user-agent', 'wrk']] });
    let n = 0;
    const time = (rows: number) => {
      const t0 = performance.now();
      db.transaction(() => { for (let i = 0; i < rows; i++) insert.run(`c${n++}`, request, Date.now()); })();
      return performance.now() - t0;
    };
    for (let i = 0; i < 10; i++) time(1);
    const one = Array.from({ length: commits }, () => time(1));
    const fifty = Array.from({ length: Math.max(10, commits / 4) }, () => time(50));
    return { oneRowMs: summarize(one), fiftyRowsMs: summarize(fifty) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
