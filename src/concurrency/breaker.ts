/**
 * A breaker (Knative queue-proxy's): at most `capacity` requests in flight and at
 * most `queueDepth` waiting in FIFO order; more are refused at once. Pure: no
 * timers — a waiter's deadline is an AbortSignal the caller brings.
 *
 * Invariants: inFlight ≤ capacity (except after capacity is lowered: then no new
 * request starts until inFlight drops below it), and queued ≤ queueDepth.
 */
import { EdgeError } from '../core/errors.ts';

export interface BreakerOptions {
  /** Requests allowed in flight; Infinity for no limit, 0 to hold everything. */
  capacity: number;
  queueDepth: number;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class Breaker {
  #capacity: number;
  #queueDepth: number;
  #inFlight = 0;
  readonly #queue: Waiter[] = [];

  constructor(opts: BreakerOptions) {
    if (!(opts.capacity >= 0)) throw new RangeError(`Breaker capacity must be >= 0, got ${opts.capacity}`);
    if (!(opts.queueDepth >= 0) || !Number.isFinite(opts.queueDepth)) throw new RangeError(`Breaker queueDepth must be a finite number >= 0, got ${opts.queueDepth}`);
    this.#capacity = opts.capacity;
    this.#queueDepth = opts.queueDepth;
  }

  get inFlight(): number { return this.#inFlight; }
  get queued(): number { return this.#queue.length; }
  get capacity(): number { return this.#capacity; }
  get queueDepth(): number { return this.#queueDepth; }

  /** A slot now, or null (the caller decides whether to wait). */
  tryReserve(): (() => void) | null {
    if (this.#queue.length > 0 || this.#inFlight >= this.#capacity) return null;
    this.#inFlight++;
    return this.#releaser();
  }

  /**
   * A slot now or, when the queue has room, once one frees up (FIFO). Rejects with
   * EDGE_ERR_QUEUE_FULL when the queue is full, or with the signal's reason when
   * it aborts first.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    const now = this.tryReserve();
    if (now) return Promise.resolve(now);
    if (this.#queue.length >= this.#queueDepth) {
      return Promise.reject(new EdgeError('EDGE_ERR_QUEUE_FULL', `the queue is full (${this.#inFlight} in flight, ${this.#queue.length} waiting, capacity ${this.#capacity})`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve, reject, signal,
        onAbort: () => {
          const i = this.#queue.indexOf(w);
          if (i !== -1) this.#queue.splice(i, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener('abort', w.onAbort, { once: true });
      this.#queue.push(w);
    });
  }

  /** Changes the limits; waiters are released into any new room, in order. */
  update(opts: Partial<BreakerOptions>): void {
    if (opts.capacity !== undefined) this.#capacity = opts.capacity;
    if (opts.queueDepth !== undefined) this.#queueDepth = opts.queueDepth;
    this.#drain();
  }

  /** Rejects every waiter (the revision went away). */
  rejectAll(e: unknown): void {
    for (const w of this.#queue.splice(0)) {
      w.signal?.removeEventListener('abort', w.onAbort);
      w.reject(e);
    }
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return; // releasing twice must not free two slots
      done = true;
      this.#inFlight--;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#capacity) {
      const w = this.#queue.shift()!;
      w.signal?.removeEventListener('abort', w.onAbort);
      this.#inFlight++;
      w.resolve(this.#releaser());
    }
  }
}
