/** The guest bridge (src/runtime/js/bridge/): one op table, both sides built from it, async ops charged to their request. */
import { afterAll, describe, expect, it } from 'vitest';
import { runInNewContext } from 'node:vm';
import { Instance } from '../src/runtime/js/index.ts';
import { HostBridge } from '../src/runtime/js/bridge/host.ts';
import { urlParse } from '../src/runtime/js/bridge/url.ts';
import { ENTRY_POINTS, OPS, OP_NAMES, entryRefusal, type HostImpls } from '../src/runtime/js/bridge/ops.ts';
import { GUEST_FILES, GUEST_TABLE, PRELUDE_SOURCE } from '../src/runtime/js/prelude-source.ts';
import { BASE_LIMITS, type InvokeResult, type RevisionSpec } from '../src/runtime/types.ts';

const hooks = { ended: () => false, activeReqId: () => '', complete: () => {} };
const impls = (): Omit<HostImpls, 'cancel'> => ({
  log: () => {}, done: () => {}, fail: () => {}, random: () => new ArrayBuffer(0), url_parse: () => '', url_set: () => '', vendor: () => ({}), text_label: () => '', text_decode: () => '', fetch_read: () => undefined, fetch_cancel: () => {}, body_read: () => undefined, stream_head: () => {}, stream_chunk: () => {}, stream_wrote: () => {}, stream_end: () => {}, timer: () => undefined, fetch: () => undefined,
  subtle: () => undefined, keyFree: () => {}, cache_put: () => {}, cache_match: () => null, cache_delete: () => 0,
});

/** Runs the guest runtime in a plain node:vm context with `fns` as the host's callbacks; returns its entry points. */
function runPrelude(fns: unknown[]): { api: Record<string, (...a: unknown[]) => unknown>; g: Record<string, unknown> } {
  const g: Record<string, unknown> = { __isoedge_host: fns };
  const api = runInNewContext(PRELUDE_SOURCE, g) as Record<string, (...a: unknown[]) => unknown>;
  return { api, g };
}

describe('the op table', () => {
  it('every op has one host callback, in table order, and the bridge owns cancel', () => {
    const b = new HostBridge(impls(), hooks);
    expect(b.callbacks).toHaveLength(OP_NAMES.length);
    expect(OP_NAMES).toContain('cancel');
    for (const n of OP_NAMES) expect(['sync', 'async']).toContain(OPS[n].kind);
  });

  it('refuses a host implementation missing or not in the table', () => {
    const missing = impls() as Partial<Omit<HostImpls, 'cancel'>>;
    delete missing.fetch;
    expect(() => new HostBridge(missing as Omit<HostImpls, 'cancel'>, hooks)).toThrow(/op fetch has no host implementation/);
    expect(() => new HostBridge({ ...impls(), secret: () => 1 } as Omit<HostImpls, 'cancel'>, hooks)).toThrow(/secret is not an op of the table/);
  });

  it('the guest is generated from the same table: names, kinds, arities and entry points', () => {
    expect(GUEST_TABLE.ops.map(([n]) => n)).toEqual(OP_NAMES);
    for (const [n, kind, arity, results] of GUEST_TABLE.ops) {
      const o = OPS[n];
      expect(kind).toBe(o.kind);
      expect(arity).toBe(o.args.length);
      expect(arity).toBeLessThanOrEqual(4);
      expect(results).toBeLessThanOrEqual(4);
    }
    expect(GUEST_TABLE.entries).toEqual([...ENTRY_POINTS]);
    expect(GUEST_FILES[0]).toBe('00_infra.js');
    expect(GUEST_FILES.at(-1)).toBe('90_entry.js');
    expect(GUEST_FILES).not.toContain('wasi-http.js');
  });

  it('the guest runtime hands back exactly the listed entry points and keeps the bridge out of reach', () => {
    const { api, g } = runPrelude(OP_NAMES.map(() => () => undefined));
    expect(Object.keys(api)).toEqual([...ENTRY_POINTS]);
    expect(Object.isFrozen(api)).toBe(true);
    expect('__isoedge_host' in g).toBe(false);
  });

  it('a bridge with a callback too many or too few does not start', () => {
    expect(() => runPrelude(OP_NAMES.map(() => () => undefined).concat([() => undefined]))).toThrow(/does not match the op table/);
    expect(() => runPrelude(OP_NAMES.slice(1).map(() => () => undefined))).toThrow(/does not match the op table/);
  });

  it('each guest op calls the callback at its own row, with the table arguments; async ops pass their op id first', () => {
    const calls: [string, unknown[]][] = [];
    const { api, g } = runPrelude(OP_NAMES.map((n) => (...a: unknown[]) => { calls.push([n, a]); return n === 'random' ? new ArrayBuffer(4) : undefined; }));
    runInNewContext('console.warn("w"); crypto.getRandomValues(new Uint8Array(4)); clearTimeout(setTimeout(() => {}, 5));', g);
    expect(calls.map(([n]) => n)).toEqual(['log', 'random', 'timer', 'cancel']);
    expect(calls[0]![1]).toEqual(['warn', 'w']);
    const [, [timerId, ms]] = calls[2]!;
    expect(ms).toBe(5);
    expect(calls[3]![1]).toEqual([timerId]);
    // A completion for an op that was cancelled, or never existed, does nothing.
    expect(() => api.complete!(timerId, true)).not.toThrow();
    expect(() => api.complete!(12345, false, 'EDGE_ERR_X', 'y')).not.toThrow();
  });

  it('a refusal reaches the guest as a TypeError carrying the op error code', async () => {
    // The URL ops are the real ones: fetch() parses its URL before it calls the fetch op.
    const fns = OP_NAMES.map((n) => n === 'url_parse' ? urlParse : () => { if (n === 'fetch') throw new Error('EDGE_ERR_FETCH_DENIED: not here'); return undefined; });
    const { g } = runPrelude(fns);
    const out = await (runInNewContext('fetch("http://x.invalid/").then(() => "resolved", (e) => [e.constructor === TypeError, e.code, e.message])', g) as Promise<unknown>);
    expect(out).toEqual([true, 'EDGE_ERR_FETCH_DENIED', 'EDGE_ERR_FETCH_DENIED: not here']);
  });
});

const live: Instance[] = [];
afterAll(() => { for (const i of live) i.dispose(); });

function start(handler: string, cpuMs: number): Instance {
  const inst = new Instance({ memoryMb: 32, log: () => {} });
  live.push(inst);
  const spec: RevisionSpec = {
    id: 'b-00001', fn: 'b', digest: '', runtime: 'js', cache: null, concurrency: 0, env: {},
    script: `var __isoedge_module = (() => { const exports = {}; exports.default = ${handler}; return exports; })();`,
    limits: { ...BASE_LIMITS, cpuMs, wallMs: 5000, memoryMb: 32 },
  };
  inst.specialise(spec, undefined);
  return inst;
}
let n = 0;
const call = (inst: Instance): Promise<InvokeResult> => inst.invoke({ reqId: `b-${++n}`, method: 'GET', url: 'http://b.localhost/', headers: [], body: null }, n);

// Two timers, each followed by `ms` of spinning: the work runs in the timer ops' completions.
const AFTER_TIMERS = (ms: number) => `{ async fetch() {
  const spin = () => { const t = Date.now(); while (Date.now() - t < ${ms}) {} };
  await new Promise((r) => setTimeout(r, 5)); spin();
  await new Promise((r) => setTimeout(r, 5)); spin();
  return new Response('done');
} }`;

describe('entry-point refusals', () => {
  it.each([
    ['EDGE_ERR_MODULE_NO_FETCH: the module has no default export', { code: 'EDGE_ERR_MODULE_NO_FETCH', message: 'the module has no default export' }],
    ['EDGE_ERR_MODULE_INIT: a: b', { code: 'EDGE_ERR_MODULE_INIT', message: 'a: b' }],
    // An op's code passing through, a plain error, or something that is not an error: not a refusal.
    ['EDGE_ERR_FETCH_DENIED: nope', undefined],
    ['TypeError: x is not a function', undefined],
    ['no code at all', undefined],
  ])('%j reads back as %j', (message, want) => {
    expect(entryRefusal(new Error(message))).toEqual(want);
  });

  it('ignores values without a message', () => {
    expect(entryRefusal(undefined)).toBeUndefined();
    expect(entryRefusal('EDGE_ERR_MODULE_INIT: a string')).toBeUndefined();
    expect(entryRefusal({ message: 42 })).toBeUndefined();
  });
});

describe('async op completions and CPU', () => {
  it('a timer completion runs charged to the request that set it', async () => {
    const r = await call(start(AFTER_TIMERS(30), 400));
    expect(r.ok).toBe(true);
    // cpuMs is what the request had used when it answered: dispatch (well under a millisecond)
    // plus the first completion's 30 ms; the second completion is still running at that point.
    if (r.ok) expect(r.cpuMs).toBeGreaterThan(20);
  });

  it('completions add up against the request budget: over it, EDGE_ERR_CPU_LIMIT and the instance is dropped', async () => {
    // 2 × 30 ms against 45 ms: each completion alone fits, the sum does not.
    const inst = start(AFTER_TIMERS(30), 45);
    const r = await call(inst);
    expect(r).toMatchObject({ ok: false, code: 'EDGE_ERR_CPU_LIMIT' });
    expect(inst.disposed).toBe(true);
  });

  it('a completion after the response is charged to the background budget', async () => {
    const inst = start(`{ fetch() {
      setTimeout(() => { const t = Date.now(); while (Date.now() - t < 300) {} }, 5);
      return new Response('early');
    } }`, 30);
    const r = await call(inst);
    expect(r.ok).toBe(true);
    await new Promise((res) => setTimeout(res, 400));
    // Over one request's budget with no request pending: the instance is disposed.
    expect(inst.disposed).toBe(true);
  });
});
