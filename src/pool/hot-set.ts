/**
 * The hot set: specialised instances kept after their request (FaaS "retain the
 * instance"), in an LRU bounded by count, by a heap budget and by an idle TTL.
 * Busy instances are in the LRU too, so recency is "last used"; one that is
 * evicted while serving is retired and disposed when its last request ends.
 */
import { LRUCache } from 'lru-cache';
import type { Clock } from '../core/clock.ts';

/** What the hot set needs of an instance (the runtime's Instance satisfies it). */
export interface PooledInstance {
  readonly id: number;
  readonly revId: string;
  inflight: number;
  retired: boolean;
  readonly disposed: boolean;
  heapBytes(): number;
  dispose(): void;
}

export interface HotSetOptions<I extends PooledInstance = PooledInstance> {
  max: number;
  maxBytes: number;
  idleTtlMs: number;
  clock: Clock;
  /** Told the number of live instances of a revision whenever it changes. */
  onCount?: (revId: string, count: number) => void;
  /** Ends an instance that left the set, once idle: dispose() by default; the executor reuses its isolate. */
  retire?: (inst: I) => void;
}

export interface HotSetStats {
  instances: number;
  bytes: number;
  revisions: number;
  evictions: number;
}

export class HotSet<I extends PooledInstance> {
  readonly #lru: LRUCache<number, I> | undefined;
  readonly #byRev = new Map<string, Set<I>>();
  readonly #onCount: ((revId: string, count: number) => void) | undefined;
  readonly #retire: (inst: I) => void;
  #evictions = 0;

  constructor(opts: HotSetOptions<I>) {
    this.#onCount = opts.onCount;
    this.#retire = opts.retire ?? ((inst) => inst.dispose());
    if (opts.max > 0) {
      this.#lru = new LRUCache<number, I>({
        max: opts.max,
        maxSize: opts.maxBytes,
        sizeCalculation: (inst) => Math.max(1, inst.heapBytes()),
        ttl: opts.idleTtlMs,
        updateAgeOnGet: true,
        ttlAutopurge: false,
        ttlResolution: 0, // read the injected clock on every check (lru-cache otherwise caches it behind a timer)
        perf: { now: () => opts.clock.now() },
        dispose: (inst, _key, reason) => {
          if (reason !== 'set' && reason !== 'delete') this.#evictions++;
          this.#forget(inst);
        },
      });
    }
  }

  /** An instance of `revId` with a free slot (`concurrency` 0 = unlimited), most recently used first. */
  acquire(revId: string, concurrency: number): I | undefined {
    const set = this.#byRev.get(revId);
    if (!set) return undefined;
    // Deleting from a Set while iterating it is safe: no copy on this per-request path.
    for (const inst of set) {
      if (inst.disposed) {
        // Disposed behind the hot set's back (a fault in background work): drop it now.
        this.remove(inst);
        continue;
      }
      if (inst.retired) continue;
      if (concurrency > 0 && inst.inflight >= concurrency) continue;
      this.#lru?.get(inst.id); // refresh recency and idle age
      return inst;
    }
    return undefined;
  }

  /** Adds a freshly specialised instance. With a zero-sized hot set it is retired at once. */
  add(inst: I): void {
    if (!this.#lru) {
      // No hot set: the instance serves the request it was made for and is disposed on release.
      inst.retired = true;
      return;
    }
    let set = this.#byRev.get(inst.revId);
    if (!set) this.#byRev.set(inst.revId, (set = new Set()));
    set.add(inst);
    this.#onCount?.(inst.revId, set.size);
    this.#lru.set(inst.id, inst);
    // lru-cache refuses an entry larger than the whole budget: such an instance is not kept.
    if (!this.#lru.has(inst.id)) this.#forget(inst);
  }

  /** Live (not retired) instances of a revision. */
  count(revId: string): number {
    let n = 0;
    for (const inst of this.#byRev.get(revId) ?? []) if (!inst.retired && !inst.disposed) n++;
    return n;
  }

  /** Marks up to `n` instances of the revision as just used, so the idle TTL spares the ones the autoscaler wants. */
  touch(revId: string, n: number): void {
    let i = 0;
    for (const inst of this.#byRev.get(revId) ?? []) {
      if (inst.retired || inst.disposed) continue;
      if (i++ >= n) break;
      this.#lru?.get(inst.id);
    }
  }

  /** A request on `inst` ended: dispose it now if it was retired while busy. */
  release(inst: I): void {
    if (inst.retired && inst.inflight === 0) this.#retire(inst);
  }

  /** Drops an instance that can no longer serve (CPU or heap limit hit). */
  remove(inst: I): void {
    if (this.#lru?.has(inst.id)) this.#lru.delete(inst.id);
    else this.#forget(inst);
  }

  /** Retires every instance of a revision (deleted or replaced); busy ones finish first. */
  dropRevision(revId: string): void {
    for (const inst of [...(this.#byRev.get(revId) ?? [])]) this.remove(inst);
  }

  /** Disposes instances idle past the TTL. Called by the shell on a timer. */
  purgeStale(): void {
    this.#lru?.purgeStale();
  }

  clear(): void {
    this.#lru?.clear();
    for (const set of [...this.#byRev.values()]) for (const inst of [...set]) this.#forget(inst);
  }

  stats(): HotSetStats {
    return { instances: this.#lru?.size ?? 0, bytes: this.#lru?.calculatedSize ?? 0, revisions: this.#byRev.size, evictions: this.#evictions };
  }

  #forget(inst: I): void {
    const set = this.#byRev.get(inst.revId);
    if (set && set.delete(inst)) {
      if (set.size === 0) this.#byRev.delete(inst.revId);
      this.#onCount?.(inst.revId, set.size);
    }
    inst.retired = true;
    if (inst.inflight === 0) this.#retire(inst);
  }
}
