/**
 * The executor thread's Cache API store: entries of every function on this thread in one LRU bounded by
 * bytes (lru-cache), keyed by function, cache name and URL; expiry on the injected clock; counts per
 * function for the gateway's metrics (docs/architecture.md, "The Cache API").
 */
import { LRUCache } from 'lru-cache';
import type { Clock } from '../core/clock.ts';
import type { CachePut, EdgeCache } from '../runtime/types.ts';
import { freshness } from './cache-policy.ts';

export type CacheResult = 'hit' | 'miss' | 'stored' | 'uncacheable';
export const CACHE_RESULTS: readonly CacheResult[] = ['hit', 'miss', 'stored', 'uncacheable'];

/** Bookkeeping an entry costs besides its packed bytes and key (the LRU's node, the entry object): an estimate. */
const ENTRY_OVERHEAD = 128;
const utf8 = new TextEncoder();

interface Entry {
  /** What cache_match answers, packed once at put (bridge/ops.ts): isolated-vm copies it into the isolate. */
  readonly packed: ArrayBuffer;
  /** Clock time (ms) from which the entry is a miss. */
  readonly expires: number;
}

export interface CacheStoreOptions {
  /** The bound over all entries on this thread, in bytes (config cache.maxBytes); 0 stores nothing. */
  maxBytes: number;
  clock: Clock;
  /** Wall time in ms, for Expires dates (defaults to Date.now). */
  wallNow?: () => number;
  /** Called when a count is recorded and none was waiting: the owner schedules drainCounts(). */
  onCount?: () => void;
}

/** u32 little-endian length of the meta JSON, the meta JSON, the body. */
function pack(meta: string, body: Uint8Array | null): ArrayBuffer {
  const m = utf8.encode(meta);
  const out = new Uint8Array(4 + m.byteLength + (body?.byteLength ?? 0));
  new DataView(out.buffer).setUint32(0, m.byteLength, true);
  out.set(m, 4);
  if (body) out.set(body, 4 + m.byteLength);
  return out.buffer;
}

export class CacheStore implements EdgeCache {
  // Expiry is checked here rather than with lru-cache's TTL: lru-cache treats a start time of 0 as "no TTL"
  // (a manual clock starts at 0) and caches `now` behind a timer; an expired entry is dropped when met.
  readonly #lru: LRUCache<string, Entry> | undefined;
  readonly #clock: Clock;
  readonly #wallNow: () => number;
  readonly #onCount: (() => void) | undefined;
  readonly #maxBytes: number;
  /** Counts not yet drained, per function, in CACHE_RESULTS order. */
  #counts = new Map<string, number[]>();

  constructor(o: CacheStoreOptions) {
    this.#maxBytes = o.maxBytes;
    this.#lru = o.maxBytes > 0 ? new LRUCache<string, Entry>({ maxSize: o.maxBytes }) : undefined;
    this.#clock = o.clock;
    this.#wallNow = o.wallNow ?? Date.now;
    this.#onCount = o.onCount;
  }

  /** Bytes the entries hold (packed bytes, keys and the per-entry estimate). */
  get bytes(): number {
    return this.#lru?.calculatedSize ?? 0;
  }

  get entries(): number {
    return this.#lru?.size ?? 0;
  }

  put(fn: string, cache: string, url: string, res: CachePut): void {
    const key = JSON.stringify([fn, cache, url]);
    // Workers discards a 304 silently: a cached 304 would answer unconditional requests later.
    const f = res.status === 304 ? { store: false as const } : freshness(res.status, res.headers, this.#wallNow());
    if (!f.store || !this.#lru) {
      this.#count(fn, 3);
      return;
    }
    const headers = f.headers.filter(([k]) => k.toLowerCase() !== 'cf-cache-status');
    headers.push(['cf-cache-status', 'HIT']);
    const packed = pack(JSON.stringify([res.status, res.statusText, headers, res.body === null ? 0 : 1]), res.body);
    const size = packed.byteLength + key.length * 2 + ENTRY_OVERHEAD;
    if (size > this.#maxBytes) {
      // Larger than the whole store: not kept, and the older entry under that key goes as a newer put would replace it.
      this.#lru.delete(key);
      this.#count(fn, 3);
      return;
    }
    this.#lru.set(key, { packed, expires: this.#clock.now() + f.ttlMs }, { size });
    this.#count(fn, 2);
  }

  match(fn: string, cache: string, url: string): ArrayBuffer | undefined {
    const key = JSON.stringify([fn, cache, url]);
    const e = this.#lru?.get(key);
    if (e && e.expires <= this.#clock.now()) this.#lru!.delete(key);
    else if (e) {
      this.#count(fn, 0);
      return e.packed;
    }
    this.#count(fn, 1);
    return undefined;
  }

  /** Drops every entry of a function (it was deleted; a function made later under its name starts empty). */
  forget(fn: string): number {
    if (!this.#lru) return 0;
    // Keys are JSON [fn, cache, url]: this prefix is the function's, and no other function's.
    const prefix = JSON.stringify([fn]).slice(0, -1) + ',';
    let n = 0;
    for (const key of [...this.#lru.keys()]) if (key.startsWith(prefix)) { this.#lru.delete(key); n++; }
    return n;
  }

  delete(fn: string, cache: string, url: string): boolean {
    const key = JSON.stringify([fn, cache, url]);
    const e = this.#lru?.peek(key);
    if (!e) return false;
    this.#lru!.delete(key);
    // An expired entry is already gone as far as match is concerned.
    return e.expires > this.#clock.now();
  }

  #count(fn: string, i: number): void {
    let c = this.#counts.get(fn);
    if (!c) {
      if (this.#counts.size === 0) this.#onCount?.();
      c = [0, 0, 0, 0];
      this.#counts.set(fn, c);
    }
    c[i]!++;
  }

  /** The counts since the last drain, as [function, result, n] rows (zeros left out); the store forgets them. */
  drainCounts(): [string, CacheResult, number][] {
    const out: [string, CacheResult, number][] = [];
    for (const [fn, c] of this.#counts) c.forEach((n, i) => { if (n > 0) out.push([fn, CACHE_RESULTS[i]!, n]); });
    this.#counts = new Map();
    return out;
  }

  clear(): void {
    this.#lru?.clear();
  }
}
