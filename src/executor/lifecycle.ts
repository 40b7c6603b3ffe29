/** The executor's instances from creation to disposal: hot set, warm pool, isolate reuse, pinned counts. */
import type { Clock } from '../core/clock.ts';
import { HotSet, IdleWork, WarmPool } from '../pool/index.ts';
import type { Scheduler } from '../core/clock.ts';
import type { InvokeResult, StartTier } from '../runtime/types.ts';
import { DeferredDisposal } from './disposal.ts';
import type { ExecutorInstance, InstanceFactory, Revision, SpareIsolate } from './instance.ts';
import type { ExecutorInit, ExecutorStats, InstancesMessage, LogMessage } from './protocol.ts';
import { SpareIsolates } from './spares.ts';

/** Background work waits for this long a pause in the gateway's messages (and nothing in flight). */
export const QUIET_MS = 2;
/** How often pinned instances are refreshed and re-created, and idle ones purged. */
export const RECONCILE_MS = 1000;
/** Up to this many pinned revisions are all touched on every tick. */
const TOUCH_ALL = 256;

export type LifecycleLimits = Pick<ExecutorInit, 'memoryMb' | 'warmMin' | 'warmMax' | 'hotMax' | 'hotBudgetMb' | 'idleTtlMs'>;

export interface LifecycleOptions<I, S, R> extends LifecycleLimits {
  factory: InstanceFactory<I, S, R>;
  clock: Clock;
  scheduler: Scheduler;
  /** Instance counts and background errors, for the gateway. */
  emit: (m: InstancesMessage | LogMessage) => void;
}

/** An instance serving a request, and where it came from. */
export interface Acquired<I> {
  inst: I;
  tier: StartTier;
}

/**
 * Verbs, in the order an instance meets them: create (generic, from the warm pool or a new or
 * spare isolate), specialise (bound to a revision, then in the hot set), acquire (taken for a
 * request: hot → warm → cold), release (its request ended), retire (it left the hot set:
 * recycle its isolate as a spare, or end it now and dispose it in a quiet moment).
 */
export class InstanceLifecycle<I extends ExecutorInstance<S>, S extends SpareIsolate, R extends Revision> {
  readonly #o: LifecycleOptions<I, S, R>;
  readonly #idle: IdleWork;
  readonly #spares: SpareIsolates<S>;
  readonly #disposal: DeferredDisposal;
  readonly #warm: WarmPool<I>;
  readonly #hot: HotSet<I>;
  readonly #revisions = new Map<string, R>();
  /** Instances the gateway's autoscaler wants kept per revision (Knative's desired pods on this node). */
  readonly #pinned = new Map<string, number>();
  /** Instances serving a request now: shutdown() ends them too (isolated-vm must not outlive the thread). */
  readonly #serving = new Set<I>();
  readonly #starts = { hot: 0, warm: 0, cold: 0 };
  readonly #stopTicks: () => void;
  #inflight = 0;
  /** When the last batch from the gateway arrived: background work runs only in quiet moments. */
  #lastMessageAt = 0;
  #reconciling = false;
  /** Where the last tick's share of pinned revisions ended (a live Map iterator: entries added or deleted since are seen or skipped). */
  #touchCursor: MapIterator<[string, number]> | undefined;
  /** Set by shutdown(): from then on every instance is disposed at once, none kept or reused. */
  #closed = false;

  constructor(opts: LifecycleOptions<I, S, R>) {
    this.#o = opts;
    this.#idle = new IdleWork({ scheduler: opts.scheduler, quiet: () => this.quiet(), onError: (e) => this.#log('', '', `background work failed: ${String(e)}`) });
    this.#spares = new SpareIsolates<S>(opts.memoryMb, opts.warmMax);
    this.#disposal = new DeferredDisposal(this.#idle);
    this.#warm = new WarmPool<I>({
      create: () => this.#newInstance(opts.memoryMb, true, true),
      dispose: (g) => g.dispose(),
      min: opts.warmMin,
      max: opts.warmMax,
      clock: opts.clock,
      idle: this.#idle,
      onError: (e) => this.#log('', '', `warm pool refill failed: ${String(e)}`),
    });
    this.#hot = new HotSet<I>({
      max: opts.hotMax,
      maxBytes: opts.hotBudgetMb * 1024 * 1024,
      idleTtlMs: opts.idleTtlMs,
      clock: opts.clock,
      onCount: (rev, count) => opts.emit({ t: 'instances', rev, count }),
      retire: (inst) => this.retire(inst),
    });
    this.#stopTicks = opts.scheduler.every(RECONCILE_MS, () => this.tick());
  }

  /** Requests in flight on this thread. */
  get inflight(): number {
    return this.#inflight;
  }

  /** A batch of messages arrived from the gateway: background work waits. */
  messageArrived(): void {
    this.#lastMessageAt = this.#o.clock.now();
  }

  /** No request in flight and none arrived in the last 2 ms: background work may run. */
  quiet(): boolean {
    return this.#inflight === 0 && this.#o.clock.now() - this.#lastMessageAt >= QUIET_MS;
  }

  /** Holds a revision; a replaced one is released and its instances retired (busy ones finish first). */
  load(rev: R): void {
    const old = this.#revisions.get(rev.spec.id);
    old?.release();
    this.#revisions.set(rev.spec.id, rev);
    if (old) this.#hot.dropRevision(rev.spec.id);
  }

  unload(revId: string): void {
    this.#revisions.get(revId)?.release();
    this.#revisions.delete(revId);
    this.#pinned.delete(revId);
    this.#hot.dropRevision(revId);
  }

  revision(revId: string): R | undefined {
    return this.#revisions.get(revId);
  }

  /** hot → warm → cold: the cheapest instance that can take a request, counted in flight. Throws if none can start. */
  acquire(rev: R): Acquired<I> {
    const found = this.#hot.acquire(rev.spec.id, rev.spec.concurrency);
    const got: Acquired<I> = found ? { inst: found, tier: 'hot' } : this.create(rev);
    this.#starts[got.tier]++;
    got.inst.inflight++;
    this.#inflight++;
    this.#serving.add(got.inst);
    return got;
  }

  /** A request on `inst` ended with `r` (undefined if invoke threw). A fatal failure means it is never reused. */
  release(inst: I, r: InvokeResult | undefined): void {
    inst.inflight--;
    this.#inflight--;
    if (inst.inflight === 0) this.#serving.delete(inst);
    if (!r) return;
    if (!r.ok && r.fatal) {
      // Its state is unknown: never reused (faulted), and freed after this reply (deferred),
      // or, while it serves other requests, when the last of them ends.
      if (inst.inflight === 0) this.#disposal.dispose(inst);
      this.#hot.remove(inst);
    } else this.#hot.release(inst);
  }

  /** A new instance of the revision, in the hot set: from the warm pool when its heap limit matches, else cold. */
  create(rev: R): Acquired<I> {
    // The warm pool's isolates carry the host's default heap limit; a revision with its own limit starts cold.
    let inst = rev.spec.limits.memoryMb === this.#o.memoryMb ? this.#warm.take() : undefined;
    const tier: StartTier = inst ? 'warm' : 'cold';
    // On the request path a reused isolate is not collected first (see SpareIsolates).
    inst ??= this.#newInstance(rev.spec.limits.memoryMb, false, false);
    try {
      this.#o.factory.specialise(inst, rev);
    } catch (e) {
      inst.dispose();
      throw e;
    }
    this.#hot.add(inst);
    return { inst, tier };
  }

  /** An instance left the hot set and is idle: its isolate becomes a spare, or it ends now and is freed later. */
  retire(inst: I): void {
    if (inst.disposed) return;
    if (this.#closed) return inst.dispose();
    if (!this.#spares.offer(inst)) this.#disposal.dispose(inst);
  }

  /** Keeps at least `min` instances of the revision (0: none pinned). */
  pin(revId: string, min: number): void {
    if (min > 0) this.#pinned.set(revId, min);
    else this.#pinned.delete(revId);
    // Only this revision can have become short. Looking over every pinned one here costs O(pinned) on
    // the batch that carries the request which scaled it from zero (0.2-0.45 ms with 150 pinned).
    if (min > 0 && this.#hot.count(revId) < min) this.#reconcile(true);
  }

  /** The background tick: pinned instances spared by the idle TTL, idle ones purged, missing pinned ones created. */
  tick(): void {
    this.#touchPinned();
    this.#hot.purgeStale();
    this.#reconcile();
  }

  /**
   * Marks the pinned revisions' instances as used, so the idle TTL spares them. Up to TOUCH_ALL
   * revisions all of them every tick; beyond that a share per tick, so that each is touched at least
   * four times per idle TTL: touching is a few µs per revision, and with thousands pinned (a scale
   * test calls each function once) touching all of them stalled the thread for 2–5 ms per 1,000 every
   * second, in front of whatever request arrived then.
   */
  #touchPinned(): void {
    const size = this.#pinned.size;
    const per = size <= TOUCH_ALL ? size : Math.max(TOUCH_ALL, Math.ceil((size * RECONCILE_MS * 4) / Math.max(1, this.#o.idleTtlMs)));
    for (let i = 0; i < Math.min(per, size); i++) {
      let next = this.#touchCursor?.next();
      if (!next || next.done) {
        this.#touchCursor = this.#pinned.entries();
        next = this.#touchCursor.next();
        if (next.done) return;
      }
      this.#hot.touch(next.value[0], next.value[1]);
    }
  }

  stats(): ExecutorStats {
    const h = this.#hot.stats();
    return {
      warm: this.#warm.size, warmTarget: this.#warm.target(), hot: h.instances, hotBytes: h.bytes, hotRevisions: h.revisions, evictions: h.evictions,
      inflight: this.#inflight, starts: { ...this.#starts }, isolatesCreated: this.#warm.created, isolatesReused: this.#spares.reused, spareIsolates: this.#spares.size,
    };
  }

  /** Disposes every instance and isolate (serving, hot, warm, spare and doomed) and releases the revisions. */
  shutdown(): void {
    this.#closed = true;
    this.#stopTicks();
    this.#idle.close();
    this.#warm.close();
    for (const inst of this.#serving) inst.dispose();
    this.#hot.clear();
    this.#spares.clear();
    this.#disposal.flush();
    for (const r of this.#revisions.values()) r.release();
    this.#revisions.clear();
    this.#pinned.clear();
  }

  /** A generic instance; with the host's heap limit it is made in a spare isolate when there is one. */
  #newInstance(memoryMb: number, warmup: boolean, collect: boolean): I {
    const s = this.#spares.take(memoryMb);
    let inst: I;
    try {
      inst = this.#o.factory.create({ memoryMb, warmup, collect, isolate: s?.isolate });
    } catch (e) {
      if (s && !s.isolate.isDisposed) s.isolate.dispose();
      throw e;
    }
    if (s) this.#spares.madeIn(inst, s, collect);
    return inst;
  }

  /** A pinned revision short of its count, if any. */
  #short(): R | undefined {
    for (const [revId, want] of this.#pinned) {
      const r = this.#revisions.get(revId);
      if (r && this.#hot.count(revId) < want) return r;
    }
    return undefined;
  }

  /** Creates missing pinned instances, one per event-loop turn so requests interleave. `short`: the caller knows one is missing. */
  #reconcile(short = false): void {
    // With no hot set nothing can be kept alive between requests.
    if (this.#reconciling || this.#closed || this.#o.hotMax === 0 || (!short && !this.#short())) return;
    this.#reconciling = true;
    this.#o.scheduler.immediate(() => {
      this.#reconciling = false;
      const r = this.#closed ? undefined : this.#short();
      if (!r) return;
      const t0 = this.#o.clock.now();
      try {
        const { tier } = this.create(r);
        this.#starts[tier]++;
        this.#o.emit({ t: 'instances', rev: r.spec.id, count: this.#hot.count(r.spec.id), tier, startMs: this.#o.clock.now() - t0 });
      } catch (e) {
        // Not retried until the next tick: a revision that cannot start must not spin the thread.
        this.#log(r.spec.fn, r.spec.id, `could not pre-start an instance: ${(e as Error).message}`);
        return;
      }
      this.#reconcile();
    });
  }

  #log(fn: string, rev: string, msg: string): void {
    this.#o.emit({ t: 'log', level: 'error', fn, rev, reqId: '', msg });
  }
}
