/** A tenant's faults stay with it: the host and a neighbour keep serving during an attack (issue 7, in part). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHost, type TestHost } from './helpers/host.ts';

let h: TestHost;
beforeAll(async () => {
  h = await testHost(['--limits-cpu-ms', '20', '--limits-wall-ms', '500', '--limits-memory-mb', '32']);
  const deploy = (name: string, src: string) => h.admin.inject({ method: 'POST', url: `/v1/functions/${name}/revisions`, headers: { 'content-type': 'application/javascript' }, payload: src });
  // Its own CPU limit is generous, so the heap limit is what stops the allocation bomb.
  await h.admin.inject({ method: 'POST', url: '/v1/functions/bomb/revisions?cpuMs=5000', headers: { 'content-type': 'application/javascript' },
    payload: 'export default { fetch(req) { if (req.url.endsWith("/alloc")) { const a = []; for (;;) a.push(new Array(1e5).fill(1)); } return new Response("ok"); } };' });
  await deploy('neighbour', 'export default { fetch() { return new Response("calm"); } };');
  await deploy('attacker', `export default { async fetch(req) {
    const p = new URL(req.url).pathname;
    if (p === '/loop') for (;;) {}
    if (p === '/recurse') { const f = (n) => f(n + 1) + 1; return new Response(String(f(0))); }
    if (p === '/alloc') { const a = []; for (;;) a.push(new Array(1e5).fill(p)); }
    if (p === '/hang') return new Promise(() => {});
    if (p === '/throw') throw { not: 'an error' };
    if (p === '/nonresponse') return 'text';
    return new Response('ok');
  } };`);
});
afterAll(async () => { await h.cleanup(); });

const call = (fn: string, path = '/') => h.edge.inject({ url: path, headers: { host: `${fn}.localhost` } });

describe('faults stay with their request', () => {
  it.each([
    ['/loop', 503, 'EDGE_ERR_CPU_LIMIT'],
    ['/recurse', 500, 'EDGE_ERR_FUNCTION_THREW'],
    ['/alloc', 503, 'EDGE_ERR_MEMORY_LIMIT', 'bomb'],
    ['/hang', 504, 'EDGE_ERR_WALL_TIMEOUT'],
    ['/throw', 500, 'EDGE_ERR_FUNCTION_THREW'],
    ['/nonresponse', 502, 'EDGE_ERR_BAD_RESPONSE'],
  ])('%s → %i %s, and the function itself still serves', async (path, status, code, fn = 'attacker') => {
    const r = await call(fn, path);
    expect(r.statusCode).toBe(status);
    expect(r.json()).toMatchObject({ code });
    expect((await call(fn, '/')).body).toBe('ok');
  });

  it("a neighbour keeps answering during an attack; its latency is measured", async () => {
    const base: number[] = [];
    for (let i = 0; i < 50; i++) { const t0 = performance.now(); await call('neighbour'); base.push(performance.now() - t0); }
    const attack = Promise.all(Array.from({ length: 20 }, (_, i) => call('attacker', ['/loop', '/alloc', '/recurse', '/hang'][i % 4])));
    const during: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const r = await call('neighbour');
      during.push(performance.now() - t0);
      expect(r.body).toBe('calm');
    }
    const results = await attack;
    expect(results.every((r) => r.statusCode >= 500 && /^EDGE_ERR_/.test(r.json().code))).toBe(true);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    // Recorded, not asserted tightly (a shared 2-core machine): one executor thread is shared, so a
    // runaway neighbour costs at most its CPU limit per request in queueing here.
    console.log(`neighbour p50 ${med(base).toFixed(2)} ms before, ${med(during).toFixed(2)} ms during the attack`);
    expect(med(during)).toBeLessThan(1000);
  });

  it('escape attempts find only the isolate: eval, Function, dynamic import, prototype pollution, Atomics.wait', async () => {
    const deploy = (name: string, src: string) => h.admin.inject({ method: 'POST', url: `/v1/functions/${name}/revisions`, headers: { 'content-type': 'application/javascript' }, payload: src });
    expect((await deploy('polluter', `Object.prototype.polluted = 'yes'; Array.prototype.flat = () => 'hijacked';
      export default { async fetch(req) {
        const tries = {};
        const t = (k, f) => { try { tries[k] = String(f()); } catch (e) { tries[k] = 'threw ' + (e && e.name); } };
        t('eval', () => eval('typeof process'));
        t('function', () => Function('return typeof require')());
        t('ctor', () => (async () => {}).constructor('return typeof process')() instanceof Promise);
        // Host-looking globals that exist at all must be empty (the deploy transform's own variable is reset to undefined).
        t('globalThis', () => Object.getOwnPropertyNames(globalThis).filter((n) => /^(process|require|module|Buffer|global$|__isoedge)/.test(n)).map((n) => n + ':' + typeof globalThis[n]).join(','));
        t('stack', () => { Error.prepareStackTrace = (_e, s) => s.map((f) => typeof f.getThis()).join(); return typeof new Error().stack; });
        try { await import('node:fs'); tries.import = 'imported'; } catch (e) { tries.import = 'threw'; }
        if (new URL(req.url).pathname === '/wait') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
        return Response.json(tries);
      } };`)).statusCode).toBe(201);
    const r = await call('polluter');
    expect(r.json()).toEqual({ eval: 'undefined', function: 'undefined', ctor: 'true', globalThis: '__isoedge_module:undefined', stack: 'string', import: 'threw' });
    const w = await call('polluter', '/wait');
    expect(w.statusCode).toBe(503);
    expect(w.json()).toMatchObject({ code: 'EDGE_ERR_CPU_LIMIT' });
    // The neighbour's prototypes are its own.
    expect((await deploy('clean', "export default { fetch() { return Response.json({ polluted: ({}).polluted ?? null, flat: [[1], [2]].flat() }); } };")).statusCode).toBe(201);
    expect((await call('clean')).json()).toEqual({ polluted: null, flat: [1, 2] });
  });
});
