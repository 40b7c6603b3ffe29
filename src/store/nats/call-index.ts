/**
 * What every node knows of every call without reading it: each record's state, times and callback,
 * mirrored from a watch of the calls bucket (so the counts are the cluster's, not this node's) and
 * from this node's own writes as they are acknowledged (so a node reads its own writes at once,
 * before the watch brings them back). The bodies are not kept: get() reads the record itself.
 *
 * Entries are ordered by KV revision: a revision older than the one known for a call is stale and
 * ignored. A call this node deleted keeps its revision as a tombstone until the watch has passed it,
 * so a lagging watch does not bring the call back.
 */
import type { CallbackStatus, CallListQuery, CallStatus, FunctionQueueStats } from '../invocation-types.ts';
import { FINAL_STATUSES } from '../invocation-types.ts';
import type { WireCall } from './call-codec.ts';

export interface CallMeta {
  id: string;
  fn: string;
  status: CallStatus;
  createdAt: number;
  runAt: number;
  finishedAt?: number;
  key?: string;
  callback?: { status: CallbackStatus; nextAt?: number };
  holder?: string;
  lease?: { by: string; until: number };
  /** The KV revision this is the state of. */
  rev: number;
}

/** What the index keeps of a record (its stored JSON or the record itself: the bodies are not read). */
export function metaOf(w: Pick<WireCall, 'id' | 'fn' | 'status' | 'createdAt' | 'runAt' | 'finishedAt' | 'key' | 'callback' | 'holder' | 'lease'>, rev: number): CallMeta {
  const m: CallMeta = { id: w.id, fn: w.fn, status: w.status, createdAt: w.createdAt, runAt: w.runAt, rev };
  if (w.finishedAt !== undefined) m.finishedAt = w.finishedAt;
  if (w.key !== undefined) m.key = w.key;
  if (w.callback) m.callback = { status: w.callback.status, ...(w.callback.nextAt !== undefined ? { nextAt: w.callback.nextAt } : {}) };
  if (w.holder !== undefined) m.holder = w.holder;
  if (w.lease) m.lease = w.lease;
  return m;
}

interface FnCalls {
  all: Map<string, CallMeta>;
  /** Ids by creation, oldest first; rebuilt when a call is added or removed. */
  sorted: string[] | undefined;
  queued: Map<string, CallMeta>;
  running: number;
  /** The oldest queued creation, when known (recomputed only once the oldest left the queue). */
  oldest: number | undefined;
  oldestKnown: boolean;
}

const byCreation = (a: CallMeta, b: CallMeta) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const callbackDue = (m: CallMeta) => m.callback?.status === 'pending' && m.callback.nextAt !== undefined;

export class CallIndex {
  readonly #byId = new Map<string, CallMeta>();
  readonly #fns = new Map<string, FnCalls>();
  readonly #tombs = new Map<string, number>();
  /** Calls whose callback is pending with a time set. */
  readonly #callbacks = new Map<string, CallMeta>();
  readonly #changed: (id: string, meta: CallMeta | undefined) => void;
  #watched = 0;

  /** `changed` is told of every call whose state moved (undefined: deleted). */
  constructor(changed: (id: string, meta: CallMeta | undefined) => void) {
    this.#changed = changed;
  }

  get(id: string): CallMeta | undefined {
    return this.#byId.get(id);
  }

  /** Takes `meta` as the call's state at `rev` (undefined: deleted at `rev`) unless a newer one is known; answers whether it did. */
  apply(id: string, rev: number, meta: CallMeta | undefined): boolean {
    const cur = this.#byId.get(id);
    if (rev <= (cur?.rev ?? this.#tombs.get(id) ?? 0)) return false;
    if (cur) this.#unlink(cur, meta === undefined);
    if (meta) {
      this.#byId.set(id, meta);
      this.#tombs.delete(id);
      this.#link(meta, cur === undefined);
    } else {
      this.#byId.delete(id);
      if (rev > this.#watched) this.#tombs.set(id, rev);
    }
    this.#changed(id, meta);
    return true;
  }

  /** The watch has delivered everything up to `rev`: tombstones at or below it are no longer needed. */
  watched(rev: number): void {
    this.#watched = Math.max(this.#watched, rev);
    for (const [id, r] of this.#tombs) if (r <= this.#watched) this.#tombs.delete(id);
  }

  #fn(fn: string): FnCalls {
    let f = this.#fns.get(fn);
    if (!f) this.#fns.set(fn, (f = { all: new Map(), sorted: undefined, queued: new Map(), running: 0, oldest: undefined, oldestKnown: true }));
    return f;
  }

  #link(m: CallMeta, added: boolean): void {
    const f = this.#fn(m.fn);
    f.all.set(m.id, m);
    if (added) f.sorted = undefined;
    if (m.status === 'queued') {
      f.queued.set(m.id, m);
      if (f.oldestKnown && (f.oldest === undefined || m.createdAt < f.oldest)) f.oldest = m.createdAt;
    } else if (m.status === 'running') f.running++;
    if (callbackDue(m)) this.#callbacks.set(m.id, m);
  }

  #unlink(m: CallMeta, removed: boolean): void {
    const f = this.#fns.get(m.fn)!;
    if (m.status === 'queued') {
      f.queued.delete(m.id);
      if (f.queued.size === 0) { f.oldest = undefined; f.oldestKnown = true; }
      else if (f.oldest === m.createdAt) f.oldestKnown = false;
    } else if (m.status === 'running') f.running--;
    this.#callbacks.delete(m.id);
    if (removed) {
      f.all.delete(m.id);
      f.sorted = undefined;
      if (f.all.size === 0) this.#fns.delete(m.fn);
    }
  }

  queuedCount(fn: string): number {
    return this.#fns.get(fn)?.queued.size ?? 0;
  }

  queuedOf(fn: string): CallMeta[] {
    return [...(this.#fns.get(fn)?.queued.values() ?? [])];
  }

  running(): CallMeta[] {
    const out: CallMeta[] = [];
    for (const f of this.#fns.values()) if (f.running > 0) for (const m of f.all.values()) if (m.status === 'running') out.push(m);
    return out;
  }

  stats(): Map<string, FunctionQueueStats> {
    const out = new Map<string, FunctionQueueStats>();
    for (const [fn, f] of this.#fns) {
      if (f.queued.size === 0 && f.running === 0) continue;
      if (!f.oldestKnown) {
        let oldest = Infinity;
        for (const m of f.queued.values()) oldest = Math.min(oldest, m.createdAt);
        f.oldest = oldest;
        f.oldestKnown = true;
      }
      out.set(fn, { queued: f.queued.size, running: f.running, oldestQueuedAt: f.queued.size > 0 ? f.oldest : undefined });
    }
    return out;
  }

  /** Each function with queued calls, with the earliest runAt among them. */
  pending(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [fn, f] of this.#fns) {
      let at = Infinity;
      for (const m of f.queued.values()) at = Math.min(at, m.runAt);
      if (f.queued.size > 0) out.set(fn, at);
    }
    return out;
  }

  /** A function's calls newest first, as the SQLite store pages them (by creation instead of insertion). */
  list(fn: string, q: CallListQuery = {}): CallMeta[] {
    const f = this.#fns.get(fn);
    if (!f) return [];
    const sorted = (f.sorted ??= [...f.all.values()].sort(byCreation).map((m) => m.id));
    let end = sorted.length;
    if (q.before !== undefined) {
      const b = this.#byId.get(q.before);
      if (!b) return [];
      // The first call not older than `before` (binary search on creation order).
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (byCreation(f.all.get(sorted[mid]!)!, b) < 0) lo = mid + 1;
        else hi = mid;
      }
      end = lo;
    }
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1000));
    const want = q.status?.length ? new Set(q.status) : undefined;
    const out: CallMeta[] = [];
    for (let i = end - 1; i >= 0 && out.length < limit; i--) {
      const m = f.all.get(sorted[i]!)!;
      if (!want || want.has(m.status)) out.push(m);
    }
    return out;
  }

  /** Calls whose callback is due by `now`, soonest first. */
  callbacksDue(now: number): CallMeta[] {
    return [...this.#callbacks.values()].filter((m) => m.callback!.nextAt! <= now).sort((a, b) => a.callback!.nextAt! - b.callback!.nextAt! || byCreation(a, b));
  }

  /** Finished calls the retention lets go: finished before `before`, no callback pending, keyed ones created before `keyedBefore`. */
  expirable(before: number, keyedBefore: number): CallMeta[] {
    const out: CallMeta[] = [];
    for (const m of this.#byId.values()) {
      if (!FINAL_STATUSES.has(m.status) || m.finishedAt === undefined || m.finishedAt >= before) continue;
      if (m.callback?.status === 'pending') continue;
      if (m.key !== undefined && m.createdAt >= keyedBefore) continue;
      out.push(m);
    }
    return out;
  }
}
