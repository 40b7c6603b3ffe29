/** Status as the admin API shows it, read from the data plane through narrow views. */
import type { Clock } from '../core/clock.ts';
import type { ExecutorStats } from '../executor/index.ts';

/** One revision's scaler, as far as status needs it. */
export interface ScalerView {
  desired: number;
  inflight: number;
  queued: number;
  panicMode: boolean;
  activatorInPath: boolean;
  lastDecision: { at: number; desired: number; recommended: number; stable: number; panic: number; excessBurstCapacity: number; reason: string } | undefined;
}

const round = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);

/** Knative-style revision status: desired and ready instances, load, and the last autoscaler decision. */
export function revisionStatus(scaler: ScalerView | undefined, ready: number, routed: boolean, clock: Clock, wallNow: number) {
  const d = scaler?.lastDecision;
  return {
    routed,
    desired: scaler?.desired ?? 0,
    ready,
    inflight: scaler?.inflight ?? 0,
    queued: scaler?.queued ?? 0,
    panicMode: scaler?.panicMode ?? false,
    activatorInPath: scaler ? scaler.activatorInPath : true,
    lastDecision: d ? {
      // Decisions carry monotonic time; the API shows wall time.
      at: new Date(wallNow - (clock.now() - d.at)).toISOString(), desired: d.desired, recommended: d.recommended,
      stableConcurrency: round(d.stable), panicConcurrency: round(d.panic), excessBurstCapacity: d.excessBurstCapacity, reason: d.reason,
    } : null,
  };
}

export function hostStatus(functions: number, executors: ExecutorStats[], threads: { desired: number; running: number; panicMode: boolean }) {
  const m = process.memoryUsage();
  return { functions, memory: { rss: m.rss, heapUsed: m.heapUsed, external: m.external }, executors, threads };
}
