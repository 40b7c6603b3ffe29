/**
 * The queue worker (OpenFaaS's queue-worker, in-process): claims queued calls, runs each through
 * the same dispatch() as an edge request (router, activator, breaker, autoscaler: a call for a
 * revision at zero waits in the activator, whose queue is the autoscaler's demand, as KEDA scales
 * on queue length) and writes back what happened. Fair between functions: each pass gives every
 * function with due calls a turn, up to its own `maxInflight`, under a host-wide `concurrency`, so
 * a flood of one function's calls cannot starve another's.
 */
import type { Scheduler } from '../core/clock.ts';
import { readBytes } from '../core/bytes.ts';
import type { Rng } from '../core/rng.ts';
import { isBodyStream, type BodyStream, type DispatchRequest, type DispatchResult, type DispatchTarget } from '../dispatch/index.ts';
import type { HeaderPairs } from '../runtime/types.ts';
import type { Attempt, AttemptOutcome, CallRecord, CallResult, InvocationStore } from '../store/index.ts';
import { decide, parseRetryAfter, type AttemptEnd, type RetryPolicy } from './retry.ts';

/** Headers a scheduled() run answers with (runtime/js/guest/90_entry.js). */
export const NO_RETRY_HEADER = 'isoedge-no-retry';

export interface WorkerDeps {
  store: InvocationStore;
  dispatch(target: DispatchTarget, request: DispatchRequest, signal?: AbortSignal): Promise<DispatchResult>;
  /** The retry policy and inflight bound for a function's calls (its latest revision's `async` config over the host's). */
  policy(fn: string): RetryPolicy & { maxInflight: number };
  /** Unix ms: records carry wall time. */
  wallNow(): number;
  scheduler: Scheduler;
  rng: Rng;
  concurrency: number;
  resultBytes: number;
  /** Told after each attempt (metrics). */
  attempted?(call: CallRecord, outcome: AttemptOutcome['next'] | 'retry', attempt: Attempt | undefined): void;
  /** Told when a call reached a final state (callbacks). */
  finished?(call: CallRecord): void;
}

/** Calls claimed per function per turn: enough to fill a function's slots without one claim holding many. */
const CLAIM_BATCH = 32;

export class QueueWorker {
  readonly #d: WorkerDeps;
  /** Functions with queued calls and the earliest time one may run. */
  readonly #due = new Map<string, number>();
  readonly #inflight = new Map<string, number>();
  readonly #running = new Map<string, { call: CallRecord; abort: AbortController }>();
  #total = 0;
  #pumping = false;
  #again = false;
  #wake: { at: number; cancel: () => void } | undefined;
  #stopped = true;
  #unwatch: (() => void) | undefined;
  #idle: (() => void) | undefined;

  constructor(deps: WorkerDeps) {
    this.#d = deps;
  }

  /** Calls left running by a previous process are queued again, then the worker starts. */
  async start(maxAttempts: number): Promise<void> {
    this.#stopped = false;
    this.#unwatch = this.#d.store.watchQueued((fn, at) => this.#queued(fn, at));
    await this.#d.store.recover(this.#d.wallNow(), maxAttempts);
    for (const [fn, at] of await this.#d.store.pending()) this.#queued(fn, at);
    this.#pump();
  }

  get running(): number {
    return this.#total;
  }

  #queued(fn: string, at: number): void {
    const was = this.#due.get(fn);
    if (was === undefined || at < was) this.#due.set(fn, at);
    this.#pump();
  }

  /** Runs a pass soon; passes never overlap, and one asked for during a pass runs after it. */
  #pump(): void {
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    this.#d.scheduler.immediate(() => void this.#pass().finally(() => {
      this.#pumping = false;
      if (this.#again) {
        this.#again = false;
        this.#pump();
      }
    }));
  }

  async #pass(): Promise<void> {
    const now = this.#d.wallNow();
    let soonest = Infinity;
    // Round robin: one claim per function per pass, so each function gets its turn before any gets a second.
    for (const [fn, at] of [...this.#due]) {
      if (this.#stopped) return;
      if (at > now) {
        soonest = Math.min(soonest, at);
        continue;
      }
      const free = Math.min(this.#d.policy(fn).maxInflight - (this.#inflight.get(fn) ?? 0), this.#d.concurrency - this.#total);
      if (this.#total >= this.#d.concurrency) break;
      if (free <= 0) continue; // its running calls' ends pump again
      const { calls, nextAt } = await this.#d.store.claim(fn, now, Math.min(free, CLAIM_BATCH));
      if (nextAt === undefined) this.#due.delete(fn);
      else {
        this.#due.set(fn, nextAt);
        if (nextAt > now) soonest = Math.min(soonest, nextAt);
        else if (calls.length > 0) this.#again = true;
      }
      for (const c of calls) this.#start(c);
    }
    this.#arm(soonest);
  }

  /** A timer for the earliest retry that is not due yet. */
  #arm(at: number): void {
    if (!Number.isFinite(at) || (this.#wake && this.#wake.at <= at)) return;
    this.#wake?.cancel();
    const cancel = this.#d.scheduler.after(Math.max(0, at - this.#d.wallNow()), () => {
      this.#wake = undefined;
      this.#pump();
    });
    this.#wake = { at, cancel };
  }

  #start(call: CallRecord): void {
    this.#total++;
    this.#inflight.set(call.fn, (this.#inflight.get(call.fn) ?? 0) + 1);
    const abort = new AbortController();
    this.#running.set(call.id, { call, abort });
    void this.#run(call, abort.signal).finally(() => {
      this.#running.delete(call.id);
      this.#total--;
      const n = this.#inflight.get(call.fn)! - 1;
      if (n === 0) this.#inflight.delete(call.fn);
      else this.#inflight.set(call.fn, n);
      if (this.#total === 0) this.#idle?.();
      this.#pump();
    });
  }

  async #run(call: CallRecord, signal: AbortSignal): Promise<void> {
    const d = this.#d;
    const n = call.attempts.length + 1;
    const startedAt = d.wallNow();
    const r = call.request;
    // The function sees its call id and attempt number: what an idempotent handler keys on.
    const headers: HeaderPairs = [...r.headers.filter(([k]) => k !== 'isoedge-call-id' && k !== 'isoedge-attempt'), ['isoedge-call-id', call.id], ['isoedge-attempt', String(n)]];
    let end: AttemptEnd;
    let result: CallResult | undefined;
    let errMessage: string | undefined;
    try {
      const res = await d.dispatch({ fn: call.fn, ...(r.tag !== undefined ? { tag: r.tag } : {}) }, { id: call.id, method: r.method, url: r.url, headers, body: r.body, ...(r.scheduled ? { scheduled: r.scheduled } : {}) }, signal);
      if (res.ok) {
        result = { status: res.status, headers: res.headers, ...(await keep(res.body, d.resultBytes)) };
        const h = (name: string) => res.headers.find(([k]) => k === name)?.[1];
        end = { kind: 'response', status: res.status, retryAfterMs: parseRetryAfter(h('retry-after'), d.wallNow()), noRetry: h(NO_RETRY_HEADER) === '1' };
        if (res.status >= 400) errMessage = `the function answered ${res.status}`;
      } else {
        end = { kind: 'error', code: res.error.code, status: res.error.statusCode, retryAfterMs: res.retryAfterS !== undefined ? res.retryAfterS * 1000 : undefined, noRetry: res.error.details?.noRetry === true };
        errMessage = res.error.message;
      }
    } catch (e) {
      end = { kind: 'error', code: 'EDGE_ERR_INTERNAL', status: 500 };
      errMessage = (e as Error).message;
    }
    const now = d.wallNow();
    const attempt: Attempt = { n, startedAt, durationMs: now - startedAt, ...(end.kind === 'response' ? { status: end.status } : { code: end.code }), ...(errMessage !== undefined ? { message: errMessage } : {}) };
    // Cut off by shutdown: the try does not count, the call stays queued for the next start.
    if (signal.aborted) return;
    const policy = d.policy(call.fn);
    const dec = decide(end, n, call.createdAt, now, policy, d.rng);
    const error = end.kind === 'error' ? { code: end.code, message: errMessage ?? end.code } : { code: 'EDGE_ERR_FUNCTION_STATUS', message: errMessage ?? '' };
    const outcome: AttemptOutcome = dec.next === 'retry'
      ? { next: 'queued', attempt, runAt: now + dec.delayMs }
      : { next: dec.next, attempt, ...(result ? { result } : {}), ...(dec.next === 'succeeded' ? {} : { error: { code: error.code, message: end.kind === 'response' ? `the function answered ${dec.why}` : `${error.message} (${dec.why})` } }), finishedAt: now };
    const after = await d.store.finish(call.id, outcome).catch(() => undefined);
    d.attempted?.(after ?? call, dec.next, attempt);
    if (after && dec.next !== 'retry') d.finished?.(after);
  }

  /**
   * Stops claiming; running calls get until `deadlineMs` to finish, then are cut off and queued again
   * without counting an attempt (the next start runs them).
   */
  async stop(deadlineMs: number): Promise<void> {
    this.#stopped = true;
    this.#unwatch?.();
    this.#wake?.cancel();
    if (this.#total > 0) {
      await new Promise<void>((resolve) => {
        const cancel = this.#d.scheduler.after(deadlineMs, resolve);
        this.#idle = () => { cancel(); resolve(); };
      });
    }
    const now = this.#d.wallNow();
    await Promise.all([...this.#running.values()].map(({ call, abort }) => {
      abort.abort();
      return this.#d.store.finish(call.id, { next: 'queued', runAt: now }).catch(() => undefined);
    }));
  }
}

/** Up to `max` bytes of a response body for the call's result; the rest of a stream is cancelled. */
async function keep(body: Uint8Array | string | null | BodyStream, max: number): Promise<{ body: Uint8Array | null; truncated: boolean }> {
  if (body === null) return { body: null, truncated: false };
  if (typeof body === 'string') body = new TextEncoder().encode(body);
  if (!isBodyStream(body)) return body.byteLength > max ? { body: body.slice(0, max), truncated: true } : { body: body.byteLength ? body : null, truncated: false };
  const got = await readBytes(body, max).catch(() => undefined);
  if (got === undefined) {
    body.destroy();
    return { body: null, truncated: true };
  }
  return { body: got.byteLength ? got : null, truncated: false };
}
