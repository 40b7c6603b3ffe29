/**
 * One JS instance = one isolated-vm isolate with one context. The isolate is the
 * isolation boundary: its own heap limit, its own CPU timeout, nothing shared
 * with another tenant. A `GenericIsolate` has the guest runtime loaded and no
 * tenant code (the warm pool holds these); `specialise()` (instance.ts) turns it into an
 * `Instance` of one revision by running that revision's script from its V8 code cache.
 */
import ivm from 'isolated-vm';
import { randomFillSync } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EdgeCache, GuestLogSink, InvokeRequest, InvokeResult, RevisionSpec } from '../types.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { headerOf } from '../../core/headers.ts';
import { PRELUDE_SOURCE, vendorSource } from './prelude-source.ts';
import { HostBridge } from './bridge/host.ts';
import { ENTRY_POINTS, FAULTS, OpError, type EntryName, type FaultKind, type HostImpls, type Settle } from './bridge/ops.ts';
import { exactBytes } from '../../core/bytes.ts';
import { DENY_ALL, FetchBodies, startFetch, type OutboundPolicy } from './bridge/outbound.ts';
import { KeyTable } from './crypto/subtle.ts';
import { urlParse, urlSet } from './bridge/url.ts';
import { LegacyDecoders, textLabel } from './bridge/encoding.ts';
import { cacheOps } from './bridge/cache.ts';

export type { OutboundPolicy } from './bridge/outbound.ts';

/** Evaluation of a tenant's top-level code gets this much CPU, like Workers' startup limit. */
export const STARTUP_CPU_MS = 400;
const MAX_TIMERS = 256;
const TIMED_OUT = 'Script execution timed out.';
const PRELUDE_FILE = 'isoedge:prelude';

/** isolated-vm sets these on compiled scripts; its typings omit them. */
export type CachedScript = ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };

/** A request in flight in this instance: its CPU so far, its budget and how to answer it. */
export interface Pending {
  id: number;
  resolve: (r: InvokeResult) => void;
  req: InvokeRequest;
  cpuNs: bigint;
  budgetNs: bigint;
  wall: NodeJS.Timeout | undefined;
  /** Set once the head of a streaming response went out (stream_head): the request stays pending until the body ends. */
  stream?: StreamState;
}

/** A streaming response's progress on the host. */
interface StreamState {
  /** The executor's read() waiting for the next chunk (one at a time: the executor reads as it has credit). */
  waiter: { resolve: (b: Uint8Array | null) => void; reject: (r: InvokeResult) => void } | undefined;
  /** Chunks the guest sent beyond the one read() waited for, within the bytes the last pull allowed. */
  queue: Uint8Array[];
  /** How the stream ended, once it did (read() answers it from then on). */
  end: InvokeResult | undefined;
  bytes: number;
  /** The content-length the function set, which the body must match. */
  declared: number | undefined;
  /** The reader's ring (ResponseStream.useRing), the guest's write position in it, and whether the guest has it yet. */
  ring: { buffer: SharedArrayBuffer; u8: Uint8Array; pos: number; given: boolean } | undefined;
}

/** A fail result that keeps the instance (limits and faults of one streaming response). */
const failed = (code: ErrorCode, message: string): InvokeResult => ({ ok: false, code, message, fatal: false });

/** Compiled once per thread: the runtime prelude as a script, with its own code cache. */
let preludeCache: ivm.ExternalCopy<ArrayBuffer> | undefined;
/** The vendor modules' code caches (prelude-source.ts VENDOR), made by the first isolate of this thread that loads each. */
const vendorCaches = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();

/**
 * Every new context gets V8's gc() while this flag is set; the prelude keeps it from
 * tenant code and lets the host clear a reused isolate (recycle()). Set once, before
 * the first isolate of this process: V8 flags are process-wide, and toggling them
 * while other threads create contexts would race.
 */
setFlagsFromString('--expose-gc');

/**
 * Releases this thread's prelude code cache. Call it before the thread exits:
 * isolated-vm aborts the process ("IsolateEnvironment::GetCurrent … failed") when
 * a thread is torn down with such a handle still alive.
 */
export function releaseThreadCaches(): void {
  preludeCache?.release();
  preludeCache = undefined;
  for (const c of vendorCaches.values()) c.release();
  vendorCaches.clear();
}

/**
 * Runs a full garbage collection on this thread so the JS wrappers of released
 * isolated-vm handles (Isolate, Context, Reference, Callback, ExternalCopy) are
 * finalised now. Without it, V8's last GC at worker teardown runs their weak
 * callbacks after isolated-vm's per-thread environment is gone, and the process
 * aborts (`IsolateEnvironment::GetCurrent(): Assertion environment != nullptr`).
 * Call it after dropping every reference to such handles.
 */
export function collectReleasedHandles(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

export interface IsolateOptions {
  memoryMb: number;
  outbound?: OutboundPolicy;
  /** Exercise the runtime once so its lazy functions are compiled before the first request. */
  warmup?: boolean;
  /** Keep the prelude's code cache for the next isolate on this thread (executors: yes; short-lived threads: no). */
  cachePrelude?: boolean;
  /** An isolate handed back by recycle(), created with the same memoryMb: only a new context is made in it. */
  isolate?: ivm.Isolate;
  /**
   * With `isolate`: run a full GC first so the previous context's memory is freed (~1 ms;
   * the warm pool does it in the background). Without it, recycle()'s heap cap bounds the garbage.
   */
  collect?: boolean;
  /** The executor's Cache API store (executor/cache-store.ts); without one, put stores nothing and match misses. */
  cache?: EdgeCache;
  log: GuestLogSink;
}

export class GenericIsolate {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  /** The guest's entry points (bridge/ops.ts ENTRY_POINTS), by name. */
  protected readonly rt: Record<EntryName, ivm.Reference>;
  readonly #outbound: OutboundPolicy;
  /** The host half of the bridge: the op callbacks and the pending async ops (timers, fetches). */
  readonly #bridge: HostBridge;
  /** crypto.subtle's keys, by the handles this context's CryptoKeys hold; dropped when the instance ends (#stop). */
  readonly #keys = new KeyTable();
  /** TextDecoder's legacy encodings: the state of the streams this instance's decoders have open. */
  readonly #decoders = new LegacyDecoders();
  /** Outbound fetches' response bodies that stream into the guest (fetch_read), by handle. */
  readonly #fetchBodies = new FetchBodies();
  /** The executor's Cache API store, shared by its instances; entries are keyed by this instance's revision's function. */
  readonly #cache: EdgeCache | undefined;
  /** Keep code caches on this thread (IsolateOptions.cachePrelude). */
  readonly #keepCaches: boolean;
  protected readonly pending = new Map<number, Pending>();
  /** The request whose call into the isolate is running now: console output is attributed to it. */
  protected active: Pending | undefined;
  /**
   * CPU used by calls no pending request owns (timers and fetch callbacks after the response,
   * waitUntil work). It may reach one request's CPU budget before the next request arrives;
   * beyond that the instance is disposed, so background work cannot run unmetered.
   */
  protected backgroundNs = 0n;
  /**
   * True while the revision's top-level code runs (Instance.#runScript): that call has its own
   * budget, STARTUP_CPU_MS (its timeout), and is not background work after a response.
   */
  protected starting = false;
  protected readonly log: GuestLogSink;
  readonly createdMs: number;
  /** Made in an isolate handed back by recycle() rather than a new one. */
  readonly reusedIsolate: boolean;

  constructor(opts: IsolateOptions) {
    const t0 = performance.now();
    this.log = opts.log;
    this.#outbound = opts.outbound ?? DENY_ALL;
    this.reusedIsolate = !!opts.isolate && !opts.isolate.isDisposed;
    this.isolate = this.reusedIsolate ? opts.isolate! : new ivm.Isolate({ memoryLimit: opts.memoryMb });
    this.context = this.isolate.createContextSync();
    // Before anything is allocated in it: free the previous context's memory so the new one reuses its pages.
    if (this.reusedIsolate && opts.collect) this.context.evalSync('gc()', { timeout: 1000 });
    this.#cache = opts.cache;
    this.#bridge = new HostBridge(this.#ops(), {
      ended: () => this.released,
      activeReqId: () => this.active?.req.reqId ?? '',
      complete: (reqId, opId, ok, a, b, c, d, hostNs) => this.#complete(reqId, opId, ok, a, b, c, d, hostNs),
    });
    // One array in table order; 00_infra.js takes it from this global and deletes the global.
    this.context.evalClosureSync('globalThis.__isoedge_host = Array.prototype.slice.call(arguments);', this.#bridge.callbacks);
    const useCache = opts.cachePrelude !== false;
    this.#keepCaches = useCache;
    const cached = useCache ? preludeCache : undefined;
    const script = this.isolate.compileScriptSync(PRELUDE_SOURCE, cached ? { cachedData: cached, filename: PRELUDE_FILE } : { filename: PRELUDE_FILE });
    // The prelude's value is its entry points: no global holds them, so tenant code cannot reach them.
    const api = script.runSync(this.context, { timeout: 1000, reference: true }) as ivm.Reference;
    script.release();
    const rt = {} as Record<EntryName, ivm.Reference>;
    for (const name of ENTRY_POINTS) rt[name] = api.getSync(name, { reference: true }) as ivm.Reference;
    api.release();
    this.rt = rt;
    // The isolate that makes this thread's code cache warms up whatever it is for: the cache then holds the request path.
    if (opts.warmup || (useCache && !cached)) this.rt.warmup.applySync(undefined, [], { timeout: 1000 });
    if (useCache && !cached) preludeCache = this.#codeCacheAfterRun();
    this.createdMs = performance.now() - t0;
  }

  /**
   * The prelude's code cache, made after the prelude ran (and warmed up) in this isolate: compiling
   * the same source again here hits V8's per-isolate compilation cache, whose functions include every
   * one compiled lazily so far, and the code cache made from it holds their bytecode too. A cache made
   * at the first compile holds only the eagerly compiled top level, and every isolate would compile
   * the request path again in its warmup (measured: warmup 1.07 → 0.50 ms, load 2.5 → 2.0 ms).
   */
  #codeCacheAfterRun(): ivm.ExternalCopy<ArrayBuffer> | undefined {
    const again = this.isolate.compileScriptSync(PRELUDE_SOURCE, { produceCachedData: true, filename: PRELUDE_FILE }) as CachedScript;
    again.release();
    return again.cachedData;
  }

  private released = false;

  get disposed(): boolean {
    return this.released || this.isolate.isDisposed;
  }

  /** How many crypto.subtle keys this instance holds host-side (0 once it ended). */
  get cryptoKeys(): number {
    return this.#keys.size;
  }

  heapBytes(): number {
    if (this.disposed) return 0;
    const h = this.isolate.getHeapStatisticsSync();
    return h.total_heap_size + h.externally_allocated_size;
  }

  /** Frees the isolate's native memory. Pending requests fail; timers are cleared. */
  dispose(code: ErrorCode = 'EDGE_ERR_INSTANCE_START', message = 'the instance was disposed'): void {
    this.end(code, message)?.();
  }

  /**
   * The cheap half of dispose(), at once: the instance stops (pending requests fail, timers and
   * fetches end, the host bridge goes dead), so nothing of it runs any more. Returns the costly
   * half, freeing the isolate (~0.2 ms, over 1 ms at p99), for the caller to run when it suits;
   * undefined if the instance had already ended.
   */
  end(code: ErrorCode = 'EDGE_ERR_INSTANCE_START', message = 'the instance was disposed'): (() => void) | undefined {
    if (this.released) return undefined;
    this.#stop();
    for (const [id, p] of this.pending) this.settle(id, p, { ok: false, code, message, fatal: true });
    return () => {
      if (this.isolate.isDisposed) return;
      this.context.release();
      this.isolate.dispose();
    };
  }

  #stop(): void {
    this.released = true;
    this.#bridge.stop();
    this.#keys.close();
    this.#decoders.close();
    this.#fetchBodies.close();
    for (const r of Object.values(this.rt)) r.release();
  }

  /**
   * Ends this instance but keeps its isolate for a new context (the warm pool's next
   * isolate), because V8 does not give a disposed isolate's memory back to the OS
   * (docs/architecture.md, "Why these choices"): with reuse, RSS follows the number of isolates alive at once, not the
   * number ever created. Only a clean, idle instance is reused: nothing in flight, no
   * fault, a heap under `maxHeapBytes`. Its context is detached first (handler, timers
   * and finalizers dropped) and its host bridge goes dead, so nothing of the old tenant
   * can reach the next one. Otherwise the isolate is disposed and undefined returned.
   */
  recycle(maxHeapBytes: number): ivm.Isolate | undefined {
    if (this.released || this.isolate.isDisposed) return undefined;
    // Only JS instances: a Wasm instance's linear memory is outside these heap statistics.
    let ok = this.pending.size === 0 && this.rev?.runtime === 'js' && !this.faulted;
    try {
      if (ok) {
        const h = this.isolate.getHeapStatisticsSync();
        ok = h.used_heap_size + h.externally_allocated_size <= maxHeapBytes;
      }
      // detach() answers true when nothing of this context can run later (no finalizers, no Atomics.waitAsync).
      if (ok) ok = this.rt.detach.applySync(undefined, [], { timeout: 50 }) === true;
    } catch {
      ok = false;
    }
    if (!ok) {
      this.dispose();
      return undefined;
    }
    this.#stop();
    this.context.release();
    return this.isolate;
  }

  /** Set when a request failed in a way that leaves the isolate in an unknown state. */
  faulted = false;

  protected settle(id: number, p: Pending, r: InvokeResult): void {
    if (!this.pending.delete(id)) return;
    if (!r.ok && r.fatal) this.faulted = true;
    if (p.wall) clearTimeout(p.wall);
    const s = p.stream;
    if (s === undefined) {
      p.resolve(r);
      return;
    }
    // The head went out long ago: this is how the body ends.
    s.end = r;
    const w = s.waiter;
    s.waiter = undefined;
    if (w) {
      if (r.ok) w.resolve(null);
      else w.reject(r);
    }
  }

  /**
   * Gives up on request `id` before its response ended (the client went away, a streaming
   * response over its wall time): the guest's cancel entry aborts request.signal and cancels
   * its response stream, the request's outbound fetches still waiting for an answer are
   * aborted, and the request settles with `code`. Background work (waitUntil) goes on.
   */
  cancelRequest(id: number, code: ErrorCode, message: string): void {
    const p = this.pending.get(id);
    if (!p || this.released) return;
    this.#bridge.cancelOps(p.req.reqId, 'fetch');
    const fault = this.enter(p, (timeout) => this.rt.cancel.applySync(undefined, [id, message], { timeout }), p.budgetNs > p.cpuNs ? p.budgetNs - p.cpuNs : 1_000_000n);
    this.settle(id, p, fault ?? failed(code, message));
  }

  /** The guest's head of a streaming response: the invoke answers now, with a body read chunk by chunk. */
  #streamHead(id: number, status: number, headersJson: string): void {
    const p = this.pending.get(id);
    if (!p || p.stream) return;
    if (this.#overBudget(id, p)) return;
    let headers: [string, string][];
    try {
      headers = JSON.parse(headersJson) as [string, string][];
    } catch {
      this.settle(id, p, failed('EDGE_ERR_BAD_RESPONSE', 'the response headers could not be read'));
      return;
    }
    const cl = headerOf(headers, 'content-length');
    const declared = cl !== undefined && /^\d{1,15}$/.test(cl) ? Number(cl) : undefined;
    const state: StreamState = { waiter: undefined, queue: [], end: undefined, bytes: 0, declared, ring: undefined };
    p.stream = state;
    // The wall limit so far was to the head; the whole body now has limits.streamMs.
    if (p.wall) clearTimeout(p.wall);
    const streamMs = this.rev.limits.streamMs;
    p.wall = setTimeout(() => this.cancelRequest(id, 'EDGE_ERR_WALL_TIMEOUT', `the streaming response did not end within its limit of ${streamMs} ms`), streamMs);
    // One pull lets the guest send up to `maxBytes` (the executor's credit) in as many chunks as its
    // stream has ready, in one entry into the isolate; what read() did not take waits in the queue.
    const read = (maxBytes: number): Promise<Uint8Array | null> => {
      if (state.end && !state.end.ok) return Promise.reject(state.end);
      const queued = state.queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      if (state.end) return Promise.resolve(null);
      if (state.waiter) return Promise.reject(failed('EDGE_ERR_INTERNAL', 'a second read of a response stream while one is pending'));
      return new Promise<Uint8Array | null>((resolve, reject) => {
        state.waiter = { resolve, reject };
        const args: unknown[] = [id, Math.max(1, maxBytes)];
        const ring = state.ring;
        if (ring && !ring.given) {
          // Shared by reference, not copied (isolated-vm's rule for SharedArrayBuffers).
          ring.given = true;
          args.push(new ivm.ExternalCopy(ring.buffer).copyInto({ release: true }));
        }
        const fault = this.enter(p, (timeout) => this.rt.pull.applySync(undefined, args, { timeout }), p.budgetNs > p.cpuNs ? p.budgetNs - p.cpuNs : 1n);
        if (fault) this.settle(id, p, fault);
      });
    };
    const take = (maxBytes: number): Uint8Array[] => {
      const out: Uint8Array[] = [];
      if (state.end && !state.end.ok) return out;
      let n = 0;
      while (state.queue.length > 0 && n + state.queue[0]!.byteLength <= maxBytes) {
        const c = state.queue.shift()!;
        n += c.byteLength;
        out.push(c);
      }
      return out;
    };
    const useRing = (buffer: SharedArrayBuffer): void => {
      if (state.ring === undefined) state.ring = { buffer, u8: new Uint8Array(buffer), pos: 0, given: false };
    };
    p.resolve({ ok: true, status, headers, body: { read, take, useRing, cancel: (code, message) => this.cancelRequest(id, code, message) }, cpuMs: Number(p.cpuNs) / 1e6 });
  }

  #streamChunk(id: number, body: ArrayBuffer | string | null): void {
    const bytes = body === null ? new Uint8Array(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : new Uint8Array(body);
    this.#deliver(id, bytes);
  }

  /** The guest wrote `len` bytes into the ring at its position: the chunk is that view of the ring. */
  #streamWrote(id: number, len: number): void {
    const r = this.pending.get(id)?.stream?.ring;
    if (!r || len <= 0 || r.pos + len > r.u8.byteLength) return;
    const view = r.u8.subarray(r.pos, r.pos + len);
    r.pos = (r.pos + len) % r.u8.byteLength;
    this.#deliver(id, view);
  }

  #deliver(id: number, bytes: Uint8Array): void {
    const p = this.pending.get(id);
    const s = p?.stream;
    if (!p || !s) return;
    if (this.#overBudget(id, p)) return;
    s.bytes += bytes.byteLength;
    const limit = this.rev.limits.responseBytes;
    if (s.bytes > limit) {
      this.cancelRequest(id, 'EDGE_ERR_RESPONSE_TOO_LARGE', `the response body stream is over the limit of ${limit} bytes`);
      return;
    }
    if (s.declared !== undefined && s.bytes > s.declared) {
      this.cancelRequest(id, 'EDGE_ERR_BAD_RESPONSE', `the response body is longer than its content-length of ${s.declared} bytes`);
      return;
    }
    const w = s.waiter;
    if (w === undefined) {
      s.queue.push(bytes);
      return;
    }
    s.waiter = undefined;
    w.resolve(bytes);
  }

  #streamEnd(id: number): void {
    const p = this.pending.get(id);
    const s = p?.stream;
    if (!p || !s) return;
    if (this.#overBudget(id, p)) return;
    if (s.declared !== undefined && s.bytes !== s.declared) {
      this.settle(id, p, failed('EDGE_ERR_BAD_RESPONSE', `the response body is ${s.bytes} bytes, not its content-length of ${s.declared}`));
      return;
    }
    this.settle(id, p, { ok: true, status: 0, headers: [], body: null, cpuMs: Number(p.cpuNs) / 1e6 });
  }

  /** The body_read op: the next chunk of request `id`'s streamed body, from the executor's source. */
  #bodyRead(settle: Settle<readonly ['bytes?']>, id: number): undefined {
    const src = this.pending.get(id)?.req.body;
    if (!src || src instanceof Uint8Array) {
      settle.resolve(null);
      return undefined;
    }
    src.read().then(
      (b) => settle.resolve(b === null ? null : exactBytes(b).buffer as ArrayBuffer),
      (e: InvokeResult) => settle.reject(!e.ok && (e.code === 'EDGE_ERR_BODY_TOO_LARGE' || e.code === 'EDGE_ERR_BAD_REQUEST') ? e.code : 'EDGE_ERR_BAD_REQUEST', !e.ok ? e.message : 'the request body failed'),
    );
    return undefined;
  }

  /** The host implementations of the op table's rows (bridge/ops.ts); `cancel` is the bridge's own. */
  #ops(): Omit<HostImpls, 'cancel'> {
    return {
      log: (level, text) => {
        const lv = level === 'warn' || level === 'error' || level === 'debug' ? level : 'info';
        this.log(lv, this.active?.req.reqId ?? '', text);
      },
      done: (id, status, headersJson, body) => this.onDone(id, status, headersJson, body),
      fail: (id, kind, message) => this.onFail(id, kind, message),
      random: (n) => randomFillSync(new Uint8Array(Math.min(65536, Math.max(0, n | 0)))).buffer,
      url_parse: urlParse,
      url_set: urlSet,
      vendor: (name) => this.#vendor(name),
      text_label: textLabel,
      timer: (settle, ms) => {
        // The bridge counts this timer already.
        if (this.#bridge.inflight('timer') > MAX_TIMERS) {
          const message = `setTimeout ignored: more than ${MAX_TIMERS} timers pending in this instance`;
          this.log('warn', this.active?.req.reqId ?? '', message);
          throw new OpError('EDGE_ERR_TOO_MANY_TIMERS', message);
        }
        const handle = setTimeout(() => settle.resolve(), Math.min(ms, 2 ** 31 - 1));
        return () => clearTimeout(handle);
      },
      fetch: (settle, method, url, headersJson, body) => startFetch(this.#outbound, this.#bridge.inflight('fetch'), settle, method, url, headersJson, body, this.#fetchBodies),
      fetch_read: (settle, h) => this.#fetchBodies.read(settle, h),
      fetch_cancel: (h) => this.#fetchBodies.cancel(h),
      body_read: (settle, id) => this.#bodyRead(settle, id),
      stream_head: (id, status, headersJson) => this.#streamHead(id, status, headersJson),
      stream_chunk: (id, body) => this.#streamChunk(id, body),
      stream_wrote: (id, len) => this.#streamWrote(id, len),
      stream_end: (id) => this.#streamEnd(id),
      subtle: (settle, method, params, a, b) => this.#keys.start(settle, method, params, a, b),
      keyFree: (h) => this.#keys.free(h),
      // The function comes from the revision this host bound, never from the guest: one tenant cannot name another's entries.
      ...this.#charged({ text_decode: (h: number, e: string, f: number, b: ArrayBuffer | string | null) => this.#decoders.decode(h, e, f, b) }),
      ...this.#charged(cacheOps({ cache: this.#cache, fn: () => (this.released ? '' : this.rev?.fn ?? ''), maxBodyBytes: () => this.rev?.limits.responseBytes ?? 0 })),
    };
  }

  /**
   * The `vendor` op: a vendor module's script compiled (from this thread's code cache once there is
   * one) and run in this context; its value, the module's factory, is handed to the guest as itself.
   * Re-entrant: the guest is inside a sync call, and the script runs on top of it.
   */
  #vendor(name: string): ReturnType<ivm.Reference['derefInto']> {
    const source = vendorSource(name);
    if (source === undefined) throw new OpError('EDGE_ERR_BAD_ARGUMENT', `vendor: no module ${JSON.stringify(name)}`);
    const cached = this.#keepCaches ? vendorCaches.get(name) : undefined;
    const filename = `isoedge:${name}`;
    const script = this.isolate.compileScriptSync(source, cached ? { cachedData: cached, filename } : { produceCachedData: this.#keepCaches, filename }) as CachedScript;
    if (this.#keepCaches && !cached && script.cachedData) vendorCaches.set(name, script.cachedData);
    else script.cachedData?.release();
    try {
      return (script.runSync(this.context, { timeout: 1000, reference: true }) as ivm.Reference).derefInto();
    } finally {
      script.release();
    }
  }

  /**
   * Sync ops whose host work is not small (the Cache API copies bodies): isolated-vm's `cpuTime` leaves out
   * the time spent in host callbacks (measured: five 30 ms callbacks added 1.2 ms), and so does the call's
   * timeout. Each call's wall time on this thread, an upper bound of its CPU, is charged to the running request
   * (or the background budget) as Settle.charge does for async ops; enter() ends the request once it is over
   * budget, and until then a call over budget is refused, so a loop of puts cannot run on past the limit.
   */
  #charged<T extends Record<string, (...args: never[]) => unknown>>(ops: T): T {
    const out: Record<string, (...args: never[]) => unknown> = {};
    for (const [name, op] of Object.entries(ops)) {
      out[name] = (...args) => {
        const owner = this.active;
        const over = owner ? owner.cpuNs > owner.budgetNs : this.backgroundNs > BigInt(this.rev ? this.rev.limits.cpuMs : STARTUP_CPU_MS) * 1_000_000n;
        if (over) throw new OpError('EDGE_ERR_CPU_LIMIT', `${name}: the CPU limit is used up (host work of operations included)`);
        const t0 = process.hrtime.bigint();
        try {
          return op(...args);
        } finally {
          const ns = process.hrtime.bigint() - t0;
          if (owner) owner.cpuNs += ns;
          else this.backgroundNs += ns;
        }
      };
    }
    return out as T;
  }

  /** A request whose charged sync-op work (#charged) went over its budget answers EDGE_ERR_CPU_LIMIT, whatever the guest made of the refusal. */
  #overBudget(id: number, p: Pending): boolean {
    if (p.cpuNs <= p.budgetNs) return false;
    this.settle(id, p, { ok: false, code: 'EDGE_ERR_CPU_LIMIT', message: `the request used ${(Number(p.cpuNs) / 1e6).toFixed(1)} ms of CPU (host work of its operations included), over its limit of ${Number(p.budgetNs) / 1e6} ms`, fatal: true });
    return true;
  }

  private onDone(id: number, status: number, headersJson: string, body: ArrayBuffer | string | null): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (this.#overBudget(id, p)) return;
    let headers: [string, string][];
    try {
      headers = JSON.parse(headersJson) as [string, string][];
    } catch {
      this.settle(id, p, { ok: false, code: 'EDGE_ERR_BAD_RESPONSE', message: 'the response headers could not be read', fatal: false });
      return;
    }
    const out = body === null ? null : typeof body === 'string' ? body : new Uint8Array(body);
    this.settle(id, p, { ok: true, status, headers, body: out, cpuMs: Number(p.cpuNs) / 1e6 });
  }

  private onFail(id: number, kind: string, message: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (this.#overBudget(id, p)) return;
    const fault = Object.hasOwn(FAULTS, kind) ? FAULTS[kind as FaultKind] : FAULTS.threw;
    // A fatal fault (a trap, a memory overrun) drops the instance after this call returns.
    this.settle(id, p, { ok: false, code: fault.code, message: message.slice(0, 2048), fatal: fault.fatal, ...('noRetry' in fault ? { noRetry: true } : {}) });
  }

  /**
   * An async op completed: re-enter the isolate through complete(), charged to the request that
   * started the op while it is pending, else to the background budget (the rules of enter()).
   * ArrayBuffers go in as copies released on arrival.
   */
  #complete(reqId: string | undefined, opId: number, ok: boolean, a: unknown, b: unknown, c: unknown, d: unknown, hostNs: bigint): void {
    if (this.disposed) return;
    let owner: Pending | undefined;
    if (reqId !== undefined) for (const p of this.pending.values()) if (p.req.reqId === reqId) owner = p;
    if (hostNs > 0n && this.#chargeHost(owner, hostNs)) return;
    const args = [opId, ok, transferable(a), transferable(b), transferable(c), transferable(d)];
    this.enter(owner, (timeout) => this.rt.complete.applySync(undefined, args, { timeout }), owner ? owner.budgetNs - owner.cpuNs : this.backgroundBudgetNs());
  }

  /**
   * Host CPU an async op used outside the isolate (Settle.charge), charged as its re-entry would be.
   * Over budget, the instance ends with EDGE_ERR_CPU_LIMIT (true) and the completion is not delivered.
   */
  #chargeHost(owner: Pending | undefined, ns: bigint): boolean {
    let message: string;
    if (owner) {
      owner.cpuNs += ns;
      if (owner.cpuNs <= owner.budgetNs) return false;
      message = `the request used ${(Number(owner.cpuNs) / 1e6).toFixed(1)} ms of CPU (host work of its operations included), over its limit of ${Number(owner.budgetNs) / 1e6} ms`;
    } else {
      this.backgroundNs += ns;
      const budget = BigInt(this.rev ? this.rev.limits.cpuMs : STARTUP_CPU_MS) * 1_000_000n;
      if (this.backgroundNs <= budget) return false;
      message = `background work used ${(Number(this.backgroundNs) / 1e6).toFixed(1)} ms of CPU (host work of its operations included) after the responses, over ${Number(budget) / 1e6} ms`;
      this.log('warn', '', `instance disposed: ${message}`);
    }
    this.faulted = true;
    this.dispose('EDGE_ERR_CPU_LIMIT', message);
    return true;
  }

  /** What is left of the background CPU allowance (one request's budget; see backgroundNs). */
  protected backgroundBudgetNs(): bigint {
    const budget = BigInt(this.rev ? this.rev.limits.cpuMs : STARTUP_CPU_MS) * 1_000_000n;
    return budget > this.backgroundNs ? budget - this.backgroundNs : 1n;
  }

  /** The revision this isolate serves, once specialised (declared here for the background budget). */
  rev!: RevisionSpec;

  /**
   * Every call into the isolate goes through here: it sets the timeout to what is
   * left of the request's CPU budget and charges the isolate's CPU time to it.
   * Returns the fault, if the isolate can no longer be used.
   */
  protected enter(owner: Pending | undefined, call: (timeout: number) => unknown, budgetNs: bigint): InvokeResult | undefined {
    const prev = this.active;
    this.active = owner;
    const before = this.isolate.cpuTime;
    const timeout = Math.max(1, Math.ceil(Number(budgetNs) / 1e6));
    let fault: InvokeResult | undefined;
    try {
      call(timeout);
    } catch (e) {
      fault = this.classify(e);
    } finally {
      this.active = prev;
    }
    if (!this.isolate.isDisposed) {
      const used = this.isolate.cpuTime - before;
      if (owner) owner.cpuNs += used;
      else if (this.rev && !this.starting) {
        this.backgroundNs += used;
        const budget = BigInt(this.rev.limits.cpuMs) * 1_000_000n;
        if ((fault && !fault.ok && fault.code === 'EDGE_ERR_CPU_LIMIT') || (!fault && this.backgroundNs > budget)) {
          fault = { ok: false, code: 'EDGE_ERR_CPU_LIMIT', message: `background work (timers, fetch callbacks, waitUntil) used ${(Number(this.backgroundNs) / 1e6).toFixed(1)} ms of CPU after the responses, over ${this.rev.limits.cpuMs} ms`, fatal: true };
          this.log('warn', '', `instance disposed: ${fault.message}`);
        }
      }
    }
    if (owner && !fault && owner.cpuNs > owner.budgetNs && this.pending.has(owner.id)) {
      fault = { ok: false, code: 'EDGE_ERR_CPU_LIMIT', message: `the request used ${(Number(owner.cpuNs) / 1e6).toFixed(1)} ms of CPU, over its limit of ${Number(owner.budgetNs) / 1e6} ms`, fatal: true };
    }
    if (fault?.ok === false && fault.fatal) this.dispose(fault.code, fault.message);
    return fault;
  }

  protected classify(e: unknown): InvokeResult {
    const msg = e instanceof Error ? e.message : String(e);
    if (this.isolate.isDisposed || /memory limit/i.test(msg)) {
      return { ok: false, code: 'EDGE_ERR_MEMORY_LIMIT', message: 'the function exceeded its isolate heap limit', fatal: true };
    }
    if (msg === TIMED_OUT) return { ok: false, code: 'EDGE_ERR_CPU_LIMIT', message: 'the function exceeded its CPU time limit', fatal: true };
    return { ok: false, code: 'EDGE_ERR_FUNCTION_THREW', message: msg.slice(0, 2048), fatal: true };
  }
}

/** An op result as applySync can pass it: bytes as a copy the isolate releases on arrival. */
function transferable(v: unknown): unknown {
  return v instanceof ArrayBuffer ? new ivm.ExternalCopy(v).copyInto({ release: true }) : v;
}
