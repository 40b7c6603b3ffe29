/**
 * The queue worker (OpenFaaS's queue-worker, in-process): claims queued calls, runs each through
 * the same dispatch() as an edge request (router, activator, breaker, autoscaler: a call for a
 * revision at zero waits in the activator, whose queue is the autoscaler's demand, as KEDA scales
 * on queue length) and writes back what happened. Fair between functions: each pass gives every
 * function with due calls a turn, up to its own `maxInflight`, under a host-wide `concurrency`, so
 * a flood of one function's calls cannot starve another's.
 */
import type { Scheduler } from '../core/clock.ts';
import { headerOf } from '../core/headers.ts';
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
  /** A store operation of the worker failed (logged; the worker tries again). */
  failed?(err: unknown): void;
}

/** After a failed store write, the worker tries again this much later. */
const STORE_RETRY_MS = 1000;
/** The wake timer sleeps at most this long, then looks again. */
const MAX_SLEEP_MS = 60_000;
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
  /** Outcomes whose write failed, by call id, waiting to be written again. */
  readonly #unwritten = new Map<string, { outcome: AttemptOutcome; done: (after: CallRecord | undefined) => void }>();
  #idle: (() => void) | undefined;
  /** The pass under way (stop() waits for its claim), if any. */
  #passing: Promise<void> | undefined;
  /**
   * The function whose claim is being committed, with the earliest runAt the store told of meanwhile:
   * a call queued in the same commit as the claim (after it) is not in the claim's nextAt, and its
   * notification arrives before the claim's answer, which must not overwrite it.
   */
  #claiming: { fn: string; at: number } | undefined;

  constructor(deps: WorkerDeps) {
    this.#d = deps;
  }

  /** Calls left running by a previous process are queued again, then the worker starts. */
  async start(maxAttempts: number, byFunction: Record<string, number> = {}): Promise<void> {
    this.#stopped = false;
    this.#unwatch = this.#d.store.watchQueued((fn, at) => this.#queued(fn, at));
    await this.#d.store.recover(this.#d.wallNow(), maxAttempts, byFunction);
    for (const [fn, at] of await this.#d.store.pending()) this.#queued(fn, at);
    this.#pump();
  }

  get running(): number {
    return this.#total;
  }

  #queued(fn: string, at: number): void {
    if (this.#claiming?.fn === fn) this.#claiming.at = Math.min(this.#claiming.at, at);
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
    this.#d.scheduler.immediate(() => {
      // A store that fails (disk full, I/O error) must not kill the host: the pass is tried again in a second.
      const pass = this.#pass().catch((err: unknown) => {
        this.#claiming = undefined;
        this.#d.failed?.(err);
        this.#arm(this.#d.wallNow() + STORE_RETRY_MS);
      });
      this.#passing = pass;
      void pass.finally(() => {
        this.#passing = undefined;
        this.#pumping = false;
        if (this.#again) {
          this.#again = false;
          this.#pump();
        }
      });
    });
  }

  async #pass(): Promise<void> {
    await this.#retryUnwritten();
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
      const claiming = { fn, at: Infinity };
      this.#claiming = claiming;
      const { calls, nextAt } = await this.#d.store.claim(fn, now, Math.min(free, CLAIM_BATCH));
      this.#claiming = undefined;
      if (this.#stopped) {
        // stop() came while the claim was committed: what it claimed goes back, no attempt counted.
        await Promise.all(calls.map((c) => this.#d.store.finish(c.id, { next: 'queued', runAt: c.runAt }).catch(() => undefined)));
        return;
      }
      // Re-inserted, the function goes to the back: the next pass offers a freed slot to the others first.
      // Without that, a function listed first takes every slot that frees whenever it can fill the host.
      this.#due.delete(fn);
      const next = Math.min(nextAt ?? Infinity, claiming.at);
      if (Number.isFinite(next)) {
        this.#due.set(fn, next);
        if (next > now) soonest = Math.min(soonest, next);
        else if (calls.length > 0) this.#again = true;
      }
      for (const c of calls) this.#start(c);
    }
    this.#arm(soonest);
  }

  /**
   * Outcomes the store refused (disk full, its thread lost): kept here and written again on each
   * pass, so a call never stays `running` for the rest of the host's life because one write failed.
   */
  async #retryUnwritten(): Promise<void> {
    if (this.#unwritten.size === 0) return;
    for (const [id, w] of [...this.#unwritten]) {
      const after = await this.#d.store.finish(id, w.outcome);
      this.#unwritten.delete(id);
      w.done(after);
    }
  }

  /** A timer for the earliest retry that is not due yet (re-armed at least every minute: Node's timers overflow past 24.8 days). */
  #arm(at: number): void {
    if (!Number.isFinite(at) || (this.#wake && this.#wake.at <= at)) return;
    this.#wake?.cancel();
    const cancel = this.#d.scheduler.after(Math.min(MAX_SLEEP_MS, Math.max(0, at - this.#d.wallNow())), () => {
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
      const target = { fn: call.fn, ...(r.tag !== undefined ? { tag: r.tag } : {}), ...(r.scheduled?.revision !== undefined ? { revision: r.scheduled.revision } : {}) };
      const res = await d.dispatch(target, { id: call.id, method: r.method, url: r.url, headers, body: r.body, ...(r.scheduled ? { scheduled: { cron: r.scheduled.cron, scheduledTime: r.scheduled.scheduledTime } } : {}) }, signal);
      if (res.ok) {
        result = { status: res.status, headers: res.headers, ...(await keep(res.body, d.resultBytes)) };
        end = { kind: 'response', status: res.status, retryAfterMs: parseRetryAfter(headerOf(res.headers, 'retry-after'), d.wallNow()), noRetry: headerOf(res.headers, NO_RETRY_HEADER) === '1' };
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
    const outcome: AttemptOutcome = dec.next === 'retry'
      ? { next: 'queued', attempt, runAt: now + dec.delayMs }
      : { next: dec.next, attempt, ...(result ? { result } : {}), ...(dec.next === 'succeeded' ? {} : { error: end.kind === 'response' ? { code: 'EDGE_ERR_FUNCTION_STATUS', message: `the function answered ${dec.why}` } : { code: end.code, message: `${errMessage ?? end.code} (${dec.why})` } }), finishedAt: now };
    const after = await d.store.finish(call.id, outcome).catch((err: unknown) => {
      d.failed?.(err);
      // The call keeps its slot (it is still running in the store) until a later pass writes the outcome; a timer ensures one comes.
      return new Promise<CallRecord | undefined>((done) => {
        this.#unwritten.set(call.id, { outcome, done });
        this.#arm(d.wallNow() + STORE_RETRY_MS);
      });
    });
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
    // Forgotten too: a start() after this one arms its own timer (a stale one would stand in for it).
    this.#wake = undefined;
    let cancelDeadline = (): void => {};
    const deadline = new Promise<void>((resolve) => { cancelDeadline = this.#d.scheduler.after(deadlineMs, resolve); });
    // A pass whose claim is still being committed gives back what it claimed (it sees #stopped).
    await this.#passing?.catch(() => undefined);
    if (this.#total > 0) await Promise.race([deadline, new Promise<void>((resolve) => { this.#idle = resolve; })]);
    cancelDeadline();
    this.#idle = undefined;
    const now = this.#d.wallNow();
    await Promise.all([...this.#running.values()].map(({ call, abort }) => {
      abort.abort();
      return this.#d.store.finish(call.id, { next: 'queued', runAt: now }).catch(() => undefined);
    }));
  }
}

/**
 * Up to `max` bytes of a response body for the call's result, streamed or not; the rest of a stream is
 * cancelled. A stream that fails midway keeps what arrived, marked truncated. Each chunk is copied as it
 * is read: an executor's chunks are views of memory it writes again once they are delivered.
 */
async function keep(body: Uint8Array | string | null | BodyStream, max: number): Promise<{ body: Uint8Array | null; truncated: boolean }> {
  if (body === null) return { body: null, truncated: false };
  if (typeof body === 'string') body = new TextEncoder().encode(body);
  if (!isBodyStream(body)) return body.byteLength > max ? { body: body.slice(0, max), truncated: true } : { body: body.byteLength ? body : null, truncated: false };
  const parts: Uint8Array[] = [];
  let n = 0;
  let truncated = false;
  try {
    for await (const chunk of body) {
      const take = Math.min(chunk.byteLength, max - n);
      parts.push(new Uint8Array(chunk.subarray(0, take)));
      n += take;
      if (take < chunk.byteLength) {
        truncated = true;
        break;
      }
    }
  } catch {
    truncated = true;
  }
  if (truncated) body.destroy();
  if (n === 0) return { body: null, truncated };
  if (parts.length === 1) return { body: parts[0]!, truncated };
  const all = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.byteLength; }
  return { body: all, truncated };
}
