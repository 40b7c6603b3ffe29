/**
 * The dispatch pipeline on its own: route → admit → executor → result, with fakes at its
 * three narrow interfaces and a manual clock; and the admission deadlines end to end.
 */
import { describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { EdgeError } from '../src/core/errors.ts';
import { seededRng } from '../src/core/rng.ts';
import { Dispatcher, type Admission, type DispatchEvent, type Executors, type Routes } from '../src/dispatch/index.ts';
import type { FromExecutor } from '../src/executor/index.ts';
import { buildRouteTable } from '../src/router/index.ts';
import { BASE_LIMITS, type RevisionSpec } from '../src/runtime/types.ts';
import { testHost } from './helpers/host.ts';

const spec = (id: string, limits = {}): RevisionSpec => ({ id, fn: id.replace(/-\d+$/, ''), digest: '0'.repeat(64), runtime: 'js', script: '', cache: null, env: {}, concurrency: 0, limits: { ...BASE_LIMITS, ...limits } });
const req = (over = {}) => ({ id: 'r1', method: 'GET', url: 'http://shop.localhost/cart?x=1', headers: [['host', 'shop.localhost']] as [string, string][], body: null, ...over });

function setup(opts: { admit?: Admission['admit']; invoke?: Executors['invoke']; specs?: Record<string, RevisionSpec> } = {}) {
  const clock = manualClock(1000);
  const specs = opts.specs ?? { 'shop-00001': spec('shop-00001'), 'shop-00002': spec('shop-00002') };
  const tables: Record<string, ReturnType<typeof buildRouteTable>> = {
    shop: buildRouteTable([{ revision: 'shop-00001', percent: 100 }, { revision: 'shop-00002', percent: 0, tag: 'next' }], 'shop-00002'),
  };
  const routes: Routes = {
    route: (fn) => (tables[fn] ? { table: tables[fn]! } : undefined),
    specNow: () => undefined, // always the asynchronous path: specs load on first use
    spec: async (rev) => specs[rev],
  };
  const calls: string[] = [];
  const admission: Admission = {
    admit: opts.admit ?? (async (s) => { calls.push(`admit ${s.id}`); clock.advance(2); return { queuedMs: 2, release: () => calls.push(`release ${s.id}`) }; }),
    started: () => calls.push('started'),
    ended: () => calls.push('ended'),
  };
  const executors: Executors = {
    invoke: opts.invoke ?? (async (s, r): Promise<FromExecutor> => {
      calls.push(`invoke ${s.id} ${r.method} ${r.url}`);
      return { t: 'res', id: 1, status: 201, headers: [['x', 'y']], body: 'ok', tier: 'warm', startMs: 0.5, execMs: 0.25 };
    }),
  };
  const events: DispatchEvent[] = [];
  const d = new Dispatcher({ routes, admission, executors, clock, rng: seededRng(1), hooks: { finished: (e) => events.push(e) } });
  return { d, calls, events, clock };
}

describe('dispatcher', () => {
  it('routes, admits, invokes and releases, in that order, and reports the timing', async () => {
    const { d, calls, events } = setup();
    const r = await d.dispatch({ fn: 'shop' }, req());
    expect(r).toEqual({ ok: true, revision: 'shop-00001', status: 201, headers: [['x', 'y']], body: 'ok', timing: { routeMs: 0, queueMs: 2, tier: 'warm', startMs: 0.5, execMs: 0.25 } });
    expect(calls).toEqual(['admit shop-00001', 'started', 'invoke shop-00001 GET http://shop.localhost/cart?x=1', 'release shop-00001', 'ended']);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ stage: 'execute', executed: true, target: { fn: 'shop' } });
  });

  it('a tag selects its revision even at 0 %', async () => {
    const { d } = setup();
    expect(await d.dispatch({ fn: 'shop', tag: 'next' }, req())).toMatchObject({ ok: true, revision: 'shop-00002' });
  });

  it.each([
    ['an unknown function', { fn: 'nope' }, {}, 'EDGE_ERR_FUNCTION_NOT_FOUND', undefined],
    ['an unknown tag', { fn: 'shop', tag: 'zzz' }, {}, 'EDGE_ERR_REVISION_NOT_FOUND', undefined],
    ['too many headers', { fn: 'shop' }, { headers: Array.from({ length: 101 }, (_, i) => [`h${i}`, 'v']) }, 'EDGE_ERR_HEADERS_TOO_LARGE', undefined],
    ['a body over the revision limit', { fn: 'shop' }, { body: new Uint8Array(BASE_LIMITS.bodyBytes + 1) }, 'EDGE_ERR_BODY_TOO_LARGE', undefined],
  ])('refuses %s before admission, with a code', async (_name, target, over, code, revision) => {
    const { d, calls, events } = setup();
    const r = await d.dispatch(target, req(over));
    expect(r).toMatchObject({ ok: false, revision, error: { code } });
    expect(calls).toEqual([]);
    expect(events[0]).toMatchObject({ stage: 'route', executed: false });
  });

  it('a revision whose spec is gone is refused with EDGE_ERR_REVISION_NOT_FOUND', async () => {
    const { d } = setup({ specs: {} });
    expect(await d.dispatch({ fn: 'shop' }, req())).toMatchObject({ ok: false, error: { code: 'EDGE_ERR_REVISION_NOT_FOUND', message: 'revision shop-00001 is gone' } });
  });

  it('a full queue answers with its code, the revision and a Retry-After, and never reaches an executor', async () => {
    const { d, calls, events } = setup({ admit: async () => { throw new EdgeError('EDGE_ERR_QUEUE_FULL', 'full'); } });
    const r = await d.dispatch({ fn: 'shop' }, req());
    expect(r).toMatchObject({ ok: false, revision: 'shop-00001', error: { code: 'EDGE_ERR_QUEUE_FULL' }, retryAfterS: 1 });
    expect(calls.filter((c) => c.startsWith('invoke'))).toEqual([]);
    expect(events[0]).toMatchObject({ stage: 'admit', executed: false });
  });

  it('passes the caller\'s signal to admission', async () => {
    const ac = new AbortController();
    let seen: AbortSignal | undefined;
    const { d } = setup({ admit: async (_s, signal) => { seen = signal; return { queuedMs: 0, release() {} }; } });
    await d.dispatch({ fn: 'shop' }, req(), ac.signal);
    expect(seen).toBe(ac.signal);
  });

  it('a coded executor failure keeps its code and timing; a lost executor still releases the slot', async () => {
    const failing = setup({ invoke: async () => ({ t: 'err', id: 1, code: 'EDGE_ERR_CPU_LIMIT', message: 'too much', tier: 'hot', startMs: 0, execMs: 50 }) });
    expect(await failing.d.dispatch({ fn: 'shop' }, req())).toMatchObject({ ok: false, revision: 'shop-00001', error: { code: 'EDGE_ERR_CPU_LIMIT', statusCode: 503 }, timing: { tier: 'hot', execMs: 50 } });
    expect(failing.events[0]).toMatchObject({ executed: true });
    const lost = setup({ invoke: async () => { throw new EdgeError('EDGE_ERR_EXECUTOR_LOST', 'executor 0 exited'); } });
    expect(await lost.d.dispatch({ fn: 'shop' }, req())).toMatchObject({ ok: false, error: { code: 'EDGE_ERR_EXECUTOR_LOST' } });
    expect(lost.calls.slice(-2)).toEqual(['release shop-00001', 'ended']);
    expect(lost.events[0]).toMatchObject({ stage: 'execute', executed: false });
  });
});

describe('admission deadlines through the edge', () => {
  it('a request queued behind a busy single-slot revision gets 504 EDGE_ERR_QUEUE_TIMEOUT; the busy one finishes', async () => {
    const h = await testHost(['--autoscaler-queue-timeout-ms', '200']);
    try {
      // One instance (maxScale 1) of one slot: with a target of 0.7 requests per instance the autoscaler
      // would otherwise add a second one at its next tick. The handler holds the slot for 1.5 s, far past
      // the 200 ms deadline, so a loaded machine cannot flip the outcome.
      const dep = await h.admin.inject({ method: 'POST', url: '/v1/functions/slow/revisions?concurrency=1&maxScale=1', headers: { 'content-type': 'application/javascript' },
        payload: 'export default { async fetch(req) { await new Promise((r) => setTimeout(r, 1500)); return new Response("done"); } };' });
      expect(dep.statusCode).toBe(201);
      // Warm it first, so the revision has a ready instance and the wait is for a slot, not for activation.
      const warm = h.edge.inject({ url: '/', headers: { host: 'slow.localhost' } });
      expect((await warm).statusCode).toBe(200);
      const busy = h.edge.inject({ url: '/', headers: { host: 'slow.localhost' } });
      for (let i = 0; i < 100; i++) {
        const f = JSON.parse((await h.admin.inject({ url: '/v1/functions/slow' })).body) as { revisions: { status: { inflight: number } }[] };
        if (f.revisions[0]!.status.inflight === 1) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const queued = await h.edge.inject({ url: '/', headers: { host: 'slow.localhost' } });
      expect(queued.statusCode).toBe(504);
      expect(JSON.parse(queued.body)).toMatchObject({ code: 'EDGE_ERR_QUEUE_TIMEOUT', message: 'no slot of revision slow-00001 within 200 ms' });
      expect(queued.headers['isoedge-revision']).toBe('slow-00001');
      expect((await busy).body).toBe('done');
    } finally {
      await h.cleanup();
    }
  });
});
