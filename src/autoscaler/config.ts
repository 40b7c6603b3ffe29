/** Knative `config-autoscaler` defaults and `MakeDecider`: how a revision's settings become an `AutoscalerSpec`. */
import type { AutoscalerSpec } from './autoscaler.ts';

/** The cluster-wide knobs of Knative's `config-autoscaler` that the decider uses (concurrency metric). */
export interface AutoscalerDefaults {
  /** `container-concurrency-target-default`: the per-instance concurrency when the revision sets none. */
  containerConcurrencyTargetDefault: number;
  /** `container-concurrency-target-percentage`, as a fraction (Knative divides values above 1 by 100). */
  containerConcurrencyTargetFraction: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
  targetBurstCapacity: number;
  stableWindowMs: number;
  /** Used by the metric windows (panic window = stable window × this %), not by the decider. */
  panicWindowPercentage: number;
  panicThresholdPercentage: number;
  scaleDownDelayMs: number;
}

/** Knative's `defaultConfig()` values. */
export const AUTOSCALER_DEFAULTS: Readonly<AutoscalerDefaults> = Object.freeze({
  containerConcurrencyTargetDefault: 100,
  containerConcurrencyTargetFraction: 0.7,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
  targetBurstCapacity: 211,
  stableWindowMs: 60_000,
  panicWindowPercentage: 10,
  panicThresholdPercentage: 200,
  scaleDownDelayMs: 0,
});

/** Knative's `autoscaling.TargetMin`: the smallest per-instance target. */
export const TARGET_MIN = 0.01;

/** Per-revision overrides, named like the `scaling` block of a revision config (Knative annotations). */
export interface ScalingOverrides {
  target?: number;
  targetUtilizationPercentage?: number;
  targetBurstCapacity?: number;
  activationScale?: number;
  scaleDownDelayMs?: number;
  /** The stable window (`autoscaling.knative.dev/window`). */
  windowMs?: number;
  panicThresholdPercentage?: number;
}

export interface DeciderInput {
  /** The revision's container concurrency; 0 = unlimited. */
  containerConcurrency?: number;
  scaling?: ScalingOverrides;
  /** False when no route sends traffic to the revision. */
  reachable?: boolean;
  defaults?: Partial<AutoscalerDefaults>;
}

/**
 * Knative's `ResolveMetricTarget` for concurrency: total = container concurrency, or
 * the default target when unlimited; an explicit `target` replaces it, capped by a
 * non-zero container concurrency; target = max(TargetMin, total × utilisation).
 */
export function resolveTarget(containerConcurrency: number, scaling: ScalingOverrides, defaults: AutoscalerDefaults): { target: number; total: number } {
  let total = containerConcurrency > 0 ? containerConcurrency : defaults.containerConcurrencyTargetDefault;
  if (scaling.target !== undefined) total = containerConcurrency > 0 ? Math.min(scaling.target, containerConcurrency) : scaling.target;
  const fraction = scaling.targetUtilizationPercentage !== undefined ? scaling.targetUtilizationPercentage / 100 : defaults.containerConcurrencyTargetFraction;
  return { target: Math.max(TARGET_MIN, total * fraction), total };
}

/** Knative's `MakeDecider`: the decider spec of one revision from its settings and the cluster defaults. */
export function specFromConfig(input: DeciderInput = {}): AutoscalerSpec {
  const defaults = { ...AUTOSCALER_DEFAULTS, ...input.defaults };
  const scaling = input.scaling ?? {};
  const { target, total } = resolveTarget(input.containerConcurrency ?? 0, scaling, defaults);
  return {
    targetValue: target,
    totalValue: total,
    targetBurstCapacity: scaling.targetBurstCapacity ?? defaults.targetBurstCapacity,
    panicThreshold: (scaling.panicThresholdPercentage ?? defaults.panicThresholdPercentage) / 100,
    maxScaleUpRate: defaults.maxScaleUpRate,
    maxScaleDownRate: defaults.maxScaleDownRate,
    stableWindowMs: scaling.windowMs ?? defaults.stableWindowMs,
    scaleDownDelayMs: scaling.scaleDownDelayMs ?? defaults.scaleDownDelayMs,
    // Knative leaves it 0 without the annotation; anything ≤ 1 means "off".
    activationScale: scaling.activationScale ?? 1,
    reachable: input.reachable ?? true,
  };
}

/** The spec of a revision with no settings: target 70, total 100, TBC 211, panic at 200 %. */
export const DEFAULT_AUTOSCALER_SPEC: Readonly<AutoscalerSpec> = Object.freeze(specFromConfig());
