/**
 * The queue worker (src/async/worker.ts) over the real SQLite invocation store, with a fake dispatch()
 * (the dispatcher has tests of its own) and a manual scheduler and wall clock. The store commits on a
 * real setImmediate, so the tests turn the real event loop (`settle`, `until`) while the worker's own
 * deferred work (`immediate` passes, `after` retry and drain timers) runs only when the test says.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_ON, type RetryPolicy } from '../src/async/retry.ts';
import { QueueWorker } from '../src/async/worker.ts';
import { manualClock, manualScheduler } from '../src/core/clock.ts';
import { EdgeError } from '../src/core/errors.ts';
import { seededRng } from '../src/core/rng.ts';
import type { BodyStream, DispatchRequest, DispatchResult } from '../src/dispatch/index.ts';
import type { HeaderPairs } from '../src/runtime/types.ts';
import { SqliteInvocationStore, type CallRecord, type CallStatus, type NewCall } from '../src/store/index.ts';
import { T0, newCall } from './contracts/invocation-store.contract.ts';

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'isoedge-worker-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

/** One real event-loop turn: the store's group commit runs on setImmediate. */
const turn = () => new Promise<void>((r) => setImmediate(r));

const timing = { routeMs: 0, queueMs: 0 };
const ok = (status: number, body: Uint8Array | string | null | BodyStream = null, headers: HeaderPairs = []): DispatchResult =>
  ({ ok: true, revision: 'f-00001', status, headers, body, timing });
const failure = (err: EdgeError, retryAfterS?: number): DispatchResult =>
  ({ ok: false, revision: undefined, error: err, timing, ...(retryAfterS !== undefined ? { retryAfterS } : {}) });
const header = (h: HeaderPairs, name: string) => h.filter(([k]) => k === name).map(([, v]) => v);

/** What the fake dispatch() saw of one attempt. */
interface Seen { fn: string; tag: string | undefined; id: string; attempt: number; request: DispatchRequest; signal: AbortSignal | undefined }

interface Options {
  concurrency?: number;
  resultBytes?: number;
  policy?: (fn: string) => Partial<RetryPolicy & { maxInflight: number }>;
  /** How the fake function answers (200 by default). */
  answer?: (s: Seen) => DispatchResult | Promise<DispatchResult>;
  /** Keep each attempt open until the test releases it (`held`). */
  hold?: boolean;
  dir?: string;
}

function harness(o: Options = {}) {
  const dir = o.dir ?? tempDir();
  const store = new SqliteInvocationStore(dir);
  const clock = manualClock(T0);
  const scheduler = manualScheduler((ms) => clock.advance(ms));
  const seen: Seen[] = [];
  const held: { seen: Seen; release: (r: DispatchResult) => void }[] = [];
  // In flight in the fake: now and the most ever, for the host and per function.
  const inflight = { now: 0, max: 0, fnNow: new Map<string, number>(), fnMax: new Map<string, number>() };
  // A released attempt leaves `held`.
  const hold = (s: Seen) => new Promise<DispatchResult>((resolve) => {
    const entry = { seen: s, release: (r: DispatchResult) => { const i = held.indexOf(entry); if (i >= 0) held.splice(i, 1); resolve(r); } };
    held.push(entry);
  });
  const answer = o.hold ? hold : o.answer ?? (() => ok(200));
  const attempted: [string, string][] = [];
  const finished: CallRecord[] = [];
  const worker = new QueueWorker({
    store,
    dispatch: async (target, request, signal) => {
      const s: Seen = { fn: target.fn, tag: target.tag, id: request.id, attempt: Number(header(request.headers, 'isoedge-attempt')[0]), request, signal };
      seen.push(s);
      inflight.now++;
      inflight.max = Math.max(inflight.max, inflight.now);
      const n = (inflight.fnNow.get(s.fn) ?? 0) + 1;
      inflight.fnNow.set(s.fn, n);
      inflight.fnMax.set(s.fn, Math.max(inflight.fnMax.get(s.fn) ?? 0, n));
      try {
        return await answer(s);
      } finally {
        inflight.now--;
        inflight.fnNow.set(s.fn, inflight.fnNow.get(s.fn)! - 1);
      }
    },
    policy: (fn) => ({ maxAttempts: 3, initialRetryMs: 1000, maxRetryMs: 60_000, maxAgeMs: 21_600_000, retryOn: new Set(DEFAULT_RETRY_ON), maxInflight: 4, ...o.policy?.(fn) }),
    wallNow: clock.now,
    scheduler,
    rng: seededRng(7),
    concurrency: o.concurrency ?? 16,
    resultBytes: o.resultBytes ?? 1024,
    attempted: (call, outcome) => attempted.push([call.id, outcome]),
    finished: (call) => finished.push(call),
  });
  let stopped = false;
  const h = {
    store, clock, scheduler, worker, seen, held, hold, inflight, attempted, finished, dir,
    async submit(fn: string, over: Parameters<typeof newCall>[1] = {}): Promise<NewCall> {
      const c = newCall(fn, { createdAt: clock.now(), ...over });
      await store.submit(c, { dedupeMs: 60_000, maxQueued: 10_000 });
      return c;
    },
    /** Runs the worker's passes and real turns for the store's commits, `rounds` times. */
    async settle(rounds = 8): Promise<void> {
      for (let i = 0; i < rounds; i++) {
        scheduler.runImmediates();
        await turn();
      }
    },
    /** Settles until `cond` holds (or fails the test). */
    async until(cond: () => boolean | Promise<boolean>, what = 'the condition', max = 400): Promise<void> {
      for (let i = 0; i < max; i++) {
        if (await cond()) return;
        scheduler.runImmediates();
        await turn();
      }
      throw new Error(`${what} did not come true`);
    },
    async status(id: string): Promise<CallStatus | undefined> {
      return (await store.get(id))?.status;
    },
    /** Stops the worker (cutting off what still runs) and closes the store. */
    async close(): Promise<void> {
      if (!stopped) {
        stopped = true;
        const p = worker.stop(0);
        scheduler.advance(1);
        await p;
      }
      await store.close();
    },
    markStopped() { stopped = true; },
  };
  cleanups.push(() => h.close());
  return h;
}

describe('QueueWorker', () => {
  it('runs a call and keeps its result; the function sees its call id and attempt number', async () => {
    const h = harness({ answer: () => ok(200, 'hello', [['content-type', 'text/plain'], ['x-out', '1']]) });
    const c = await h.submit('f', {
      request: { method: 'PUT', url: 'http://f.edge.test/x?y=1', headers: [['x-client', 'a'], ['isoedge-call-id', 'spoofed'], ['isoedge-attempt', '9']], body: new Uint8Array([1, 2, 3]), tag: 'canary' },
    });
    await h.worker.start(3);
    await h.until(async () => (await h.status(c.id)) === 'succeeded', 'success');
    const rec = (await h.store.get(c.id))!;
    expect(rec.result).toMatchObject({ status: 200, headers: [['content-type', 'text/plain'], ['x-out', '1']], truncated: false });
    expect(new TextDecoder().decode(rec.result!.body!)).toBe('hello');
    expect(rec.attempts).toEqual([{ n: 1, startedAt: T0, durationMs: 0, status: 200 }]);
    expect(rec.finishedAt).toBe(T0);
    expect(rec.error).toBeUndefined();
    expect(h.seen).toHaveLength(1);
    const s = h.seen[0]!;
    expect(s).toMatchObject({ fn: 'f', tag: 'canary', id: c.id, attempt: 1 });
    expect(s.request).toMatchObject({ method: 'PUT', url: 'http://f.edge.test/x?y=1' });
    expect([...(s.request.body as Uint8Array)]).toEqual([1, 2, 3]);
    // The host's own headers replace a client's, once each.
    expect(header(s.request.headers, 'isoedge-call-id')).toEqual([c.id]);
    expect(header(s.request.headers, 'isoedge-attempt')).toEqual(['1']);
    expect(header(s.request.headers, 'x-client')).toEqual(['a']);
    expect(h.attempted).toEqual([[c.id, 'succeeded']]);
    expect(h.finished.map((x) => [x.id, x.status])).toEqual([[c.id, 'succeeded']]);
    expect(h.worker.running).toBe(0);
  });

  it('passes a cron tick\'s scheduled event through to dispatch', async () => {
    const h = harness({ answer: () => ok(204) });
    const c = await h.submit('f', { request: { method: 'GET', body: null, headers: [], scheduled: { cron: '* * * * *', scheduledTime: T0 } } });
    await h.worker.start(3);
    await h.until(async () => (await h.status(c.id)) === 'succeeded', 'success');
    expect(h.seen[0]!.request.scheduled).toEqual({ cron: '* * * * *', scheduledTime: T0 });
    expect((await h.store.get(c.id))!.result).toEqual({ status: 204, headers: [], body: null, truncated: false });
  });

  it('keeps at most resultBytes of a body, buffered or streamed, and says it cut it', async () => {
    const stream = (...chunks: string[]) => Readable.from(chunks.map((c) => Buffer.from(c)));
    const failing = Readable.from((async function* () { yield Buffer.from('ab'); throw new Error('connection reset'); })());
    const answers = [ok(200, 'abcdefgh'), ok(200, stream('abc', 'defgh')), ok(200, stream('ab')), ok(200, stream('ab', 'cd')), ok(200, failing), ok(200, stream())];
    const h = harness({ resultBytes: 4, answer: () => answers.shift()! });
    const calls: NewCall[] = [];
    for (let i = 0; i < 6; i++) calls.push(await h.submit('f', { createdAt: T0 + i }));
    h.clock.advance(10);
    await h.worker.start(3);
    await h.until(async () => (await Promise.all(calls.map((c) => h.status(c.id)))).every((s) => s === 'succeeded'), 'all succeeded');
    const results = await Promise.all(calls.map(async (c) => (await h.store.get(c.id))!.result!));
    expect(results.map((r) => [r.body === null ? null : new TextDecoder().decode(r.body), r.truncated])).toEqual([
      ['abcd', true], ['abcd', true], ['ab', false], ['abcd', false], ['ab', true], [null, false],
    ]);
  });

  it('retries a 503 after the backoff, then succeeds on attempt 2', async () => {
    const h = harness({ answer: (s) => (s.attempt === 1 ? ok(503, 'busy') : ok(200, 'done')) });
    const c = await h.submit('f');
    await h.worker.start(3);
    await h.until(async () => (await h.store.get(c.id))!.attempts.length === 1, 'the first attempt');
    const after1 = (await h.store.get(c.id))!;
    expect(after1).toMatchObject({ status: 'queued', attempts: [{ n: 1, startedAt: T0, status: 503, message: 'the function answered 503' }] });
    const delay = after1.runAt - T0;
    expect(delay).toBeGreaterThanOrEqual(1000);
    expect(delay).toBeLessThanOrEqual(2000);
    expect(h.attempted).toEqual([[c.id, 'retry']]);
    expect(h.finished).toEqual([]);
    // Not before its time.
    await h.settle();
    h.scheduler.advance(delay - 1);
    await h.settle();
    expect(h.seen).toHaveLength(1);
    h.scheduler.advance(1);
    await h.until(async () => (await h.status(c.id)) === 'succeeded', 'the retry');
    expect(h.seen.map((s) => s.attempt)).toEqual([1, 2]);
    expect(header(h.seen[1]!.request.headers, 'isoedge-attempt')).toEqual(['2']);
    expect(header(h.seen[1]!.request.headers, 'isoedge-call-id')).toEqual([c.id]);
    const rec = (await h.store.get(c.id))!;
    expect(rec.attempts.map((a) => [a.n, a.status, a.startedAt])).toEqual([[1, 503, T0], [2, 200, T0 + delay]]);
    expect(new TextDecoder().decode(rec.result!.body!)).toBe('done');
    expect(h.finished).toHaveLength(1);
  });

  it('waits the Retry-After the function asked for, above maxRetryMs', async () => {
    const h = harness({ answer: (s) => (s.attempt === 1 ? ok(429, null, [['retry-after', '90']]) : ok(200)), policy: () => ({ maxRetryMs: 5000 }) });
    const c = await h.submit('f');
    await h.worker.start(3);
    await h.until(async () => (await h.store.get(c.id))!.attempts.length === 1, 'the first attempt');
    expect((await h.store.get(c.id))!.runAt).toBe(T0 + 90_000);
    h.scheduler.advance(89_999);
    await h.settle();
    expect(h.seen).toHaveLength(1);
    h.scheduler.advance(1);
    await h.until(async () => (await h.status(c.id)) === 'succeeded', 'the retry');
  });

  it('a call that keeps failing is dead after maxAttempts, with its last result and the error', async () => {
    const h = harness({ answer: () => ok(500, 'boom') });
    const c = await h.submit('f');
    await h.worker.start(3);
    for (let i = 0; i < 5 && (await h.status(c.id)) !== 'dead'; i++) {
      await h.settle();
      h.scheduler.advance(60_000);
    }
    await h.until(async () => (await h.status(c.id)) === 'dead', 'dead');
    const rec = (await h.store.get(c.id))!;
    expect(rec.attempts.map((a) => [a.n, a.status])).toEqual([[1, 500], [2, 500], [3, 500]]);
    expect(rec.error!.code).toBe('EDGE_ERR_FUNCTION_STATUS');
    expect(rec.error!.message).toContain('last of 3 attempts');
    expect(rec.result).toMatchObject({ status: 500 });
    expect(h.seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(h.attempted.map(([, o]) => o)).toEqual(['retry', 'retry', 'dead']);
    expect(h.finished.map((x) => x.status)).toEqual(['dead']);
    await h.settle();
    h.scheduler.advance(600_000);
    await h.settle();
    expect(h.seen).toHaveLength(3);
  });

  it('fails at once on a 404 answer and on an unknown function; retries a throw of dispatch itself', async () => {
    const h = harness({
      answer: (s) => {
        if (s.fn === 'notfound') return ok(404, 'nope');
        if (s.fn === 'gone') return failure(new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', 'no function named "gone" is deployed'));
        if (s.attempt === 1) throw new Error('dispatcher bug');
        return ok(200);
      },
    });
    const [a, b, c] = [await h.submit('notfound'), await h.submit('gone'), await h.submit('throws')];
    await h.worker.start(3);
    await h.until(async () => (await h.status(a.id)) === 'failed' && (await h.status(b.id)) === 'failed', 'both failed');
    expect(await h.store.get(a.id)).toMatchObject({ attempts: [{ n: 1, status: 404 }], error: { code: 'EDGE_ERR_FUNCTION_STATUS' }, result: { status: 404 } });
    expect(await h.store.get(b.id)).toMatchObject({ attempts: [{ n: 1, code: 'EDGE_ERR_FUNCTION_NOT_FOUND' }], error: { code: 'EDGE_ERR_FUNCTION_NOT_FOUND' } });
    expect((await h.store.get(b.id))!.result).toBeUndefined();
    await h.until(async () => (await h.store.get(c.id))!.attempts.length === 1, 'the throw recorded');
    expect(await h.store.get(c.id)).toMatchObject({ status: 'queued', attempts: [{ n: 1, code: 'EDGE_ERR_INTERNAL', message: 'dispatcher bug' }] });
    h.scheduler.advance(2000);
    await h.until(async () => (await h.status(c.id)) === 'succeeded', 'the retry');
  });

  it('runs a call left running by a previous process again, its interrupted try counted', async () => {
    const dir = tempDir();
    const before = new SqliteInvocationStore(dir);
    const c = newCall('f');
    await before.submit(c, { dedupeMs: 0, maxQueued: 10 });
    await before.claim('f', T0, 1);
    await before.close();
    const h = harness({ dir });
    await h.worker.start(3);
    await h.until(async () => (await h.status(c.id)) === 'succeeded', 'success');
    expect(h.seen.map((s) => s.attempt)).toEqual([2]);
    expect((await h.store.get(c.id))!.attempts.map((a) => a.code ?? a.status)).toEqual(['EDGE_ERR_EXECUTOR_LOST', 200]);
  });

  describe('fairness and bounds', () => {
    it.each([
      { name: 'host concurrency above A\'s maxInflight', concurrency: 8 },
      { name: 'host concurrency equal to A\'s maxInflight', concurrency: 4 },
      { name: 'host concurrency below A\'s maxInflight', concurrency: 2 },
    ])('a backlog of 200 calls of A does not starve B\'s 5 ($name)', async ({ concurrency }) => {
      const h = harness({ concurrency, hold: true, policy: () => ({ maxInflight: 4 }) });
      await Promise.all(Array.from({ length: 200 }, (_, i) => h.store.submit(newCall('A', { createdAt: T0 + i }), { dedupeMs: 0, maxQueued: 1000 })));
      await Promise.all(Array.from({ length: 5 }, (_, i) => h.store.submit(newCall('B', { createdAt: T0 + 200 + i }), { dedupeMs: 0, maxQueued: 1000 })));
      h.clock.advance(1000);
      await h.worker.start(3);
      for (let round = 0; h.seen.length < 205; round++) {
        if (round > 400) throw new Error(`stuck after ${h.seen.length} starts`);
        await h.settle(6);
        for (const x of h.held.splice(0)) x.release(ok(200));
      }
      await h.settle(6);
      const order = h.seen.map((s) => s.fn);
      const lastB = order.lastIndexOf('B');
      const aBeforeLastB = order.slice(0, lastB).filter((f) => f === 'A').length;
      // B's calls get turns beside A's: all five have started while A still has most of its backlog.
      expect(aBeforeLastB).toBeLessThanOrEqual(5 * concurrency);
      expect(h.inflight.max).toBeLessThanOrEqual(concurrency);
      expect(h.inflight.fnMax.get('A')).toBeLessThanOrEqual(4);
      expect((await h.store.list('A', { status: ['succeeded'], limit: 1000 })).length).toBe(200);
      expect((await h.store.list('B', { status: ['succeeded'] })).length).toBe(5);
    });

    it('never runs more than a function\'s maxInflight or the host\'s concurrency at once', async () => {
      const caps: Record<string, number> = { A: 4, B: 2, C: 1, D: 3 };
      const h = harness({ concurrency: 5, hold: true, policy: (fn) => ({ maxInflight: caps[fn]! }) });
      const total = 30 + 20 + 10 + 15;
      for (const [fn, n] of [['A', 30], ['B', 20], ['C', 10], ['D', 15]] as const) {
        await Promise.all(Array.from({ length: n }, (_, i) => h.store.submit(newCall(fn, { createdAt: T0 + i }), { dedupeMs: 0, maxQueued: 1000 })));
      }
      h.clock.advance(1000);
      await h.worker.start(3);
      const rng = seededRng(3);
      const samples: number[] = [];
      for (let round = 0; h.seen.length < total || h.held.length > 0; round++) {
        if (round > 1000) throw new Error(`stuck after ${h.seen.length} starts`);
        await h.settle(5);
        samples.push(h.inflight.now);
        expect(h.worker.running).toBeLessThanOrEqual(5);
        // Release a random part of what runs (at least one), so calls end out of order.
        for (const [i, x] of h.held.splice(0).entries()) {
          if (i === 0 || rng() < 0.5) x.release(ok(200));
          else h.held.push(x);
        }
      }
      expect(h.inflight.max).toBe(5);
      for (const [fn, cap] of Object.entries(caps)) {
        expect(h.inflight.fnMax.get(fn), fn).toBeLessThanOrEqual(cap);
        expect(h.seen.filter((s) => s.fn === fn).length, fn).toBe(fn === 'A' ? 30 : fn === 'B' ? 20 : fn === 'C' ? 10 : 15);
      }
      // The host was kept busy: slots free while calls waited were filled.
      expect(samples.filter((n) => n === 5).length).toBeGreaterThan(samples.length / 2);
    });

    it('a call submitted while the worker claims that function is not lost', async () => {
      const h = harness();
      const first = await h.submit('f');
      await h.worker.start(3);
      // The pass starts and asks for its claim; a submission in the same turn lands in the same commit, after it.
      h.scheduler.runImmediates();
      const second = newCall('f', { createdAt: T0 });
      const stored = h.store.submit(second, { dedupeMs: 0, maxQueued: 10 });
      await stored;
      await h.until(async () => (await h.status(first.id)) === 'succeeded' && (await h.status(second.id)) === 'succeeded', 'both calls run', 100);
    });

    it('a retry written in the same commit as a claim of that function is not lost', async () => {
      const h = harness({ hold: true, policy: () => ({ maxInflight: 3 }) });
      const a = await h.submit('f');
      const b = await h.submit('f', { createdAt: T0 + 1 });
      h.clock.advance(10);
      await h.worker.start(3);
      await h.until(() => h.held.length === 2, 'two starts');
      await h.settle();
      // A third call's submission asks for a pass; the pass asks to claim `f`...
      const d = await h.submit('f', { createdAt: T0 + 2 });
      h.scheduler.runImmediates();
      // ...and in the same turn b answers 503: its retry is written in the same commit, after the claim.
      h.held.find((x) => x.seen.id === b.id)!.release(ok(503));
      for (let i = 0; i < 20; i++) await Promise.resolve();
      await h.until(() => h.held.length === 2 && h.held.some((x) => x.seen.id === d.id), 'd starts');
      const retry = (await h.store.get(b.id))!;
      expect(retry).toMatchObject({ status: 'queued', attempts: [{ n: 1, status: 503 }] });
      for (const x of h.held.splice(0)) x.release(ok(200));
      await h.until(async () => (await h.status(a.id)) === 'succeeded' && (await h.status(d.id)) === 'succeeded', 'a and d');
      h.scheduler.advance(retry.runAt - h.clock.now());
      await h.until(() => h.held.length === 1, 'the retry starts', 100);
      expect(h.held[0]!.seen).toMatchObject({ id: b.id, attempt: 2 });
      h.held.splice(0)[0]!.release(ok(200));
      await h.until(async () => (await h.status(b.id)) === 'succeeded', 'the retry');
    });
  });

  describe('stop', () => {
    it('lets a running call finish within the deadline and claims nothing more', async () => {
      const h = harness({ hold: true, policy: () => ({ maxInflight: 1 }) });
      const [a, b] = [await h.submit('f'), await h.submit('f', { createdAt: T0 + 1 })];
      h.clock.advance(10);
      await h.worker.start(3);
      await h.until(() => h.held.length === 1, 'a start');
      let done = false;
      const stopping = h.worker.stop(5000).then(() => { done = true; });
      h.markStopped();
      h.scheduler.advance(1000);
      await h.settle();
      expect(done).toBe(false);
      h.held.splice(0)[0]!.release(ok(200, 'finished in time'));
      await h.until(() => done, 'stop');
      await stopping;
      expect(h.clock.now()).toBe(T0 + 1010);
      expect(await h.store.get(a.id)).toMatchObject({ status: 'succeeded', attempts: [{ n: 1, status: 200, durationMs: 1000 }] });
      await h.settle();
      h.scheduler.advance(60_000);
      await h.settle();
      expect(h.seen.map((s) => s.id)).toEqual([a.id]);
      expect(await h.store.get(b.id)).toMatchObject({ status: 'queued', attempts: [] });
    });

    it('cuts off a call that outlives the deadline and queues it again without counting an attempt', async () => {
      const h = harness({ hold: true });
      const c = await h.submit('f');
      await h.worker.start(3);
      await h.until(() => h.held.length === 1, 'a start');
      let done = false;
      const stopping = h.worker.stop(5000).then(() => { done = true; });
      h.markStopped();
      h.scheduler.advance(4999);
      await h.settle();
      expect(done).toBe(false);
      h.scheduler.advance(1);
      await h.until(() => done, 'stop');
      await stopping;
      const signal = h.held[0]!.seen.signal!;
      expect(signal.aborted).toBe(true);
      expect(await h.store.get(c.id)).toMatchObject({ status: 'queued', runAt: T0 + 5000, attempts: [] });
      expect(h.store.stats().get('f')).toMatchObject({ queued: 1, running: 0 });
      // The cut-off try answering late writes nothing.
      h.held.splice(0)[0]!.release(ok(200));
      await h.settle();
      expect(await h.store.get(c.id)).toMatchObject({ status: 'queued', attempts: [] });
      expect(h.attempted).toEqual([]);
      // The next start runs it as its first attempt.
      await h.store.close();
      const next = harness({ dir: h.dir });
      next.clock.set(T0 + 6000);
      await next.worker.start(3);
      await next.until(async () => (await next.status(c.id)) === 'succeeded', 'the run after restart');
      expect(next.seen.map((s) => s.attempt)).toEqual([1]);
      expect((await next.store.get(c.id))!.attempts).toHaveLength(1);
    });

    it('a claim still being committed when stop() is called starts nothing and leaves the call queued', async () => {
      const h = harness();
      const c = await h.submit('f');
      await h.worker.start(3);
      // The pass runs and asks for its claim; stop() comes before the claim is committed.
      h.scheduler.runImmediates();
      const stopping = h.worker.stop(1000);
      h.markStopped();
      for (let i = 0; i < 5; i++) { h.scheduler.advance(500); await turn(); }
      await stopping;
      await h.settle();
      expect(h.seen).toEqual([]);
      expect(await h.store.get(c.id)).toMatchObject({ status: 'queued', attempts: [] });
      expect(h.worker.running).toBe(0);
    });

    it('a worker started again after stop() still runs the retries it had waiting', async () => {
      const h = harness({ answer: (s) => (s.attempt === 1 ? ok(503) : ok(200)) });
      const c = await h.submit('f');
      await h.worker.start(3);
      await h.until(async () => (await h.store.get(c.id))!.attempts.length === 1, 'the first attempt');
      await h.settle();
      await h.worker.stop(0);
      await h.worker.start(3);
      await h.settle();
      h.scheduler.advance((await h.store.get(c.id))!.runAt - h.clock.now());
      await h.until(async () => (await h.status(c.id)) === 'succeeded', 'the retry after restart', 100);
    });
  });
});
