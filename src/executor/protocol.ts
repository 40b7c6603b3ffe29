/**
 * Messages between the gateway and an executor thread. Both sides send arrays of
 * these, one postMessage per event-loop turn (design §3: batching is what makes
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
  fetch: { allow: string[]; timeoutMs: number; maxBytes: number };
}

export type ToExecutor =
  | { t: 'rev'; rev: RevisionSpec }
  | { t: 'unrev'; id: string }
  | { t: 'inv'; id: number; rev: string; reqId: string; method: string; url: string; headers: HeaderPairs; body: Uint8Array | null }
  | { t: 'stats'; id: number }
  /** Keep at least `min` instances of the revision (pre-created from the warm pool, spared by the idle TTL). */
  | { t: 'scale'; rev: string; min: number }
  | { t: 'close' };

export interface Timing {
  tier: StartTier;
  startMs: number;
  execMs: number;
}

export type FromExecutor =
  | ({ t: 'res'; id: number; status: number; headers: HeaderPairs; body: Uint8Array | string | null } & Timing)
  | ({ t: 'err'; id: number; code: ErrorCode; message: string } & Partial<Timing>)
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; fn: string; rev: string; reqId: string; msg: string }
  | { t: 'stats'; id: number; stats: ExecutorStats }
  | { t: 'ready'; rev: string; count: number; tier?: StartTier; startMs?: number }
  | { t: 'up' };

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
