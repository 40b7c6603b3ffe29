/**
 * The warm pool (Fission's poolmgr): generic isolates with the runtime loaded,
 * created ahead of need and handed out for specialisation. Refilled through the
 * idle-work queue, one isolate per step, so a refill never holds up a request
 * for more than one isolate's creation (~2 ms). The target size adapts
 * to the recent rate of specialisations, between `min` and `max`.
 */
import type { Clock } from '../core/clock.ts';
import type { IdleQueue } from './idle-work.ts';

export interface WarmPoolOptions<G> {
  create: () => G;
  dispose: (g: G) => void;
  min: number;
  max: number;
  clock: Clock;
  /**
   * Where refills run: in quiet moments only, one isolate per step. A stream of first
   * requests then never queues behind isolate creation: a request that finds the pool
   * empty creates its own isolate, once, instead of waiting for several refills ahead of it.
   */
  idle: IdleQueue;
  onError?: (e: unknown) => void;
}

/** Seconds of specialisations the pool tries to hold at the current rate. */
const HEADROOM_S = 1;
const RATE_WINDOW_MS = 10_000;

export class WarmPool<G> {
  readonly #ready: G[] = [];
  readonly #takes: number[] = [];
  readonly #o: WarmPoolOptions<G>;
  #closed = false;
  /** The refill job is in the idle queue (saves a target() per take while it is). */
  #posted = false;
  created = 0;

  constructor(opts: WarmPoolOptions<G>) {
    this.#o = opts;
    this.refill();
  }

  get size(): number {
    return this.#ready.length;
  }

  /** The size the pool refills to: min, plus a second's worth of recent specialisations, at most max. */
  target(): number {
    const now = this.#o.clock.now();
    while (this.#takes.length && this.#takes[0]! < now - RATE_WINDOW_MS) this.#takes.shift();
    const rate = this.#takes.length / (RATE_WINDOW_MS / 1000);
    return Math.min(this.#o.max, Math.max(this.#o.min, Math.ceil(rate * HEADROOM_S)));
  }

  take(): G | undefined {
    this.#takes.push(this.#o.clock.now());
    if (this.#takes.length > 10_000) this.#takes.splice(0, 5_000);
    const g = this.#ready.pop();
    this.refill();
    return g;
  }

  refill(): void {
    if (this.#posted || this.#closed || this.#ready.length >= this.target()) return;
    this.#posted = true;
    this.#o.idle.post(this.#step);
  }

  /** One refill step: one isolate, and whether the pool still wants more. */
  readonly #step = (): boolean => {
    this.#posted = this.#more();
    return this.#posted;
  };

  #more(): boolean {
    if (this.#closed || this.#ready.length >= this.target()) return false;
    try {
      this.#ready.push(this.#o.create());
      this.created++;
    } catch (e) {
      this.#o.onError?.(e);
      return false; // do not spin on a failing create; the next take() retries
    }
    return this.#ready.length < this.target();
  }

  close(): void {
    this.#closed = true;
    for (const g of this.#ready.splice(0)) this.#o.dispose(g);
  }
}
