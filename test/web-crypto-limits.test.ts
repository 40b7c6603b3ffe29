/**
 * crypto.subtle's host side (crypto/subtle.ts): keys stay in the isolate's own table (never
 * another instance's, gone when the instance ends or its isolate is recycled), and the host CPU of
 * each operation is charged to the request, so a keygen loop ends with EDGE_ERR_CPU_LIMIT while a
 * neighbour instance keeps answering.
 */
import { describe, expect, it } from 'vitest';
import { Instance } from '../src/runtime/js/index.ts';
import { HostBridge } from '../src/runtime/js/bridge/host.ts';
import { OP_NAMES, type HostImpls } from '../src/runtime/js/bridge/ops.ts';
import ivm from 'isolated-vm';
import { KeyTable, RSA_MAX_GENERATE_BITS, type SubtleSettle } from '../src/runtime/js/crypto/subtle.ts';
import { BASE_LIMITS, type InvokeResult, type RevisionSpec } from '../src/runtime/types.ts';
import { guestInstance } from './helpers/guest.ts';

let n = 0;
const invoke = (inst: Instance): Promise<InvokeResult> => inst.invoke({ reqId: `l-${++n}`, method: 'GET', url: 'http://w.localhost/', headers: [], body: null }, n);
const text = (r: InvokeResult): string => (r.ok ? (typeof r.body === 'string' ? r.body : new TextDecoder().decode(r.body as Uint8Array)) : `${r.code}: ${r.message}`);

/** One operation on a bare table: its outcome JSON, bytes and the host ns it reported. */
function op(t: KeyTable, method: string, params: object, a: ArrayBuffer | null = null): Promise<{ json: Record<string, unknown>; bytes: ArrayBuffer | null; ns: bigint }> {
  return new Promise((resolve) => {
    let ns = 0n;
    const settle: SubtleSettle = { charge: (x) => { ns += x; }, resolve: (json, bytes) => resolve({ json: JSON.parse(json) as Record<string, unknown>, bytes, ns }) };
    t.start(settle, method, JSON.stringify(params), a, null);
  });
}

describe('the key table', () => {
  it('a handle means a key only in the table that made it, and nothing after close()', async () => {
    const a = new KeyTable();
    const b = new KeyTable();
    const made = await op(a, 'importKey', { format: 'raw', alg: { name: 'HMAC', hash: 'SHA-256' }, extractable: false, usages: ['sign'] }, new Uint8Array(16).buffer);
    const h = ((made.json.v as { $key: { h: number } }).$key).h;
    expect(a.size).toBe(1);
    const sign = { alg: 'HMAC', key: { $key: h } };
    expect((await op(a, 'sign', sign, new ArrayBuffer(1))).bytes?.byteLength).toBe(32);
    expect((await op(b, 'sign', sign, new ArrayBuffer(1))).json).toEqual({ err: { name: 'TypeError', message: 'the key is not a CryptoKey of this instance' } });
    // A freed handle (its CryptoKey was collected in the guest) is gone too.
    a.free(h);
    expect((await op(a, 'sign', sign, new ArrayBuffer(1))).json.err).toMatchObject({ name: 'TypeError' });
    const again = await op(a, 'generateKey', { alg: { name: 'AES-GCM', length: 128 }, extractable: true, usages: ['encrypt'] });
    expect(a.size).toBe(1);
    a.close();
    expect(a.size).toBe(0);
    // After close() nothing runs and nothing answers (the bridge has cancelled the op by then).
    let answered = false;
    a.start({ charge: () => {}, resolve: () => { answered = true; } }, 'exportKey', JSON.stringify({ format: 'raw', key: { $key: ((again.json.v as { $key: { h: number } }).$key).h } }), null, null);
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
  });

  it('reports each operation\'s host time, and answers only bytes and plain JSON (no host objects)', async () => {
    const t = new KeyTable();
    const r = await op(t, 'generateKey', { alg: { name: 'RSA-PSS', modulusLength: 1024, publicExponent: { $hex: '010001' }, hash: 'SHA-256' }, extractable: true, usages: ['sign', 'verify'] });
    expect(r.ns).toBeGreaterThan(0n);
    expect(r.json.v).toEqual({
      publicKey: { $key: { h: 1, type: 'public', extractable: true, algorithm: { name: 'RSA-PSS', modulusLength: 1024, publicExponent: { $hex: '010001' }, hash: { name: 'SHA-256' } }, usages: ['verify'] } },
      privateKey: { $key: { h: 2, type: 'private', extractable: true, algorithm: { name: 'RSA-PSS', modulusLength: 1024, publicExponent: { $hex: '010001' }, hash: { name: 'SHA-256' } }, usages: ['sign'] } },
    });
    t.close();
  });
});

function spec(script: string, cpuMs: number): RevisionSpec {
  return { id: 'k-00001', fn: 'k', digest: '', runtime: 'js', cache: null, concurrency: 0, env: {}, script, limits: { ...BASE_LIMITS, cpuMs, wallMs: 20_000, memoryMb: 32 } };
}
const KEYGEN = `var __isoedge_module = { default: { async fetch() {
  const k = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
  globalThis.kept = (globalThis.kept || []).concat(k);
  return new Response(String(globalThis.kept.length));
} } };`;

describe('the bridge carries host CPU to the completion', () => {
  it('settle.charge(ns) adds up and reaches complete() with the outcome', () => {
    const seen: unknown[][] = [];
    let settle: { charge(ns: bigint): void; resolve(a: string, b: ArrayBuffer | null): void } | undefined;
    const impls = {
      log: () => {}, done: () => {}, fail: () => {}, random: () => new ArrayBuffer(0), url_parse: () => '', url_set: () => '', vendor: () => ({}), text_label: () => '', text_decode: () => '', fetch_read: () => undefined, fetch_cancel: () => {}, body_read: () => undefined, stream_head: () => {}, stream_chunk: () => {}, stream_wrote: () => {}, stream_end: () => {}, timer: () => undefined, fetch: () => undefined, keyFree: () => {}, cache_put: () => {}, cache_match: () => null, cache_delete: () => 0,
      subtle: (s: typeof settle) => { settle = s; return undefined; },
    } as unknown as Omit<HostImpls, 'cancel'>;
    const bridge = new HostBridge(impls, { ended: () => false, activeReqId: () => 'r1', complete: (...a) => { seen.push(a); } });
    const iso = new ivm.Isolate({ memoryLimit: 8 });
    const ctx = iso.createContextSync();
    ctx.global.setSync('subtle', bridge.callbacks[OP_NAMES.indexOf('subtle')]);
    ctx.evalSync("subtle(7, 'digest', '{}', null, null)");
    ctx.release();
    iso.dispose();
    settle!.charge(1500n);
    settle!.charge(500n);
    settle!.resolve('{}', null);
    expect(seen).toEqual([['r1', 7, true, '{}', null, undefined, undefined, 2000n]]);
  });
});

describe('the queue', () => {
  it('one instance\'s operations run in order; beyond 256 queued, OperationError', async () => {
    const inst = guestInstance(`
      const all = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => crypto.subtle.digest('SHA-256', new Uint8Array([i & 255]))));
      const names = {}; for (const r of all) { const k = r.status === 'fulfilled' ? 'ok' : r.reason.name; names[k] = (names[k] || 0) + 1; }
      return names;`, { cpuMs: 10_000 });
    // The first starts at once, 256 wait: 257 run.
    expect(JSON.parse(text(await invoke(inst)))).toEqual({ ok: 257, OperationError: 43 });
  });
});

describe('keys end with their instance', () => {
  it('dispose and recycle drop the table; the next context in a recycled isolate starts with none', async () => {
    const a = new Instance({ memoryMb: 32, warmup: true, log: () => {} });
    a.specialise(spec(KEYGEN, 1000), undefined);
    expect(text(await invoke(a))).toBe('1');
    expect(text(await invoke(a))).toBe('2');
    expect(a.cryptoKeys).toBe(2);
    const iso = a.recycle(64 * 1024 * 1024);
    expect(iso).toBeDefined();
    expect(a.cryptoKeys).toBe(0);
    const b = new Instance({ memoryMb: 32, warmup: true, isolate: iso, collect: true, log: () => {} });
    b.specialise(spec(KEYGEN, 1000), undefined);
    expect(b.reusedIsolate).toBe(true);
    expect(b.cryptoKeys).toBe(0);
    expect(text(await invoke(b))).toBe('1');
    expect(b.cryptoKeys).toBe(1);
    b.dispose();
    expect(b.cryptoKeys).toBe(0);
  });
});

describe('keys the guest no longer holds are freed', () => {
  it('an instance that imports a key per request holds a bounded number of them host-side', async () => {
    const inst = guestInstance(`
      for (let i = 0; i < 2000; i++) await crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['encrypt']);
      let junk = []; for (let i = 0; i < 200000; i++) junk.push({ i, s: 'x' + i }); junk = null; // garbage, so the GC runs
      return 1;`, { cpuMs: 10_000 });
    for (let i = 0; i < 4; i++) expect((await invoke(inst)).ok).toBe(true);
    // 8,000 keys made, each dropped at once: the sweep frees collected ones when the live handles double.
    expect(inst.cryptoKeys).toBeLessThan(4100);
  });
});

describe('host CPU is charged to the request', () => {
  it('a request\'s cpuMs includes the host time of its operations', async () => {
    const inst = guestInstance(`
      const k = await crypto.subtle.importKey('raw', new Uint8Array(8), 'PBKDF2', false, ['deriveBits']);
      await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt: new Uint8Array(8), iterations: 100000 }, k, 512);
      return 1;`, { cpuMs: 10_000 });
    const r = await invoke(inst);
    expect(r.ok).toBe(true);
    // 100,000 HMAC-SHA-512 iterations take tens of ms; the guest's own JS here takes well under 1 ms.
    expect(r.ok && r.cpuMs).toBeGreaterThan(5);
  });

  it.each([
    ['a sequential loop', 'for (;;) await crypto.subtle.generateKey(ALG, true, ["sign"]);'],
    ['many at once', 'await Promise.all(Array.from({ length: 64 }, () => crypto.subtle.generateKey(ALG, true, ["sign"])));'],
  ])(`RSA-${RSA_MAX_GENERATE_BITS} keygen, %s, hits EDGE_ERR_CPU_LIMIT while a neighbour keeps answering`, async (_label, loop) => {
    const hog = guestInstance(`const ALG = { name: 'RSASSA-PKCS1-v1_5', modulusLength: ${RSA_MAX_GENERATE_BITS}, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }; ${loop}`, { cpuMs: 50 });
    const neighbour = guestInstance(`return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(8))).slice(0, 2));`);
    const t0 = performance.now();
    let done = false;
    const hogged = invoke(hog).then((r) => { done = true; return r; });
    const lat: number[] = [];
    while (!done) {
      const s = performance.now();
      const r = await invoke(neighbour);
      lat.push(performance.now() - s);
      expect(text(r)).toBe('[175,85]');
      await new Promise((res) => setTimeout(res, 5));
    }
    const r = await hogged;
    expect(r.ok ? 'ok' : r.code).toBe('EDGE_ERR_CPU_LIMIT');
    expect(!r.ok && r.message).toMatch(/host work/);
    // Ended at the first keygen's completion: one keygen's time, not the loop's.
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(hog.disposed).toBe(true);
    expect(lat.length).toBeGreaterThan(0);
    expect(Math.max(...lat)).toBeLessThan(1000);
  }, 30_000);

  // Without the per-thread slots the neighbour's digest was charged ~0.5 s (the rest of a keygen it queued behind in libuv).
  // 150 ms, not 50: on two shared cores a charge also holds the OS's scheduling delay (a 50 ms limit failed 1 run in 7 here).
  it('waiting behind other tenants\' keygens is not charged: a neighbour with a 150 ms limit keeps answering while four instances generate RSA keys', async () => {
    const hogs = Array.from({ length: 4 }, () => guestInstance(`for (;;) await crypto.subtle.generateKey({ name: 'RSA-PSS', modulusLength: ${RSA_MAX_GENERATE_BITS}, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign']);`, { cpuMs: 600_000 }));
    const neighbour = guestInstance(`return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(8))).slice(0, 2));`, { cpuMs: 150 });
    const running = hogs.map((h) => invoke(h));
    const t0 = performance.now();
    let answered = 0;
    while (performance.now() - t0 < 2500) {
      expect(text(await invoke(neighbour))).toBe('[175,85]');
      answered++;
    }
    for (const h of hogs) h.dispose();
    expect((await Promise.all(running)).map((r) => (r.ok ? 'ok' : r.code))).toEqual(Array(4).fill('EDGE_ERR_INSTANCE_START'));
    expect(answered).toBeGreaterThan(0);
  }, 30_000);
});
