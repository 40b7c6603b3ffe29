/**
 * What happens after an attempt (design §11): succeeded, failed at once, retried after a backoff,
 * or dead. Pure: `now` and the random source are arguments.
 *
 * Retried: network-like failures (the host's own timeouts and lost executors) and the statuses in
 * `retryOn` (408, 429, 500, 502, 503, 504 by default, as OpenFaaS's queue-worker and AWS Lambda's
 * async retries do). Other 4xx fail at once: running them again gives the same answer.
 */
import type { Rng } from '../core/rng.ts';

export interface RetryPolicy {
  maxAttempts: number;
  initialRetryMs: number;
  maxRetryMs: number;
  /** A call older than this is not tried again (ms). */
  maxAgeMs: number;
  retryOn: ReadonlySet<number>;
}

export const DEFAULT_RETRY_ON: readonly number[] = [408, 429, 500, 502, 503, 504];

/** How an attempt ended, as the worker saw it. */
export type AttemptEnd =
  /** The function answered with this status (Retry-After in seconds when it sent one). */
  | { kind: 'response'; status: number; retryAfterMs?: number; noRetry?: boolean }
  /** The host could not get an answer: `status` is its error code's HTTP status. */
  | { kind: 'error'; code: string; status: number; retryAfterMs?: number; noRetry?: boolean };

export type Decision =
  | { next: 'succeeded' }
  | { next: 'failed'; why: string }
  | { next: 'retry'; delayMs: number }
  | { next: 'dead'; why: string };

/** Host errors that say nothing about the function's answer: always worth another try. */
const TRANSIENT_CODES = new Set(['EDGE_ERR_EXECUTOR_LOST', 'EDGE_ERR_INSTANCE_START', 'EDGE_ERR_QUEUE_FULL', 'EDGE_ERR_QUEUE_TIMEOUT', 'EDGE_ERR_ACTIVATION_TIMEOUT', 'EDGE_ERR_WALL_TIMEOUT']);

/**
 * The wait before attempt `attempt + 1` after `attempt` tries: exponential with full jitter, drawn
 * uniformly from [initialRetryMs, min(maxRetryMs, initialRetryMs · 2^attempt)] (full jitter spreads
 * a burst of failures out instead of retrying them in lockstep), and never shorter than the
 * function's Retry-After.
 */
export function retryDelayMs(attempt: number, p: RetryPolicy, rng: Rng, retryAfterMs?: number): number {
  const ceiling = Math.max(p.initialRetryMs, Math.min(p.maxRetryMs, p.initialRetryMs * 2 ** Math.min(attempt, 30)));
  const jittered = p.initialRetryMs + rng() * (ceiling - p.initialRetryMs);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}

/** The decision after attempt number `attempt` (1-based) of a call created at `createdAt`. */
export function decide(end: AttemptEnd, attempt: number, createdAt: number, now: number, p: RetryPolicy, rng: Rng): Decision {
  if (end.kind === 'response' && end.status < 400) return { next: 'succeeded' };
  const what = end.kind === 'response' ? `status ${end.status}` : end.code;
  if (end.noRetry) return { next: 'failed', why: `${what}; the handler called noRetry()` };
  const retryable = end.kind === 'error' ? TRANSIENT_CODES.has(end.code) || p.retryOn.has(end.status) : p.retryOn.has(end.status);
  if (!retryable) return { next: 'failed', why: `${what}, which is not retried` };
  if (attempt >= p.maxAttempts) return { next: 'dead', why: `${what} on the last of ${p.maxAttempts} attempts` };
  const delayMs = retryDelayMs(attempt, p, rng, end.retryAfterMs);
  if (now + delayMs - createdAt > p.maxAgeMs) return { next: 'dead', why: `${what}, and the next attempt would be past the call's maximum age of ${Math.round(p.maxAgeMs / 1000)} s` };
  return { next: 'retry', delayMs };
}

/** A Retry-After header (seconds, or an HTTP date) as ms from `nowWall`, or undefined. */
export function parseRetryAfter(value: string | undefined, nowWall: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date names a weekday or month: Date.parse alone also takes "1.5" or "-5".
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowWall);
}
