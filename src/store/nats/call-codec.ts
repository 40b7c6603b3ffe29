/**
 * A call record as a KV value: the CallRecord as JSON with its two bodies in base64 (readable with
 * `nats kv get`, and as a dead letter), plus what only the JetStream store keeps on a record: which
 * process's claim made it running, and which node is delivering its callback. And the moves of a
 * record from one state to the next, the same as the SQLite store's.
 */
import type { AttemptOutcome, CallRecord, CallRequest, CallResult } from '../invocation-types.ts';

export interface StoredCall extends CallRecord {
  /** `<node>/<instance>` of the process whose claim made the call running. */
  holder?: string;
  /** The node delivering the call's callback, until this wall time (ms): the others leave it alone meanwhile. */
  lease?: { by: string; until: number };
}

/** The stored JSON, bodies still in base64: what the in-memory index reads (it never needs the bytes). */
export type WireCall = Omit<StoredCall, 'request' | 'result'> & {
  request: Omit<CallRequest, 'body'> & { body: string | null };
  result?: Omit<CallResult, 'body'> & { body: string | null };
};

const b64 = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'));
const bytes = (s: string | null): Uint8Array | null => (s === null ? null : new Uint8Array(Buffer.from(s, 'base64')));

export function encodeCall(s: StoredCall): Uint8Array {
  const { result, ...rest } = s;
  const wire: WireCall = { ...rest, request: { ...s.request, body: b64(s.request.body) }, ...(result ? { result: { ...result, body: b64(result.body) } } : {}) };
  return new TextEncoder().encode(JSON.stringify(wire));
}

export function parseCall(data: Uint8Array): WireCall {
  return JSON.parse(new TextDecoder().decode(data)) as WireCall;
}

export function decodeCall(data: Uint8Array): StoredCall {
  const w = parseCall(data);
  const { result, ...rest } = w;
  return { ...rest, request: { ...w.request, body: bytes(w.request.body) }, ...(result ? { result: { ...result, body: bytes(result.body) } } : {}) };
}

/** The record as the InvocationStore answers it: without the store's own fields. */
export function toRecord(s: StoredCall): CallRecord {
  const { holder: _holder, lease: _lease, ...rec } = s;
  return rec;
}

export function withoutHolder(s: StoredCall): StoredCall {
  const { holder: _holder, ...rest } = s;
  return rest;
}

/** An attempt's outcome written on a running record. */
export function outcome(s: StoredCall, o: AttemptOutcome): StoredCall {
  const { holder: _holder, result: _result, error: _error, ...rest } = s;
  const attempts = o.attempt ? [...s.attempts, o.attempt] : s.attempts;
  if (o.next === 'queued') return { ...rest, ...(s.result ? { result: s.result } : {}), ...(s.error ? { error: s.error } : {}), status: 'queued', attempts, runAt: o.runAt };
  return {
    ...rest, status: o.next, attempts, finishedAt: o.finishedAt,
    ...(o.result ? { result: o.result } : {}), ...(o.error ? { error: o.error } : {}),
    ...(s.callback ? { callback: { ...s.callback, nextAt: o.finishedAt } } : {}),
  };
}

/** A run that stopped without an outcome, as SQLite's recover() records it. */
export function interrupted(s: StoredCall, now: number, max: number): StoredCall {
  const attempts = [...s.attempts, { n: s.attempts.length + 1, startedAt: now, durationMs: 0, code: 'EDGE_ERR_EXECUTOR_LOST', message: 'the host stopped while the call ran; it runs again (at-least-once)' }];
  const rest = withoutHolder(s);
  if (attempts.length < max) return { ...rest, status: 'queued', attempts, runAt: now };
  return {
    ...rest, status: 'dead', attempts, finishedAt: now,
    error: { code: 'EDGE_ERR_EXECUTOR_LOST', message: `the host stopped while the call ran, on its last of ${max} attempts` },
    ...(s.callback ? { callback: { ...s.callback, nextAt: now } } : {}),
  };
}

/** A queued call cancelled. */
export function cancelled(s: StoredCall, now: number, why: string): StoredCall {
  // Nothing ran, so there is no result to deliver: the callback ends here, and says why.
  return { ...withoutHolder(s), status: 'cancelled', finishedAt: now, ...(s.callback ? { callback: { ...s.callback, status: 'failed', lastError: why } } : {}) };
}
