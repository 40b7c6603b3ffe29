/**
 * The autoscaling shell: a RevisionScaler per revision that has traffic (made on
 * its first request or at deploy), a 1 s sampling tick and a decision tick
 * (2 s by default) over the active ones, and the same KPA algorithm deciding the
 * number of executor threads from the total concurrency. Timers come from the
 * injected scheduler, time from the injected clock.
 */
import { systemScheduler, type Clock, type Scheduler } from '../core/clock.ts';
import { EdgeError } from '../core/errors.ts';
import { Autoscaler, ConcurrencySampler, RevisionMetrics, panicWindowMs } from '../autoscaler/index.ts';
import { RevisionScaler, type Decision } from './revision-scaler.ts';
import { resolveSettings, type HostScalingDefaults, type RevisionScalingOverrides } from './settings.ts';

export interface ScalingTarget {
  /** Make `desired` instances of the revision exist (0: none kept). */
  realize(rev: string, desired: number): void;
  /** Set the number of executor threads. */
  resizeThreads(n: number): void;
}

export interface ScalingEvents {
  decision(rev: string, d: Decision, previousDesired: number): void;
  threads(d: { desired: number; observed: number; panic: boolean }): void;
}

export interface ThreadScaling {
  min: number;
  max: number;
  targetConcurrency: number;
}

export class ScalingManager {
  readonly #scalers = new Map<string, RevisionScaler>();
  readonly #host: HostScalingDefaults;
  readonly #clock: Clock;
  readonly #target: ScalingTarget;
  readonly #events: ScalingEvents;
  readonly #timers: (() => void)[] = [];
  readonly #scheduler: Scheduler;
  readonly #threadSampler: ConcurrencySampler;
  readonly #threadMetrics: RevisionMetrics;
  readonly #threadScaler: Autoscaler;
  readonly #threads: ThreadScaling;
  threadsDesired: number;
  threadsPanic = false;

  constructor(host: HostScalingDefaults, threads: ThreadScaling, clock: Clock, target: ScalingTarget, events: ScalingEvents, scheduler: Scheduler = systemScheduler) {
    this.#scheduler = scheduler;
    this.#host = host;
    this.#clock = clock;
    this.#target = target;
    this.#events = events;
    this.#threads = threads;
    this.threadsDesired = threads.min;
    const now = clock.now();
    this.#threadSampler = new ConcurrencySampler(now);
    this.#threadMetrics = new RevisionMetrics({ stableWindowMs: host.stableWindowMs, panicWindowMs: panicWindowMs(host.stableWindowMs, host.panicWindowPercentage) });
    const t = resolveSettings(host, 0, { target: threads.targetConcurrency });
    this.#threadScaler = new Autoscaler({ ...t.spec, targetBurstCapacity: 0 }, now);
    this.#timers.push(scheduler.every(1000, () => this.sample()));
    this.#timers.push(scheduler.every(host.tickMs, () => this.tick()));
  }

  /** The scaler of a revision, made on first use (a request, or a deploy with its initial scale). */
  scaler(rev: string, cc: number, overrides: RevisionScalingOverrides | undefined, initialScale?: number): RevisionScaler {
    let s = this.#scalers.get(rev);
    if (!s) {
      const settings = resolveSettings(this.#host, cc, overrides);
      s = new RevisionScaler(rev, settings, this.#clock.now(), (n) => this.#target.realize(rev, n), initialScale ?? settings.minScale, this.#scheduler);
      this.#scalers.set(rev, s);
    }
    return s;
  }

  get(rev: string): RevisionScaler | undefined {
    return this.#scalers.get(rev);
  }

  /** A revision was deployed: start it at its initial scale (Knative initial-scale). */
  deployed(rev: string, cc: number, overrides: RevisionScalingOverrides | undefined): void {
    const s = this.scaler(rev, cc, overrides);
    const initial = Math.max(s.settings.initialScale, s.settings.minScale);
    if (initial > 0 && s.desired === 0) s.poke(this.#clock.now());
  }

  /** Instances reported ready by the executors. */
  setReady(rev: string, n: number): void {
    this.#scalers.get(rev)?.setReady(n);
  }

  /** Request start/end around the executor call, for the thread autoscaler. */
  requestStarted(): void { this.#threadSampler.start(this.#clock.now()); }
  requestEnded(): void { this.#threadSampler.end(this.#clock.now()); }

  remove(rev: string): void {
    const s = this.#scalers.get(rev);
    if (!s) return;
    s.close(new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', `revision ${rev} was removed`));
    this.#scalers.delete(rev);
    this.#target.realize(rev, 0);
  }

  sample(): void {
    const now = this.#clock.now();
    for (const s of this.#scalers.values()) s.sample(now);
    const t = this.#threadSampler.takeAverage(now);
    this.#threadMetrics.record(now, t);
  }

  tick(): void {
    const now = this.#clock.now();
    for (const [rev, s] of this.#scalers) {
      const before = s.desired;
      const d = s.tick(now);
      if (d.desired !== before || d.panicMode) this.#events.decision(rev, d, before);
      // A revision back at zero with nothing in flight needs no loop until its next request.
      if (s.dormant && now - s.lastRequestAt > s.settings.spec.stableWindowMs) this.#scalers.delete(rev);
    }
    const { stable, panic } = this.#threadMetrics.stableAndPanicConcurrency(now);
    const r = this.#threadScaler.scale({ stableConcurrency: stable, panicConcurrency: panic, readyInstances: this.threadsDesired }, now);
    if (r.valid) {
      const max = this.#threads.max;
      const n = Math.min(max, Math.max(this.#threads.min, r.desiredScale));
      this.threadsPanic = this.#threadScaler.panicTime !== undefined;
      if (n !== this.threadsDesired) {
        this.threadsDesired = n;
        this.#target.resizeThreads(n);
        this.#events.threads({ desired: n, observed: stable, panic: this.threadsPanic });
      }
    }
  }

  revisions(): IterableIterator<[string, RevisionScaler]> {
    return this.#scalers.entries();
  }

  close(): void {
    for (const stop of this.#timers) stop();
    for (const s of this.#scalers.values()) s.close(new EdgeError('EDGE_ERR_SHUTTING_DOWN', 'the host is shutting down'));
  }
}
