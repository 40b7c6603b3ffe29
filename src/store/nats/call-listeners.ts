/**
 * The invocation store's watchQueued() listeners (the worker), and what they know: each call that
 * may run is told of when it becomes queued here, and a message that becomes runnable here only
 * when they know of nothing as early, so a worker is woken once per call, not once per move.
 */
export class QueueListeners {
  readonly #listeners = new Set<(fn: string, runAt: number) => void>();
  /**
   * Per function, the earliest runAt the listeners (the worker) know of, as told or as the last claim
   * answered. A message that arrives runnable is told of only when it is earlier than that: a
   * submission or retry already told of is not told twice, and one that arrives after a claim came
   * up empty is.
   */
  readonly #view = new Map<string, number>();

  get size(): number {
    return this.#listeners.size;
  }

  add(listener: (fn: string, runAt: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  clear(): void {
    this.#listeners.clear();
  }

  /**
   * Tells the listeners that `fn` has a call that may run at `at`. `forced`: a call became queued
   * here (submission, retry, recovery), as SQLite tells; otherwise a message became runnable here,
   * told only when the listeners do not know of one as early.
   */
  emit(fn: string, at: number, forced: boolean): void {
    const known = this.#view.get(fn);
    if (!forced && known !== undefined && known <= at) return;
    if (known === undefined || at < known) this.#view.set(fn, at);
    for (const l of this.#listeners) l(fn, at);
  }

  /** The listeners learnt (from pending()) that `fn` has a call runnable at `at`. */
  known(fn: string, at: number): void {
    const known = this.#view.get(fn);
    if (known === undefined || at < known) this.#view.set(fn, at);
  }

  /** A claim answered `nextAt` as `fn`'s next runnable call (undefined: none here). */
  answered(fn: string, nextAt: number | undefined): void {
    if (nextAt === undefined) this.#view.delete(fn);
    else this.#view.set(fn, nextAt);
  }

  /** A call of `fn` runnable at `at` is being submitted here, to be told of once it is stored: known meanwhile. Answers the undo, for a submission that failed. */
  expect(fn: string, at: number): () => void {
    const known = this.#view.get(fn);
    this.known(fn, at);
    return () => {
      if (this.#view.get(fn) !== at) return;
      if (known === undefined) this.#view.delete(fn);
      else this.#view.set(fn, known);
    };
  }
}
