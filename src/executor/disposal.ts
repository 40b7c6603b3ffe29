/** Deferred disposal: instances stop at once, their isolates are freed in quiet moments. */
import type { IdleQueue } from '../pool/index.ts';

/** At most this many isolates wait to be freed; beyond, the oldest is freed at once. */
export const DISPOSE_BACKLOG = 16;

/**
 * Isolates to free in a quiet moment. Most instances retire inside a request's start (the new
 * instance evicts the least recently used one), and freeing an isolate takes ~0.2 ms, over 1 ms
 * at p99: that belongs after the response. The instance itself stops at once (end()); only the
 * freeing waits, one per idle step. At most `backlog` wait; beyond that, under load with no
 * quiet moment, the oldest is freed at once so memory stays bounded.
 */
export class DeferredDisposal {
  readonly #doomed: (() => void)[] = [];
  readonly #idle: IdleQueue;
  readonly #backlog: number;

  constructor(idle: IdleQueue, backlog = DISPOSE_BACKLOG) {
    this.#idle = idle;
    this.#backlog = backlog;
  }

  /** Isolates waiting to be freed. */
  get size(): number {
    return this.#doomed.length;
  }

  dispose(inst: { end(): (() => void) | undefined }): void {
    const free = inst.end();
    if (!free) return;
    this.#doomed.push(free);
    if (this.#doomed.length > this.#backlog) this.#doomed.shift()!();
    this.#idle.post(this.#step);
  }

  /** Frees everything now (shutdown). */
  flush(): void {
    for (const free of this.#doomed.splice(0)) free();
  }

  readonly #step = (): boolean => {
    this.#doomed.shift()?.();
    return this.#doomed.length > 0;
  };
}
