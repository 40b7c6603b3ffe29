/**
 * One revision's activator, breaker and KPA loop (the shell around the pure
 * Autoscaler and metric windows). Requests pass `admit()`: a slot in the
 * revision's breaker — capacity desired × containerConcurrency — or a place in
 * its queue. While the revision is at zero, or short of burst capacity, the
 * activator's deep queue holds requests; the first request at zero pokes the
 * autoscaler at once instead of waiting for the tick.
 */
import { EdgeError } from '../core/errors.ts';
import type { Scheduler } from '../core/clock.ts';
import { Breaker } from '../concurrency/index.ts';
import { Autoscaler, ConcurrencySampler, RevisionMetrics } from '../autoscaler/index.ts';
import type { ScalerSettings } from './settings.ts';

export interface Decision {
  at: number;
  desired: number;
  /** The autoscaler's own answer before bounds, grace and activation. */
  recommended: number;
  ready: number;
  stable: number;
  panic: number;
  panicMode: boolean;
  excessBurstCapacity: number;
  reason: string;
}

export interface Admission {
  release: () => void;
  queuedMs: number;
}

export class RevisionScaler {
  readonly rev: string;
  readonly settings: ScalerSettings;
  readonly breaker: Breaker;
  readonly #sampler: ConcurrencySampler;
  readonly #metrics: RevisionMetrics;
  readonly #autoscaler: Autoscaler;
  readonly #realize: (desired: number) => void;
  readonly #scheduler: Scheduler;
  desired = 0;
  ready = 0;
  excessBurstCapacity = 0;
  panicMode = false;
  lastRequestAt: number;
  lastDecision: Decision | undefined;
  /** Requests admitted since the scaler was made (for the activator's counters). */
  activations = 0;

  constructor(rev: string, settings: ScalerSettings, now: number, realize: (desired: number) => void, initial: number, scheduler: Scheduler) {
    this.rev = rev;
    this.#scheduler = scheduler;
    this.settings = settings;
    this.#realize = realize;
    this.lastRequestAt = now;
    this.#sampler = new ConcurrencySampler(now);
    this.#metrics = new RevisionMetrics({ stableWindowMs: settings.spec.stableWindowMs, panicWindowMs: settings.panicWindowMs });
    this.#autoscaler = new Autoscaler(settings.spec, now);
    this.breaker = new Breaker({ capacity: 0, queueDepth: settings.activatorQueueDepth });
    // Like Knative's SKS in proxy mode: until the autoscaler has measured burst capacity,
    // the activator stays in the path (unless the revision asked for no burst capacity).
    this.excessBurstCapacity = settings.spec.targetBurstCapacity === 0 ? 0 : -1;
    this.#setDesired(initial);
  }

  get inflight(): number { return this.breaker.inFlight; }
  get queued(): number { return this.breaker.queued; }

  /** Whether the activator is in the request path (at zero, or short of burst capacity). */
  get activatorInPath(): boolean {
    return this.desired === 0 || this.excessBurstCapacity < 0;
  }

  /**
   * A slot for one request, now or after waiting. Throws EDGE_ERR_QUEUE_FULL,
   * EDGE_ERR_QUEUE_TIMEOUT or EDGE_ERR_ACTIVATION_TIMEOUT, or the signal's reason when
   * the caller gives up first (the client went away). A request that waits while the
   * revision has no ready instance is waiting for activation (its deadline is
   * activationTimeoutMs); once an instance is ready, for a slot (queueTimeoutMs).
   */
  async admit(now: () => number, signal?: AbortSignal): Promise<Admission> {
    const t0 = now();
    this.lastRequestAt = t0;
    this.#sampler.start(t0);
    this.activations++;
    const fast = this.breaker.tryReserve();
    if (fast) return { release: this.#releaser(fast, now), queuedMs: 0 };
    if (this.desired === 0) {
      this.poke(t0);
      // The poke gave the breaker its capacity at once (the executor starts the instance with this
      // request): no deadline, no timer, no wait.
      const now0 = this.breaker.tryReserve();
      if (now0) return { release: this.#releaser(now0, now), queuedMs: 0 };
    }
    const activating = this.ready === 0;
    const ms = activating ? this.settings.activationTimeoutMs : this.settings.queueTimeoutMs;
    // Deadlines come from the injected scheduler (tests step it), not AbortSignal.timeout.
    const deadline = new AbortController();
    // The error is made when the deadline passes, not for every request that queues.
    const cancel = this.#scheduler.after(ms, () => deadline.abort(new EdgeError(activating ? 'EDGE_ERR_ACTIVATION_TIMEOUT' : 'EDGE_ERR_QUEUE_TIMEOUT',
      activating ? `revision ${this.rev} did not scale from zero within ${ms} ms` : `no slot of revision ${this.rev} within ${ms} ms`)));
    const onAbort = () => deadline.abort(signal!.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const release = await this.breaker.acquire(deadline.signal);
      return { release: this.#releaser(release, now), queuedMs: now() - t0 };
    } catch (e) {
      this.#sampler.end(now());
      throw e;
    } finally {
      cancel();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #releaser(release: () => void, now: () => number): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#sampler.end(now());
      release();
    };
  }

  /** Scale from zero now: the activator does not wait for the next tick. */
  poke(now: number): void {
    if (this.desired > 0) return;
    const s = this.settings;
    const target = Math.max(1, s.spec.activationScale, s.minScale);
    this.lastDecision = { at: now, desired: target, recommended: target, ready: this.ready, stable: NaN, panic: NaN, panicMode: this.panicMode, excessBurstCapacity: -1, reason: 'activator poke: request at zero' };
    this.#setDesired(target);
  }

  /** Every second: the average concurrency of the last interval into the windows. */
  sample(now: number): void {
    const { concurrency, requests } = this.#sampler.takeAverage(now);
    this.#metrics.record(now, { concurrency, requests });
  }

  /** Every tick: one KPA decision, bounded and applied. */
  tick(now: number): Decision {
    const s = this.settings;
    const { stable, panic } = this.#metrics.stableAndPanicConcurrency(now);
    // Requests held by the activator are demand too (Knative's activator reports them).
    const queued = this.breaker.queued;
    const r = this.#autoscaler.scale({ stableConcurrency: stable + queued, panicConcurrency: panic + queued, readyInstances: this.ready }, now);
    let desired = this.desired;
    let reason = 'no data yet';
    if (r.valid) {
      desired = r.desiredScale;
      reason = 'autoscaler';
      this.excessBurstCapacity = r.excessBurstCapacity;
    }
    this.panicMode = this.#autoscaler.panicTime !== undefined;
    if (desired === 0 && this.desired > 0) {
      const idleFor = now - this.lastRequestAt;
      if (this.inflight > 0 || queued > 0 || idleFor < s.scaleToZeroGraceMs + s.scaleToZeroRetentionMs) {
        desired = Math.max(1, s.spec.activationScale);
        reason = `scale to zero after ${s.scaleToZeroGraceMs + s.scaleToZeroRetentionMs} ms idle (idle ${Math.round(idleFor)} ms)`;
      } else reason = 'scale to zero: no traffic for the grace period';
    }
    if (desired < s.minScale) { desired = s.minScale; reason += '; raised to minScale'; }
    if (s.maxScale > 0 && desired > s.maxScale) { desired = s.maxScale; reason += '; capped at maxScale'; }
    this.lastDecision = { at: now, desired, recommended: r.valid ? r.desiredScale : -1, ready: this.ready, stable, panic, panicMode: this.panicMode, excessBurstCapacity: this.excessBurstCapacity, reason };
    this.#setDesired(desired);
    return this.lastDecision;
  }

  setReady(n: number): void {
    this.ready = n;
  }

  /** Idle, at zero and with nothing queued: the manager may stop ticking it. */
  get dormant(): boolean {
    return this.desired === 0 && this.inflight === 0 && this.queued === 0;
  }

  close(e: EdgeError): void {
    this.breaker.rejectAll(e);
  }

  #setDesired(n: number): void {
    const s = this.settings;
    const changed = n !== this.desired;
    this.desired = n;
    const capacity = n === 0 ? 0 : s.cc > 0 ? n * s.cc : Infinity;
    const queueDepth = this.activatorInPath ? s.activatorQueueDepth : Math.max(1, n) * s.queueDepthPerInstance;
    this.breaker.update({ capacity, queueDepth });
    if (changed) this.#realize(n);
  }
}
