/**
 * Messages between the gateway and an executor thread. Both sides send arrays of
 * these, one postMessage per event-loop turn (docs/architecture.md, the gateway → executor hop: batching is what makes
 * the MessagePort hop cheaper than node:http's own per-request work).
 */
import type { ErrorCode } from '../core/errors.ts';
import type { HeaderPairs, RevisionSpec, StartTier } from '../runtime/types.ts';

export interface ExecutorInit {
  memoryMb: number;
  warmMin: number;
  warmMax: number;
  hotMax: number;
  hotBudgetMb: number;
  idleTtlMs: number;
  wasmMaxBytes: number;
  wasmCacheMb: number;
  /** The Cache API store's bound on this thread, in bytes (config cache.maxBytes). */
  cacheMaxBytes: number;
  fetch: { allow: string[]; timeoutMs: number; maxBytes: number };
}

/** Gateway → executor: run one request on an instance of `rev`; answered by `res` or `err` with the same id. */
export interface InvokeMessage { t: 'invoke'; id: number; rev: string; reqId: string; method: string; url: string; headers: HeaderPairs; body: Uint8Array | null }
/** Gateway → executor: hold this revision's code (replacing an older copy retires its instances). */
export interface LoadRevisionMessage { t: 'load-revision'; rev: RevisionSpec }
/** Gateway → executor: forget a revision; its instances finish their requests and are disposed. */
export interface UnloadRevisionMessage { t: 'unload-revision'; id: string }
/** A function was deleted: what the executor keeps for it beyond its revisions (Cache API entries) goes too. */
export interface ForgetFunctionMessage { t: 'forget-function'; fn: string }
/** Gateway → executor: report ExecutorStats; answered by a `stats` message with the same id. */
export interface StatsRequest { t: 'stats'; id: number }
/** Gateway → executor: keep at least `min` instances of the revision (pre-created from the warm pool, spared by the idle TTL). */
export interface ScaleMessage { t: 'scale'; rev: string; min: number }
/** Gateway → executor: dispose every isolate and end the thread. */
export interface CloseMessage { t: 'close' }

export type ToExecutor = InvokeMessage | LoadRevisionMessage | UnloadRevisionMessage | ForgetFunctionMessage | StatsRequest | ScaleMessage | CloseMessage;

export interface Timing {
  tier: StartTier;
  startMs: number;
  execMs: number;
}

/** The success reply to `invoke`. Its tag and shape are consumed outside executor/ (api/edge): keep them. */
export type InvokeResponse = { t: 'res'; id: number; status: number; headers: HeaderPairs; body: Uint8Array | string | null } & Timing;
/** The failure reply to `invoke` (no timing when the revision is not loaded). Tag and shape kept as for `res`. */
export type InvokeError = { t: 'err'; id: number; code: ErrorCode; message: string } & Partial<Timing>;
/** Executor → gateway: a guest's console line, tagged with what it served. */
export interface LogMessage { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; fn: string; rev: string; reqId: string; msg: string }
/** Executor → gateway: the reply to a `stats` request. */
export interface StatsReply { t: 'stats'; id: number; stats: ExecutorStats }
/** Executor → gateway: the revision's live instance count changed (tier/startMs when a pinned one was pre-started). */
export interface InstancesMessage { t: 'instances'; rev: string; count: number; tier?: StartTier; startMs?: number }
/**
 * Executor → gateway: Cache API counts since the last such message ([function, result, n]) and the bytes
 * the store holds now. Sent once per turn in which the cache was used, in the same batch as the replies.
 */
export interface CacheMessage { t: 'cache'; counts: [fn: string, result: 'hit' | 'miss' | 'stored' | 'uncacheable', n: number][]; bytes: number }
/** Executor → gateway: the thread is up and takes messages. */
export interface StartedMessage { t: 'started' }

export type FromExecutor = InvokeResponse | InvokeError | LogMessage | StatsReply | InstancesMessage | CacheMessage | StartedMessage;

export interface ExecutorStats {
  warm: number;
  warmTarget: number;
  hot: number;
  hotBytes: number;
  hotRevisions: number;
  evictions: number;
  inflight: number;
  starts: { hot: number; warm: number; cold: number };
  isolatesCreated: number;
  /** New contexts made in the isolate of a retired instance instead of a new isolate. */
  isolatesReused: number;
  /** Isolates of retired instances waiting for reuse. */
  spareIsolates: number;
}
