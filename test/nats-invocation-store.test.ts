/**
 * The JetStream invocation store against the InvocationStore contract, on a real nats-server, plus
 * what only it promises: nodes sharing one queue, redelivery when a node dies, nak(delay) retries,
 * heartbeats during long runs, dead letters, and 503s while NATS is down.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_ON } from '../src/async/retry.ts';
import { QueueWorker } from '../src/async/worker.ts';
import { systemScheduler } from '../src/core/clock.ts';
import { EdgeError } from '../src/core/errors.ts';
import { seededRng } from '../src/core/rng.ts';
import type { DispatchResult } from '../src/dispatch/index.ts';
import type { Attempt, CallRecord, InvocationStore, NewCall } from '../src/store/index.ts';
import { decodeCall } from '../src/store/nats/call-codec.ts';
import { names, openNatsLink, type NatsLink } from '../src/store/nats/connection.ts';
import { NatsInvocationStore } from '../src/store/nats/invocations.ts';
import { invocationStoreContract, newCall } from './contracts/invocation-store.contract.ts';
import { NATS_INSTALL_HINT, natsServerPath, startNats, type NatsServer } from './helpers/nats.ts';

const have = natsServerPath() !== undefined;
if (!have) console.log(`skipping the JetStream invocation store tests: nats-server is not installed (${NATS_INSTALL_HINT})`);

let server: NatsServer & { close(): Promise<void> };
const links: NatsLink[] = [];
let shared: NatsLink;
let n = 0;
const prefix = () => `t${++n}_${Math.random().toString(36).slice(2, 8)}`;
const link = async () => { const l = await openNatsLink({ servers: [server.url], name: 'test' }); links.push(l); return l; };

beforeAll(async () => {
  if (!have) return;
  server = await startNats();
  shared = await link();
});
afterAll(async () => {
  for (const l of links.splice(0)) await l.close();
  await server?.close();
});

const OPEN = { dedupeMs: 60_000, maxQueued: 10_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const attempt = (over: Partial<Attempt> = {}): Attempt => ({ n: 1, startedAt: Date.now(), durationMs: 1, status: 200, ...over });
const ok = () => ({ next: 'succeeded' as const, attempt: attempt(), finishedAt: Date.now() });
/** A call created now: the cluster tests run on real time. */
const call = (fn = 'f'): NewCall => newCall(fn, { createdAt: Date.now() });
/** A claim's `now` that any runAt is due by: the call is claimed as soon as its message is here. */
const FAR = () => Date.now() + 3_600_000;

/** Where each contract store's data is, so a closed one can be opened again (a restarted node). */
const where = new WeakMap<InvocationStore, { prefix: string; node: string }>();
async function open(l: NatsLink, p: string, node: string, ackWaitMs?: number): Promise<NatsInvocationStore> {
  const s = await NatsInvocationStore.open(l, { prefix: p, nodeName: node, ...(ackWaitMs !== undefined ? { ackWaitMs } : {}) });
  where.set(s, { prefix: p, node });
  return s;
}

async function submitted(s: InvocationStore, c: NewCall): Promise<CallRecord> {
  const r = await s.submit(c, OPEN);
  if ('refused' in r) throw new Error('refused');
  return r.call;
}

/** Claims from `s` until it has `count` calls of `fn` (or the time is up). */
async function claimAll(s: InvocationStore, count: number, now: () => number = Date.now, fn = 'f', within = 10_000): Promise<CallRecord[]> {
  const got: CallRecord[] = [];
  for (const end = Date.now() + within; got.length < count && Date.now() < end;) {
    got.push(...(await s.claim(fn, now(), count - got.length)).calls);
    if (got.length < count) await sleep(20);
  }
  return got;
}

describe.skipIf(!have)('JetStream invocation store', () => {
  invocationStoreContract('JetStream', () => open(shared, prefix(), 'node-a'), (closed) => open(shared, where.get(closed)!.prefix, where.get(closed)!.node));

  it('two nodes share one queue: each of 200 calls is claimed once, and both count the same', async () => {
    const p = prefix();
    const [a, b] = await Promise.all([open(await link(), p, 'a'), open(await link(), p, 'b')]);
    try {
      // As the worker does: both fetch from the start.
      a.watchQueued(() => {});
      b.watchQueued(() => {});
      await Promise.all([a.recover(Date.now(), 3), b.recover(Date.now(), 3)]);
      const calls = Array.from({ length: 200 }, () => call());
      await Promise.all(calls.map((c, i) => submitted(i % 2 ? a : b, c)));
      await expect.poll(() => [a.stats().get('f')?.queued, b.stats().get('f')?.queued]).toEqual([200, 200]);
      const by = new Map<string, string>();
      let twice = 0;
      for (const end = Date.now() + 20_000; by.size < 200 && Date.now() < end;) {
        for (const [name, s] of [['a', a], ['b', b]] as const) {
          const { calls: got } = await s.claim('f', Date.now(), 32);
          for (const c of got) { if (by.has(c.id)) twice++; by.set(c.id, name); }
          await Promise.all(got.map((c) => s.finish(c.id, ok())));
        }
        await sleep(5);
      }
      expect(twice).toBe(0);
      expect(new Set(by.keys())).toEqual(new Set(calls.map((c) => c.id)));
      // The pull requests of both nodes were served.
      expect(new Set(by.values())).toEqual(new Set(['a', 'b']));
      const all = await a.list('f', { limit: 1000 });
      expect(all).toHaveLength(200);
      expect(all.every((c) => c.status === 'succeeded' && c.attempts.length === 1)).toBe(true);
      // Both mirrors converge: nothing queued or running anywhere.
      await expect.poll(() => [a.stats().get('f'), b.stats().get('f')]).toEqual([undefined, undefined]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('one key submitted through two nodes at once makes one call, the other answered as its duplicate', async () => {
    const p = prefix();
    const [a, b] = await Promise.all([open(await link(), p, 'a'), open(await link(), p, 'b')]);
    try {
      for (let i = 0; i < 30; i++) {
        const rs = await Promise.all([a, b].map((s) => s.submit(newCall('f', { key: `order-${i}`, createdAt: Date.now() }), OPEN)));
        const got = rs.map((r) => { if ('refused' in r) throw new Error('refused'); return r; });
        expect(got.map((r) => r.duplicate).sort()).toEqual([false, true]);
        expect(got[0]!.call.id).toBe(got[1]!.call.id);
      }
      await expect.poll(() => [a.stats().get('f')?.queued, b.stats().get('f')?.queued]).toEqual([30, 30]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('calls a node claimed and never finished (it vanished) are redelivered to another after the ack wait, with an interrupted attempt', async () => {
    const p = prefix();
    const la = await link();
    const a = await open(la, p, 'a', 1500);
    const b = await open(await link(), p, 'b', 1500);
    try {
      await Promise.all([a.recover(Date.now(), 3), b.recover(Date.now(), 3)]);
      const calls = Array.from({ length: 5 }, () => call());
      for (const c of calls) await submitted(b, c);
      // Only a fetches yet: it gets them all.
      expect((await claimAll(a, 5)).map((c) => c.id).sort()).toEqual(calls.map((c) => c.id).sort());
      await la.nc.close();
      const gone = Date.now();
      const got = await claimAll(b, 5, Date.now, 'f', 15_000);
      // The ack wait (1.5 s) from a's last heartbeat (every 0.5 s) before it vanished.
      expect(Date.now() - gone).toBeGreaterThanOrEqual(900);
      expect(got.map((c) => c.id).sort()).toEqual(calls.map((c) => c.id).sort());
      for (const c of got) {
        expect(c.attempts).toHaveLength(1);
        expect(c.attempts[0]).toMatchObject({ n: 1, code: 'EDGE_ERR_EXECUTOR_LOST' });
        expect(await b.finish(c.id, { ...ok(), attempt: attempt({ n: 2 }) })).toMatchObject({ status: 'succeeded', attempts: [{ code: 'EDGE_ERR_EXECUTOR_LOST' }, { n: 2, status: 200 }] });
      }
      expect(b.stats().get('f')).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a retry waits out its delay on the server (nak with delay), then either node may run it', async () => {
    const p = prefix();
    const [a, b] = await Promise.all([open(await link(), p, 'a'), open(await link(), p, 'b')]);
    try {
      await Promise.all([a.recover(Date.now(), 3), b.recover(Date.now(), 3)]);
      const c = await submitted(a, call());
      expect((await claimAll(a, 1)).map((x) => x.id)).toEqual([c.id]);
      const t0 = Date.now();
      expect(await a.finish(c.id, { next: 'queued', attempt: attempt({ status: 503 }), runAt: t0 + 800 })).toMatchObject({ status: 'queued', runAt: t0 + 800 });
      // Claims that would take it whatever its runAt: only its redelivery makes it claimable.
      let again: CallRecord | undefined;
      while (!again && Date.now() - t0 < 5000) {
        for (const s of [a, b]) again ??= (await s.claim('f', FAR(), 1)).calls[0];
        await sleep(20);
      }
      const after = Date.now() - t0;
      expect(again?.id).toBe(c.id);
      expect(after).toBeGreaterThanOrEqual(750);
      expect(after).toBeLessThan(5000);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a long run (3× the ack wait) is not redelivered meanwhile: its holder heartbeats it', async () => {
    const p = prefix();
    // Heartbeats every 0.67 s: a busy CI machine may stall the test process for a while.
    const [a, b] = await Promise.all([open(await link(), p, 'a', 2000), open(await link(), p, 'b', 2000)]);
    try {
      await Promise.all([a.recover(Date.now(), 3), b.recover(Date.now(), 3)]);
      const c = await submitted(a, call());
      expect((await claimAll(a, 1)).map((x) => x.id)).toEqual([c.id]);
      for (const end = Date.now() + 6000; Date.now() < end;) {
        expect((await b.claim('f', FAR(), 10)).calls).toEqual([]);
        await sleep(100);
      }
      expect(await b.get(c.id)).toMatchObject({ status: 'running', attempts: [] });
      expect(await a.finish(c.id, ok())).toMatchObject({ status: 'succeeded', attempts: [{ n: 1, status: 200 }] });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a dead call is also published to the dead-letter stream, and its queue message is gone', async () => {
    const p = prefix();
    const s = await open(shared, p, 'a');
    try {
      const c = await submitted(s, call());
      await claimAll(s, 1);
      const error = { code: 'EDGE_ERR_FUNCTION_STATUS', message: 'the function answered 503 (3 attempts)' };
      await s.finish(c.id, { next: 'dead', attempt: attempt({ n: 3, status: 503 }), error, finishedAt: Date.now() });
      const jsm = await jetstreamManager(shared.nc);
      const n = names(p);
      const letter = await jsm.streams.getMessage(n.dead, { last_by_subj: `${n.dead}.f` });
      expect(decodeCall(letter!.data)).toMatchObject({ id: c.id, fn: 'f', status: 'dead', error, attempts: [{ n: 3, status: 503 }] });
      await expect.poll(async () => (await jsm.streams.info(n.queue)).state.messages).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('queue workers on two nodes run every call once (a 503 once more, after its backoff), told only by the store', async () => {
    const p = prefix();
    const stores = await Promise.all([open(await link(), p, 'a'), open(await link(), p, 'b')]);
    const runs = new Map<string, number>();
    const timing = { routeMs: 0, queueMs: 0 };
    const workers = stores.map((store) => new QueueWorker({
      store, scheduler: systemScheduler, rng: seededRng(1), wallNow: Date.now, concurrency: 8, resultBytes: 1024,
      policy: () => ({ maxAttempts: 3, initialRetryMs: 200, maxRetryMs: 200, maxAgeMs: 60_000, retryOn: new Set(DEFAULT_RETRY_ON), maxInflight: 4 }),
      dispatch: async (_target, request): Promise<DispatchResult> => {
        const n = (runs.get(request.id) ?? 0) + 1;
        runs.set(request.id, n);
        await sleep(5);
        // Every fifth call answers 503 on its first attempt.
        const status = n === 1 && request.url.endsWith('/flaky') ? 503 : 200;
        return { ok: true, revision: 'f-00001', status, headers: [], body: null, timing };
      },
    }));
    try {
      await Promise.all(workers.map((w) => w.start(3)));
      const calls = Array.from({ length: 60 }, (_, i) => newCall('f', { createdAt: Date.now(), request: { url: `http://f.edge.test/${i % 5 === 0 ? 'flaky' : 'ok'}` } }));
      for (const [i, c] of calls.entries()) await submitted(stores[i % 2]!, c);
      await expect.poll(async () => (await stores[0]!.list('f', { status: ['succeeded'], limit: 1000 })).length, { timeout: 15_000 }).toBe(60);
      for (const c of calls) expect(runs.get(c.id), c.id).toBe(c.request.url.endsWith('/flaky') ? 2 : 1);
      await expect.poll(() => stores.map((s) => s.stats().get('f'))).toEqual([undefined, undefined]);
    } finally {
      await Promise.all(workers.map((w) => w.stop(1000)));
      for (const s of stores) await s.close();
    }
  });

  // Last: it stops the server the other tests share.
  it('while NATS is down a submission fails at once with 503; after it is back the store works and nothing submitted before is lost', async () => {
    const p = prefix();
    const l = await link();
    const s = await open(l, p, 'a');
    try {
      await s.recover(Date.now(), 3);
      const before = [];
      for (let i = 0; i < 20; i++) before.push(await submitted(s, call()));
      // Five are running across the outage: their messages are acked once it is over.
      const running = await claimAll(s, 5);
      expect(running).toHaveLength(5);
      await server.stop();
      await expect.poll(() => l.connected).toBe(false);
      const t = Date.now();
      const err = await s.submit(call(), OPEN).then(() => undefined, (e: unknown) => e);
      expect(Date.now() - t).toBeLessThan(1000);
      expect(err).toBeInstanceOf(EdgeError);
      expect((err as EdgeError).code).toBe('EDGE_ERR_STORE_UNAVAILABLE');
      await expect(s.claim('f', Date.now(), 5)).rejects.toMatchObject({ code: 'EDGE_ERR_STORE_UNAVAILABLE' });
      await expect(s.finish(running[0]!.id, ok())).rejects.toMatchObject({ code: 'EDGE_ERR_STORE_UNAVAILABLE' });
      // The mirror still answers.
      expect(s.stats().get('f')).toMatchObject({ queued: 15, running: 5 });
      await server.start();
      await expect.poll(() => l.connected, { timeout: 15_000 }).toBe(true);
      // JetStream takes a moment to recover its streams after a restart.
      let later: CallRecord | undefined;
      for (const end = Date.now() + 15_000; !later && Date.now() < end;) later = await submitted(s, call()).catch(() => sleep(200).then(() => undefined));
      expect(later).toBeDefined();
      for (const c of running) expect(await s.finish(c.id, ok())).toMatchObject({ status: 'succeeded' });
      const got = await claimAll(s, 16, Date.now, 'f', 20_000);
      expect(new Set([...running, ...got].map((c) => c.id))).toEqual(new Set([...before, later!].map((c) => c.id)));
      for (const c of got) await s.finish(c.id, ok());
      expect(s.stats().get('f')).toBeUndefined();
      const jsm = await jetstreamManager(l.nc);
      await expect.poll(async () => (await jsm.streams.info(names(p).queue)).state.messages).toBe(0);
    } finally {
      await s.close();
    }
  }, 60_000);
});
