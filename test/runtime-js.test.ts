/** The JS runtime on real isolates: Web APIs, the bridge, limits and isolation. */
import { afterAll, describe, expect, it } from 'vitest';
import { Instance } from '../src/runtime/js/index.ts';
import { BASE_LIMITS, type InvokeResult, type RevisionSpec } from '../src/runtime/types.ts';

const logs: [string, string, string][] = [];
const live: Instance[] = [];
afterAll(() => { for (const i of live) i.dispose(); });

/** Wraps a module body the way the deploy transform does: a script that yields the default export. */
function start(handler: string, opts: { env?: Record<string, string>; cpuMs?: number; wallMs?: number; memoryMb?: number } = {}): Instance {
  const inst = new Instance({ memoryMb: opts.memoryMb ?? 32, warmup: true, log: (l, r, t) => logs.push([l, r, t]) });
  live.push(inst);
  const spec: RevisionSpec = {
    id: 't-00001', fn: 't', digest: '', runtime: 'js', cache: null, concurrency: 0, env: opts.env ?? {},
    script: `var __isoedge_module = (() => { const exports = {}; exports.default = ${handler}; return exports; })();`,
    limits: { ...BASE_LIMITS, cpuMs: opts.cpuMs ?? 100, wallMs: opts.wallMs ?? 2000, memoryMb: opts.memoryMb ?? 32 },
  };
  inst.specialise(spec, undefined);
  return inst;
}

let n = 0;
function call(inst: Instance, url = 'http://t.localhost/', init: { method?: string; headers?: [string, string][]; body?: Uint8Array } = {}): Promise<InvokeResult> {
  return inst.invoke({ reqId: `req-${++n}`, method: init.method ?? 'GET', url, headers: init.headers ?? [], body: init.body ?? null }, n);
}

async function json(inst: Instance, url?: string, init?: Parameters<typeof call>[2]): Promise<unknown> {
  const r = await call(inst, url, init);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return JSON.parse(typeof r.body === 'string' ? r.body : new TextDecoder().decode(r.body as Uint8Array));
}

describe('JS runtime: Web APIs', () => {
  it('carries method, URL, headers, body and env into the guest', async () => {
    const inst = start(`{ async fetch(req, env) {
      const u = new URL(req.url);
      return Response.json({ m: req.method, path: u.pathname, q: u.searchParams.getAll('x'), h: req.headers.get('x-a'), body: await req.text(), env: env.K });
    } }`, { env: { K: 'v' } });
    expect(await json(inst, 'http://t.localhost/a%20b/c?x=1&x=2', { method: 'PUT', headers: [['x-a', '1'], ['X-A', '2']], body: new TextEncoder().encode('héllo ✓') }))
      .toEqual({ m: 'PUT', path: '/a%20b/c', q: ['1', '2'], h: '1, 2', body: 'héllo ✓', env: 'v' });
  });

  it('returns binary bodies byte for byte and repeated set-cookie headers', async () => {
    const inst = start(`{ async fetch(req) {
      const b = new Uint8Array(await req.arrayBuffer()).map((x) => 255 - x);
      const h = new Headers(); h.append('set-cookie', 'a=1'); h.append('set-cookie', 'b=2');
      return new Response(b, { status: 207, headers: h });
    } }`);
    const r = await call(inst, undefined, { method: 'POST', body: new Uint8Array([0, 1, 254, 255]) });
    expect(r.ok && r.status).toBe(207);
    if (!r.ok) return;
    expect([...(r.body as Uint8Array)]).toEqual([255, 254, 1, 0]);
    expect(r.headers.filter(([k]) => k === 'set-cookie')).toEqual([['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
  });

  it('provides the listed globals', async () => {
    const inst = start(`{ async fetch() {
      const u = new URL('../x?y=1#h', 'https://Example.COM:443/a/b/');
      const enc = new TextEncoder().encode('€');
      const clone = structuredClone({ d: new Date(0), m: new Map([[1, 2]]) });
      let timerFired = await new Promise((r) => setTimeout(() => r(true), 5));
      const cleared = setTimeout(() => { throw new Error('should not run'); }, 1); clearTimeout(cleared);
      return Response.json({
        href: u.href, host: u.host, origin: u.origin, enc: [...enc], dec: new TextDecoder().decode(enc),
        b64: btoa('hi!'), unb64: atob('aGkh'), uuid: /^[0-9a-f-]{36}$/.test(crypto.randomUUID()),
        rnd: crypto.getRandomValues(new Uint8Array(8)).length, clone: clone.m.get(1) + (clone.d instanceof Date ? 1 : 0),
        timerFired, search: new URLSearchParams({ a: '1 2', b: 'é' }).toString(),
      });
    } }`);
    expect(await json(inst)).toEqual({
      href: 'https://example.com/a/x?y=1#h', host: 'example.com', origin: 'https://example.com', enc: [226, 130, 172], dec: '€',
      b64: 'aGkh', unb64: 'hi!', uuid: true, rnd: 8, clone: 3, timerFired: true, search: 'a=1+2&b=%C3%A9',
    });
  });

  it('sends console output to the host log with the request id', async () => {
    const inst = start(`{ fetch(req) { console.log('hello', { a: 1 }); console.error(new Error('boom')); return new Response('ok'); } }`);
    logs.length = 0;
    await call(inst);
    expect(logs[0]).toEqual(['info', `req-${n}`, 'hello {"a":1}']);
    expect(logs[1]![0]).toBe('error');
    expect(logs[1]![2]).toMatch(/Error: boom/);
  });
});

describe('JS runtime: failures stay with their request', () => {
  it('a thrown error, a thrown non-Error and a non-Response each fail with a code', async () => {
    const inst = start(`{ fetch(req) {
      const p = new URL(req.url).pathname;
      if (p === '/throw') throw new TypeError('nope');
      if (p === '/string') throw 'a string';
      if (p === '/reject') return Promise.reject(42);
      if (p === '/object') return { status: 200 };
      return new Response('fine');
    } }`);
    expect(await call(inst, 'http://t.localhost/throw')).toMatchObject({ ok: false, code: 'EDGE_ERR_FUNCTION_THREW', message: 'TypeError: nope', fatal: false });
    expect(await call(inst, 'http://t.localhost/string')).toMatchObject({ ok: false, code: 'EDGE_ERR_FUNCTION_THREW', message: 'non-Error thrown: a string' });
    expect(await call(inst, 'http://t.localhost/reject')).toMatchObject({ ok: false, code: 'EDGE_ERR_FUNCTION_THREW' });
    expect(await call(inst, 'http://t.localhost/object')).toMatchObject({ ok: false, code: 'EDGE_ERR_BAD_RESPONSE', message: expect.stringMatching(/must return a Response.*Object/) });
    expect(await call(inst)).toMatchObject({ ok: true, body: 'fine' });
  });

  it('an infinite loop is stopped at the CPU limit and the instance is dropped', async () => {
    const inst = start(`{ fetch() { for (;;) {} } }`, { cpuMs: 20 });
    const t0 = performance.now();
    expect(await call(inst)).toMatchObject({ ok: false, code: 'EDGE_ERR_CPU_LIMIT', fatal: true });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(inst.disposed).toBe(true);
  });

  it('CPU spent in timer callbacks counts against the request', async () => {
    const inst = start(`{ fetch() { return new Promise((r) => setTimeout(() => { for (;;) {} }, 1)); } }`, { cpuMs: 20 });
    expect(await call(inst)).toMatchObject({ ok: false, code: 'EDGE_ERR_CPU_LIMIT' });
  });

  it('background work after the response is metered: a self-rescheduling busy loop gets the instance disposed', async () => {
    const inst = start(`{ fetch() {
      const spin = () => { const t = Date.now(); while (Date.now() - t < 5) {} setTimeout(spin, 0); };
      setTimeout(spin, 0);
      return new Response('answered');
    } }`, { cpuMs: 20 });
    expect(await call(inst)).toMatchObject({ ok: true, body: 'answered' });
    for (let i = 0; i < 100 && !inst.disposed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(inst.disposed).toBe(true);
    expect(logs.some(([, , t]) => /background work .* over 20 ms/.test(t))).toBe(true);
  });

  it('a heap overrun fails the request with EDGE_ERR_MEMORY_LIMIT', async () => {
    const inst = start(`{ fetch() { const a = []; for (;;) a.push(new Array(100000).fill(1)); } }`, { cpuMs: 10_000, memoryMb: 16 });
    expect(await call(inst)).toMatchObject({ ok: false, code: 'EDGE_ERR_MEMORY_LIMIT', fatal: true });
    expect(inst.disposed).toBe(true);
  });

  it('a promise that never settles fails at the wall-time limit; the instance keeps serving', async () => {
    const inst = start(`{ fetch(req) { return req.url.endsWith('/hang') ? new Promise(() => {}) : new Response('ok'); } }`, { wallMs: 50 });
    expect(await call(inst, 'http://t.localhost/hang')).toMatchObject({ ok: false, code: 'EDGE_ERR_WALL_TIMEOUT', fatal: false });
    expect(await call(inst)).toMatchObject({ ok: true, body: 'ok' });
  });

  it('refuses at specialisation a module without fetch, or one that throws at top level', () => {
    const noFetch = new Instance({ memoryMb: 16, log: () => {} });
    live.push(noFetch);
    expect(() => noFetch.specialise({ id: 'x', fn: 'x', digest: '', runtime: 'js', cache: null, concurrency: 0, env: {}, script: 'var __isoedge_module = { default: {} };', limits: { ...BASE_LIMITS, cpuMs: 10, wallMs: 100, memoryMb: 16 } }, undefined))
      .toThrow(/no default export with a fetch/);
    const throws = new Instance({ memoryMb: 16, log: () => {} });
    live.push(throws);
    expect(() => throws.specialise({ id: 'x', fn: 'x', digest: '', runtime: 'js', cache: null, concurrency: 0, env: {}, script: 'throw new Error("top")', limits: { ...BASE_LIMITS, cpuMs: 10, wallMs: 100, memoryMb: 16 } }, undefined))
      .toThrow(/top-level code failed/);
  });

  it('top-level code has the startup budget (STARTUP_CPU_MS), not a request\'s CPU limit', async () => {
    // 60 ms of top-level work under a 10 ms request limit: it starts, and its requests keep their own limit.
    const inst = new Instance({ memoryMb: 16, log: () => {} });
    live.push(inst);
    inst.specialise({ id: 'x', fn: 'x', digest: '', runtime: 'js', cache: null, concurrency: 0, env: {},
      script: 'var __isoedge_module = (() => { const t = Date.now(); while (Date.now() - t < 60) {} return { default: { fetch() { return Response.json("up"); } } }; })();',
      limits: { ...BASE_LIMITS, cpuMs: 10, wallMs: 1000, memoryMb: 16 } }, undefined);
    expect(await json(inst).catch((e: Error) => e.message)).toBe('up');
  });
});

describe('JS runtime: nothing of the host is reachable', () => {
  it('has no process, require, module, Buffer or host bridge; constructor tricks stay inside the isolate', async () => {
    const inst = start(`{ fetch() {
      const probe = (f) => { try { return String(f()); } catch (e) { return 'threw'; } };
      return Response.json({
        process: typeof process, require: typeof require, module: typeof module, Buffer: typeof Buffer,
        host: typeof __isoedge_host, runtime: typeof __isoedge_runtime, mod: typeof __isoedge_module,
        ctor: probe(() => typeof Function('return this')().process),
        ctor2: probe(() => typeof ({}).constructor.constructor('return globalThis')().require),
        logCtor: probe(() => console.log.constructor('return typeof process')()),
        env: probe(() => typeof globalThis.env),
      });
    } }`);
    expect(await json(inst)).toEqual({
      process: 'undefined', require: 'undefined', module: 'undefined', Buffer: 'undefined', host: 'undefined', runtime: 'undefined', mod: 'undefined',
      ctor: 'undefined', ctor2: 'undefined', logCtor: 'undefined', env: 'undefined',
    });
  });

  it('outbound fetch is denied with a clear error', async () => {
    const inst = start(`{ async fetch() { try { await fetch('https://example.com/'); return new Response('reached'); } catch (e) { return new Response(e.message); } } }`);
    const r = await call(inst);
    expect(r).toMatchObject({ ok: true, body: expect.stringMatching(/EDGE_ERR_FETCH_DENIED: outbound fetch to https:\/\/example.com\/ is not allowed/) });
  });

  it('two instances do not share globals', async () => {
    const a = start(`{ fetch() { globalThis.secret = 'A'; return new Response(String(globalThis.secret)); } }`);
    const b = start(`{ fetch() { return new Response(String(globalThis.secret)); } }`);
    expect(await call(a)).toMatchObject({ body: 'A' });
    expect(await call(b)).toMatchObject({ body: 'undefined' });
  });
});
