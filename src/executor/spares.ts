/** Isolate reuse: the isolates of retired instances, kept for new contexts, with the uncollected cap. */
import type { ExecutorInstance, SpareIsolate } from './instance.ts';

/** A reused isolate may carry up to this much of its last tenant's heap into the next context. */
export const RECYCLE_MAX_HEAP = 4 * 1024 * 1024;
/** Measured: with 4, RSS stayed flat from 2,000 to 6,000 starts (200 live); with 8 it still grew. */
export const MAX_UNCOLLECTED = 4;

export interface Spare<S> {
  readonly isolate: S;
  /** Contexts made in this isolate in a row without a GC first. */
  readonly uncollected: number;
}

/**
 * Isolates of retired instances, kept for new contexts (Instance.recycle). A context in one
 * costs ~0.7 ms where a new isolate costs ~1.8 (docs/architecture.md has the figures). A full
 * GC first (1 ms) makes it as lean as a new isolate; without one, the released contexts linger
 * and RSS grows with every reuse. So the warm pool, refilling in quiet moments, collects first;
 * the request path does not, and an isolate is reused that way at most MAX_UNCOLLECTED times in
 * a row before it is disposed, which bounds what it can carry. Only isolates with the warm
 * pool's heap limit are kept, at most `max`; the rest are disposed.
 */
export class SpareIsolates<S extends SpareIsolate> {
  readonly #spare: Spare<S>[] = [];
  /** Contexts made in a reused isolate without a GC in a row, per instance. */
  readonly #uncollected = new WeakMap<object, number>();
  readonly #memoryMb: number;
  readonly #max: number;
  /** New contexts made in a spare isolate instead of a new isolate. */
  reused = 0;

  /** `memoryMb`: the heap limit of the isolates kept (the warm pool's); `max`: how many at most. */
  constructor(memoryMb: number, max: number) {
    this.#memoryMb = memoryMb;
    this.#max = Math.max(1, max);
  }

  get size(): number {
    return this.#spare.length;
  }

  /** A spare isolate for a new instance with this heap limit, if there is one. */
  take(memoryMb: number): Spare<S> | undefined {
    const s = memoryMb === this.#memoryMb ? this.#spare.pop() : undefined;
    if (s) this.reused++;
    return s;
  }

  /** `inst` was made in `s`: without a GC first it carries one more uncollected context. */
  madeIn(inst: object, s: Spare<S>, collected: boolean): void {
    if (!collected) this.#uncollected.set(inst, s.uncollected + 1);
  }

  /**
   * Keeps the isolate of a retired, idle instance when it qualifies. True when the instance was
   * dealt with here (its isolate kept, or disposed by recycle() because it was not clean); false
   * when the caller must free it.
   */
  offer(inst: ExecutorInstance<S>): boolean {
    const n = this.#uncollected.get(inst) ?? 0;
    if (inst.rev?.limits.memoryMb !== this.#memoryMb || this.#spare.length >= this.#max || n >= MAX_UNCOLLECTED) return false;
    const isolate = inst.recycle(RECYCLE_MAX_HEAP);
    if (isolate) this.#spare.push({ isolate, uncollected: n });
    return true;
  }

  /** Disposes every spare isolate (shutdown: isolated-vm handles must not outlive the thread). */
  clear(): void {
    for (const s of this.#spare.splice(0)) if (!s.isolate.isDisposed) s.isolate.dispose();
  }
}
