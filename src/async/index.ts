/**
 * Async invocations and cron triggers, assembled (design §11): the service (submit, read, cancel,
 * replay), the queue worker, callback delivery and the cron scheduler, over one InvocationStore.
 * app.ts builds one per host; it knows nothing of HTTP (the edge and admin API call the service).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Scheduler } from '../core/clock.ts';
import type { Rng } from '../core/rng.ts';
import type { DispatchRequest, DispatchResult, DispatchTarget } from '../dispatch/index.ts';
import type { AsyncSettings, InvocationStore } from '../store/index.ts';
import { CallbackSender } from './callbacks.ts';
import { CronScheduler } from './cron.ts';
import { registerAsyncMetrics } from './metrics.ts';
import { DEFAULT_RETRY_ON, type RetryPolicy } from './retry.ts';
import { AsyncService } from './service.ts';
import { QueueWorker } from './worker.ts';

export { AsyncService, type Submission } from './service.ts';
export { callSummary, callView } from './views.ts';
export { readCloudEvent, cloudEventKey, type CloudEventInfo } from './cloudevents.ts';
export { decide, retryDelayMs, parseRetryAfter, DEFAULT_RETRY_ON, type RetryPolicy, type AttemptEnd, type Decision } from './retry.ts';
export { QueueWorker, NO_RETRY_HEADER } from './worker.ts';
export { CronScheduler } from './cron.ts';

/** The host's `async.*` options. */
export interface AsyncConfig {
  maxBodyBytes: number;
  maxQueued: number;
  maxInflight: number;
  concurrency: number;
  resultBytes: number;
  retentionS: number;
  dedupeWindowS: number;
  maxAttempts: number;
  initialRetryMs: number;
  maxRetryMs: number;
  maxAgeS: number;
  drainMs: number;
}

/** A revision config's `async` block: the function's own retry policy and inflight bound. */
export type AsyncOverrides = AsyncSettings;

/** What a function's latest revision says about its async calls and triggers. */
export interface FunctionTriggers {
  /** The revision these are read from (the function's latest): its cron ticks run on it. */
  revision: string;
  crons: string[];
  async?: AsyncOverrides;
}

export interface AsyncHostDeps {
  store: InvocationStore;
  config: AsyncConfig;
  dispatch(target: DispatchTarget, request: DispatchRequest, signal?: AbortSignal): Promise<DispatchResult>;
  hasFunction(fn: string): boolean;
  /** Every function's triggers and async overrides (from its latest revision), read once at start; changes come through setFunction(). */
  functions(): Promise<Map<string, FunctionTriggers>>;
  outboundDenied(url: URL): string;
  callbackTimeoutMs: number;
  domain: string;
  wallNow(): number;
  scheduler: Scheduler;
  rng: Rng;
  registry: Registry;
  log: Logger;
}

/** A function's policy: its `async` block over the host's. */
function policyOf(base: RetryPolicy & { maxInflight: number }, o: AsyncOverrides): RetryPolicy & { maxInflight: number } {
  return {
    maxAttempts: o.maxAttempts ?? base.maxAttempts, initialRetryMs: o.initialRetryMs ?? base.initialRetryMs, maxRetryMs: o.maxRetryMs ?? base.maxRetryMs,
    maxAgeMs: o.maxAgeS !== undefined ? o.maxAgeS * 1000 : base.maxAgeMs, retryOn: o.retryOn ? new Set(o.retryOn) : base.retryOn, maxInflight: o.maxInflight ?? base.maxInflight,
  };
}

/** Finished calls are swept this often. */
const EXPIRE_EVERY_MS = 60_000;

export class AsyncHost {
  readonly service: AsyncService;
  readonly worker: QueueWorker;
  readonly callbacks: CallbackSender;
  readonly cron: CronScheduler;
  readonly #d: AsyncHostDeps;
  /** The host's policy, and each function's own where its latest revision has an `async` block (built once per change, not per attempt). */
  readonly #base: RetryPolicy & { maxInflight: number };
  #policies = new Map<string, RetryPolicy & { maxInflight: number }>();
  #stopExpire: (() => void) | undefined;

  constructor(d: AsyncHostDeps) {
    this.#d = d;
    const c = d.config;
    const base: RetryPolicy = { maxAttempts: c.maxAttempts, initialRetryMs: c.initialRetryMs, maxRetryMs: c.maxRetryMs, maxAgeMs: c.maxAgeS * 1000, retryOn: new Set(DEFAULT_RETRY_ON) };
    this.#base = { ...base, maxInflight: c.maxInflight };
    const metrics = registerAsyncMetrics(d.registry, () => d.store.stats(), d.wallNow);
    this.service = new AsyncService({ store: d.store, hasFunction: d.hasFunction, outboundDenied: d.outboundDenied, wallNow: d.wallNow, limits: { maxBodyBytes: c.maxBodyBytes, maxQueued: c.maxQueued, dedupeWindowS: c.dedupeWindowS } });
    this.callbacks = new CallbackSender({
      store: d.store, outboundDenied: d.outboundDenied, timeoutMs: d.callbackTimeoutMs, policy: base, wallNow: d.wallNow, scheduler: d.scheduler, rng: d.rng,
      tried: (call, outcome, detail) => {
        metrics.callbacks.inc({ function: call.fn, outcome });
        if (outcome !== 'delivered') d.log.warn({ function: call.fn, callId: call.id, url: call.callback?.url, outcome, detail }, 'async callback not delivered');
      },
      failed: (err) => d.log.error({ err }, 'async callbacks could not use the store; trying again at the next poll'),
    });
    this.worker = new QueueWorker({
      store: d.store, dispatch: d.dispatch, wallNow: d.wallNow, scheduler: d.scheduler, rng: d.rng, concurrency: c.concurrency, resultBytes: c.resultBytes,
      policy: (fn) => this.#policies.get(fn) ?? this.#base,
      attempted: (call, outcome) => {
        metrics.attempts.inc({ function: call.fn, outcome: outcome === 'queued' ? 'retry' : outcome });
        if (outcome !== 'queued' && outcome !== 'retry') metrics.calls.inc({ function: call.fn, status: outcome });
      },
      finished: (call) => { if (call.callback) this.callbacks.pump(); },
      failed: (err) => d.log.error({ err }, 'the async queue worker could not use the store; trying again in 1 s'),
    });
    this.cron = new CronScheduler({
      crons: async () => new Map([...this.#functions].filter(([, t]) => t.crons.length > 0).map(([fn, t]) => [fn, { revision: t.revision, crons: t.crons }])),
      fire: async (fn, revision, event, key) => {
        await this.service.submit({ fn, method: 'GET', url: `http://${fn}.${d.domain}/__scheduled`, headers: [], body: null, key, scheduled: { ...event, revision } });
      },
      wallNow: d.wallNow, scheduler: d.scheduler,
      failed: (fn, cron, err) => d.log.warn({ function: fn, cron, err }, 'cron tick not submitted'),
    });
  }

  #functions = new Map<string, FunctionTriggers>();
  #reloadSoon = false;

  /** A function's latest revision changed (or it was deleted: undefined). Crons are re-read once per turn. */
  setFunction(fn: string, t: FunctionTriggers | undefined): void {
    if (t && (t.crons.length > 0 || t.async)) this.#functions.set(fn, t);
    else this.#functions.delete(fn);
    if (t?.async) this.#policies.set(fn, policyOf(this.#base, t.async));
    else this.#policies.delete(fn);
    if (this.#reloadSoon) return;
    this.#reloadSoon = true;
    this.#d.scheduler.immediate(() => {
      this.#reloadSoon = false;
      this.cron.reload().catch((err: unknown) => this.#d.log.error({ err }, 'cron triggers could not be reloaded'));
    });
  }

  /** A function was deleted: its queued calls are cancelled (a new function of the same name must not run them). */
  functionDeleted(fn: string): void {
    this.setFunction(fn, undefined);
    this.#d.store.cancelFunction(fn, this.#d.wallNow()).then(
      (n) => { if (n > 0) this.#d.log.info({ function: fn, cancelled: n }, 'queued async calls of a deleted function cancelled'); },
      (err: unknown) => this.#d.log.error({ function: fn, err }, 'queued async calls of a deleted function could not be cancelled'),
    );
  }

  async start(): Promise<void> {
    for (const [fn, t] of await this.#d.functions()) this.setFunction(fn, t);
    await this.cron.reload();
    const attempts = Object.fromEntries([...this.#policies].map(([fn, p]) => [fn, p.maxAttempts]));
    await this.worker.start(this.#d.config.maxAttempts, attempts);
    this.callbacks.start();
    const sweep = (): void => {
      const now = this.#d.wallNow();
      this.#d.store.expire(now - this.#d.config.retentionS * 1000, now - this.#d.config.dedupeWindowS * 1000).catch((err: unknown) => this.#d.log.error({ err }, 'expiring old async calls failed'));
    };
    sweep();
    this.#stopExpire = this.#d.scheduler.every(EXPIRE_EVERY_MS, sweep);
  }

  /** Stops taking calls; running ones get `drainMs` to finish, the rest stay queued for the next start. */
  async stop(drainMs: number): Promise<void> {
    this.cron.stop();
    this.#stopExpire?.();
    await Promise.all([this.worker.stop(drainMs), this.callbacks.stop()]);
  }
}
