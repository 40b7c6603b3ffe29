/** A sliding maximum over time (Knative's `aggregation/max.TimeWindow`), used to delay scale-down decisions. */

/** One kept candidate: the value recorded in the bucket `index`. */
interface Entry {
  index: number;
  value: number;
}

/**
 * The maximum value recorded over the last `durationMs`, in buckets of `granularityMs`.
 *
 * It is the "descending minima" ring buffer of Knative's `max.window`: only values
 * that can still become the maximum are kept, in descending order, so `record` is
 * amortised O(1) and `current` is O(1).
 */
export class MaxTimeWindow {
  readonly #granularityMs: number;
  readonly #maxima: Entry[];
  #first = 0;
  #length = 0;

  constructor(durationMs: number, granularityMs: number) {
    if (!(granularityMs > 0)) throw new RangeError(`granularity must be positive, got ${granularityMs}`);
    // Knative rounds the bucket count up, so a 5 s window at 2 s granularity spans 3 buckets.
    const size = Math.max(1, Math.ceil(durationMs / granularityMs));
    this.#granularityMs = granularityMs;
    this.#maxima = Array.from({ length: size }, () => ({ index: 0, value: 0 }));
  }

  /**
   * Records `value` in the bucket of `now`. Knative computes the bucket from whole
   * Unix seconds; `floor(now / granularity)` is the same for whole-second granularities.
   */
  record(now: number, value: number): void {
    const index = Math.floor(now / this.#granularityMs);
    const size = this.#maxima.length;
    // Older entries not above the new value can never be the maximum again: the new
    // value is both at least as large and more recent.
    while (this.#length > 0 && !(value < this.#at(this.#first + this.#length - 1).value)) this.#length--;
    // Entries are in ascending index order, so the expired ones are at the front.
    while (this.#length > 0 && index - this.#at(this.#first).index >= size) {
      this.#length--;
      this.#first = (this.#first + 1) % size;
    }
    // Two records in one bucket: keep the larger (Knative's "step 2b").
    if (this.#length > 0) {
      const last = this.#at(this.#first + this.#length - 1);
      if (last.index === index) {
        if (last.value > value) value = last.value;
        this.#length--;
      }
    }
    const slot = this.#at(this.#first + this.#length);
    slot.index = index;
    slot.value = value;
    this.#length++;
  }

  /** The maximum recorded in the window; 0 before the first record (Go's zero value). */
  current(): number {
    return this.#at(this.#first).value;
  }

  #at(i: number): Entry {
    return this.#maxima[i % this.#maxima.length] as Entry;
  }
}
