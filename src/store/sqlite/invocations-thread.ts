/**
 * The InvocationStore the host uses: SqliteInvocationStore run on a thread of its own
 * (invocations.worker.ts), reached by messages. The gateway's event loop serves every tenant's
 * requests, and better-sqlite3 is synchronous: on the gateway, each group commit's fsync stalled
 * all edge traffic for its duration.
 *
 * Operations asked for in one event-loop turn go in one message, and the replies and queued
 * notices of one group commit come back in one (each message wakes a thread, which costs on this
 * machine). A submission's reply is only its outcome: the record is rebuilt here from what was
 * sent, so a call's body crosses once.
 *
 * `stats()` must answer synchronously (gauges): each reply carries the queue depths of the
 * functions its write touched, applied before the caller's promise resolves, so stats() agrees
 * with every write awaited. The admission limit (`async.maxQueued`) is checked by the store thread.
 */
import { Worker } from 'node:worker_threads';
import type { CallRecord, FunctionQueueStats, InvocationStore, NewCall, SubmitRefusal } from '../invocation-types.ts';

type Ops = Exclude<keyof InvocationStore, 'watchQueued' | 'stats' | 'close'>;
export type Op = { id: number; op: Ops; args: unknown[] } | { id: number; op: 'close'; args: [] };
export type Reply =
  /** `stats`: the depths of the functions the write touched (undefined: none left); `all`: they are every function's. */
  | { id: number; ok: true; value: unknown; stats: [string, FunctionQueueStats | undefined][]; all?: boolean }
  | { id: number; ok: false; error: { message: string; code?: string } };
export type ToStore = Op[];
export type FromStore =
  | { t: 'ready'; stats: [string, FunctionQueueStats][] }
  /** Every depth, after another process's commit (shared data directories only). */
  | { t: 'stats'; stats: [string, FunctionQueueStats][] }
  /** `queued`: calls that became queued in these commits (the watchQueued notices), told before the replies resolve. */
  | { t: 'replies'; replies: Reply[]; queued: [string, number][] };
/** What the store thread answers to a submission: the first call of a duplicate key, a refusal, or "stored". */
export type SubmitReply = { duplicate: CallRecord } | SubmitRefusal | { stored: true };

const WORKER_URL = new URL('./invocations.worker.ts', import.meta.url);

/** The record a stored submission has, as SqliteInvocationStore.submit() builds it. */
function storedCall(call: NewCall): CallRecord {
  return {
    id: call.id, fn: call.fn, status: 'queued', request: call.request, createdAt: call.createdAt, runAt: call.createdAt, attempts: [],
    ...(call.key !== undefined ? { key: call.key } : {}),
    ...(call.callbackUrl !== undefined ? { callback: { url: call.callbackUrl, status: 'pending' as const, attempts: 0 } } : {}),
    ...(call.replayOf ? { replayOf: call.replayOf } : {}),
  };
}

export class ThreadedInvocationStore implements InvocationStore {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #listeners = new Set<(fn: string, runAt: number) => void>();
  #stats = new Map<string, FunctionQueueStats>();
  #out: Op[] = [];
  #next = 1;
  #failed: Error | undefined;
  #closed: Promise<void> | undefined;
  /** Resolves once the store thread opened the database; rejects if it could not. */
  readonly opened: Promise<void>;

  /** `onFail`: told once if the store thread fails or exits while the host still uses it. */
  /** `owner`: this process's name when several processes share the data directory (see SqliteInvocationOptions). */
  constructor(dataDir: string, onFail?: (e: Error) => void, owner?: string) {
    this.#worker = new Worker(WORKER_URL, { workerData: { dataDir, owner }, name: 'isoedge-invocations' });
    let ready!: () => void;
    let failed!: (e: Error) => void;
    this.opened = new Promise<void>((res, rej) => { ready = res; failed = rej; });
    this.opened.catch(() => {});
    this.#worker.on('message', (m: FromStore) => {
      if (m.t === 'replies') {
        for (const [fn, at] of m.queued) for (const l of this.#listeners) l(fn, at);
        for (const r of m.replies) this.#reply(r);
      } else if (m.t === 'stats') {
        this.#stats = new Map(m.stats);
      } else {
        this.#stats = new Map(m.stats);
        ready();
      }
    });
    const fail = (e: Error): void => {
      if (this.#failed === undefined && this.#closed === undefined) onFail?.(e);
      this.#failed ??= e;
      failed(e);
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    this.#worker.on('error', (e) => fail(new Error(`the invocation store thread failed: ${e.message}`, { cause: e })));
    this.#worker.on('exit', (code) => fail(new Error(`the invocation store thread exited (${code})`)));
    // Readiness (/readyz) turns false with it (app.ts).
  }

  /** Why the store thread is gone (it failed, or close() ended it); undefined while it serves. */
  get failure(): Error | undefined {
    return this.#failed;
  }

  #reply(r: Reply): void {
    const p = this.#pending.get(r.id);
    if (!p) return;
    this.#pending.delete(r.id);
    if (!r.ok) {
      p.reject(Object.assign(new Error(r.error.message), r.error.code !== undefined ? { code: r.error.code } : {}));
      return;
    }
    if (r.all) this.#stats = new Map();
    for (const [fn, st] of r.stats) {
      if (st) this.#stats.set(fn, st);
      else this.#stats.delete(fn);
    }
    p.resolve(r.value);
  }

  #call<T>(op: Op['op'], ...args: unknown[]): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise<T>((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (this.#out.push({ id, op, args } as Op) === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const ops = this.#out;
    this.#out = [];
    if (ops.length && !this.#failed) this.#worker.postMessage(ops satisfies ToStore);
  }

  async submit(call: NewCall, opts: { dedupeMs: number; maxQueued: number }): Promise<{ call: CallRecord; duplicate: boolean } | SubmitRefusal> {
    const r = await this.#call<SubmitReply>('submit', call, opts);
    if ('stored' in r) return { call: storedCall(call), duplicate: false };
    if ('duplicate' in r) return { call: r.duplicate, duplicate: true };
    return r;
  }

  get: InvocationStore['get'] = (id) => this.#call('get', id);
  list: InvocationStore['list'] = (fn, q) => this.#call('list', fn, q);
  pending: InvocationStore['pending'] = () => this.#call('pending');
  claim: InvocationStore['claim'] = (fn, now, n) => this.#call('claim', fn, now, n);
  finish: InvocationStore['finish'] = (id, outcome) => this.#call('finish', id, outcome);
  cancel: InvocationStore['cancel'] = (id, now) => this.#call('cancel', id, now);
  recover: InvocationStore['recover'] = (now, maxAttempts, byFunction) => this.#call('recover', now, maxAttempts, byFunction);
  cancelFunction: InvocationStore['cancelFunction'] = (fn, now) => this.#call('cancelFunction', fn, now);
  callbacksDue: InvocationStore['callbacksDue'] = (now, n) => this.#call('callbacksDue', now, n);
  callbackTried: InvocationStore['callbackTried'] = (id, outcome) => this.#call('callbackTried', id, outcome);
  expire: InvocationStore['expire'] = (before, keyedBefore) => this.#call('expire', before, keyedBefore);

  watchQueued(listener: (fn: string, runAt: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stats(): Map<string, FunctionQueueStats> {
    return this.#stats;
  }

  /** Commits what was asked for, closes the database and ends the thread. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#listeners.clear();
      if (!this.#failed) {
        const done = this.#call('close').catch(() => {});
        this.#flush();
        await done;
      }
      this.#failed ??= new Error('the invocation store is closed');
      await this.#worker.terminate();
    })();
    return this.#closed;
  }
}
