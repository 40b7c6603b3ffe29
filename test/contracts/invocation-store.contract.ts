/**
 * The contract every InvocationStore passes (SQLite today, a JetStream work queue in a cluster): run it
 * with `invocationStoreContract(name, open, reopen)` from an implementation's test file. `open` gives an
 * empty store; `reopen`, when given, opens a new store over the data of one that was just closed (a
 * host restart), for the durability cases.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Attempt, CallRecord, CallRequest, FunctionQueueStats, InvocationStore, NewCall } from '../../src/store/index.ts';

/** A Unix ms start for every scenario: t0+1s, t0+5min, … */
export const T0 = 1_700_000_000_000;
const OPEN = { dedupeMs: 60_000, maxQueued: 1_000 };

let seq = 0;
export function newCall(fn: string, over: Partial<Omit<NewCall, 'request'>> & { request?: Partial<CallRequest> } = {}): NewCall {
  const { request, ...rest } = over;
  return {
    id: `call-${++seq}`, fn, createdAt: T0,
    request: { method: 'POST', url: `http://${fn}.edge.test/work`, headers: [['content-type', 'application/json']], body: new TextEncoder().encode('{"n":1}'), ...request },
    ...rest,
  };
}

/** Bytes as plain arrays: a store may hand back Buffers or Uint8Arrays. */
export const plain = (v: unknown): unknown => v instanceof Uint8Array ? [...v] : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;

const attempt = (n: number, over: Partial<Attempt> = {}): Attempt => ({ n, startedAt: T0 + n * 1000, durationMs: 12, status: 503, ...over });

/** Stats of one function, with zeros for a function the store has nothing queued or running for. */
const statsOf = (s: InvocationStore, fn: string): FunctionQueueStats => s.stats().get(fn) ?? { queued: 0, running: 0, oldestQueuedAt: undefined };

function accepted(r: Awaited<ReturnType<InvocationStore['submit']>>): { call: CallRecord; duplicate: boolean } {
  if ('refused' in r) throw new Error(`submission refused: ${JSON.stringify(r)}`);
  return r;
}

export function invocationStoreContract(name: string, open: () => Promise<InvocationStore>, reopen?: (closed: InvocationStore) => Promise<InvocationStore>): void {
  describe(`InvocationStore contract: ${name}`, () => {
    const opened: InvocationStore[] = [];
    const store = async () => { const s = await open(); opened.push(s); return s; };
    afterEach(async () => { for (const s of opened.splice(0)) await s.close(); });
    const submit = async (s: InvocationStore, c: NewCall, opts = OPEN) => accepted(await s.submit(c, opts));

    describe('submit', () => {
      it('stores the request as given: bytes, headers, tag, scheduled', async () => {
        const s = await store();
        const body = new Uint8Array([0, 1, 2, 250, 255, 0]);
        const c = newCall('shop', {
          key: 'k1', callbackUrl: 'https://hooks.test/done',
          request: { method: 'PUT', url: 'http://shop.edge.test/a/b?x=1', headers: [['x-a', '1'], ['x-a', '2'], ['content-type', 'application/octet-stream']], body, tag: 'canary', scheduled: { cron: '*/5 * * * *', scheduledTime: T0 } },
        });
        const { call, duplicate } = await submit(s, c);
        expect(duplicate).toBe(false);
        const got = await s.get(c.id);
        expect(plain(got)).toEqual(plain(call));
        expect(got).toMatchObject({ id: c.id, fn: 'shop', status: 'queued', createdAt: T0, runAt: T0, attempts: [], key: 'k1', callback: { url: 'https://hooks.test/done', status: 'pending', attempts: 0 } });
        expect(got!.request).toMatchObject({ method: 'PUT', url: 'http://shop.edge.test/a/b?x=1', headers: [['x-a', '1'], ['x-a', '2'], ['content-type', 'application/octet-stream']], tag: 'canary', scheduled: { cron: '*/5 * * * *', scheduledTime: T0 } });
        expect([...got!.request.body!]).toEqual([0, 1, 2, 250, 255, 0]);
        expect(got!.result).toBeUndefined();
        expect(got!.finishedAt).toBeUndefined();
      });

      it('keeps a null body null and a call without tag, key or callback without them', async () => {
        const s = await store();
        const c = newCall('f', { request: { method: 'GET', body: null, headers: [] } });
        await submit(s, c);
        const got = (await s.get(c.id))!;
        expect(got.request.body).toBeNull();
        expect(got.request.tag).toBeUndefined();
        expect(got.request.scheduled).toBeUndefined();
        expect(got.key).toBeUndefined();
        expect(got.callback).toBeUndefined();
        expect(await s.get('no-such-call')).toBeUndefined();
      });

      it('a key seen within the window answers the first call, duplicate, and stores nothing new', async () => {
        const s = await store();
        const first = newCall('f', { key: 'order-7' });
        await submit(s, first);
        const again = newCall('f', { key: 'order-7', createdAt: T0 + 59_000, request: { body: new Uint8Array([9]) } });
        const r = await submit(s, again, { dedupeMs: 60_000, maxQueued: 10 });
        expect(r.duplicate).toBe(true);
        expect(r.call.id).toBe(first.id);
        expect([...r.call.request.body!]).toEqual([...first.request.body!]);
        expect(await s.get(again.id)).toBeUndefined();
        expect((await s.list('f')).map((c) => c.id)).toEqual([first.id]);
        expect(statsOf(s, 'f').queued).toBe(1);
      });

      it('the same key outside the window, or for another function, is a new call', async () => {
        const s = await store();
        const first = newCall('f', { key: 'k' });
        await submit(s, first);
        const later = newCall('f', { key: 'k', createdAt: T0 + 60_001 });
        const r1 = await submit(s, later, { dedupeMs: 60_000, maxQueued: 10 });
        expect(r1).toMatchObject({ duplicate: false, call: { id: later.id } });
        const other = newCall('g', { key: 'k', createdAt: T0 + 1 });
        const r2 = await submit(s, other, { dedupeMs: 60_000, maxQueued: 10 });
        expect(r2).toMatchObject({ duplicate: false, call: { id: other.id, fn: 'g' } });
        expect((await s.list('f')).map((c) => c.id).sort()).toEqual([first.id, later.id].sort());
        expect((await s.list('g')).map((c) => c.id)).toEqual([other.id]);
      });

      it('a key still dedupes once its first call has run and finished', async () => {
        const s = await store();
        const first = newCall('f', { key: 'k' });
        await submit(s, first);
        await s.claim('f', T0, 1);
        await s.finish(first.id, { next: 'succeeded', attempt: attempt(1, { status: 200 }), finishedAt: T0 + 10 });
        const r = await submit(s, newCall('f', { key: 'k', createdAt: T0 + 1000 }));
        expect(r).toMatchObject({ duplicate: true, call: { id: first.id, status: 'succeeded' } });
      });

      it('refuses a function with maxQueued queued calls, and counts only queued ones', async () => {
        const s = await store();
        const opts = { dedupeMs: 60_000, maxQueued: 3 };
        for (let i = 0; i < 3; i++) await submit(s, newCall('f', { createdAt: T0 + i }), opts);
        const refusedCall = newCall('f', { createdAt: T0 + 3 });
        expect(await s.submit(refusedCall, opts)).toEqual({ refused: 'queue-full', queued: 3 });
        expect(await s.get(refusedCall.id)).toBeUndefined();
        // Another function's queue is its own.
        await submit(s, newCall('g'), opts);
        // Running calls do not count: two claimed leave room for two more.
        expect((await s.claim('f', T0 + 10, 2)).calls).toHaveLength(2);
        await submit(s, newCall('f', { createdAt: T0 + 11 }), opts);
        await submit(s, newCall('f', { createdAt: T0 + 12 }), opts);
        expect(await s.submit(newCall('f', { createdAt: T0 + 13 }), opts)).toEqual({ refused: 'queue-full', queued: 3 });
        expect(statsOf(s, 'f')).toMatchObject({ queued: 3, running: 2 });
      });

      it('a duplicate key is answered even when the queue is full', async () => {
        const s = await store();
        const opts = { dedupeMs: 60_000, maxQueued: 1 };
        const first = newCall('f', { key: 'k' });
        await submit(s, first, opts);
        expect(await s.submit(newCall('f', { key: 'k', createdAt: T0 + 5 }), opts)).toMatchObject({ duplicate: true, call: { id: first.id } });
      });

      it('commits 50 submissions asked for in one turn, each its own call', async () => {
        const s = await store();
        const calls = Array.from({ length: 50 }, (_, i) => newCall('f', { createdAt: T0 + i, request: { body: new Uint8Array([i]) } }));
        const rs = await Promise.all(calls.map((c) => s.submit(c, OPEN)));
        expect(rs.every((r) => !('refused' in r) && !r.duplicate)).toBe(true);
        const ids = rs.map((r) => accepted(r).call.id);
        expect(new Set(ids).size).toBe(50);
        expect(ids).toEqual(calls.map((c) => c.id));
        for (const [i, c] of calls.entries()) expect([...(await s.get(c.id))!.request.body!]).toEqual([i]);
        expect(await s.list('f', { limit: 1000 })).toHaveLength(50);
        expect(statsOf(s, 'f')).toEqual({ queued: 50, running: 0, oldestQueuedAt: T0 });
      });

      it('applies maxQueued and keys across submissions of one turn', async () => {
        const s = await store();
        const opts = { dedupeMs: 60_000, maxQueued: 10 };
        const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => s.submit(newCall('f', { createdAt: T0 + i }), opts)));
        expect(rs.filter((r) => !('refused' in r))).toHaveLength(10);
        expect(rs.filter((r) => 'refused' in r)).toHaveLength(20);
        expect(rs.at(-1)).toEqual({ refused: 'queue-full', queued: 10 });
        const keyed = await Promise.all([0, 1, 2].map((i) => s.submit(newCall('g', { key: 'same', createdAt: T0 + i }), opts)));
        expect(keyed.map((r) => accepted(r).duplicate)).toEqual([false, true, true]);
        expect(new Set(keyed.map((r) => accepted(r).call.id)).size).toBe(1);
        expect(await s.list('g')).toHaveLength(1);
      });
    });

    describe('claim and finish', () => {
      it('claims due calls only, oldest runAt first, at most n, and marks them running', async () => {
        const s = await store();
        // Submitted out of order: runAt is the creation time.
        const late = newCall('f', { createdAt: T0 + 3000 });
        const a = newCall('f', { createdAt: T0 + 2000 });
        const b = newCall('f', { createdAt: T0 });
        const c = newCall('f', { createdAt: T0 + 1000 });
        for (const x of [late, a, b, c]) await submit(s, x);
        await submit(s, newCall('other', { createdAt: T0 }));
        const r1 = await s.claim('f', T0 + 2500, 2);
        expect(r1.calls.map((x) => x.id)).toEqual([b.id, c.id]);
        expect(r1.calls.every((x) => x.status === 'running')).toBe(true);
        expect(r1.nextAt).toBe(T0 + 2000);
        expect((await s.get(b.id))!.status).toBe('running');
        // Only a is due at t0+2.5s: late is not, however many are asked for.
        const r2 = await s.claim('f', T0 + 2500, 10);
        expect(r2.calls.map((x) => x.id)).toEqual([a.id]);
        expect(r2.nextAt).toBe(T0 + 3000);
        const r3 = await s.claim('f', T0 + 2500, 10);
        expect(r3).toEqual({ calls: [], nextAt: T0 + 3000 });
        const r4 = await s.claim('f', T0 + 3000, 10);
        expect(r4.calls.map((x) => x.id)).toEqual([late.id]);
        expect(r4.nextAt).toBeUndefined();
        expect(await s.claim('nobody', T0, 5)).toEqual({ calls: [], nextAt: undefined });
        // The other function's call was not touched.
        expect(statsOf(s, 'other')).toMatchObject({ queued: 1, running: 0 });
        expect(statsOf(s, 'f')).toMatchObject({ queued: 0, running: 4 });
      });

      it('pending() names each function with queued calls and the earliest runAt', async () => {
        const s = await store();
        await submit(s, newCall('f', { createdAt: T0 + 500 }));
        await submit(s, newCall('f', { createdAt: T0 + 100 }));
        await submit(s, newCall('g', { createdAt: T0 + 7 }));
        const h = newCall('h');
        await submit(s, h);
        await s.claim('h', T0, 1);
        expect(await s.pending()).toEqual(new Map([['f', T0 + 100], ['g', T0 + 7]]));
      });

      it('a retry goes back to queued with its runAt and attempt, and watchers hear of it after the commit', async () => {
        const s = await store();
        const heard: [string, number, string | undefined][] = [];
        const unwatch = s.watchQueued((fn, at) => {
          // Told after the commit: a read in the listener already sees the queued call.
          void s.get(c.id).then((r) => heard.push([fn, at, r?.status]));
        });
        const c = newCall('f');
        await submit(s, c);
        await s.claim('f', T0, 1);
        const a1 = attempt(1, { status: 503, message: 'the function answered 503' });
        const after = await s.finish(c.id, { next: 'queued', attempt: a1, runAt: T0 + 4000 });
        expect(after).toMatchObject({ id: c.id, status: 'queued', runAt: T0 + 4000, attempts: [a1] });
        expect(await s.get(c.id)).toMatchObject({ status: 'queued', runAt: T0 + 4000, attempts: [a1] });
        await Promise.resolve();
        expect(heard).toEqual([['f', T0, 'queued'], ['f', T0 + 4000, 'queued']]);
        // Not due before its runAt.
        expect(await s.claim('f', T0 + 3999, 5)).toEqual({ calls: [], nextAt: T0 + 4000 });
        const again = await s.claim('f', T0 + 4000, 5);
        expect(again.calls.map((x) => ({ id: x.id, attempts: x.attempts }))).toEqual([{ id: c.id, attempts: [a1] }]);
        const a2 = attempt(2, { status: 200 });
        expect(await s.finish(c.id, { next: 'succeeded', attempt: a2, result: { status: 200, headers: [], body: null, truncated: false }, finishedAt: T0 + 4100 })).toMatchObject({ attempts: [a1, a2] });
        unwatch();
        await submit(s, newCall('f'));
        await Promise.resolve();
        expect(heard).toHaveLength(2);
      });

      it('a requeue without an attempt (the host stopping) counts no attempt', async () => {
        const s = await store();
        const c = newCall('f');
        await submit(s, c);
        await s.claim('f', T0, 1);
        expect(await s.finish(c.id, { next: 'queued', runAt: T0 + 50 })).toMatchObject({ status: 'queued', runAt: T0 + 50, attempts: [] });
      });

      it('nobody is told of a refused or duplicate submission, or of a claim', async () => {
        const s = await store();
        const heard: string[] = [];
        s.watchQueued((fn) => heard.push(fn));
        await submit(s, newCall('f', { key: 'k' }), { dedupeMs: 1000, maxQueued: 1 });
        await s.submit(newCall('f', { key: 'k' }), { dedupeMs: 1000, maxQueued: 1 });
        await s.submit(newCall('f'), { dedupeMs: 1000, maxQueued: 1 });
        await s.claim('f', T0, 1);
        expect(heard).toEqual(['f']);
      });

      it('a success keeps the result, status, headers, body bytes and truncation, and finishedAt', async () => {
        const s = await store();
        const c = newCall('f');
        await submit(s, c);
        await s.claim('f', T0, 1);
        const result = { status: 201, headers: [['content-type', 'text/plain'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']] as [string, string][], body: new Uint8Array([104, 105, 0, 255]), truncated: true };
        const a1 = attempt(1, { status: 201 });
        const after = await s.finish(c.id, { next: 'succeeded', attempt: a1, result, finishedAt: T0 + 1234 });
        const got = (await s.get(c.id))!;
        expect(plain(after)).toEqual(plain(got));
        expect(got).toMatchObject({ status: 'succeeded', finishedAt: T0 + 1234, attempts: [a1] });
        expect(got.result).toMatchObject({ status: 201, headers: result.headers, truncated: true });
        expect([...got.result!.body!]).toEqual([104, 105, 0, 255]);
        expect(got.error).toBeUndefined();
        expect(statsOf(s, 'f')).toMatchObject({ queued: 0, running: 0 });
      });

      it('a failure keeps its error and result; a result without a body keeps body null', async () => {
        const s = await store();
        const c = newCall('f');
        await submit(s, c);
        await s.claim('f', T0, 1);
        const error = { code: 'EDGE_ERR_FUNCTION_STATUS', message: 'the function answered 404 (status 404 is not retried)' };
        await s.finish(c.id, { next: 'failed', attempt: attempt(1, { status: 404 }), result: { status: 404, headers: [], body: null, truncated: false }, error, finishedAt: T0 + 9 });
        expect(await s.get(c.id)).toMatchObject({ status: 'failed', error, finishedAt: T0 + 9, result: { status: 404, headers: [], body: null, truncated: false } });
      });

      it('finish of a call that is not running changes nothing and answers undefined', async () => {
        const s = await store();
        const finished = newCall('f');
        const waiting = newCall('f', { createdAt: T0 + 1 });
        await submit(s, finished);
        await submit(s, waiting);
        const { calls } = await s.claim('f', T0, 1);
        expect(calls.map((x) => x.id)).toEqual([finished.id]);
        await s.finish(finished.id, { next: 'succeeded', attempt: attempt(1, { status: 200 }), finishedAt: T0 + 5 });
        const before = [await s.get(finished.id), await s.get(waiting.id)];
        const heard: string[] = [];
        s.watchQueued((fn) => heard.push(fn));
        // A finished call, a call still queued, an unknown id: all left alone.
        expect(await s.finish(finished.id, { next: 'queued', attempt: attempt(2), runAt: T0 + 100 })).toBeUndefined();
        expect(await s.finish(waiting.id, { next: 'dead', attempt: attempt(1), error: { code: 'X', message: 'x' }, finishedAt: T0 + 6 })).toBeUndefined();
        expect(await s.finish('no-such-call', { next: 'succeeded', attempt: attempt(1), finishedAt: T0 })).toBeUndefined();
        expect(plain([await s.get(finished.id), await s.get(waiting.id)])).toEqual(plain(before));
        expect(heard).toEqual([]);
        expect(statsOf(s, 'f')).toMatchObject({ queued: 1, running: 0 });
      });
    });

    describe('cancel', () => {
      it('cancels a queued call only; running and finished calls are answered unchanged', async () => {
        const s = await store();
        const [q, r, d] = [newCall('f'), newCall('f', { createdAt: T0 + 1 }), newCall('f', { createdAt: T0 + 2 })];
        for (const x of [r, d]) await submit(s, { ...x, createdAt: x.createdAt - 10 });
        await s.claim('f', T0, 2);
        await submit(s, q);
        await s.finish(d.id, { next: 'succeeded', attempt: attempt(1, { status: 200 }), finishedAt: T0 + 50 });
        const cancelled = await s.cancel(q.id, T0 + 60);
        expect(cancelled).toMatchObject({ id: q.id, status: 'cancelled', finishedAt: T0 + 60 });
        expect((await s.get(q.id))!.status).toBe('cancelled');
        expect(await s.cancel(r.id, T0 + 61)).toMatchObject({ id: r.id, status: 'running' });
        expect((await s.get(r.id))!.finishedAt).toBeUndefined();
        expect(await s.cancel(d.id, T0 + 62)).toMatchObject({ id: d.id, status: 'succeeded', finishedAt: T0 + 50 });
        expect(await s.cancel(q.id, T0 + 63)).toMatchObject({ status: 'cancelled', finishedAt: T0 + 60 });
        expect(await s.cancel('no-such-call', T0)).toBeUndefined();
        expect(statsOf(s, 'f')).toMatchObject({ queued: 0, running: 1 });
        // A cancelled call is not claimed.
        expect((await s.claim('f', T0 + 100, 10)).calls).toEqual([]);
        // And a running call finishes normally after a refused cancel.
        expect(await s.finish(r.id, { next: 'succeeded', attempt: attempt(1, { status: 200 }), finishedAt: T0 + 70 })).toMatchObject({ status: 'succeeded' });
      });
    });

    describe('recover', () => {
      it('queues running calls again with an interrupted attempt, and makes dead those out of attempts', async () => {
        const s = await store();
        const fresh = newCall('f');
        const tried = newCall('f', { createdAt: T0 + 1, callbackUrl: 'https://hooks.test/x' });
        const waiting = newCall('f', { createdAt: T0 + 2 });
        for (const x of [fresh, tried]) await submit(s, x);
        // `tried` has had one attempt already: with maxAttempts 2 the interrupted one is its last.
        await s.claim('f', T0 + 1, 2);
        await s.finish(tried.id, { next: 'queued', attempt: attempt(1), runAt: T0 + 1 });
        await s.claim('f', T0 + 1, 2);
        await submit(s, waiting);
        const heard: [string, number][] = [];
        s.watchQueued((fn, at) => heard.push([fn, at]));
        const now = T0 + 60_000;
        expect(await s.recover(now, 2)).toBe(2);
        const f = (await s.get(fresh.id))!;
        expect(f).toMatchObject({ status: 'queued', runAt: now });
        expect(f.attempts).toHaveLength(1);
        expect(f.attempts[0]).toMatchObject({ n: 1, startedAt: now, code: 'EDGE_ERR_EXECUTOR_LOST' });
        const t = (await s.get(tried.id))!;
        expect(t).toMatchObject({ status: 'dead', finishedAt: now, error: { code: 'EDGE_ERR_EXECUTOR_LOST' } });
        expect(t.attempts.map((a) => a.n)).toEqual([1, 2]);
        expect(t.attempts[1]).toMatchObject({ code: 'EDGE_ERR_EXECUTOR_LOST' });
        // A dead call with a callback URL gets its callback.
        expect((await s.callbacksDue(now, 10)).map((x) => x.id)).toEqual([tried.id]);
        expect(await s.get(waiting.id)).toMatchObject({ status: 'queued', attempts: [] });
        expect(heard).toEqual([['f', now]]);
        expect(statsOf(s, 'f')).toMatchObject({ queued: 2, running: 0 });
        expect(await s.recover(now, 2)).toBe(0);
      });
    });

    describe('stats', () => {
      it('counts queued and running calls and the oldest queued creation through every transition', async () => {
        const s = await store();
        expect(statsOf(s, 'f')).toEqual({ queued: 0, running: 0, oldestQueuedAt: undefined });
        const [a, b, c] = [newCall('f', { createdAt: T0 + 10 }), newCall('f', { createdAt: T0 + 20 }), newCall('f', { createdAt: T0 + 30 })];
        for (const x of [a, b, c]) await submit(s, x);
        expect(statsOf(s, 'f')).toEqual({ queued: 3, running: 0, oldestQueuedAt: T0 + 10 });
        await s.claim('f', T0 + 100, 1);
        expect(statsOf(s, 'f')).toEqual({ queued: 2, running: 1, oldestQueuedAt: T0 + 20 });
        await s.finish(a.id, { next: 'queued', attempt: attempt(1), runAt: T0 + 5000 });
        // Back in the queue: oldest by creation, not by runAt.
        expect(statsOf(s, 'f')).toEqual({ queued: 3, running: 0, oldestQueuedAt: T0 + 10 });
        await s.claim('f', T0 + 200, 2);
        expect(statsOf(s, 'f')).toEqual({ queued: 1, running: 2, oldestQueuedAt: T0 + 10 });
        await s.cancel(a.id, T0 + 300);
        expect(statsOf(s, 'f')).toEqual({ queued: 0, running: 2, oldestQueuedAt: undefined });
        await s.finish(b.id, { next: 'succeeded', attempt: attempt(1, { status: 200 }), finishedAt: T0 + 400 });
        await s.finish(c.id, { next: 'dead', attempt: attempt(3), error: { code: 'E', message: 'e' }, finishedAt: T0 + 400 });
        expect(statsOf(s, 'f')).toEqual({ queued: 0, running: 0, oldestQueuedAt: undefined });
        const st = s.stats().get('f');
        if (st) expect(st).toMatchObject({ queued: 0, running: 0 });
      });
    });

    describe('list', () => {
      it('lists a function\'s calls newest first, filtered by status, limited, and paged by `before`', async () => {
        const s = await store();
        const calls = Array.from({ length: 7 }, (_, i) => newCall('f', { createdAt: T0 + i * 1000 }));
        for (const c of calls) await submit(s, c);
        await submit(s, newCall('g', { createdAt: T0 + 500 }));
        const ids = calls.map((c) => c.id);
        const newest = [...ids].reverse();
        expect((await s.list('f')).map((c) => c.id)).toEqual(newest);
        expect((await s.list('f', { limit: 3 })).map((c) => c.id)).toEqual(newest.slice(0, 3));
        expect((await s.list('f', { limit: 3, before: newest[2] })).map((c) => c.id)).toEqual(newest.slice(3, 6));
        expect((await s.list('f', { limit: 3, before: newest[5] })).map((c) => c.id)).toEqual(newest.slice(6));
        expect(await s.list('f', { before: ids[0] })).toEqual([]);
        // Two claimed and one finished.
        await s.claim('f', T0 + 1000, 2);
        await s.finish(ids[0]!, { next: 'succeeded', attempt: attempt(1, { status: 200 }), finishedAt: T0 + 9000 });
        expect((await s.list('f', { status: ['running'] })).map((c) => c.id)).toEqual([ids[1]]);
        expect((await s.list('f', { status: ['running', 'succeeded'] })).map((c) => c.id)).toEqual([ids[1], ids[0]]);
        expect((await s.list('f', { status: ['queued'], limit: 2 })).map((c) => c.id)).toEqual(newest.slice(0, 2));
        expect((await s.list('f', { status: ['queued'], before: newest[1] })).map((c) => c.id)).toEqual(newest.slice(2, 5));
        expect(await s.list('f', { status: ['dead'] })).toEqual([]);
        expect(await s.list('nobody')).toEqual([]);
      });
    });

    describe('callbacks', () => {
      it('a finished call with a callback URL is due until delivered; a retry moves it; failed ends it', async () => {
        const s = await store();
        const [a, b, plainCall] = [newCall('f', { callbackUrl: 'https://hooks.test/a' }), newCall('f', { callbackUrl: 'https://hooks.test/b', createdAt: T0 + 1 }), newCall('f', { createdAt: T0 + 2 })];
        for (const x of [a, b, plainCall]) await submit(s, x);
        // Not due while queued or running.
        expect(await s.callbacksDue(T0 + 100_000, 10)).toEqual([]);
        await s.claim('f', T0 + 10, 3);
        expect(await s.callbacksDue(T0 + 100_000, 10)).toEqual([]);
        for (const [i, x] of [a, b, plainCall].entries()) await s.finish(x.id, { next: 'succeeded', attempt: attempt(1, { status: 200 }), finishedAt: T0 + 1000 + i });
        // Due from the finish on, oldest first, at most n.
        expect(await s.callbacksDue(T0 + 999, 10)).toEqual([]);
        expect((await s.callbacksDue(T0 + 1001, 10)).map((x) => x.id)).toEqual([a.id, b.id]);
        expect((await s.callbacksDue(T0 + 1001, 1)).map((x) => x.id)).toEqual([a.id]);
        expect((await s.get(a.id))!.callback).toMatchObject({ url: 'https://hooks.test/a', status: 'pending', attempts: 0 });
        // a's first try failed: again at t0+5s.
        await s.callbackTried(a.id, { status: 'pending', nextAt: T0 + 5000, error: 'connect ECONNREFUSED' });
        expect((await s.get(a.id))!.callback).toMatchObject({ status: 'pending', attempts: 1, nextAt: T0 + 5000, lastError: 'connect ECONNREFUSED' });
        expect((await s.callbacksDue(T0 + 4999, 10)).map((x) => x.id)).toEqual([b.id]);
        expect((await s.callbacksDue(T0 + 5000, 10)).map((x) => x.id)).toEqual([b.id, a.id]);
        // b delivered, a failed for good: neither is due again.
        await s.callbackTried(b.id, { status: 'delivered' });
        await s.callbackTried(a.id, { status: 'failed', error: 'status 500' });
        expect(await s.callbacksDue(T0 + 1_000_000, 10)).toEqual([]);
        expect((await s.get(b.id))!.callback).toMatchObject({ status: 'delivered', attempts: 1 });
        expect((await s.get(b.id))!.callback!.nextAt).toBeUndefined();
        expect((await s.get(a.id))!.callback).toMatchObject({ status: 'failed', attempts: 2, lastError: 'status 500' });
        // A call without a callback ignores callbackTried.
        await s.callbackTried(plainCall.id, { status: 'delivered' });
        expect((await s.get(plainCall.id))!.callback).toBeUndefined();
        await s.callbackTried('no-such-call', { status: 'delivered' });
      });

      it('a failed or dead call gets its callback too, a retry does not', async () => {
        const s = await store();
        const [a, b] = [newCall('f', { callbackUrl: 'https://hooks.test/a' }), newCall('f', { callbackUrl: 'https://hooks.test/b', createdAt: T0 + 1 })];
        for (const x of [a, b]) await submit(s, x);
        await s.claim('f', T0 + 10, 2);
        await s.finish(a.id, { next: 'queued', attempt: attempt(1), runAt: T0 + 2000 });
        await s.finish(b.id, { next: 'dead', attempt: attempt(1), error: { code: 'E', message: 'e' }, finishedAt: T0 + 20 });
        expect((await s.callbacksDue(T0 + 100_000, 10)).map((x) => x.id)).toEqual([b.id]);
      });
    });

    describe('expire', () => {
      it('removes calls finished before the cutoff, never queued or running ones or ones whose callback is pending', async () => {
        const s = await store();
        const names = ['old', 'oldFailed', 'recent', 'queued', 'running', 'withCallback', 'delivered', 'cancelled'] as const;
        const c = Object.fromEntries(names.map((n, i) => [n, newCall('f', { createdAt: T0 + i, ...(n === 'withCallback' || n === 'delivered' ? { callbackUrl: 'https://hooks.test/' + n } : {}) })])) as Record<(typeof names)[number], NewCall>;
        for (const n of names) await submit(s, c[n]);
        await s.cancel(c.cancelled.id, T0 + 100);
        // Claim every queued one but `queued`, oldest first.
        expect((await s.claim('f', T0 + 100, 6)).calls.map((x) => x.id)).toEqual([c.old.id, c.oldFailed.id, c.recent.id, c.queued.id, c.running.id, c.withCallback.id]);
        await s.finish(c.queued.id, { next: 'queued', attempt: attempt(1), runAt: T0 + 200 });
        await s.claim('f', T0 + 100, 1).then((r) => expect(r.calls.map((x) => x.id)).toEqual([c.delivered.id]));
        const ok = (finishedAt: number) => ({ next: 'succeeded' as const, attempt: attempt(1, { status: 200 }), finishedAt });
        await s.finish(c.old.id, ok(T0 + 1000));
        await s.finish(c.oldFailed.id, { next: 'failed', attempt: attempt(1, { status: 400 }), error: { code: 'E', message: 'e' }, finishedAt: T0 + 1500 });
        await s.finish(c.recent.id, ok(T0 + 10_000));
        await s.finish(c.withCallback.id, ok(T0 + 1000));
        await s.finish(c.delivered.id, ok(T0 + 1000));
        await s.callbackTried(c.delivered.id, { status: 'delivered' });
        const cutoff = T0 + 5000;
        expect(await s.expire(cutoff)).toBe(4);
        const left = new Set((await s.list('f')).map((x) => x.id));
        for (const n of ['old', 'oldFailed', 'delivered', 'cancelled'] as const) {
          expect(left.has(c[n].id), n).toBe(false);
          expect(await s.get(c[n].id)).toBeUndefined();
        }
        for (const n of ['recent', 'queued', 'running', 'withCallback'] as const) expect(left.has(c[n].id), n).toBe(true);
        expect(statsOf(s, 'f')).toMatchObject({ queued: 1, running: 1 });
        // Once its callback is delivered, that one goes too.
        await s.callbackTried(c.withCallback.id, { status: 'delivered' });
        expect(await s.expire(cutoff)).toBe(1);
        expect(await s.expire(cutoff)).toBe(0);
      });
    });

    if (reopen) {
      describe('durability', () => {
        it('keeps every call, its state, attempts, result and callback across close and reopen', async () => {
          const s = await store();
          const [q, r, d, k] = [newCall('f'), newCall('f', { createdAt: T0 + 1 }), newCall('f', { createdAt: T0 + 2, callbackUrl: 'https://hooks.test/d' }), newCall('g', { key: 'k', createdAt: T0 + 3 })];
          for (const x of [r, d]) await submit(s, { ...x, createdAt: x.createdAt - 100 });
          await s.claim('f', T0, 2);
          for (const x of [q, k]) await submit(s, x);
          await s.finish(d.id, { next: 'succeeded', attempt: attempt(1, { status: 200 }), result: { status: 200, headers: [['x', 'y']], body: new Uint8Array([1, 2, 3]), truncated: false }, finishedAt: T0 + 50 });
          const before = await Promise.all([q, r, d, k].map((x) => s.get(x.id)));
          const statsBefore = s.stats();
          await s.close();
          opened.splice(opened.indexOf(s), 1);
          const s2 = await reopen(s);
          opened.push(s2);
          expect(plain(await Promise.all([q, r, d, k].map((x) => s2.get(x.id))))).toEqual(plain(before));
          expect(s2.stats()).toEqual(statsBefore);
          expect(statsOf(s2, 'f')).toEqual({ queued: 1, running: 1, oldestQueuedAt: T0 });
          expect(await s2.pending()).toEqual(new Map([['f', T0], ['g', T0 + 3]]));
          expect((await s2.callbacksDue(T0 + 50, 10)).map((x) => x.id)).toEqual([d.id]);
          // Keys still dedupe; the running call is recovered.
          expect(await s2.submit(newCall('g', { key: 'k', createdAt: T0 + 10 }), OPEN)).toMatchObject({ duplicate: true, call: { id: k.id } });
          expect(await s2.recover(T0 + 60, 3)).toBe(1);
          expect(await s2.get(r.id)).toMatchObject({ status: 'queued', runAt: T0 + 60, attempts: [{ n: 1, code: 'EDGE_ERR_EXECUTOR_LOST' }] });
          expect(statsOf(s2, 'f')).toEqual({ queued: 2, running: 0, oldestQueuedAt: T0 - 99 });
        });

        it('a write asked for before close is committed by close', async () => {
          const s = await store();
          const c = newCall('f');
          const pending = s.submit(c, OPEN);
          await s.close();
          opened.splice(opened.indexOf(s), 1);
          expect(await pending).toMatchObject({ duplicate: false, call: { id: c.id } });
          const s2 = await reopen(s);
          opened.push(s2);
          expect(await s2.get(c.id)).toMatchObject({ status: 'queued' });
          await expect(s.submit(newCall('f'), OPEN)).rejects.toThrow();
        });
      });
    }
  });
}
