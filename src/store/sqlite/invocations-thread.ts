/**
 * The InvocationStore the host uses: SqliteInvocationStore run on a thread of its own
 * (invocations.worker.ts), reached by messages. The gateway's event loop serves every tenant's
 * requests, and better-sqlite3 is synchronous: on the gateway, each group commit's fsync stalled
 * all edge traffic for its duration. Here the gateway only posts a message and awaits the reply.
 *
 * `stats()` must answer synchronously (gauges): each reply carries the queue depths of the
 * functions its write touched, applied before the caller's promise resolves, so stats() agrees
 * with every write awaited. The admission limit (`async.maxQueued`) is checked by the store thread.
 */
import { Worker } from 'node:worker_threads';
import type { FunctionQueueStats, InvocationStore } from '../invocation-types.ts';

type Ops = Exclude<keyof InvocationStore, 'watchQueued' | 'stats' | 'close'>;
export type ToStore = { id: number; op: Ops; args: unknown[] } | { id: number; op: 'close'; args: [] };
export type FromStore =
  | { t: 'ready'; stats: [string, FunctionQueueStats][] }
  /** `stats`: the depths of the functions the write touched (undefined: none left); `all`: they are every function's. */
  | { t: 'reply'; id: number; ok: true; value: unknown; stats: [string, FunctionQueueStats | undefined][]; all?: boolean }
  | { t: 'reply'; id: number; ok: false; error: { message: string; code?: string } }
  | { t: 'queued'; fn: string; at: number };

const WORKER_URL = new URL('./invocations.worker.ts', import.meta.url);

export class ThreadedInvocationStore implements InvocationStore {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #listeners = new Set<(fn: string, runAt: number) => void>();
  #stats = new Map<string, FunctionQueueStats>();
  #next = 1;
  #failed: Error | undefined;
  #closed: Promise<void> | undefined;
  /** Resolves once the store thread opened the database; rejects if it could not. */
  readonly opened: Promise<void>;

  constructor(dataDir: string) {
    this.#worker = new Worker(WORKER_URL, { workerData: { dataDir }, name: 'isoedge-invocations' });
    let ready!: () => void;
    let failed!: (e: Error) => void;
    this.opened = new Promise<void>((res, rej) => { ready = res; failed = rej; });
    this.opened.catch(() => {});
    this.#worker.on('message', (m: FromStore) => {
      if (m.t === 'reply') {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        if (m.ok) {
          if (m.all) this.#stats = new Map();
          for (const [fn, st] of m.stats) {
            if (st) this.#stats.set(fn, st);
            else this.#stats.delete(fn);
          }
          p.resolve(m.value);
        }
        else p.reject(Object.assign(new Error(m.error.message), m.error.code !== undefined ? { code: m.error.code } : {}));
      } else if (m.t === 'queued') {
        for (const l of this.#listeners) l(m.fn, m.at);
      } else {
        this.#stats = new Map(m.stats);
        ready();
      }
    });
    const fail = (e: Error): void => {
      this.#failed ??= e;
      failed(e);
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    this.#worker.on('error', (e) => fail(new Error(`the invocation store thread failed: ${e.message}`, { cause: e })));
    this.#worker.on('exit', (code) => fail(new Error(`the invocation store thread exited (${code})`)));
  }

  #call<T>(op: ToStore['op'], ...args: unknown[]): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise<T>((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, op, args } as ToStore);
    });
  }

  submit: InvocationStore['submit'] = (call, opts) => this.#call('submit', call, opts);
  get: InvocationStore['get'] = (id) => this.#call('get', id);
  list: InvocationStore['list'] = (fn, q) => this.#call('list', fn, q);
  pending: InvocationStore['pending'] = () => this.#call('pending');
  claim: InvocationStore['claim'] = (fn, now, n) => this.#call('claim', fn, now, n);
  finish: InvocationStore['finish'] = (id, outcome) => this.#call('finish', id, outcome);
  cancel: InvocationStore['cancel'] = (id, now) => this.#call('cancel', id, now);
  recover: InvocationStore['recover'] = (now, maxAttempts) => this.#call('recover', now, maxAttempts);
  callbacksDue: InvocationStore['callbacksDue'] = (now, n) => this.#call('callbacksDue', now, n);
  callbackTried: InvocationStore['callbackTried'] = (id, outcome) => this.#call('callbackTried', id, outcome);
  expire: InvocationStore['expire'] = (before) => this.#call('expire', before);

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
      if (!this.#failed) await this.#call('close').catch(() => {});
      this.#failed ??= new Error('the invocation store is closed');
      await this.#worker.terminate();
    })();
    return this.#closed;
  }
}
