/** Time-weighted average concurrency from request start/end events (Knative's queue-proxy `RequestStats`). */

/** What one sampling interval saw. */
export interface ConcurrencyReport {
  /** In-flight requests averaged over the time since the last take: 2 requests of 500 ms in 1 s = 1.0. */
  concurrency: number;
  /** Requests started since the last take. */
  requests: number;
}

/**
 * Integrates the in-flight count over time. The shell calls `start`/`end` per
 * request and `takeAverage` every second, then feeds the report to `RevisionMetrics`.
 */
export class ConcurrencySampler {
  #inFlight = 0;
  #lastChange: number;
  #requests = 0;
  /** ∫ in-flight dt since the last take, in request·ms. */
  #area = 0;
  /** Time covered since the last take, in ms. */
  #covered = 0;

  constructor(now: number) {
    this.#lastChange = now;
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  start(now: number): void {
    this.#advance(now);
    this.#requests++;
    this.#inFlight++;
  }

  end(now: number): void {
    this.#advance(now);
    this.#inFlight--;
  }

  /** The report since the last take (0 concurrency if no time passed); starts a new interval. */
  takeAverage(now: number): ConcurrencyReport {
    this.#advance(now);
    const report = { concurrency: this.#covered > 0 ? this.#area / this.#covered : 0, requests: this.#requests };
    this.#area = 0;
    this.#covered = 0;
    this.#requests = 0;
    return report;
  }

  /**
   * Events can arrive slightly out of order; like Knative, a time before the last
   * change adds nothing (and does not move the clock back), it only changes the count.
   */
  #advance(now: number): void {
    const dt = now - this.#lastChange;
    if (dt > 0) {
      this.#covered += dt;
      this.#area += this.#inFlight * dt;
      this.#lastChange = now;
    }
  }
}
