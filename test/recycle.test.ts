/**
 * Reusing a retired instance's isolate for a new context (Instance.recycle): the next
 * tenant must find nothing of the last one, and the last one must be unable to act.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Instance } from '../src/runtime/js/index.ts';
import { BASE_LIMITS, type InvokeResult, type RevisionSpec } from '../src/runtime/types.ts';

const logs: string[] = [];
const live: Instance[] = [];
afterAll(() => { for (const i of live) i.dispose(); });

function spec(id: string, handler: string): RevisionSpec {
  return {
    id, fn: id, digest: '', runtime: 'js', cache: null, concurrency: 0, env: { NAME: id },
    script: `var __isoedge_module = (() => { const exports = {}; exports.default = ${handler}; return exports; })();`,
    limits: { ...BASE_LIMITS, cpuMs: 100, wallMs: 2000, memoryMb: 32 },
  };
}

function start(id: string, handler: string, isolate?: Instance['isolate'], collect = false): Instance {
  const inst = new Instance({ memoryMb: 32, warmup: true, isolate, collect, log: (_l, _r, t) => logs.push(`${id}: ${t}`) });
  live.push(inst);
  inst.specialise(spec(id, handler), undefined);
  return inst;
}

let n = 0;
async function body(inst: Instance, path = '/'): Promise<string> {
  const r: InvokeResult = await inst.invoke({ reqId: `r${++n}`, method: 'GET', url: `http://t.localhost${path}`, headers: [], body: null }, n);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return typeof r.body === 'string' ? r.body : new TextDecoder().decode(r.body as Uint8Array);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('isolate reuse', () => {
  it('gives the next tenant a clean context in the same isolate; the last tenant can no longer act', async () => {
    const a = start('a', `{ async fetch(req, env) {
      globalThis.secret = 'from a';
      Object.prototype.polluted = 'yes';
      Array.prototype.map = () => 'broken';
      setTimeout(() => console.log('a timer ran'), 30);
      Map.prototype.clear = function () { console.log('a ran in detach'); for (;;) {} };
      fetch('http://127.0.0.1:9/').catch(() => {});
      return new Response(env.NAME + ' ' + typeof gc);
    } }`);
    expect(await body(a)).toBe('a undefined');
    const iso = a.recycle(16 * 1024 * 1024);
    expect(iso).toBeDefined();
    expect(a.disposed).toBe(true);
    const r = await a.invoke({ reqId: 'late', method: 'GET', url: 'http://t.localhost/', headers: [], body: null }, ++n);
    expect(r.ok).toBe(false);

    const b = start('b', `{ async fetch(req, env) {
      return Response.json({ name: env.NAME, secret: typeof secret, polluted: ({}).polluted, map: [1, 2].map((x) => x * 2), gc: typeof gc });
    } }`, iso, true);
    expect(b.isolate).toBe(iso);
    expect(JSON.parse(await body(b))).toEqual({ name: 'b', secret: 'undefined', map: [2, 4], gc: 'undefined' });
    await sleep(80); // past a's timer
    await body(b); // re-enter the isolate after a's context became garbage (b's collect ran a full GC)
    expect(logs.filter((l) => l.startsWith('a: a '))).toEqual([]);
  });

  it('does not reuse an isolate whose context may run code later (finalizers, Atomics.waitAsync); the native FinalizationRegistry stays private', async () => {
    const f = start('fin', `{ fetch() {
      const reg = new FinalizationRegistry(() => console.log('fin: finalizer ran'));
      reg.register({ x: 1 }, 'held');
      return new Response(String(Object.getPrototypeOf(FinalizationRegistry) === Function.prototype));
    } }`);
    expect(await body(f)).toBe('true');
    expect(f.recycle(64 * 1024 * 1024)).toBeUndefined();
    expect(f.isolate.isDisposed).toBe(true);
    const w = start('wa', `{ fetch() {
      Atomics.waitAsync(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      return new Response('ok');
    } }`);
    expect(await body(w)).toBe('ok');
    expect(w.recycle(64 * 1024 * 1024)).toBeUndefined();
  });

  it('does not reuse an isolate that is busy, over the heap cap, or faulted; those are disposed', async () => {
    const busy = start('busy', `{ fetch() { return new Promise(() => {}); } }`);
    const pending = busy.invoke({ reqId: 'p', method: 'GET', url: 'http://t.localhost/', headers: [], body: null }, ++n);
    expect(busy.recycle(64 * 1024 * 1024)).toBeUndefined();
    expect((await pending).ok).toBe(false);
    expect(busy.isolate.isDisposed).toBe(true);

    const fat = start('fat', `{ fetch() { globalThis.hold = new Array(500000).fill(1.5); return new Response('ok'); } }`);
    expect(await body(fat)).toBe('ok');
    expect(fat.recycle(1024 * 1024)).toBeUndefined();
    expect(fat.isolate.isDisposed).toBe(true);

    const looping = start('loop', `{ fetch() { for (;;) {} } }`);
    const r = await looping.invoke({ reqId: 'l', method: 'GET', url: 'http://t.localhost/', headers: [], body: null }, ++n);
    expect(!r.ok && r.code).toBe('EDGE_ERR_CPU_LIMIT');
    expect(looping.recycle(64 * 1024 * 1024)).toBeUndefined();
  });

  it('a reused isolate keeps serving new tenants through many generations', async () => {
    let iso: Instance['isolate'] | undefined;
    for (let g = 0; g < 20; g++) {
      const inst = start(`g${g}`, `{ fetch(req, env) { globalThis.count = (globalThis.count ?? 0) + 1; return new Response(env.NAME + ':' + count); } }`, iso, g % 2 === 0);
      if (iso) expect(inst.isolate).toBe(iso);
      expect(await body(inst)).toBe(`g${g}:1`);
      iso = inst.recycle(8 * 1024 * 1024);
      expect(iso).toBeDefined();
    }
    iso!.dispose();
  });
});
