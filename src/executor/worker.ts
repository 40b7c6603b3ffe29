/**
 * Executor thread entry point. Owns the warm pool, the hot set and every
 * instance; runs guest code. The gateway never runs guest code (design §3).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../core/clock.ts';
import { Instance, codeCacheFrom, collectReleasedHandles, releaseThreadCaches, type CodeCache } from '../runtime/js/index.ts';
import type { InvokeResult, RevisionSpec, StartTier } from '../runtime/types.ts';
import { HotSet, WarmPool } from '../pool/index.ts';
import { LRUCache } from 'lru-cache';
import { allowlist } from '../runtime/outbound.ts';
import type { ExecutorInit, ExecutorStats, FromExecutor, ToExecutor } from './protocol.ts';
import { Batcher } from './batcher.ts';
import { WasmEngine } from '../../host-abi/wasm-engine.ts';

const port = parentPort!;
const init = workerData as ExecutorInit;

interface LoadedRevision {
  spec: RevisionSpec;
  cache: CodeCache | undefined;
}
const revisions = new Map<string, LoadedRevision>();
const out = new Batcher<FromExecutor>((batch, transfer) => port.postMessage(batch, transfer), 'microtask');
const starts = { hot: 0, warm: 0, cold: 0 };
let inflight = 0;
/** When the last batch from the gateway arrived: the warm pool refills only in quiet moments. */
let lastMessageAt = 0;
let nextCall = 1;

const outbound = { check: allowlist(init.fetch.allow), timeoutMs: init.fetch.timeoutMs, maxBytes: init.fetch.maxBytes };

/**
 * Isolates of retired instances, kept for new contexts (Instance.recycle). A context in one
 * costs ~0.7 ms where a new isolate costs ~1.8 (docs/architecture.md has the figures). A full
 * GC first (1 ms) makes it as lean as a new isolate; without one, the released contexts linger
 * and RSS grows with every reuse. So the warm pool, refilling in quiet moments, collects first;
 * the request path does not, and an isolate is reused that way at most MAX_UNCOLLECTED times in
 * a row before it is disposed, which bounds what it can carry. Only isolates with the warm
 * pool's heap limit are kept, at most `pool.warmMax`; the rest are disposed.
 */
const spare: { isolate: NonNullable<ReturnType<Instance['recycle']>>; uncollected: number }[] = [];
/** A reused isolate may carry up to this much of its last tenant's heap into the next context. */
const RECYCLE_MAX_HEAP = 4 * 1024 * 1024;
/** Measured: with 4, RSS stayed flat from 2,000 to 6,000 starts (200 live); with 8 it still grew. */
const MAX_UNCOLLECTED = 4;
/** Contexts made in a reused isolate without a GC in a row, per instance. */
const uncollected = new WeakMap<Instance, number>();
let isolatesReused = 0;

function retire(inst: Instance): void {
  if (inst.disposed) return;
  if (closed) return inst.dispose();
  const n = uncollected.get(inst) ?? 0;
  if (inst.rev?.limits.memoryMb === init.memoryMb && spare.length < Math.max(1, init.warmMax) && n < MAX_UNCOLLECTED) {
    const isolate = inst.recycle(RECYCLE_MAX_HEAP);
    if (isolate) spare.push({ isolate, uncollected: n });
    return;
  }
  disposeLater(inst);
}

/**
 * Isolates to free in a quiet moment. Most instances retire inside a request's start (the new
 * instance evicts the least recently used one), and freeing an isolate takes ~0.2 ms, over 1 ms
 * at p99: that belongs after the response. The instance itself stops at once (Instance.end());
 * only the freeing waits. At most DISPOSE_BACKLOG wait; beyond that, under load with no quiet
 * moment, the oldest is freed at once so memory stays bounded.
 */
const doomed: (() => void)[] = [];
const DISPOSE_BACKLOG = 16;
let disposing = false;

function disposeLater(inst: Instance): void {
  const free = inst.end();
  if (!free) return;
  doomed.push(free);
  if (doomed.length > DISPOSE_BACKLOG) doomed.shift()!();
  if (disposing) return;
  disposing = true;
  const step = (): void => {
    if (quiet()) doomed.shift()?.();
    if (doomed.length === 0) disposing = false;
    else setTimeout(step, quiet() ? 0 : 2);
  };
  setTimeout(step, 0);
}

/** Set by shutdown(): from then on every instance is disposed at once, none kept or reused. */
let closed = false;
/** Instances serving a request now: shutdown() ends them too (isolated-vm must not outlive the thread). */
const serving = new Set<Instance>();

/** No request in flight and none arrived in the last 2 ms: background work may run. */
function quiet(): boolean {
  return inflight === 0 && performance.now() - lastMessageAt >= 2;
}

/**
 * A new instance; its console output is tagged with the revision it serves by then, batched to
 * the gateway's logger. With the host's heap limit it reuses a spare isolate when there is one.
 */
function newInstance(memoryMb: number, warmup: boolean, collect: boolean): Instance {
  const s = memoryMb === init.memoryMb ? spare.pop() : undefined;
  if (s) isolatesReused++;
  let inst: Instance;
  try {
    inst = new Instance({
      memoryMb, warmup, outbound, collect, isolate: s?.isolate,
      log: (level, reqId, msg) => out.push({ t: 'log', level, fn: inst.rev?.fn ?? '', rev: inst.rev?.id ?? '', reqId, msg }),
    });
  } catch (e) {
    if (s && !s.isolate.isDisposed) s.isolate.dispose();
    throw e;
  }
  if (s && !collect) uncollected.set(inst, s.uncollected + 1);
  return inst;
}

const warm = new WarmPool<Instance>({
  create: () => newInstance(init.memoryMb, true, true),
  dispose: (g) => g.dispose(),
  min: init.warmMin,
  max: init.warmMax,
  clock: systemClock,
  defer: (fn) => setImmediate(fn),
  busy: () => !quiet(),
  later: (fn) => setTimeout(fn, 2),
  onError: (e) => out.push({ t: 'log', level: 'error', fn: '', rev: '', reqId: '', msg: `warm pool refill failed: ${String(e)}` }),
});
const hot = new HotSet<Instance>({
  max: init.hotMax,
  maxBytes: init.hotBudgetMb * 1024 * 1024,
  idleTtlMs: init.idleTtlMs,
  clock: systemClock,
  onCount: (rev, count) => out.push({ t: 'ready', rev, count }),
  retire,
});

/** Compiled core modules by digest, compiled once on this thread and shared into isolates (LRU by size). */
const wasmModules = new LRUCache<string, WebAssembly.Module>({ maxSize: init.wasmCacheMb * 1024 * 1024, sizeCalculation: (_m, k) => wasmSizes.get(k) ?? 1, dispose: (_m, k) => wasmSizes.delete(k) });
const wasmSizes = new Map<string, number>();
function wasmModule(spec: RevisionSpec): WebAssembly.Module {
  return compiled(spec.digest, spec.wasm!);
}

function compiled(key: string, bytes: Uint8Array): WebAssembly.Module {
  let m = wasmModules.get(key);
  if (!m) {
    m = new WasmEngine.Module(bytes);
    wasmSizes.set(key, Math.max(1, bytes.byteLength));
    wasmModules.set(key, m);
  }
  return m!;
}

/** Instances the gateway's autoscaler wants kept per revision (Knative's desired pods on this node). */
const pinned = new Map<string, number>();
setInterval(() => {
  for (const [rev, n] of pinned) hot.touch(rev, n);
  hot.purgeStale();
  for (const rev of pinned.keys()) reconcile(rev);
}, 1000).unref();

let reconciling = false;
/** Creates missing pinned instances from the warm pool, one per event-loop turn so requests interleave. */
function reconcile(revId: string): void {
  // With no hot set nothing can be kept alive between requests.
  if (reconciling || init.hotMax === 0) return;
  const want = pinned.get(revId) ?? 0;
  const rev = revisions.get(revId);
  if (!rev || hot.count(revId) >= want) return;
  reconciling = true;
  setImmediate(() => {
    reconciling = false;
    const r = revisions.get(revId);
    if (!r || hot.count(revId) >= (pinned.get(revId) ?? 0)) return;
    try {
      const t0 = performance.now();
      const { tier } = create(r);
      starts[tier]++;
      out.push({ t: 'ready', rev: revId, count: hot.count(revId), tier, startMs: performance.now() - t0 });
    } catch (e) {
      out.push({ t: 'log', level: 'error', fn: r.spec.fn, rev: revId, reqId: '', msg: `could not pre-start an instance: ${(e as Error).message}` });
      return;
    }
    reconcile(revId);
  });
}

/** hot → warm → cold: the cheapest instance that can take the request. */
function obtain(rev: LoadedRevision): { inst: Instance; tier: StartTier } {
  const found = hot.acquire(rev.spec.id, rev.spec.concurrency);
  if (found) return { inst: found, tier: 'hot' };
  return create(rev);
}

/** A new instance of the revision: from the warm pool when its heap limit matches, else a new isolate. */
function create(rev: LoadedRevision): { inst: Instance; tier: StartTier } {
  // The warm pool's isolates carry the host's default heap limit; a revision with its own limit starts cold.
  let inst = rev.spec.limits.memoryMb === init.memoryMb ? warm.take() : undefined;
  const tier: StartTier = inst ? 'warm' : 'cold';
  // On the request path a reused isolate is not collected first (see `spare`).
  inst ??= newInstance(rev.spec.limits.memoryMb, false, false);
  try {
    if (rev.spec.runtime === 'component') {
      const cores = rev.spec.cores ?? [];
      inst.specialiseComponent(rev.spec, rev.cache, cores.map(([n]) => n), cores.map(([n, b]) => compiled(`${rev.spec.digest}/${n}`, b)), wasmMemoryBytes(rev.spec));
    } else if (rev.spec.runtime === 'wasm') inst.specialiseWasm(rev.spec, wasmModule(rev.spec), wasmMemoryBytes(rev.spec));
    else inst.specialise(rev.spec, rev.cache);
  } catch (e) {
    inst.dispose();
    throw e;
  }
  hot.add(inst);
  return { inst, tier };
}

/** How far a revision's Wasm linear memories may grow. */
function wasmMemoryBytes(spec: RevisionSpec): number {
  return (spec.limits.wasmMemoryPages ?? init.wasmMaxBytes / 65536) * 65536;
}

async function invoke(m: Extract<ToExecutor, { t: 'inv' }>): Promise<void> {
  const rev = revisions.get(m.rev);
  if (!rev) {
    out.push({ t: 'err', id: m.id, code: 'EDGE_ERR_REVISION_NOT_FOUND', message: `revision ${m.rev} is not loaded in this executor` });
    return;
  }
  const t0 = performance.now();
  let got: { inst: Instance; tier: StartTier };
  try {
    got = obtain(rev);
  } catch (e) {
    out.push({ t: 'err', id: m.id, code: 'EDGE_ERR_INSTANCE_START', message: `could not start an instance of ${rev.spec.id}: ${(e as Error).message}`, tier: 'cold', startMs: performance.now() - t0 });
    return;
  }
  const { inst, tier } = got;
  starts[tier]++;
  const t1 = performance.now();
  inst.inflight++;
  inflight++;
  serving.add(inst);
  let r: InvokeResult;
  try {
    r = await inst.invoke({ reqId: m.reqId, method: m.method, url: m.url, headers: m.headers, body: m.body }, nextCall++);
  } finally {
    inst.inflight--;
    inflight--;
    if (inst.inflight === 0) serving.delete(inst);
  }
  const t2 = performance.now();
  if (!r.ok && r.fatal) {
    // Its state is unknown: never reused (faulted), and freed after this reply (see disposeLater),
    // or, while it serves other requests, when the last of them ends.
    if (inst.inflight === 0) disposeLater(inst);
    hot.remove(inst);
  } else hot.release(inst);
  const timing = { tier, startMs: t1 - t0, execMs: t2 - t1 };
  if (r.ok) r = checkResponse(r, rev.spec);
  if (r.ok) {
    out.push({ t: 'res', id: m.id, status: r.status, headers: r.headers, body: r.body, ...timing }, r.body instanceof Uint8Array ? (r.body.buffer as ArrayBuffer) : undefined);
  } else {
    out.push({ t: 'err', id: m.id, code: r.code, message: r.message, ...timing });
  }
}

/** The response limits of the revision: body bytes, header count and header bytes. */
function checkResponse(r: Extract<InvokeResult, { ok: true }>, spec: RevisionSpec): InvokeResult {
  const bodyBytes = r.body === null ? 0 : typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.byteLength;
  let headerBytes = 0;
  for (const [k, v] of r.headers) headerBytes += k.length + v.length;
  const l = spec.limits;
  if (bodyBytes > l.responseBytes) return { ok: false, code: 'EDGE_ERR_RESPONSE_TOO_LARGE', message: `the response body is ${bodyBytes} bytes, over the limit of ${l.responseBytes}`, fatal: false };
  if (r.headers.length > l.headerCount || headerBytes > l.headerBytes) {
    return { ok: false, code: 'EDGE_ERR_RESPONSE_TOO_LARGE', message: `the response has ${r.headers.length} headers and ${headerBytes} header bytes; the limits are ${l.headerCount} and ${l.headerBytes}`, fatal: false };
  }
  return r;
}

function stats(): ExecutorStats {
  const h = hot.stats();
  return { warm: warm.size, warmTarget: warm.target(), hot: h.instances, hotBytes: h.bytes, hotRevisions: h.revisions, evictions: h.evictions, inflight, starts: { ...starts }, isolatesCreated: warm.created, isolatesReused, spareIsolates: spare.length };
}

port.on('message', (batch: ToExecutor[]) => {
  lastMessageAt = performance.now();
  for (const m of batch) {
    switch (m.t) {
      case 'inv':
        void invoke(m);
        break;
      case 'rev': {
        const old = revisions.get(m.rev.id);
        old?.cache?.release();
        revisions.set(m.rev.id, { spec: m.rev, cache: m.rev.cache ? codeCacheFrom(m.rev.cache) : undefined });
        if (old) hot.dropRevision(m.rev.id);
        break;
      }
      case 'unrev': {
        revisions.get(m.id)?.cache?.release();
        revisions.delete(m.id);
        pinned.delete(m.id);
        hot.dropRevision(m.id);
        break;
      }
      case 'stats':
        out.push({ t: 'stats', id: m.id, stats: stats() });
        break;
      case 'scale':
        if (m.min > 0) pinned.set(m.rev, m.min);
        else pinned.delete(m.rev);
        reconcile(m.rev);
        break;
      case 'close':
        shutdown();
        break;
    }
  }
});

/** Disposes every isolate and releases the code caches, so nothing holds the thread (or the process) at exit. */
function shutdown(): void {
  closed = true;
  warm.close();
  for (const inst of serving) inst.dispose();
  hot.clear();
  for (const s of spare.splice(0)) s.isolate.dispose();
  for (const free of doomed.splice(0)) free();
  for (const r of revisions.values()) r.cache?.release();
  revisions.clear();
  pinned.clear();
  wasmModules.clear();
  releaseThreadCaches();
  collectReleasedHandles();
  out.flush();
  port.close();
}
out.push({ t: 'up' });
