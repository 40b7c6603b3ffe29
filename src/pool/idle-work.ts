/** One queue for the executor's background work, run only in quiet moments, one step per event-loop turn. */
import type { Scheduler } from '../core/clock.ts';

/** One step of background work (one isolate created, one freed); returns true while it has more to do. */
export type IdleJob = () => boolean;

/** What a producer of background work needs of the queue. */
export interface IdleQueue {
  /** Queues `job` unless it is queued already (a job is one producer's work, not one item of it). */
  post(job: IdleJob): void;
}

export interface IdleWorkOptions {
  scheduler: Scheduler;
  /**
   * True when background work may run now. The executor's rule: nothing in flight and no
   * message for 2 ms, so a stream of requests never queues behind an isolate's creation
   * (~2 ms) or freeing (~0.2 ms, over 1 ms at p99).
   */
  quiet: () => boolean;
  /** How long to wait before asking `quiet` again when it said no. */
  retryMs?: number;
  /** A job that threw; it is dropped (its producer posts it again when it has new work). */
  onError?: (e: unknown) => void;
}

/**
 * Jobs take turns, one step each per `immediate` turn, so requests that arrive meanwhile are
 * served between steps. When it is not quiet the whole queue waits `retryMs` on one timer: at
 * most one immediate or one timer is pending, however many jobs wait.
 */
export class IdleWork implements IdleQueue {
  readonly #jobs = new Set<IdleJob>();
  readonly #o: IdleWorkOptions;
  readonly #retryMs: number;
  #scheduled = false;
  #closed = false;

  constructor(opts: IdleWorkOptions) {
    this.#o = opts;
    this.#retryMs = opts.retryMs ?? 2;
  }

  /** Jobs waiting for a quiet moment. */
  get size(): number {
    return this.#jobs.size;
  }

  post(job: IdleJob): void {
    if (this.#closed) return;
    this.#jobs.add(job);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#o.scheduler.immediate(this.#tick);
    }
  }

  /** Drops every job; later posts are ignored (executor shutdown frees what the jobs would have). */
  close(): void {
    this.#closed = true;
    this.#jobs.clear();
  }

  readonly #tick = (): void => {
    this.#scheduled = false;
    if (this.#closed) return;
    const job = this.#jobs.values().next().value;
    if (!job) return;
    this.#scheduled = true;
    if (!this.#o.quiet()) {
      this.#o.scheduler.after(this.#retryMs, this.#tick);
      return;
    }
    this.#jobs.delete(job);
    let more = false;
    try {
      more = job();
    } catch (e) {
      this.#o.onError?.(e);
    }
    // Back of the line: the other producers' jobs go first.
    if (more && !this.#closed) this.#jobs.add(job);
    if (this.#jobs.size > 0 && !this.#closed) this.#o.scheduler.immediate(this.#tick);
    else this.#scheduled = false;
  };
}
