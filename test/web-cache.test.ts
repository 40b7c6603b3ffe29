/** The Cache API: the host store and its rules on a manual clock, the guest API in real isolates, and the counters in /metrics through a host. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { CacheStore } from '../src/executor/cache-store.ts';
import { freshness, parseCacheControl } from '../src/executor/cache-policy.ts';
import type { HeaderPairs } from '../src/runtime/types.ts';
import { guestEval, guestInstance } from './helpers/guest.ts';
import { testHost, type TestHost } from './helpers/host.ts';

const WALL = Date.parse('2026-12-01T12:00:00Z');
const store = (maxBytes = 1 << 20) => {
  const clock = manualClock(0);
  return { clock, cache: new CacheStore({ maxBytes, clock, wallNow: () => WALL + clock.now() }) };
};
const body = (s: string) => new TextEncoder().encode(s);
const put = (c: CacheStore, headers: HeaderPairs, { fn = 'f', url = 'http://x/a', status = 200, text = 'hi' } = {}) => c.put(fn, '', url, { status, statusText: '', headers, body: body(text) });
const hit = (c: CacheStore, { fn = 'f', url = 'http://x/a' } = {}) => c.match(fn, '', url) !== undefined;

describe('the store and its rules (manual clock)', () => {
  it('max-age: a hit until the age is reached, then a miss; the entry is gone', () => {
    const { clock, cache } = store();
    put(cache, [['cache-control', 'public, max-age=60']]);
    expect(hit(cache)).toBe(true);
    clock.advance(59_999);
    expect(hit(cache)).toBe(true);
    clock.advance(1);
    expect(hit(cache)).toBe(false);
    expect(cache.entries).toBe(0);
  });

  it('s-maxage is preferred to max-age, whichever comes first in the header', () => {
    for (const cc of ['max-age=600, s-maxage=10', 's-maxage=10, max-age=600']) {
      const { clock, cache } = store();
      put(cache, [['Cache-Control', cc]]);
      clock.advance(9_999);
      expect(hit(cache)).toBe(true);
      clock.advance(1);
      expect(hit(cache)).toBe(false);
    }
    const { clock, cache } = store();
    put(cache, [['cache-control', 's-maxage=600, max-age=0']]);
    clock.advance(300_000);
    expect(hit(cache)).toBe(true);
  });

  it('no-store, private, no-cache, max-age=0 and a past or invalid Expires are not stored, and are counted uncacheable', () => {
    const { cache } = store();
    const refused: HeaderPairs[] = [
      [['cache-control', 'no-store']], [['cache-control', 'private']], [['cache-control', 'max-age=60, private']], [['cache-control', 'no-cache']],
      [['cache-control', 'max-age=0']], [['expires', new Date(WALL - 1000).toUTCString()]], [['expires', 'not a date']], [['expires', '0']],
    ];
    for (const h of refused) {
      put(cache, h);
      expect(hit(cache), JSON.stringify(h)).toBe(false);
    }
    expect(cache.drainCounts()).toEqual([['f', 'miss', refused.length], ['f', 'uncacheable', refused.length]]);
    expect(cache.drainCounts()).toEqual([]);
  });

  it('Expires gives the lifetime when no max-age says otherwise', () => {
    const { clock, cache } = store();
    put(cache, [['expires', new Date(WALL + 30_000).toUTCString()]]);
    clock.advance(29_999);
    expect(hit(cache)).toBe(true);
    clock.advance(1);
    expect(hit(cache)).toBe(false);
    // max-age wins over Expires
    put(cache, [['expires', new Date(WALL + 3_600_000).toUTCString()], ['cache-control', 'max-age=5']]);
    clock.advance(5_000);
    expect(hit(cache)).toBe(false);
  });

  it('without Cache-Control or Expires, the default edge TTL by status (200: 2 h; 404: 3 min; 500: not stored); a 304 is discarded', () => {
    const { clock, cache } = store();
    put(cache, []);
    put(cache, [], { url: 'http://x/404', status: 404 });
    put(cache, [], { url: 'http://x/500', status: 500 });
    put(cache, [['cache-control', 'max-age=60']], { url: 'http://x/304', status: 304 });
    expect(hit(cache, { url: 'http://x/500' })).toBe(false);
    expect(hit(cache, { url: 'http://x/304' })).toBe(false);
    clock.advance(179_999);
    expect(hit(cache, { url: 'http://x/404' })).toBe(true);
    clock.advance(1);
    expect(hit(cache, { url: 'http://x/404' })).toBe(false);
    clock.advance(7_200_000 - 180_000 - 1);
    expect(hit(cache)).toBe(true);
    clock.advance(1);
    expect(hit(cache)).toBe(false);
  });

  it('Set-Cookie is never stored, unless private=Set-Cookie names it: then the response is stored without it', () => {
    expect(freshness(200, [['set-cookie', 'a=1'], ['cache-control', 'max-age=60']], WALL)).toEqual({ store: false, reason: 'set-cookie' });
    expect(freshness(200, [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['cache-control', 'max-age=60, private="Set-Cookie"'], ['x', 'y']], WALL))
      .toEqual({ store: true, ttlMs: 60_000, headers: [['cache-control', 'max-age=60, private="Set-Cookie"'], ['x', 'y']] });
    expect(freshness(200, [['set-cookie', 'a=1'], ['cache-control', 'private=set-cookie, s-maxage=9']], WALL)).toMatchObject({ store: true, ttlMs: 9000 });
    expect([...parseCacheControl('Max-Age=5, private="a, b", no-transform').entries()]).toEqual([['max-age', '5'], ['private', 'a, b'], ['no-transform', true]]);
  });

  it('keys by function, cache name and URL: another function, another cache or another URL misses', () => {
    const { cache } = store();
    put(cache, [['cache-control', 'max-age=60']], { fn: 'a' });
    expect(hit(cache, { fn: 'a' })).toBe(true);
    expect(hit(cache, { fn: 'b' })).toBe(false);
    expect(cache.match('a', 'name:x', 'http://x/a')).toBeUndefined();
    expect(hit(cache, { fn: 'a', url: 'http://x/a?' })).toBe(false);
    expect(cache.delete('b', '', 'http://x/a')).toBe(false);
    expect(cache.delete('a', '', 'http://x/a')).toBe(true);
    expect(cache.delete('a', '', 'http://x/a')).toBe(false);
  });

  it('holds at most maxBytes: the least recently used entries go first, and an entry larger than the bound is not kept', () => {
    const { cache } = store(4096);
    const big = 'x'.repeat(1000);
    const cc: HeaderPairs = [['cache-control', 'max-age=60']];
    for (const u of ['1', '2', '3']) put(cache, cc, { url: `http://x/${u}`, text: big });
    expect(cache.entries).toBe(3);
    expect(hit(cache, { url: 'http://x/1' })).toBe(true); // 1 is now the most recent
    put(cache, cc, { url: 'http://x/4', text: big });
    put(cache, cc, { url: 'http://x/5', text: big });
    expect(cache.bytes).toBeLessThanOrEqual(4096);
    expect(['1', '2', '3', '4', '5'].map((u) => hit(cache, { url: `http://x/${u}` }))).toEqual([true, false, false, true, true]);
    put(cache, cc, { url: 'http://x/1', text: 'y'.repeat(5000) });
    expect(hit(cache, { url: 'http://x/1' })).toBe(false);
    expect(cache.drainCounts().find(([, r]) => r === 'uncacheable')).toEqual(['f', 'uncacheable', 1]);
    // 0 stores nothing
    const none = new CacheStore({ maxBytes: 0, clock: manualClock(0) });
    put(none, cc);
    expect(hit(none)).toBe(false);
    expect(none.bytes).toBe(0);
  });
});

describe('caches in the guest', () => {
  it('put, then match answers a new Response each time, with cf-cache-status: HIT, status and headers kept; delete removes it', async () => {
    const { cache } = store();
    const r = await guestEval(`
      const c = caches.default;
      const res = new Response('hello', { status: 201, statusText: 'Made', headers: { 'cache-control': 'max-age=60', 'x-kept': 'yes' } });
      const before = await c.match('http://x/a');
      const put = await c.put('http://x/a', res);
      const a = await c.match('http://x/a'), b = await c.match(new Request('http://x/a'));
      const first = await a.text();
      const out = [before, put, res.bodyUsed, a === b, first, a.bodyUsed, b.bodyUsed, await b.text(), a.status, a.statusText, a.headers.get('x-kept'), a.headers.get('cf-cache-status'), a instanceof Response];
      out.push(await c.delete('http://x/a'), await c.match('http://x/a'), await c.delete('http://x/a'));
      return out;
    `, { cache });
    expect(r).toEqual([null, null, true, false, 'hello', true, false, 'hello', 201, 'Made', 'yes', 'HIT', true, true, null, false]);
  });

  it('GET only: match and delete of another method miss unless ignoreMethod; a HEAD or POST put is a TypeError', async () => {
    const { cache } = store();
    const r = await guestEval(`
      const c = caches.default;
      await c.put('http://x/a', new Response('v', { headers: { 'cache-control': 'max-age=60' } }));
      const post = new Request('http://x/a', { method: 'POST', body: 'b' });
      const errs = [];
      for (const m of ['POST', 'HEAD']) try { await c.put(new Request('http://x/a', { method: m }), new Response('z')); errs.push('stored'); } catch (e) { errs.push(e.constructor.name + ': ' + e.message); }
      return [await c.match(post), (await c.match(post, { ignoreMethod: true }))?.status, await c.delete(post), errs, await c.delete(post, { ignoreMethod: true })];
    `, { cache });
    expect(r).toEqual([null, 200, false, ['TypeError: Cannot cache response to non-GET request.', 'TypeError: Cannot cache response to non-GET request.'], true]);
  });

  it('refuses bad input with the TypeErrors Workers gives, and nothing is stored', async () => {
    const { cache } = store();
    const r = await guestEval(`
      const c = caches.default;
      const cc = { 'cache-control': 'max-age=60' };
      const cases = {
        notResponse: () => c.put('http://x/a', { status: 200, body: 'x' }),
        oneArg: () => c.put('http://x/a'),
        partial: () => c.put('http://x/a', new Response('x', { status: 206, headers: cc })),
        varyStar: () => c.put('http://x/a', new Response('x', { headers: { ...cc, vary: 'Accept, *' } })),
        error: () => c.put('http://x/a', Response.error()),
        used: async () => { const res = new Response('x', { headers: cc }); await res.text(); return c.put('http://x/a', res); },
        badUrl: () => c.put('not a url', new Response('x', { headers: cc })),
        matchBadUrl: () => c.match('/relative'),
        openSymbol: () => caches.open(Symbol('s')),
        openLong: () => caches.open('n'.repeat(1024)),
        add: () => c.add('http://x/a'),
        construct: async () => new Cache(),
      };
      const out = {};
      for (const [k, f] of Object.entries(cases)) {
        try { await f(); out[k] = 'ok'; } catch (e) { out[k] = e instanceof TypeError ? 'TypeError: ' + e.message : String(e); }
      }
      out.stored = (await c.match('http://x/a')) !== undefined;
      return out;
    `, { cache });
    expect(r).toMatchObject({
      notResponse: "TypeError: Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.",
      oneArg: expect.stringMatching(/^TypeError: .*2 arguments required/),
      partial: 'TypeError: Cannot cache response to a range request (206 Partial Content).',
      varyStar: "TypeError: Cannot cache response with 'Vary: *' header.",
      error: 'TypeError: Cache is unable to store an error response',
      used: 'TypeError: Body has already been used',
      badUrl: expect.stringMatching(/^TypeError/),
      matchBadUrl: expect.stringMatching(/^TypeError/),
      openSymbol: expect.stringMatching(/^TypeError/),
      openLong: 'TypeError: Cache name is too long.',
      add: expect.stringMatching(/^TypeError: .*not implemented/),
      construct: 'TypeError: Illegal constructor',
      stored: false,
    });
    expect(cache.entries).toBe(0);
  });

  it('caches.open(name) is a cache of its own (apart from caches.default and from other names); a stream body is read at put', async () => {
    const { cache } = store();
    const r = await guestEval(`
      const cc = { 'cache-control': 'max-age=60' };
      const named = await caches.open('custom:cache'), empty = await caches.open(''), num = await caches.open(42);
      const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('str')); c.enqueue(new TextEncoder().encode('eam')); c.close(); } });
      const res = new Response(stream, { headers: cc });
      const p = named.put('http://x/a', res);
      const usedAtOnce = res.bodyUsed;
      await p;
      await caches.default.put('http://x/a', new Response('default', { headers: cc }));
      const text = async (c) => { const m = await c.match('http://x/a'); return m ? m.text() : null; };
      return [usedAtOnce, await text(named), await text(caches.default), await text(empty), await text(await caches.open('custom:cache')), caches.default === caches.default, String(caches), await text(num), await text(await caches.open('42'))];
    `, { cache });
    expect(r).toEqual([true, 'stream', 'default', null, 'stream', true, '[object CacheStorage]', null, null]);
  });

  it('functions are kept apart, and an expired entry is a miss (host clock), across instances of one function', async () => {
    const { clock, cache } = store();
    await guestEval(`await caches.default.put('http://x/a', new Response('from a', { headers: { 'cache-control': 'max-age=10' } }));`, { cache, fn: 'a' });
    const read = `const m = await caches.default.match('http://x/a'); return m ? m.text() : null;`;
    expect(await guestEval(read, { cache, fn: 'b' })).toBeNull();
    expect(await guestEval(read, { cache, fn: 'a' })).toBe('from a');
    clock.advance(10_000);
    expect(await guestEval(read, { cache, fn: 'a' })).toBeNull();
  });

  it('the Workers pattern: answer the response and put a clone of it in ctx.waitUntil', async () => {
    const { cache } = store();
    const fill = `const res = new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('page')); c.close(); } }), { headers: { 'cache-control': 's-maxage=60' } });
      ctx.waitUntil(caches.default.put('http://x/page', res.clone()));
      return await res.text();`;
    expect(await guestEval(fill, { cache })).toBe('page');
    expect(await guestEval(`const m = await caches.default.match('http://x/page'); return m && [await m.text(), m.headers.get('cache-control')];`, { cache })).toEqual(['page', 's-maxage=60']);
  });

  it('without a store (no executor), put keeps nothing and match misses', async () => {
    expect(await guestEval(`await caches.default.put('http://x/a', new Response('v', { headers: { 'cache-control': 'max-age=60' } })); return (await caches.default.match('http://x/a')) ?? 'miss';`)).toBe('miss');
  });

  it('the host time of cache ops is charged to the request: a loop of slow puts ends with EDGE_ERR_CPU_LIMIT, not after the loop', async () => {
    // isolated-vm's cpuTime leaves out host callbacks: without the charge this request would use ~1 ms of CPU.
    const spin = (ms: number) => { const t = performance.now(); while (performance.now() - t < ms); };
    let calls = 0;
    const slow = { put: () => { calls++; spin(30); }, match: () => undefined, delete: () => false };
    const inst = guestInstance(`for (let i = 0; i < 20; i++) { try { await caches.default.put('http://x/' + i, new Response('v')); } catch {} } return 1;`, { cache: slow, cpuMs: 60 });
    const r = await inst.invoke({ reqId: 'slow', method: 'GET', url: 'http://w.localhost/', headers: [], body: null }, 1);
    expect(r).toMatchObject({ ok: false, code: 'EDGE_ERR_CPU_LIMIT', fatal: true });
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(3);
  });

  it('an instance that never reads caches holds no CacheStorage: the global stays an accessor', async () => {
    const inst = guestInstance('return 1;');
    expect(inst.context.evalSync(`typeof Object.getOwnPropertyDescriptor(globalThis, 'caches').get`)).toBe('function');
  });
});

describe('the Cache API through a host: per-function isolation on one executor, counters and bytes in /metrics', () => {
  let h: TestHost;
  beforeAll(async () => { h = await testHost(); });
  afterAll(async () => { await h?.cleanup(); });

  const src = (name: string) => `export default { async fetch(req) {
    const key = 'http://shared.example/item';
    if (new URL(req.url).pathname === '/put') { await caches.default.put(key, new Response('${name}', { headers: { 'cache-control': 'max-age=600' } })); return new Response('ok'); }
    const m = await caches.default.match(key);
    return new Response(m ? 'hit ' + (await m.text()) + ' ' + m.headers.get('cf-cache-status') : 'miss');
  } };`;
  // A generous CPU limit (above) and the status in the answer: a loaded machine must not turn a slow first call into a puzzling mismatch.
  const get = async (fn: string, path = '/') => { const r = await h.edge.inject({ url: path, headers: { host: `${fn}.localhost` } }); return r.statusCode === 200 ? r.body : `${r.statusCode} ${r.body}`; };
  const samples = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

  it('two functions share a URL but never an entry; hits, misses and stores are counted per function', async () => {
    for (const fn of ['ca', 'cb']) {
      const r = await h.admin.inject({ method: 'POST', url: `/v1/functions/${fn}/revisions?cpuMs=1000`, headers: { 'content-type': 'application/javascript' }, payload: src(fn) });
      expect(r.statusCode).toBe(201);
    }
    expect(h.executors.size).toBe(1);
    expect(await get('cb')).toBe('miss');
    expect(await get('ca', '/put')).toBe('ok');
    expect(await get('ca')).toBe('hit ca HIT');
    expect(await get('cb')).toBe('miss');
    expect(await get('cb', '/put')).toBe('ok');
    expect(await get('cb')).toBe('hit cb HIT');
    expect(await get('ca')).toBe('hit ca HIT');
    const m = await h.admin.inject({ url: '/metrics' });
    expect(m.body).toContain('# TYPE isoedge_cache_requests_total counter');
    expect(samples(m.body, 'isoedge_cache_requests_total').sort()).toEqual([
      'isoedge_cache_requests_total{function="ca",result="hit"} 2',
      'isoedge_cache_requests_total{function="ca",result="stored"} 1',
      'isoedge_cache_requests_total{function="cb",result="hit"} 1',
      'isoedge_cache_requests_total{function="cb",result="miss"} 2',
      'isoedge_cache_requests_total{function="cb",result="stored"} 1',
    ]);
    const bytes = Number(samples(m.body, 'isoedge_cache_bytes')[0]!.split(' ')[1]);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(4096);
  });

  it('a deleted function\'s entries go with it: a function made later under its name starts with an empty cache', async () => {
    expect(await get('ca')).toBe('hit ca HIT');
    expect((await h.admin.inject({ method: 'DELETE', url: '/v1/functions/ca' })).statusCode).toBe(204);
    const r = await h.admin.inject({ method: 'POST', url: '/v1/functions/ca/revisions?cpuMs=1000', headers: { 'content-type': 'application/javascript' }, payload: src('ca2') });
    expect(r.statusCode).toBe(201);
    expect(await get('ca')).toBe('miss');
    // The other function's entry is untouched.
    expect(await get('cb')).toBe('hit cb HIT');
  });
});
