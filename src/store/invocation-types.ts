/**
 * Async invocations (design §11) behind a store interface: SQLite on one node (sqlite/invocations.ts),
 * a JetStream work-queue stream in a cluster. The store keeps every call's request, state, attempts
 * and result; the queue worker (src/async/) claims calls, runs them and writes back what happened.
 * test/contracts/invocation-store.contract.ts is the suite every implementation passes.
 */
import type { HeaderPairs } from '../runtime/types.ts';

export type CallStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'dead' | 'cancelled';
export const CALL_STATUSES: readonly CallStatus[] = ['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled'];
/** The states a call never leaves (except by replay, which makes a new call). */
export const FINAL_STATUSES: ReadonlySet<CallStatus> = new Set(['succeeded', 'failed', 'dead', 'cancelled']);

/** One try at running a call. Times are Unix ms. */
export interface Attempt {
  n: number;
  startedAt: number;
  durationMs: number;
  /** The function's response status, when it answered. */
  status?: number;
  /** The host's error code, when it did not (or the function failed). */
  code?: string;
  message?: string;
}

/** What the function answered on the call's last attempt, kept for async.retentionS. */
export interface CallResult {
  status: number;
  headers: HeaderPairs;
  /** Up to async.resultBytes of the body. */
  body: Uint8Array | null;
  truncated: boolean;
}

/** A cron tick's call: it runs the revision's scheduled() handler, not fetch(). */
export interface ScheduledEvent {
  cron: string;
  /** Unix ms of the tick. */
  scheduledTime: number;
  /** The revision whose crons fired: the tick runs on it, not on whatever the traffic table picks. */
  revision?: string;
}

export interface CallRequest {
  method: string;
  /** The full URL the function sees. */
  url: string;
  headers: HeaderPairs;
  body: Uint8Array | null;
  /** A tagged revision the caller asked for (host `{tag}-{fn}` or `isoedge-tag`). */
  tag?: string;
  scheduled?: ScheduledEvent;
}

export type CallbackStatus = 'pending' | 'delivered' | 'failed';

export interface CallRecord {
  id: string;
  fn: string;
  status: CallStatus;
  request: CallRequest;
  /** Unix ms. */
  createdAt: number;
  /** A queued call runs no earlier than this (a retry's backoff). */
  runAt: number;
  attempts: Attempt[];
  result?: CallResult;
  /** The final error, for failed and dead calls. */
  error?: { code: string; message: string };
  finishedAt?: number;
  /** The client's X-Call-Id / Idempotency-Key, or a CloudEvent's (source, id). */
  key?: string;
  callback?: { url: string; status: CallbackStatus; attempts: number; nextAt?: number; lastError?: string };
  /** The call this one replays. */
  replayOf?: string;
}

export interface NewCall {
  id: string;
  fn: string;
  request: CallRequest;
  createdAt: number;
  key?: string;
  callbackUrl?: string;
  replayOf?: string;
}

/** Why a submission was not stored. */
export type SubmitRefusal = { refused: 'queue-full'; queued: number };

export interface CallListQuery {
  status?: CallStatus[];
  /** Newest first; at most this many (default 100). */
  limit?: number;
  /** Only calls created before this id's call (paging). */
  before?: string;
}

/** What a worker writes back after an attempt. */
export type AttemptOutcome =
  | { next: 'succeeded' | 'failed' | 'dead'; attempt: Attempt; result?: CallResult; error?: { code: string; message: string }; finishedAt: number }
  /** Run again at `runAt`; `attempt` is undefined when the try did not count (the host was stopping). */
  | { next: 'queued'; attempt?: Attempt; runAt: number };

export interface FunctionQueueStats {
  queued: number;
  running: number;
  /** Unix ms of the oldest queued call's creation; undefined when none is queued. */
  oldestQueuedAt: number | undefined;
}

export interface InvocationStore {
  /**
   * Stores a call durably (committed before the promise resolves) unless its `key` was used for the
   * same function within `dedupeMs` (then the first call is returned, `duplicate: true`) or the
   * function already has `maxQueued` queued calls.
   */
  submit(call: NewCall, opts: { dedupeMs: number; maxQueued: number }): Promise<{ call: CallRecord; duplicate: boolean } | SubmitRefusal>;
  get(id: string): Promise<CallRecord | undefined>;
  list(fn: string, q?: CallListQuery): Promise<CallRecord[]>;
  /** Functions with queued calls, each with the earliest time one of them may run. */
  pending(): Promise<Map<string, number>>;
  /**
   * Marks up to `n` of `fn`'s calls that may run at `now` as running (oldest runAt first) and returns
   * them, with the earliest runAt of its calls still queued (undefined when none is).
   */
  claim(fn: string, now: number, n: number): Promise<{ calls: CallRecord[]; nextAt: number | undefined }>;
  /** Writes an attempt's outcome; a call no longer running (cancelled meanwhile is impossible: only queued calls cancel) is left alone. */
  finish(id: string, outcome: AttemptOutcome): Promise<CallRecord | undefined>;
  /** Cancels a queued call; answers the call as it is after (unchanged when it was not queued), or undefined. */
  cancel(id: string, now: number): Promise<CallRecord | undefined>;
  /**
   * Calls that were running when a previous process stopped: each gets `interrupted` as an attempt and
   * is queued again to run at `now` (at-least-once), or goes dead once it has `maxAttempts` attempts.
   */
  recover(now: number, maxAttempts: number, byFunction?: Record<string, number>): Promise<number>;
  /** Cancels every queued call of a deleted function (a new function of that name must not run them); answers how many. */
  cancelFunction(fn: string, now: number): Promise<number>;
  /** Callbacks due by `now`. */
  callbacksDue(now: number, n: number): Promise<CallRecord[]>;
  /** Records a callback delivery try: delivered, failed for good, or again at `nextAt`. */
  callbackTried(id: string, outcome: { status: CallbackStatus; nextAt?: number; error?: string }): Promise<void>;
  /** Removes finished calls that finished before `before` (keyed ones only once created before `keyedBefore`: their key still dedupes); returns how many. */
  expire(before: number, keyedBefore?: number): Promise<number>;
  /** Told whenever a call of `fn` becomes queued (submitted, retried, recovered), with when it may run. */
  watchQueued(listener: (fn: string, runAt: number) => void): () => void;
  /** Queue depth per function, kept in memory by the store (cheap enough for every scrape and every submission). */
  stats(): Map<string, FunctionQueueStats>;
  close(): Promise<void>;
}
