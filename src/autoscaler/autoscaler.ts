/** The KPA decider: Knative's `scaling.autoscaler.Scale` for the concurrency metric, driven by `now`. */
import { MaxTimeWindow } from './max-window.ts';

/** Knative's `DeciderSpec`, concurrency metric only, durations in milliseconds. */
export interface AutoscalerSpec {
  /** Concurrency per instance the autoscaler aims for (total × target utilisation). */
  targetValue: number;
  /** Concurrency one instance can hold (its container concurrency, or the default target). */
  totalValue: number;
  /** Spare concurrency to keep; 0 = none, -1 = unlimited (the activator stays in the path). */
  targetBurstCapacity: number;
  /** A ratio: 2.0 means panic when the panic-window load needs 200 % of the ready instances. */
  panicThreshold: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
  /** How long panic mode lasts after the load was last over the threshold. */
  stableWindowMs: number;
  /** Scale-downs take effect only after this long at the lower count; 0 = at once. */
  scaleDownDelayMs: number;
  /** The smallest non-zero scale (from zero, go straight to this many); ≤ 1 = off. */
  activationScale: number;
  /** Whether a route sends traffic here; unreachable revisions may drop to zero at once. */
  reachable: boolean;
}

/** What the shell observed for this tick: the windows of `RevisionMetrics` and the instance count. */
export interface ScaleObservation {
  stableConcurrency: number;
  panicConcurrency: number;
  readyInstances: number;
}

/** Knative's `ScaleResult`. */
export interface ScaleResult {
  desiredScale: number;
  /** Spare capacity beyond the target burst capacity; negative = keep the activator in the path. */
  excessBurstCapacity: number;
  /** False when there was no data: keep the previous decision. */
  valid: boolean;
}

/** How often Knative evaluates a decider, and so the bucket width of the scale-down delay window. */
export const TICK_INTERVAL_MS = 2_000;

/**
 * Knative's `invalidSR`: a zero-valued `ScaleResult` with `ScaleValid: false`. The
 * multiscaler drops it, so the last decision stands (its initial "unknown" scale is -1).
 */
const INVALID: ScaleResult = Object.freeze({ desiredScale: 0, excessBurstCapacity: 0, valid: false });

export class Autoscaler {
  #spec: AutoscalerSpec;
  /** When panic mode was last (re)entered; undefined = stable mode (Go's zero `time.Time`). */
  #panicTime: number | undefined;
  /** The highest count decided during this panic: panic mode never scales down. */
  #maxPanicPods: number;
  /** Created once, like Knative: a later `update` does not add, drop or resize it. */
  readonly #delayWindow: MaxTimeWindow | undefined;

  /**
   * @param initialReady Ready instances when the autoscaler is created. Knative starts
   *   in panic mode (panic since `now`, holding that count) when more than one is
   *   ready, so a restarted autoscaler with no metric history does not scale a busy
   *   revision down. Leave it 0 for a new revision.
   */
  constructor(spec: AutoscalerSpec, now: number, initialReady = 0) {
    this.#spec = { ...spec };
    this.#delayWindow = spec.scaleDownDelayMs > 0 ? new MaxTimeWindow(spec.scaleDownDelayMs, TICK_INTERVAL_MS) : undefined;
    this.#panicTime = initialReady > 1 ? now : undefined;
    // Knative keeps the count even when it does not panic; it only matters once panicking.
    this.#maxPanicPods = initialReady;
  }

  /** Replaces the spec (Knative's `Update`); panic state and the delay window carry over. */
  update(spec: AutoscalerSpec): void {
    this.#spec = { ...spec };
  }

  /** When panic mode was last entered or extended, or undefined in stable mode. */
  get panicTime(): number | undefined {
    return this.#panicTime;
  }

  /**
   * Computes the desired scale at `now`. NaN or infinite windows mean "no data yet"
   * (Knative's ErrNoData), and a non-finite ready count stands for its pod-counter
   * error: both give an invalid result and leave the state untouched.
   */
  scale(observed: ScaleObservation, now: number): ScaleResult {
    const spec = this.#spec;
    const { stableConcurrency: stable, panicConcurrency: panic, readyInstances } = observed;
    if (!Number.isFinite(stable) || !Number.isFinite(panic) || !Number.isFinite(readyInstances)) return { ...INVALID };

    // With no ready instance, rate limits and the panic ratio are computed as if there were one.
    const readyPods = Math.max(1, readyInstances);
    // Ceil so a slow rate still grows by at least one instance (e.g. rate 1.1 on 2 ready → 3).
    const maxScaleUp = Math.ceil(spec.maxScaleUpRate * readyPods);
    // Unreachable revisions take no traffic, so nothing limits their scale-down.
    const maxScaleDown = spec.reachable ? Math.floor(readyPods / spec.maxScaleDownRate) : 0;

    const dspc = Math.ceil(stable / spec.targetValue);
    const dppc = Math.ceil(panic / spec.targetValue);
    let desiredStable = Math.min(Math.max(dspc, maxScaleDown), maxScaleUp);
    let desiredPanic = Math.min(Math.max(dppc, maxScaleDown), maxScaleUp);
    if (spec.activationScale > 1) {
      // The unclamped counts decide "non-zero", as in Knative.
      if (dspc > 0 && spec.activationScale > desiredStable) desiredStable = spec.activationScale;
      if (dppc > 0 && spec.activationScale > desiredPanic) desiredPanic = spec.activationScale;
    }

    const overThreshold = dppc / readyPods >= spec.panicThreshold;
    if (overThreshold) {
      // Enter panic, or extend it while the panic window is still over the threshold.
      this.#panicTime = now;
    } else if (this.#panicTime !== undefined && this.#panicTime + spec.stableWindowMs < now) {
      // Leave panic once a whole stable window has passed: the surge is in the stable average now.
      this.#panicTime = undefined;
      this.#maxPanicPods = 0;
    }

    let desired = desiredStable;
    if (this.#panicTime !== undefined) {
      // The stable window can be the larger one at the tail of a surge; provision for both.
      desired = Math.max(desired, desiredPanic);
      if (desired > this.#maxPanicPods) this.#maxPanicPods = desired;
      desired = this.#maxPanicPods;
    }

    // Even a one-bucket window differs from no delay: two ticks in one bucket keep the larger.
    if (spec.reachable && this.#delayWindow) {
      this.#delayWindow.record(now, desired);
      desired = this.#delayWindow.current();
    }

    return { desiredScale: desired, excessBurstCapacity: excessBurstCapacity(spec, readyInstances, panic), valid: true };
  }
}

/**
 * EBC = total capacity − target burst capacity − panic concurrency, from the panic
 * window so the activator decision reacts fast. Uses the real ready count (not the
 * "at least one" of the scale math): no instance means no capacity.
 */
function excessBurstCapacity(spec: AutoscalerSpec, readyInstances: number, panic: number): number {
  if (spec.targetBurstCapacity === 0) return 0;
  if (spec.targetBurstCapacity < 0) return -1;
  return Math.floor(readyInstances * spec.totalValue - spec.targetBurstCapacity - panic);
}
