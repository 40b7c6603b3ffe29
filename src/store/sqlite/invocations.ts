/**
 * The InvocationStore in SQLite (better-sqlite3, WAL, a file of its own beside the state database).
 * Every write is group-committed: writes asked for in one event-loop turn run in one transaction
 * on the next, so 50 concurrent submissions cost one fsync (0.46 ms alone here, 0.86 ms for 50
 * rows), and each caller's promise resolves only after that commit.
 *
 * Only what a client was promised is fsync'd (synchronous=FULL): a submission (its 202) and a
 * cancel. The worker's own writes (claims, outcomes, callback tries) commit with
 * synchronous=NORMAL: in WAL mode they survive a crash of the process; an OS crash can lose those
 * made since the last fsync'd commit or checkpoint, which at-least-once already allows (a lost claim
 * or outcome runs the call again). The host runs this store on a thread of its own
 * (invocations-thread.ts), so none of its statements or fsyncs run on the gateway.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HeaderPairs } from '../../runtime/types.ts';
import type {
  Attempt, AttemptOutcome, CallListQuery, CallRecord, CallRequest, CallStatus, CallbackStatus, FunctionQueueStats, InvocationStore, NewCall, SubmitRefusal,
} from '../invocation-types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS calls (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  fn TEXT NOT NULL,
  status TEXT NOT NULL,
  request TEXT NOT NULL,
  body BLOB,
  created_at INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  attempts TEXT NOT NULL DEFAULT '[]',
  result TEXT,
  result_body BLOB,
  error TEXT,
  finished_at INTEGER,
  key TEXT,
  callback TEXT,
  callback_next_at INTEGER,
  replay_of TEXT
);
CREATE INDEX IF NOT EXISTS calls_queue ON calls(status, fn, run_at);
CREATE INDEX IF NOT EXISTS calls_age ON calls(status, fn, created_at);
CREATE INDEX IF NOT EXISTS calls_by_fn ON calls(fn, seq);
CREATE INDEX IF NOT EXISTS calls_key ON calls(fn, key) WHERE key IS NOT NULL;
CREATE INDEX IF NOT EXISTS calls_finished ON calls(finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS calls_callbacks ON calls(callback_next_at) WHERE callback_next_at IS NOT NULL;
`;

interface Row {
  seq: number; id: string; fn: string; status: string; request: string; body: Uint8Array | null; created_at: number; run_at: number;
  attempts: string; result: string | null; result_body: Uint8Array | null; error: string | null; finished_at: number | null;
  key: string | null; callback: string | null; callback_next_at: number | null; replay_of: string | null;
}

type StoredRequest = Omit<CallRequest, 'body'>;
type StoredCallback = NonNullable<CallRecord['callback']>;

function toRecord(r: Row): CallRecord {
  const req = JSON.parse(r.request) as StoredRequest;
  const out: CallRecord = {
    id: r.id, fn: r.fn, status: r.status as CallStatus, request: { ...req, body: r.body === null ? null : new Uint8Array(r.body) },
    createdAt: r.created_at, runAt: r.run_at, attempts: JSON.parse(r.attempts) as Attempt[],
  };
  if (r.result !== null) {
    const res = JSON.parse(r.result) as { status: number; headers: HeaderPairs; truncated: boolean };
    out.result = { ...res, body: r.result_body === null ? null : new Uint8Array(r.result_body) };
  }
  if (r.error !== null) out.error = JSON.parse(r.error) as { code: string; message: string };
  if (r.finished_at !== null) out.finishedAt = r.finished_at;
  if (r.key !== null) out.key = r.key;
  if (r.callback !== null) out.callback = JSON.parse(r.callback) as StoredCallback;
  if (r.replay_of !== null) out.replayOf = r.replay_of;
  return out;
}

interface Counts { queued: number; running: number }

export interface SqliteInvocationOptions {
  /**
   * Other processes use this data directory too (`--processes N`): each claims with its own `owner`
   * (so a restarted process recovers only the calls it was running), polls SQLite's data_version
   * every `pollMs` to learn of the others' commits (recounting its queue depths and telling its
   * watchers), checks `maxQueued` on the table, and leases a callback before delivering it.
   */
  shared?: { owner: string; pollMs?: number; onExternal?: () => void };
}

/** How long a process holds a callback it is delivering before another may try it (shared mode). */
const CALLBACK_LEASE_MS = 60_000;

export class SqliteInvocationStore implements InvocationStore {
  readonly #db: Database.Database;
  readonly #q;
  /** Queued and running calls per function, kept in step with every write (seeded at open). */
  readonly #counts = new Map<string, Counts>();
  /**
   * The oldest queued call's creation per function, when known. A statement costs 10–25 µs here
   * even on an index, so it is kept up to date by the writes and queried only once the oldest left
   * the queue (a claim or a cancel took it).
   */
  readonly #oldest = new Map<string, number>();
  readonly #listeners = new Set<(fn: string, runAt: number) => void>();
  /** Writes waiting for the next group commit. */
  #batch: { run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void; durable: boolean }[] = [];
  /** The connection's synchronous setting now: switched only when a batch needs the other one. */
  #sync: 'FULL' | 'NORMAL' = 'FULL';
  /** Queued notifications raised by the writes of the batch being committed, sent after the commit. */
  #notify: [string, number][] = [];
  #closed = false;
  readonly #shared: SqliteInvocationOptions['shared'];
  #dataVersion = 0;
  readonly #poll: NodeJS.Timeout | undefined;

  constructor(dataDir: string, opts: SqliteInvocationOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.#db = new Database(join(dataDir, 'invocations.db'));
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    // Data directories made before processes could share them get the column on first open.
    if (!(this.#db.prepare('PRAGMA table_info(calls)').all() as { name: string }[]).some((c) => c.name === 'owner')) this.#db.exec('ALTER TABLE calls ADD COLUMN owner TEXT');
    this.#shared = opts.shared;
    const db = this.#db;
    this.#q = {
      insert: db.prepare(`INSERT INTO calls (id, fn, status, request, body, created_at, run_at, key, callback, replay_of)
        VALUES (@id, @fn, 'queued', @request, @body, @created_at, @created_at, @key, @callback, @replay_of)`),
      byKey: db.prepare('SELECT * FROM calls WHERE fn = ? AND key = ? AND created_at >= ? ORDER BY seq LIMIT 1'),
      get: db.prepare('SELECT * FROM calls WHERE id = ?'),
      seqOf: db.prepare('SELECT seq FROM calls WHERE id = ?'),
      pending: db.prepare("SELECT fn, MIN(run_at) AS at FROM calls WHERE status = 'queued' GROUP BY fn"),
      due: db.prepare("SELECT * FROM calls WHERE status = 'queued' AND fn = ? AND run_at <= ? ORDER BY run_at, seq LIMIT ?"),
      setRunning: db.prepare("UPDATE calls SET status = 'running', owner = ? WHERE id = ? AND status = 'queued'"),
      finish: db.prepare(`UPDATE calls SET status = @status, attempts = @attempts, result = @result, result_body = @result_body, error = @error,
        finished_at = @finished_at, callback = @callback, callback_next_at = @callback_next_at WHERE id = @id AND status = 'running'`),
      requeue: db.prepare("UPDATE calls SET status = 'queued', attempts = @attempts, run_at = @run_at WHERE id = @id AND status = 'running'"),
      cancel: db.prepare("UPDATE calls SET status = 'cancelled', finished_at = ?, callback_next_at = NULL WHERE id = ? AND status = 'queued'"),
      running: db.prepare("SELECT * FROM calls WHERE status = 'running'"),
      runningOf: db.prepare("SELECT * FROM calls WHERE status = 'running' AND (owner = ? OR owner IS NULL)"),
      queuedCount: db.prepare("SELECT COUNT(*) AS n FROM calls WHERE status = 'queued' AND fn = ?"),
      leaseCallback: db.prepare('UPDATE calls SET callback_next_at = ? WHERE id = ? AND callback_next_at = ?'),
      queuedOf: db.prepare("SELECT id FROM calls WHERE status = 'queued' AND fn = ?"),
      dead: db.prepare("UPDATE calls SET status = 'dead', attempts = @attempts, error = @error, finished_at = @finished_at, callback = @callback, callback_next_at = @callback_next_at WHERE id = @id"),
      callbacksDue: db.prepare('SELECT * FROM calls WHERE callback_next_at IS NOT NULL AND callback_next_at <= ? ORDER BY callback_next_at LIMIT ?'),
      callbackSet: db.prepare('UPDATE calls SET callback = ?, callback_next_at = ? WHERE id = ?'),
      // A keyed call stays while its key still dedupes (async.dedupeWindowS may outlast async.retentionS).
      expire: db.prepare('DELETE FROM calls WHERE finished_at IS NOT NULL AND finished_at < ? AND callback_next_at IS NULL AND (key IS NULL OR created_at < ?)'),
      counts: db.prepare("SELECT fn, status, COUNT(*) AS n FROM calls WHERE status IN ('queued', 'running') GROUP BY fn, status"),
      nextAt: db.prepare("SELECT run_at AS at FROM calls INDEXED BY calls_queue WHERE status = 'queued' AND fn = ? ORDER BY run_at LIMIT 1"),
      // INDEXED BY: with calls_queue also matching (status, fn), the planner scanned a function's whole queue for it.
      oldest: db.prepare("SELECT created_at AS at FROM calls INDEXED BY calls_age WHERE status = 'queued' AND fn = ? ORDER BY created_at LIMIT 1"),
    };
    this.#recount();
    if (this.#shared) {
      this.#dataVersion = this.#db.pragma('data_version', { simple: true }) as number;
      this.#poll = setInterval(() => this.#pollOthers(), this.#shared.pollMs ?? 25);
      this.#poll.unref();
    }
  }

  #recount(): void {
    this.#counts.clear();
    this.#oldest.clear();
    for (const r of this.#q.counts.all() as { fn: string; status: 'queued' | 'running'; n: number }[]) this.#count(r.fn)[r.status] = r.n;
  }

  /** Another process committed: its submissions and claims change the depths, and its calls may be ours to run. */
  #pollOthers(): void {
    if (this.#closed || this.#batch.length > 0) return;
    const v = this.#db.pragma('data_version', { simple: true }) as number;
    if (v === this.#dataVersion) return;
    this.#dataVersion = v;
    this.#recount();
    const due = this.#q.pending.all() as { fn: string; at: number }[];
    for (const { fn, at } of due) for (const l of this.#listeners) l(fn, at);
    this.#shared?.onExternal?.();
  }

  #count(fn: string): Counts {
    let c = this.#counts.get(fn);
    if (!c) this.#counts.set(fn, (c = { queued: 0, running: 0 }));
    return c;
  }

  #move(fn: string, from: 'queued' | 'running' | undefined, to: CallStatus): void {
    const c = this.#count(fn);
    if (from) c[from]--;
    if (to === 'queued' || to === 'running') c[to]++;
    if (c.queued === 0) this.#oldest.delete(fn);
    if (c.queued === 0 && c.running === 0) this.#counts.delete(fn);
  }

  /** A call created at `createdAt` joined `fn`'s queue (after #move). */
  #joined(fn: string, createdAt: number): void {
    const c = this.#counts.get(fn);
    const known = this.#oldest.get(fn);
    if (c?.queued === 1) this.#oldest.set(fn, createdAt);
    else if (known !== undefined && createdAt < known) this.#oldest.set(fn, createdAt);
  }

  /** A call created at `createdAt` left `fn`'s queue: if it was the oldest, the next one is unknown until asked for. */
  #left(fn: string, createdAt: number): void {
    if (this.#oldest.get(fn) === createdAt) this.#oldest.delete(fn);
  }

  #oldestOf(fn: string): number | undefined {
    const known = this.#oldest.get(fn);
    // After close() (a write it committed is still being answered) there is nothing to ask.
    if (known !== undefined || this.#closed) return known;
    const at = (this.#q.oldest.get(fn) as { at: number } | undefined)?.at;
    if (at !== undefined) this.#oldest.set(fn, at);
    return at;
  }

  /** Runs `run` in the next group commit; resolves with its result once committed (and fsync'd when `durable`). */
  #write<T>(run: () => T, durable = false): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the invocation store is closed'));
    return new Promise<T>((resolve, reject) => {
      if (this.#batch.push({ run, resolve: resolve as (v: unknown) => void, reject, durable }) === 1) setImmediate(() => this.#commit());
    });
  }

  #commit(): void {
    // close() committed this batch already; its setImmediate still comes.
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    const results: { ok: boolean; value: unknown }[] = [];
    const counts = new Map([...this.#counts].map(([k, v]) => [k, { ...v }]));
    const sync = batch.some((w) => w.durable) ? 'FULL' : 'NORMAL';
    if (sync !== this.#sync) {
      this.#db.pragma(`synchronous = ${sync}`);
      this.#sync = sync;
    }
    try {
      this.#db.transaction(() => {
        for (const w of batch) {
          // One write's failure (a constraint: a duplicate id) fails that write only. No savepoint per
          // write (13 µs each here): every write below checks before it changes anything, so one that
          // throws has changed nothing; an I/O error fails the commit, and the whole batch with it.
          try {
            results.push({ ok: true, value: w.run() });
          } catch (e) {
            // SQLite rolled the whole transaction back itself (disk full, an I/O error): the writes
            // after this one would commit one by one outside it. Fail the batch instead.
            if (!this.#db.inTransaction) throw e;
            results.push({ ok: false, value: e });
          }
        }
      }).immediate();
    } catch (e) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is stored.
      this.#counts.clear();
      for (const [k, v] of counts) this.#counts.set(k, v);
      this.#oldest.clear();
      this.#notify = [];
      for (const w of batch) w.reject(e);
      return;
    }
    const notify = this.#notify;
    this.#notify = [];
    batch.forEach((w, i) => (results[i]!.ok ? w.resolve(results[i]!.value) : w.reject(results[i]!.value)));
    for (const [fn, at] of notify) for (const l of this.#listeners) l(fn, at);
  }

  submit(call: NewCall, opts: { dedupeMs: number; maxQueued: number }): Promise<{ call: CallRecord; duplicate: boolean } | SubmitRefusal> {
    return this.#write(() => {
      if (call.key !== undefined) {
        const first = this.#q.byKey.get(call.fn, call.key, call.createdAt - opts.dedupeMs) as Row | undefined;
        if (first) return { call: toRecord(first), duplicate: true };
      }
      // Shared by processes, the table counts: another process's submissions are not in #counts yet.
      const queued = this.#shared ? (this.#q.queuedCount.get(call.fn) as { n: number }).n : this.#counts.get(call.fn)?.queued ?? 0;
      if (queued >= opts.maxQueued) return { refused: 'queue-full' as const, queued };
      const { body, ...req } = call.request;
      const callback: StoredCallback | undefined = call.callbackUrl === undefined ? undefined : { url: call.callbackUrl, status: 'pending', attempts: 0 };
      this.#q.insert.run({
        id: call.id, fn: call.fn, request: JSON.stringify(req), body, created_at: call.createdAt,
        key: call.key ?? null, callback: callback ? JSON.stringify(callback) : null, replay_of: call.replayOf ?? null,
      });
      this.#move(call.fn, undefined, 'queued');
      this.#joined(call.fn, call.createdAt);
      this.#notify.push([call.fn, call.createdAt]);
      return { call: { id: call.id, fn: call.fn, status: 'queued' as const, request: call.request, createdAt: call.createdAt, runAt: call.createdAt, attempts: [], ...(call.key !== undefined ? { key: call.key } : {}), ...(callback ? { callback } : {}), ...(call.replayOf ? { replayOf: call.replayOf } : {}) }, duplicate: false };
    }, true);
  }

  async get(id: string): Promise<CallRecord | undefined> {
    const r = this.#q.get.get(id) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  async list(fn: string, q: CallListQuery = {}): Promise<CallRecord[]> {
    const where = ['fn = ?'];
    const args: unknown[] = [fn];
    if (q.status?.length) {
      where.push(`status IN (${q.status.map(() => '?').join(', ')})`);
      args.push(...q.status);
    }
    if (q.before !== undefined) {
      const s = this.#q.seqOf.get(q.before) as { seq: number } | undefined;
      if (!s) return [];
      where.push('seq < ?');
      args.push(s.seq);
    }
    args.push(Math.max(1, Math.min(q.limit ?? 100, 1000)));
    const rows = this.#db.prepare(`SELECT * FROM calls WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(...args) as Row[];
    return rows.map(toRecord);
  }

  async pending(): Promise<Map<string, number>> {
    return new Map((this.#q.pending.all() as { fn: string; at: number }[]).map((r) => [r.fn, r.at]));
  }

  claim(fn: string, now: number, n: number): Promise<{ calls: CallRecord[]; nextAt: number | undefined }> {
    return this.#write(() => {
      const rows = this.#q.due.all(fn, now, n) as Row[];
      for (const r of rows) {
        this.#q.setRunning.run(this.#shared?.owner ?? null, r.id);
        this.#move(fn, 'queued', 'running');
        this.#left(fn, r.created_at);
        r.status = 'running';
      }
      const next = this.#q.nextAt.get(fn) as { at: number } | undefined;
      return { calls: rows.map(toRecord), nextAt: next?.at };
    });
  }

  /** A running call back in its queue with `attempts`, to run at `runAt` (a retry, or a run a stopped host lost). */
  #requeue(r: Row, attempts: Attempt[], runAt: number): void {
    this.#q.requeue.run({ id: r.id, attempts: JSON.stringify(attempts), run_at: runAt });
    this.#move(r.fn, 'running', 'queued');
    this.#joined(r.fn, r.created_at);
    this.#notify.push([r.fn, runAt]);
  }

  finish(id: string, o: AttemptOutcome): Promise<CallRecord | undefined> {
    return this.#write(() => {
      const r = this.#q.get.get(id) as Row | undefined;
      if (!r || r.status !== 'running') return undefined;
      const attempts = JSON.parse(r.attempts) as Attempt[];
      if (o.attempt) attempts.push(o.attempt);
      if (o.next === 'queued') this.#requeue(r, attempts, o.runAt);
      else {
        const cb = r.callback === null ? null : JSON.parse(r.callback) as StoredCallback;
        if (cb) cb.nextAt = o.finishedAt;
        const res = o.result;
        this.#q.finish.run({
          id, status: o.next, attempts: JSON.stringify(attempts),
          result: res ? JSON.stringify({ status: res.status, headers: res.headers, truncated: res.truncated }) : null, result_body: res?.body ?? null,
          error: o.error ? JSON.stringify(o.error) : null, finished_at: o.finishedAt,
          callback: cb ? JSON.stringify(cb) : null, callback_next_at: cb ? o.finishedAt : null,
        });
        this.#move(r.fn, 'running', o.next);
      }
      return toRecord(this.#q.get.get(id) as Row);
    });
  }

  /** Cancels one queued call (no-op otherwise); its callback, if any, ends as failed with `why`. */
  #cancelRow(id: string, now: number, why: string): void {
    const r = this.#q.get.get(id) as Row | undefined;
    if (!r || this.#q.cancel.run(now, id).changes !== 1) return;
    this.#move(r.fn, 'queued', 'cancelled');
    this.#left(r.fn, r.created_at);
    // Nothing ran, so there is no result to deliver: the callback ends here, and says why.
    if (r.callback !== null) this.#q.callbackSet.run(JSON.stringify({ ...JSON.parse(r.callback) as StoredCallback, status: 'failed', lastError: why }), null, id);
  }

  cancel(id: string, now: number): Promise<CallRecord | undefined> {
    return this.#write(() => {
      const r = this.#q.get.get(id) as Row | undefined;
      if (!r) return undefined;
      this.#cancelRow(id, now, 'the call was cancelled before it ran; nothing was delivered');
      return toRecord(this.#q.get.get(id) as Row);
    }, true);
  }

  cancelFunction(fn: string, now: number): Promise<number> {
    return this.#write(() => {
      const ids = this.#q.queuedOf.all(fn) as { id: string }[];
      for (const { id } of ids) this.#cancelRow(id, now, 'the function was deleted before the call ran; nothing was delivered');
      return ids.length;
    }, true);
  }

  recover(now: number, maxAttempts: number, byFunction: Record<string, number> = {}): Promise<number> {
    return this.#write(() => {
      // Shared: only the calls this process was running (another's are still running there).
      const rows = (this.#shared ? this.#q.runningOf.all(this.#shared.owner) : this.#q.running.all()) as Row[];
      for (const r of rows) {
        const max = byFunction[r.fn] ?? maxAttempts;
        const attempts = JSON.parse(r.attempts) as Attempt[];
        attempts.push({ n: attempts.length + 1, startedAt: now, durationMs: 0, code: 'EDGE_ERR_EXECUTOR_LOST', message: 'the host stopped while the call ran; it runs again (at-least-once)' });
        if (attempts.length >= max) {
          const cb = r.callback === null ? null : { ...JSON.parse(r.callback) as StoredCallback, nextAt: now };
          this.#q.dead.run({
            id: r.id, attempts: JSON.stringify(attempts), finished_at: now,
            error: JSON.stringify({ code: 'EDGE_ERR_EXECUTOR_LOST', message: `the host stopped while the call ran, on its last of ${max} attempts` }),
            callback: cb ? JSON.stringify(cb) : null, callback_next_at: cb ? now : null,
          });
          this.#move(r.fn, 'running', 'dead');
        } else {
          this.#requeue(r, attempts, now);
        }
      }
      return rows.length;
    });
  }

  async callbacksDue(now: number, n: number): Promise<CallRecord[]> {
    if (!this.#shared) return (this.#q.callbacksDue.all(now, n) as Row[]).map(toRecord);
    // Shared: lease each one (by compare-and-set on its due time) so that one process delivers it.
    return this.#write(() => (this.#q.callbacksDue.all(now, n) as Row[])
      .filter((r) => this.#q.leaseCallback.run(now + CALLBACK_LEASE_MS, r.id, r.callback_next_at).changes === 1)
      .map(toRecord));
  }

  callbackTried(id: string, o: { status: CallbackStatus; nextAt?: number; error?: string }): Promise<void> {
    return this.#write(() => {
      const r = this.#q.get.get(id) as Row | undefined;
      if (!r || r.callback === null) return;
      const cb = JSON.parse(r.callback) as StoredCallback;
      cb.status = o.status;
      cb.attempts++;
      if (o.nextAt !== undefined) cb.nextAt = o.nextAt;
      else delete cb.nextAt;
      if (o.error !== undefined) cb.lastError = o.error;
      this.#q.callbackSet.run(JSON.stringify(cb), o.status === 'pending' ? (o.nextAt ?? null) : null, id);
    });
  }

  expire(before: number, keyedBefore = before): Promise<number> {
    return this.#write(() => this.#q.expire.run(before, keyedBefore).changes);
  }

  watchQueued(listener: (fn: string, runAt: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stats(): Map<string, FunctionQueueStats> {
    return new Map(this.statsOf(this.#counts.keys()).filter((e): e is [string, FunctionQueueStats] => e[1] !== undefined));
  }

  /** The queue depth of these functions now (undefined: none queued or running): what the store thread sends with each reply. */
  statsOf(fns: Iterable<string>): [string, FunctionQueueStats | undefined][] {
    const out: [string, FunctionQueueStats | undefined][] = [];
    for (const fn of fns) {
      const c = this.#counts.get(fn);
      const oldest = c && c.queued > 0 ? this.#oldestOf(fn) : undefined;
      out.push([fn, c ? { queued: c.queued, running: c.running, oldestQueuedAt: oldest } : undefined]);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Writes already asked for are committed first: a 202 is never answered for a call that is not stored.
    if (this.#batch.length) this.#commit();
    this.#closed = true;
    clearInterval(this.#poll);
    this.#listeners.clear();
    this.#db.close();
  }
}
