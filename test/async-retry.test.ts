/** What follows an attempt (src/async/retry.ts): success, failure at once, a retry after a backoff, or dead. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_ON, decide, parseRetryAfter, retryDelayMs, type AttemptEnd, type RetryPolicy } from '../src/async/retry.ts';
import { seededRng } from '../src/core/rng.ts';

const T0 = 1_700_000_000_000;
const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  maxAttempts: 3, initialRetryMs: 1000, maxRetryMs: 60_000, maxAgeMs: 21_600_000, retryOn: new Set(DEFAULT_RETRY_ON), ...over,
});
const response = (status: number, over: Partial<Extract<AttemptEnd, { kind: 'response' }>> = {}): AttemptEnd => ({ kind: 'response', status, ...over });
const hostError = (code: string, status: number, over: Partial<Extract<AttemptEnd, { kind: 'error' }>> = {}): AttemptEnd => ({ kind: 'error', code, status, ...over });

describe('decide', () => {
  it.each([200, 201, 204, 299, 301, 302, 304, 307])('%i succeeds', (status) => {
    expect(decide(response(status), 1, T0, T0, policy(), seededRng(1))).toEqual({ next: 'succeeded' });
    // Even on the last attempt and past the maximum age: an answer is an answer.
    expect(decide(response(status), 3, T0 - 1e9, T0, policy(), seededRng(1))).toEqual({ next: 'succeeded' });
  });

  it.each([400, 401, 403, 404, 405, 409, 410, 413, 422, 501])('%i fails at once', (status) => {
    const d = decide(response(status), 1, T0, T0, policy(), seededRng(1));
    expect(d).toMatchObject({ next: 'failed' });
    expect((d as { why: string }).why).toContain(`status ${status}`);
  });

  it.each([408, 429, 500, 502, 503, 504])('%i is retried after 1 to 2 s on the first attempt', (status) => {
    const d = decide(response(status), 1, T0, T0, policy(), seededRng(status));
    expect(d).toMatchObject({ next: 'retry' });
    const { delayMs } = d as { delayMs: number };
    expect(delayMs).toBeGreaterThanOrEqual(1000);
    expect(delayMs).toBeLessThanOrEqual(2000);
  });

  it('a function\'s own retryOn replaces the default set', () => {
    const p = policy({ retryOn: new Set([409, 503]) });
    expect(decide(response(409), 1, T0, T0, p, seededRng(1))).toMatchObject({ next: 'retry' });
    expect(decide(response(503), 1, T0, T0, p, seededRng(1))).toMatchObject({ next: 'retry' });
    expect(decide(response(500), 1, T0, T0, p, seededRng(1))).toMatchObject({ next: 'failed' });
    expect(decide(response(429), 1, T0, T0, p, seededRng(1))).toMatchObject({ next: 'failed' });
    // An empty set retries no status.
    expect(decide(response(503), 1, T0, T0, policy({ retryOn: new Set() }), seededRng(1))).toMatchObject({ next: 'failed' });
  });

  it.each([
    { name: 'a wall timeout', code: 'EDGE_ERR_WALL_TIMEOUT', status: 504, next: 'retry' },
    { name: 'a lost executor', code: 'EDGE_ERR_EXECUTOR_LOST', status: 503, next: 'retry' },
    { name: 'an instance that did not start', code: 'EDGE_ERR_INSTANCE_START', status: 503, next: 'retry' },
    { name: 'a full queue', code: 'EDGE_ERR_QUEUE_FULL', status: 503, next: 'retry' },
    { name: 'an unknown function', code: 'EDGE_ERR_FUNCTION_NOT_FOUND', status: 404, next: 'failed' },
    { name: 'a handler that threw (500)', code: 'EDGE_ERR_FUNCTION_THREW', status: 500, next: 'retry' },
  ])('host error: $name ($code) → $next', ({ code, status, next }) => {
    expect(decide(hostError(code, status), 1, T0, T0, policy(), seededRng(1))).toMatchObject({ next });
  });

  it('host errors that say nothing of the function are retried whatever retryOn says', () => {
    const p = policy({ retryOn: new Set() });
    expect(decide(hostError('EDGE_ERR_WALL_TIMEOUT', 504), 1, T0, T0, p, seededRng(1))).toMatchObject({ next: 'retry' });
    expect(decide(hostError('EDGE_ERR_EXECUTOR_LOST', 503), 1, T0, T0, p, seededRng(1))).toMatchObject({ next: 'retry' });
    expect(decide(hostError('EDGE_ERR_FUNCTION_THREW', 500), 1, T0, T0, p, seededRng(1))).toMatchObject({ next: 'failed' });
  });

  it('noRetry() fails the call at once, even for a status or error that is retried', () => {
    const d = decide(response(503, { noRetry: true }), 1, T0, T0, policy(), seededRng(1));
    expect(d).toMatchObject({ next: 'failed' });
    expect((d as { why: string }).why).toContain('noRetry()');
    expect(decide(hostError('EDGE_ERR_WALL_TIMEOUT', 504, { noRetry: true }), 1, T0, T0, policy(), seededRng(1))).toMatchObject({ next: 'failed' });
    // noRetry on a success is still a success.
    expect(decide(response(204, { noRetry: true }), 1, T0, T0, policy(), seededRng(1))).toEqual({ next: 'succeeded' });
  });

  it('a retryable failure on the last attempt is dead; a non-retryable one still just fails', () => {
    expect(decide(response(503), 2, T0, T0, policy(), seededRng(1))).toMatchObject({ next: 'retry' });
    const d = decide(response(503), 3, T0, T0, policy(), seededRng(1));
    expect(d).toMatchObject({ next: 'dead' });
    expect((d as { why: string }).why).toContain('last of 3 attempts');
    expect(decide(hostError('EDGE_ERR_EXECUTOR_LOST', 503), 5, T0, T0, policy({ maxAttempts: 5 }), seededRng(1))).toMatchObject({ next: 'dead' });
    expect(decide(response(404), 3, T0, T0, policy(), seededRng(1))).toMatchObject({ next: 'failed' });
    // maxAttempts 1: never retried.
    expect(decide(response(500), 1, T0, T0, policy({ maxAttempts: 1 }), seededRng(1))).toMatchObject({ next: 'dead' });
  });

  it('a retry that would run past the call\'s maximum age is dead', () => {
    const p = policy({ maxAgeMs: 10_000, initialRetryMs: 1000, maxRetryMs: 1000 });
    // Delay is exactly 1 s here (initial = max): t0+9s → runs at t0+10s, the limit itself, allowed.
    expect(decide(response(503), 1, T0, T0 + 9000, p, seededRng(1))).toEqual({ next: 'retry', delayMs: 1000 });
    const d = decide(response(503), 1, T0, T0 + 9001, p, seededRng(1));
    expect(d).toMatchObject({ next: 'dead' });
    expect((d as { why: string }).why).toContain('maximum age of 10 s');
    // A Retry-After can push the next attempt past it too.
    expect(decide(response(429, { retryAfterMs: 30_000 }), 1, T0, T0, p, seededRng(1))).toMatchObject({ next: 'dead' });
  });

  it('waits at least the Retry-After the function or the host asked for', () => {
    expect(decide(response(429, { retryAfterMs: 120_000 }), 1, T0, T0, policy(), seededRng(1))).toEqual({ next: 'retry', delayMs: 120_000 });
    expect(decide(hostError('EDGE_ERR_QUEUE_FULL', 503, { retryAfterMs: 5000 }), 1, T0, T0, policy(), seededRng(1))).toEqual({ next: 'retry', delayMs: 5000 });
  });
});

describe('retryDelayMs', () => {
  it('draws within [initial, min(max, initial · 2^attempt)] over many seeded draws, and covers the range', () => {
    const p = policy({ initialRetryMs: 1000, maxRetryMs: 60_000 });
    const rng = seededRng(42);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const hi = Math.min(p.maxRetryMs, p.initialRetryMs * 2 ** attempt);
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      const n = 2000;
      for (let i = 0; i < n; i++) {
        const d = retryDelayMs(attempt, p, rng);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(p.initialRetryMs);
        expect(d).toBeLessThanOrEqual(hi);
        min = Math.min(min, d);
        max = Math.max(max, d);
        sum += d;
      }
      // Full jitter: spread over the whole range, not bunched at one end.
      const span = hi - p.initialRetryMs;
      expect(min - p.initialRetryMs).toBeLessThan(span * 0.02);
      expect(hi - max).toBeLessThan(span * 0.02);
      expect(Math.abs(sum / n - (p.initialRetryMs + hi) / 2)).toBeLessThan(span * 0.05);
    }
  });

  it('stays at the ceiling for large attempt numbers', () => {
    const p = policy();
    for (const attempt of [20, 31, 100, 1e6]) {
      const d = retryDelayMs(attempt, p, () => 0.999999);
      expect(d).toBeLessThanOrEqual(60_000);
      expect(d).toBeGreaterThan(59_000);
    }
  });

  it('the rng bounds map to the range bounds', () => {
    const p = policy();
    expect(retryDelayMs(3, p, () => 0)).toBe(1000);
    expect(retryDelayMs(3, p, () => 1 - Number.EPSILON)).toBe(8000);
    // initial above max: the initial wait, fixed.
    expect(retryDelayMs(3, policy({ initialRetryMs: 5000, maxRetryMs: 2000 }), () => 0.5)).toBe(5000);
  });

  it('honours a Retry-After above maxRetryMs, and ignores one shorter than the draw', () => {
    const p = policy();
    expect(retryDelayMs(1, p, seededRng(1), 600_000)).toBe(600_000);
    expect(retryDelayMs(1, p, () => 0.5, 10)).toBe(1500);
    expect(retryDelayMs(1, p, () => 0.5, 0)).toBe(1500);
  });

  it('is reproducible for one seed', () => {
    const draw = (seed: number) => { const r = seededRng(seed); return Array.from({ length: 5 }, (_, i) => retryDelayMs(i + 1, policy(), r)); };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });
});

describe('parseRetryAfter', () => {
  // A whole second: HTTP dates have no milliseconds.
  const now = Date.UTC(2024, 0, 15, 12, 0, 0);

  it.each([
    { value: '120', ms: 120_000 },
    { value: '0', ms: 0 },
    { value: ' 5 ', ms: 5000 },
    { value: '3600', ms: 3_600_000 },
  ])('delta-seconds $value → $ms ms', ({ value, ms }) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it('an HTTP date is the time left until it', () => {
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 15 Jan 2024 12:02:00 GMT', now)).toBe(120_000);
    // A date already past: no wait.
    expect(parseRetryAfter('Mon, 15 Jan 2024 11:00:00 GMT', now)).toBe(0);
  });

  it('no header or nonsense is undefined', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });
});
