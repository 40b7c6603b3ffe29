/**
 * Async invocations as the edge and the admin API use them (design §11): submit, read, list,
 * cancel, replay. A submission is refused with a code, never dropped: 404 for a function that does
 * not exist, 413 over async.maxBodyBytes, 429 when the function's queue is full, 400 for a callback
 * URL the outbound allowlist denies. The queue worker (worker.ts) runs what is stored here.
 */
import { randomUUID } from 'node:crypto';
import { EdgeError } from '../core/errors.ts';
import type { HeaderPairs } from '../runtime/types.ts';
import type { CallRecord, CallStatus, InvocationStore, ScheduledEvent } from '../store/index.ts';
import { CALL_STATUSES } from '../store/index.ts';

export interface AsyncLimits {
  maxBodyBytes: number;
  maxQueued: number;
  dedupeWindowS: number;
}

export interface Submission {
  fn: string;
  tag?: string;
  method: string;
  url: string;
  headers: HeaderPairs;
  body: Uint8Array | null;
  /** X-Call-Id, Idempotency-Key or a CloudEvent's (source, id). */
  key?: string;
  callbackUrl?: string;
  scheduled?: ScheduledEvent;
}

export interface AsyncServiceDeps {
  store: InvocationStore;
  hasFunction(fn: string): boolean;
  /** '' when the outbound allowlist lets the host reach `url`, else why not. */
  outboundDenied(url: URL): string;
  limits: AsyncLimits;
  wallNow(): number;
  newId?: () => string;
}

/** Headers the host consumed at submission: the function does not see them again on each attempt. */
const CONSUMED = new Set(['prefer', 'x-callback-url', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'expect']);

export class AsyncService {
  readonly #d: AsyncServiceDeps;

  constructor(deps: AsyncServiceDeps) {
    this.#d = deps;
  }

  #newId(): string {
    return (this.#d.newId ?? randomUUID)();
  }

  get limits(): AsyncLimits {
    return this.#d.limits;
  }

  /** Stores the call (committed before this resolves); `duplicate` when its key was seen within the window. */
  async submit(s: Submission): Promise<{ call: CallRecord; duplicate: boolean }> {
    const d = this.#d;
    if (!d.hasFunction(s.fn)) throw new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(s.fn)} is deployed`);
    if (s.body && s.body.byteLength > d.limits.maxBodyBytes) {
      throw new EdgeError('EDGE_ERR_BODY_TOO_LARGE', `the async call's body is ${s.body.byteLength} bytes, over async.maxBodyBytes (${d.limits.maxBodyBytes})`);
    }
    if (s.callbackUrl !== undefined) checkCallback(s.callbackUrl, d.outboundDenied);
    if (s.key !== undefined && (s.key.length === 0 || s.key.length > 256)) throw new EdgeError('EDGE_ERR_BAD_REQUEST', 'an X-Call-Id or Idempotency-Key must be 1 to 256 characters');
    const r = await d.store.submit({
      id: this.#newId(), fn: s.fn, createdAt: d.wallNow(),
      request: { method: s.method, url: s.url, headers: s.headers.filter(([k]) => !CONSUMED.has(k)), body: s.body, ...(s.tag !== undefined ? { tag: s.tag } : {}), ...(s.scheduled ? { scheduled: s.scheduled } : {}) },
      ...(s.key !== undefined ? { key: s.key } : {}), ...(s.callbackUrl !== undefined ? { callbackUrl: s.callbackUrl } : {}),
    }, { dedupeMs: d.limits.dedupeWindowS * 1000, maxQueued: d.limits.maxQueued }).catch(unavailable);
    if ('refused' in r) throw queueFull(s.fn, r.queued);
    return r;
  }

  async get(id: string): Promise<CallRecord> {
    const c = await this.#d.store.get(id);
    if (!c) throw new EdgeError('EDGE_ERR_INVOCATION_NOT_FOUND', `no async invocation with id ${JSON.stringify(id)} (finished calls are kept for async.retentionS)`);
    return c;
  }

  list(fn: string, status: string | undefined, limit: number | undefined, before: string | undefined): Promise<CallRecord[]> {
    const wanted = status === undefined || status === '' ? undefined : status.split(',').map((s) => s.trim());
    for (const s of wanted ?? []) {
      if (!CALL_STATUSES.includes(s as CallStatus)) throw new EdgeError('EDGE_ERR_BAD_REQUEST', `status ${JSON.stringify(s)} is not one of ${CALL_STATUSES.join(', ')}`);
    }
    return this.#d.store.list(fn, { ...(wanted ? { status: wanted as CallStatus[] } : {}), ...(limit !== undefined ? { limit } : {}), ...(before !== undefined ? { before } : {}) });
  }

  /** Cancels a queued call; a call that already started or ended is refused with its state. */
  async cancel(id: string): Promise<CallRecord> {
    const after = await this.#d.store.cancel(id, this.#d.wallNow());
    if (!after) throw new EdgeError('EDGE_ERR_INVOCATION_NOT_FOUND', `no async invocation with id ${JSON.stringify(id)}`);
    if (after.status !== 'cancelled') throw new EdgeError('EDGE_ERR_INVOCATION_STATE', `invocation ${id} is ${after.status}; only a queued call can be cancelled`);
    return after;
  }

  /** A failed or dead call runs again as a new call (same request, same callback), linked by replayOf. */
  async replay(id: string): Promise<CallRecord> {
    const c = await this.get(id);
    if (c.status !== 'failed' && c.status !== 'dead') throw new EdgeError('EDGE_ERR_INVOCATION_STATE', `invocation ${id} is ${c.status}; only a failed or dead call can be replayed`);
    const r = await this.#d.store.submit({
      id: this.#newId(), fn: c.fn, createdAt: this.#d.wallNow(), request: c.request, replayOf: c.id,
      ...(c.callback ? { callbackUrl: c.callback.url } : {}),
    }, { dedupeMs: 0, maxQueued: this.#d.limits.maxQueued }).catch(unavailable);
    if ('refused' in r) throw queueFull(c.fn, r.queued);
    return r.call;
  }
}

/** 429 with Retry-After: the function's queue holds async.maxQueued calls. */
function queueFull(fn: string, queued: number): EdgeError {
  return new EdgeError('EDGE_ERR_ASYNC_QUEUE_FULL', `function ${fn} has ${queued} queued async calls, the most async.maxQueued allows; retry later`, { details: { retryAfterS: 1 } });
}

/** A store that failed the write: a coded 503, so the client knows nothing was stored and may retry. */
function unavailable(e: unknown): never {
  if (e instanceof EdgeError) throw e;
  throw new EdgeError('EDGE_ERR_STORE_UNAVAILABLE', `the async call was not stored: ${(e as Error).message}`, { cause: e });
}

function checkCallback(raw: string, denied: (url: URL) => string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EdgeError('EDGE_ERR_BAD_REQUEST', `X-Callback-Url ${JSON.stringify(raw)} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EdgeError('EDGE_ERR_BAD_REQUEST', `X-Callback-Url must be http or https, not ${url.protocol}`);
  const why = denied(url);
  if (why) throw new EdgeError('EDGE_ERR_BAD_REQUEST', `X-Callback-Url: ${why}`);
}
