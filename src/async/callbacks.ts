/**
 * X-Callback-Url delivery: once a call ends (succeeded, failed or dead) its result is POSTed to the
 * URL the caller gave, with OpenFaaS's headers, retried with the host's retry policy (its backoff,
 * retryable statuses and attempts), through the outbound allowlist (checked again at delivery: the
 * list may have changed); never to the host's own listeners.
 * The store keeps what is due, so a callback pending at a crash is sent after the restart.
 */
import type { Scheduler } from '../core/clock.ts';
import { EdgeError, isErrorCode } from '../core/errors.ts';
import { headerOf } from '../core/headers.ts';
import type { Rng } from '../core/rng.ts';
import type { CallRecord, InvocationStore } from '../store/index.ts';
import { retryDelayMs, type RetryPolicy } from './retry.ts';

export interface CallbackDeps {
  store: InvocationStore;
  outboundDenied(url: URL): string;
  timeoutMs: number;
  policy: RetryPolicy;
  wallNow(): number;
  scheduler: Scheduler;
  rng: Rng;
  /** Told of each delivery try (metrics, logs). */
  tried?(call: CallRecord, outcome: 'delivered' | 'retry' | 'failed', detail: string): void;
  /** A store operation failed (logged; the next poll tries again). */
  failed?(err: unknown): void;
}

/** Deliveries at once: callbacks are small and leave the host. */
const PARALLEL = 16;
/** Due callbacks are looked for at least this often (a retry's time comes). */
const POLL_MS = 1000;

export class CallbackSender {
  readonly #d: CallbackDeps;
  /** Deliveries under way, by call id. */
  readonly #sending = new Map<string, Promise<void>>();
  #stopTick: (() => void) | undefined;
  #pumping = false;
  #stopped = false;

  constructor(deps: CallbackDeps) {
    this.#d = deps;
  }

  start(): void {
    this.#stopTick = this.#d.scheduler.every(POLL_MS, () => this.pump());
    this.pump();
  }

  /** Looks for due callbacks now (a call just ended). */
  pump(): void {
    if (this.#pumping || this.#stopped) return;
    this.#pumping = true;
    // A store that fails must not take the host down: the next poll tries again.
    void this.#pass().catch((err: unknown) => this.#d.failed?.(err)).finally(() => { this.#pumping = false; });
  }

  async #pass(): Promise<void> {
    const free = PARALLEL - this.#sending.size;
    if (free <= 0) return;
    const due = await this.#d.store.callbacksDue(this.#d.wallNow(), free + this.#sending.size);
    for (const c of due) {
      if (this.#sending.size >= PARALLEL) break;
      if (this.#sending.has(c.id) || !c.callback) continue;
      this.#sending.set(c.id, this.#send(c).catch((err: unknown) => this.#d.failed?.(err)).finally(() => this.#sending.delete(c.id)));
    }
  }

  async #send(c: CallRecord): Promise<void> {
    const d = this.#d;
    const cb = c.callback!;
    const url = new URL(cb.url);
    const denied = d.outboundDenied(url);
    const attempts = cb.attempts + 1;
    let detail: string;
    let retry = false;
    if (denied) detail = denied;
    else {
      const res = c.result;
      const last = c.attempts.at(-1);
      // A call that never got a response reports its error code's status.
      const status = res?.status ?? (c.error && isErrorCode(c.error.code) ? EdgeError.statusOf(c.error.code) : 500);
      const headers: Record<string, string> = {
        'x-call-id': c.id,
        'x-function-name': c.fn,
        'x-function-status': String(status),
        'x-duration-seconds': ((last?.durationMs ?? 0) / 1000).toFixed(6),
        'isoedge-call-status': c.status,
      };
      const type = res && headerOf(res.headers, 'content-type');
      if (type) headers['content-type'] = type;
      if (c.error) headers['isoedge-error-code'] = c.error.code;
      try {
        const r = await fetch(url, { method: 'POST', headers, body: res?.body ?? null, signal: AbortSignal.timeout(d.timeoutMs), redirect: 'manual' });
        await r.body?.cancel();
        if (r.status < 300) {
          await d.store.callbackTried(c.id, { status: 'delivered' });
          d.tried?.(c, 'delivered', `status ${r.status}`);
          return;
        }
        detail = `the callback URL answered ${r.status}`;
        retry = d.policy.retryOn.has(r.status);
      } catch (e) {
        detail = `the callback URL could not be reached: ${(e as Error).message}`;
        retry = true;
      }
    }
    if (retry && attempts < d.policy.maxAttempts) {
      await d.store.callbackTried(c.id, { status: 'pending', nextAt: d.wallNow() + retryDelayMs(attempts, d.policy, d.rng), error: detail });
      d.tried?.(c, 'retry', detail);
    } else {
      await d.store.callbackTried(c.id, { status: 'failed', error: detail });
      d.tried?.(c, 'failed', detail);
    }
  }

  /** Stops polling; deliveries under way finish (each bounded by the fetch time limit) before the store closes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopTick?.();
    await Promise.all([...this.#sending.values()]);
  }
}
