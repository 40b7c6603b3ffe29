/**
 * The executor threads as one service: picks an executor per request (fewest in
 * flight, preferring the one that last served the revision, so its hot instance
 * is reused — a preference, never a pin) and replaces a thread that dies.
 */
import type { RevisionSpec } from '../runtime/types.ts';
import { EdgeError } from '../core/errors.ts';
import { ExecutorClient, type GuestLog } from './client.ts';
import type { ExecutorInit, ExecutorStats, FromExecutor } from './protocol.ts';
import type { HeaderPairs } from '../runtime/types.ts';

/** How many more requests in flight the affine executor may have than the least loaded one. */
const AFFINITY_SLACK = 4;

export interface GroupEvents {
  onLog: (m: GuestLog) => void;
  onExecutorExit: (index: number, err: Error) => void;
}

export class ExecutorGroup {
  readonly #init: ExecutorInit;
  readonly #events: GroupEvents;
  #clients: ExecutorClient[] = [];
  readonly #affinity = new Map<string, number>();
  #closing = false;

  constructor(count: number, init: ExecutorInit, events: GroupEvents) {
    this.#init = init;
    this.#events = events;
    for (let i = 0; i < count; i++) this.#clients.push(this.#spawn(i));
  }

  async ready(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.ready));
  }

  get size(): number {
    return this.#clients.length;
  }

  #spawn(index: number): ExecutorClient {
    return new ExecutorClient(index, this.#init, this.#events.onLog, (c, err) => {
      if (this.#closing || this.#clients[index] !== c) return;
      this.#events.onExecutorExit(index, err);
      this.#clients[index] = this.#spawn(index);
      for (const [rev, i] of this.#affinity) if (i === index) this.#affinity.delete(rev);
    });
  }

  /** Least in flight; the executor that last served `revId` wins ties and small imbalances. */
  pick(revId: string): ExecutorClient {
    let best = this.#clients[0]!;
    for (const c of this.#clients) if (c.inflight < best.inflight) best = c;
    const aff = this.#affinity.get(revId);
    if (aff !== undefined) {
      const a = this.#clients[aff];
      if (a && a.alive && a.inflight <= best.inflight + AFFINITY_SLACK) best = a;
    }
    return best;
  }

  async invoke(rev: RevisionSpec, req: { reqId: string; method: string; url: string; headers: HeaderPairs; body: Uint8Array | null }): Promise<FromExecutor> {
    if (this.#closing) throw new EdgeError('EDGE_ERR_SHUTTING_DOWN', 'the host is shutting down');
    const c = this.pick(rev.id);
    if (!c.loaded.has(rev.id)) c.load(rev);
    this.#affinity.set(rev.id, c.index);
    return c.invoke({ rev: rev.id, ...req });
  }

  /** Sends a revision's code to every executor ahead of its first request. */
  preload(rev: RevisionSpec): void {
    for (const c of this.#clients) if (c.alive && !c.loaded.has(rev.id)) c.load(rev);
  }

  /** Forgets a revision everywhere: its instances finish their requests and are disposed. */
  unload(revId: string): void {
    this.#affinity.delete(revId);
    for (const c of this.#clients) c.unload(revId);
  }

  async stats(): Promise<ExecutorStats[]> {
    return Promise.all(this.#clients.map((c) => c.stats()));
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#clients.map((c) => c.terminate()));
  }
}
