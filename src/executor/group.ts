/**
 * The executor threads as one service: picks an executor per request (fewest in
 * flight, preferring the one that last served the revision, so its hot instance
 * is reused — a preference, never a pin), replaces a thread that dies, and grows
 * or shrinks the number of threads when the thread autoscaler says so.
 */
import type { HeaderPairs, RevisionSpec, ScheduledEvent } from '../runtime/types.ts';
import { EdgeError } from '../core/errors.ts';
import { ExecutorClient, type StreamedBody, type CacheEvent, type GuestLog, type ReadyEvent } from './client.ts';
import type { ExecutorInit, ExecutorStats, FromExecutor } from './protocol.ts';

/** How many more requests in flight the affine executor may have than the least loaded one. */
const AFFINITY_SLACK = 4;

export interface GroupEvents {
  onLog: (m: GuestLog) => void;
  onExecutorExit: (index: number, err: Error) => void;
  /** An executor's instance count for a revision changed (tier/startMs when it pre-started one). */
  onReady?: (rev: string, total: number, m: ReadyEvent) => void;
  /** Cache API counts an executor sent (its counts since its last report). */
  onCache?: (m: CacheEvent) => void;
}

export class ExecutorGroup {
  readonly #init: ExecutorInit;
  readonly #events: GroupEvents;
  #clients: ExecutorClient[] = [];
  readonly #retiring = new Set<ExecutorClient>();
  readonly #affinity = new Map<string, ExecutorClient>();
  readonly #pins = new Map<string, { rev: RevisionSpec; min: number; on: ExecutorClient }>();
  #nextIndex = 0;
  #closing = false;

  constructor(count: number, init: ExecutorInit, events: GroupEvents) {
    this.#init = init;
    this.#events = events;
    for (let i = 0; i < count; i++) this.#clients.push(this.#spawn());
  }

  async ready(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.ready));
  }

  get size(): number {
    return this.#clients.length;
  }

  #spawn(): ExecutorClient {
    const index = this.#nextIndex++;
    return new ExecutorClient(index, this.#init, this.#events.onLog, (c, err) => {
      this.#retiring.delete(c);
      if (this.#closing || !this.#clients.includes(c)) return;
      this.#events.onExecutorExit(index, err);
      this.#clients[this.#clients.indexOf(c)] = this.#spawn();
      for (const [rev, a] of this.#affinity) if (a === c) this.#affinity.delete(rev);
      for (const pin of this.#pins.values()) if (pin.on === c) this.scale(pin.rev, pin.min);
    }, (_c, m) => this.#events.onReady?.(m.rev, this.readyCount(m.rev), m), (m) => this.#events.onCache?.(m));
  }

  /** Live instances of a revision across executors. */
  readyCount(revId: string): number {
    let n = 0;
    for (const c of this.#clients) n += c.instances.get(revId) ?? 0;
    return n;
  }

  /** Bytes the executors' Cache API stores hold, as they last reported (a thread that ended holds none). */
  cacheBytes(): number {
    let n = 0;
    for (const c of this.#clients) n += c.cacheBytes;
    return n;
  }

  /** Least in flight; the executor that last served `revId` wins ties and small imbalances. */
  pick(revId: string): ExecutorClient {
    let best = this.#clients[0]!;
    for (const c of this.#clients) if (c.inflight < best.inflight) best = c;
    const a = this.#affinity.get(revId);
    if (a && a.alive && !a.retiring && a.inflight <= best.inflight + AFFINITY_SLACK) best = a;
    return best;
  }

  async invoke(rev: RevisionSpec, req: { reqId: string; method: string; url: string; headers: HeaderPairs; body: Uint8Array | null | StreamedBody; scheduled?: ScheduledEvent }, signal?: AbortSignal): Promise<FromExecutor> {
    if (this.#closing) throw new EdgeError('EDGE_ERR_SHUTTING_DOWN', 'the host is shutting down');
    const c = this.pick(rev.id);
    if (!c.loaded.has(rev.id)) c.load(rev);
    this.#affinity.set(rev.id, c);
    return c.invoke({ rev: rev.id, reqId: req.reqId, method: req.method, url: req.url, headers: req.headers, body: req.body, scheduled: req.scheduled }, signal);
  }

  /** Sends a revision's code to every executor ahead of its first request. */
  preload(rev: RevisionSpec): void {
    for (const c of this.#clients) if (c.alive && !c.loaded.has(rev.id)) c.load(rev);
  }

  /**
   * Keeps `min` instances of the revision alive, on the executor it has affinity with
   * (requests follow affinity, so that is where instances are used).
   */
  scale(rev: RevisionSpec, min: number): void {
    const prev = this.#pins.get(rev.id);
    const on = prev?.on && this.#clients.includes(prev.on) ? prev.on : this.pick(rev.id);
    if (min === 0) {
      this.#pins.delete(rev.id);
      if (prev) prev.on.scale(rev, 0);
      return;
    }
    this.#pins.set(rev.id, { rev, min, on });
    this.#affinity.set(rev.id, on);
    on.scale(rev, min);
  }

  /** Forgets a revision everywhere: its instances finish their requests and are disposed. */
  unload(revId: string): void {
    this.#affinity.delete(revId);
    this.#pins.delete(revId);
    for (const c of this.#clients) c.unload(revId);
  }

  /**
   * A deleted function's state beyond its revisions goes from every executor: its Cache API entries,
   * which a function made later under the same name (perhaps by another tenant) must never read.
   */
  forgetFunction(fn: string): void {
    for (const c of this.#clients) if (c.alive) c.forgetFunction(fn);
  }

  /**
   * Grows or shrinks the thread count. A new thread is usable once its first
   * isolate is ready (~95 ms); a retired one takes no new requests and is
   * terminated when its in-flight requests are done.
   */
  resize(n: number): void {
    if (this.#closing || n < 1) return;
    while (this.#clients.length < n) {
      const c = this.#spawn();
      this.#clients.push(c);
    }
    while (this.#clients.length > n) {
      const c = this.#clients.pop()!;
      c.retiring = true;
      this.#retiring.add(c);
      for (const [rev, a] of this.#affinity) if (a === c) this.#affinity.delete(rev);
      for (const pin of [...this.#pins.values()]) if (pin.on === c) this.scale(pin.rev, pin.min);
      void this.#retire(c);
    }
  }

  async #retire(c: ExecutorClient): Promise<void> {
    await c.drained();
    await c.terminate();
    this.#retiring.delete(c);
  }

  async stats(): Promise<ExecutorStats[]> {
    return Promise.all(this.#clients.map((c) => c.stats()));
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.#clients, ...this.#retiring].map((c) => c.terminate()));
  }
}
