/**
 * Messages between the gateway and an executor thread. Both sides send arrays of
 * these, one postMessage per event-loop turn (docs/architecture.md, the gateway → executor hop: batching is what makes
 * the MessagePort hop cheaper than node:http's own per-request work).
 */
import type { ErrorCode } from '../core/errors.ts';
import type { HeaderPairs, RevisionSpec, ScheduledEvent, StartTier } from '../runtime/types.ts';

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

/**
 * Gateway → executor: run one request on an instance of `rev`; answered by `res` or `err` with the same id.
 * `body` 'stream': the body follows in `req-chunk` messages, sent as the executor gives `req-credit`.
 * `scheduled`: a cron trigger's run of the revision's scheduled handler instead of fetch (docs/host-abi.md, "Scheduled handlers").
 */
export interface InvokeMessage { t: 'invoke'; id: number; rev: string; reqId: string; method: string; url: string; headers: HeaderPairs; body: Uint8Array | null | 'stream'; scheduled?: ScheduledEvent }
/** Gateway → executor: the next bytes of a streamed request body (`last`: the body ends after them). */
export interface RequestChunkMessage { t: 'req-chunk'; id: number; data: Uint8Array | null; last: boolean }
/** Gateway → executor: the streamed request body failed (over limits.bodyBytes, the client went away). */
export interface RequestAbortMessage { t: 'req-abort'; id: number; code: ErrorCode; message: string }
/** Gateway → executor: the client took `bytes` more of a streaming response; that much more may be sent. */
export interface ResponseCreditMessage { t: 'res-credit'; id: number; bytes: number }
/** Gateway → executor: the client went away; end the call (request.signal aborts, the response stream is cancelled). */
export interface CancelMessage { t: 'cancel'; id: number }
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

export type ToExecutor = InvokeMessage | RequestChunkMessage | RequestAbortMessage | ResponseCreditMessage | CancelMessage | LoadRevisionMessage | UnloadRevisionMessage | ForgetFunctionMessage | StatsRequest | ScaleMessage | CloseMessage;

export interface Timing {
  tier: StartTier;
  startMs: number;
  execMs: number;
}

/**
 * The success reply to `invoke`. Its tag and shape are consumed outside executor/ (api/edge): keep them.
 * `stream`: the body follows in `chunk` messages and an `end` (the gateway's ExecutorClient turns them
 * into a Node Readable, `body` here on the gateway side).
 */
export type InvokeResponse = { t: 'res'; id: number; status: number; headers: HeaderPairs; body: Uint8Array | string | null | ReadableBody; stream?: true; ring?: SharedArrayBuffer } & Timing;
/** A streaming response body on the gateway side (node:stream Readable; typed loosely so protocol.ts needs no Node types). */
export interface ReadableBody { readonly readable: boolean; on(event: string, fn: (...a: unknown[]) => void): unknown }
/**
 * Executor → gateway: the next bytes of a streaming response (at most the credit given), at `off` in the
 * response's ring (`res.ring`, a SharedArrayBuffer of STREAM_WINDOW_BYTES shared by both threads). The
 * executor writes only where the gateway gave credit back, and the gateway gives it back only for bytes
 * its socket has handed to the kernel: no buffer is allocated per chunk on either side (per-chunk
 * ArrayBuffers kept the gateway in a full GC every 50–90 ms, external memory pressure).
 */
export interface ChunkMessage { t: 'chunk'; id: number; off: number; len: number }
/** Executor → gateway: a streaming response ended, well (no code) or not (its code: the gateway aborts the connection). */
export interface EndMessage { t: 'end'; id: number; code?: ErrorCode; message?: string }
/** Executor → gateway: the guest took `bytes` more of a streamed request body; that much more may be sent. */
export interface RequestCreditMessage { t: 'req-credit'; id: number; bytes: number }
/**
 * The failure reply to `invoke` (no timing when the revision is not loaded). Tag and shape kept as for `res`.
 * `noRetry`: a scheduled handler called controller.noRetry() before it threw.
 */
export type InvokeError = { t: 'err'; id: number; code: ErrorCode; message: string; noRetry?: true } & Partial<Timing>;
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
/**
 * Bytes in flight per direction of one streaming body between the gateway and an executor: the sender
 * may be this far ahead of what the receiver consumed (credit-based flow control). Bounds what the host
 * buffers for one request (docs/architecture.md, "Streaming").
 */
export const STREAM_WINDOW_BYTES = 1024 * 1024;

/**
 * Credit goes back in steps of at least this many bytes, so a
 * stream of 64 KiB chunks costs one credit message per four chunks, not one each (messages wake the
 * other thread: at 128 KiB steps they were a fifth of the executor's CPU per MiB). Smaller than the window
 * less a Readable's high-water mark, so a receiver waiting for more always has credit on its way.
 */
export const CREDIT_STEP_BYTES = 256 * 1024;

/** Executor → gateway: the thread is up and takes messages. */
export interface StartedMessage { t: 'started' }

export type FromExecutor = InvokeResponse | InvokeError | ChunkMessage | EndMessage | RequestCreditMessage | LogMessage | StatsReply | InstancesMessage | CacheMessage | StartedMessage;

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
