/** Knative's `scaling/autoscaler_test.go` and `max/timewindow_test.go`, ported as tables over the pure decider. */
import { describe, expect, it } from 'vitest';
import {
  Autoscaler, AUTOSCALER_DEFAULTS, DEFAULT_AUTOSCALER_SPEC, MaxTimeWindow, TICK_INTERVAL_MS, specFromConfig, type AutoscalerSpec,
} from '../src/autoscaler/index.ts';

const T0 = 1_000_000;
const SEC = 1_000;
const MIN = 60 * SEC;
const STABLE_WINDOW = 60 * SEC;
/** The Go tests presume 75 % utilisation: TotalValue = TargetValue / 0.75. */
const TARGET_UTILIZATION = 0.75;

/** Knative's `newTestAutoscaler` spec. */
function testSpec(target: number, tbc: number, over: Partial<AutoscalerSpec> = {}): AutoscalerSpec {
  return {
    targetValue: target, totalValue: target / TARGET_UTILIZATION, targetBurstCapacity: tbc, panicThreshold: 2,
    maxScaleUpRate: 10, maxScaleDownRate: 10, stableWindowMs: STABLE_WINDOW, scaleDownDelayMs: 0, activationScale: 0, reachable: true, ...over,
  };
}

/** The spec of the scale-down-delay tests: no TotalValue/TBC (EBC 0), panic threshold out of reach. */
function delaySpec(over: Partial<AutoscalerSpec> = {}): AutoscalerSpec {
  return {
    targetValue: 10, totalValue: 0, targetBurstCapacity: 0, panicThreshold: 100, maxScaleUpRate: 10, maxScaleDownRate: 10,
    stableWindowMs: 0, scaleDownDelayMs: 5 * MIN, activationScale: 0, reachable: true, ...over,
  };
}

interface Step {
  at: number;
  stable: number;
  panic: number;
  ready: number;
  scale: number;
  ebc: number;
  valid?: boolean;
  /** Expected panic time after the step: a time, null = stable mode, absent = not checked. */
  panicTime?: number | null;
  /** Knative's `Update` before this step. */
  update?: Partial<AutoscalerSpec>;
}

interface Scenario {
  name: string;
  spec: AutoscalerSpec;
  /** Knative's test autoscalers see one ready pod at creation. */
  initialReady?: number;
  created?: number;
  steps: Step[];
}

function step(at: number, stable: number, panic: number, ready: number, scale: number, ebc: number, extra: Partial<Step> = {}): Step {
  return { at, stable, panic, ready, scale, ebc, ...extra };
}

function run(s: Scenario): void {
  const a = new Autoscaler(s.spec, s.created ?? T0, s.initialReady ?? 1);
  s.steps.forEach((st, i) => {
    if (st.update) a.update({ ...s.spec, ...st.update });
    const got = a.scale({ stableConcurrency: st.stable, panicConcurrency: st.panic, readyInstances: st.ready }, st.at);
    expect(got, `step ${i}`).toEqual({ desiredScale: st.scale, excessBurstCapacity: st.ebc, valid: st.valid ?? true });
    if (st.panicTime !== undefined) expect(a.panicTime, `panic time after step ${i}`).toBe(st.panicTime ?? undefined);
  });
}

describe('scale-down delay', () => {
  it.each<Scenario>([
    {
      // TestAutoscalerScaleDownDelay/simple then /gradual: one autoscaler, Go's `now` is the zero time.
      name: 'ScaleDownDelay',
      spec: delaySpec(),
      initialReady: 0,
      steps: [
        step(T0 + 2 * SEC, 40, 40, 0, 4, 0), // scale up
        step(T0 + 5 * MIN, 0, 0, 0, 4, 0), // under 5 min at reduced load: hold
        step(T0 + 5 * MIN + 2 * SEC, 0, 0, 0, 0, 0), // 5 min 2 s: the 4 has left the window
        step(T0 + 9 * MIN, 40, 40, 0, 4, 0),
        step(T0 + 10 * MIN, 30, 30, 0, 4, 0), // 4 still dominates
        step(T0 + 11 * MIN, 0, 0, 0, 4, 0), // still at 4
        step(T0 + 14 * MIN, 0, 0, 0, 3, 0), // 4 scrolls out, drop to 3
        step(T0 + 15 * MIN, 0, 0, 0, 0, 0), // everything scrolled out
      ],
    },
    {
      name: 'ScaleDownDelayNotReachable',
      spec: delaySpec(),
      initialReady: 0,
      steps: [
        step(T0 + 2 * SEC, 40, 40, 0, 4, 0),
        step(T0 + 1 * MIN, 0, 0, 0, 4, 0),
        // Another revision took the traffic: no delay, no scale-down limit. (Go steps back to +2 s here too.)
        step(T0 + 2 * SEC, 0, 0, 0, 0, 0, { update: { reachable: false } }),
      ],
    },
    {
      // Go leaves Reachable false in this spec.
      name: 'ScaleDownDelayZero',
      spec: delaySpec({ scaleDownDelayMs: 0, panicThreshold: 100, reachable: false }),
      initialReady: 0,
      steps: [step(T0, 40, 40, 0, 4, 0), step(T0 + 500, 20, 20, 0, 2, 0)],
    },
    {
      name: 'ScaleDownDelayZero, reachable (extra)',
      spec: delaySpec({ scaleDownDelayMs: 0 }),
      initialReady: 0,
      steps: [step(T0, 40, 40, 0, 4, 0), step(T0 + 500, 20, 20, 0, 2, 0)],
    },
    {
      // The reason for "no window when the delay is 0": one bucket still keeps the larger of two ticks in it.
      name: 'one-bucket delay window keeps the larger tick of a bucket (extra)',
      spec: delaySpec({ scaleDownDelayMs: 1 }),
      initialReady: 0,
      steps: [step(T0, 40, 40, 0, 4, 0), step(T0 + 500, 20, 20, 0, 4, 0), step(T0 + TICK_INTERVAL_MS, 20, 20, 0, 2, 0)],
    },
  ])('$name', run);
});

describe('decider scenarios', () => {
  it.each<Scenario>([
    {
      // TestAutoscalerNoDataNoAutoscale: ErrNoData is NaN here; the result is Knative's invalidSR.
      name: 'NoDataNoAutoscale',
      spec: testSpec(10, 100),
      steps: [
        step(T0, NaN, NaN, 1, 0, 0, { valid: false }),
        step(T0, NaN, 5, 1, 0, 0, { valid: false }),
        step(T0, 5, Infinity, 1, 0, 0, { valid: false }),
      ],
    },
    {
      // TestCantCountPods: a pod-counter error is a non-finite ready count here.
      name: 'CantCountPods',
      spec: testSpec(10, 81),
      steps: [step(T0, 1000, 888, NaN, 0, 0, { valid: false })],
    },
    {
      name: 'StableModeIncreaseWithConcurrencyDefault',
      spec: testSpec(10, 101),
      steps: [step(T0, 50, 10, 1, 5, -98), step(T0 + 2 * SEC, 100, 10, 1, 10, -98)],
    },
    {
      // TestAutoscalerStableModeIncreaseWithRPS: the decider is metric-agnostic, so the RPS windows go in the same fields.
      name: 'StableModeIncreaseWithRPS',
      spec: testSpec(10, 101),
      steps: [step(T0, 50, 50, 1, 5, -138), step(T0 + 2 * SEC, 100, 99, 1, 10, -187)],
    },
    {
      name: 'UnpanicAfterSlowIncrease',
      spec: testSpec(1, 98),
      steps: [
        step(T0, 11, 25, 10, 25, -110, { panicTime: T0 }), // jump from 10 to 25 pods
        // Half the stable window later, +1 pod per tick = +15 pods; the panic time does not move.
        step(T0 + STABLE_WINDOW / 2, 30, 41, 40, 41, -86, { panicTime: T0 }),
        // At the end (+30 pods) panic must end.
        step(T0 + STABLE_WINDOW + TICK_INTERVAL_MS, 50, 56, 55, 50, -81, { panicTime: null }),
      ],
    },
    {
      name: 'ExtendPanicWindow',
      spec: testSpec(1, 98),
      steps: [
        step(T0, 11, 25, 10, 25, -110, { panicTime: T0 }),
        step(T0 + STABLE_WINDOW / 2, 30, 80, 40, 80, -125, { panicTime: T0 + STABLE_WINDOW / 2 }), // still surging
      ],
    },
    {
      name: 'StableModeDecrease',
      spec: testSpec(10, 98),
      steps: [step(T0, 100, 100, 8, 10, -92), step(T0 + 2 * SEC, 50, 50, 8, 5, -42)],
    },
    {
      name: 'StableModeNoTrafficScaleToZero',
      spec: testSpec(10, 75),
      steps: [step(T0, 1, 0, 1, 1, -62), step(T0 + 2 * SEC, 0, 0, 1, 0, -62)],
    },
    {
      name: 'ActivationScale',
      spec: testSpec(10, 75, { activationScale: 2 }),
      steps: [step(T0, 0, 0, 1, 0, -62), step(T0 + 2 * SEC, 1, 0, 1, 2, -62)],
    },
    {
      // Load grows ×6 per tick; each scaling brings concurrency back to the target (1), until 1296.
      name: 'PanicModeExponentialTrackAndStabilize',
      spec: testSpec(1, 101),
      steps: [
        step(T0, 6, 6, 1, 6, -106),
        step(T0 + 2 * SEC, 36, 36, 6, 36, -129, { panicTime: T0 + 2 * SEC }),
        step(T0 + 3 * SEC, 216, 216, 36, 216, -269, { panicTime: T0 + 3 * SEC }),
        step(T0 + 3 * SEC, 1296, 1296, 216, 1296, -1109, { panicTime: T0 + 3 * SEC }),
        step(T0 + 4 * SEC, 1296, 1296, 1296, 1296, 331),
      ],
    },
    {
      name: 'PanicThenUnPanicScaleDown',
      spec: testSpec(10, 93),
      steps: [
        step(T0, 100, 100, 1, 10, -180),
        step(T0 + 2 * SEC, 100, 1000, 10, 100, -960, { panicTime: T0 + 2 * SEC }),
        step(T0 + 2 * SEC + 30 * SEC, 1, 1, 10, 100, 39), // traffic dropped, still in panic: hold
        step(T0 + 2 * SEC + 61 * SEC, 1, 1, 10, 1, 39, { panicTime: null }), // a stable window later: scale down
      ],
    },
    {
      // Knative un-panics only when panicTime + StableWindow is strictly before now.
      name: 'panic ends strictly after a stable window (extra)',
      spec: testSpec(10, 0),
      steps: [
        step(T0, 30, 30, 1, 3, 0, { panicTime: T0 }),
        step(T0 + STABLE_WINDOW, 1, 1, 3, 3, 0, { panicTime: T0 }),
        step(T0 + STABLE_WINDOW + 1, 1, 1, 3, 1, 0, { panicTime: null }),
      ],
    },
    {
      name: 'RateLimitScaleUp', // need 100 pods but only ×10 per tick
      spec: testSpec(10, 61),
      steps: [step(T0, 1000, 1001, 1, 10, -1049), step(T0 + 2 * SEC, 1000, 1001, 10, 100, -929)],
    },
    {
      name: 'RateLimitScaleDown', // need 1 pod but only ÷10 per tick
      spec: testSpec(10, 61),
      steps: [step(T0, 1, 1, 100, 10, 1271), step(T0 + 2 * SEC, 1, 1, 10, 1, 71)],
    },
    {
      // Rate limits use one pod when none is ready; EBC uses the real 0.
      name: 'UseOnePodAsMinimumIfEndpointsNotFound',
      spec: testSpec(10, 81),
      steps: [step(T0, 1000, 888, 0, 10, -969)],
    },
    {
      name: 'UpdateTarget',
      spec: testSpec(10, 77),
      steps: [
        step(T0, 100, 101, 1, 10, -165),
        step(T0 + 2 * SEC, 100, 101, 10, 100, -159, { update: { targetValue: 1, totalValue: 1 / TARGET_UTILIZATION, targetBurstCapacity: 71 } }),
      ],
    },
    {
      // The scale results of TestAutoscalerMetrics and ...MetricsWithRPS (their OpenTelemetry checks have no counterpart).
      name: 'Metrics scale results',
      spec: testSpec(10, 100),
      steps: [step(T0, 50, 50, 1, 5, -137), step(T0 + 61 * SEC, 100, 99, 1, 10, -186)],
    },
  ])('$name', run);
});

describe('TestAutoscalerScale', () => {
  interface Row {
    name: string;
    spec: AutoscalerSpec;
    stable: number;
    panic: number;
    baseScale: number;
    /** Knative's prepFunc that sets panicTime = now − 5 s and maxPanicPods = 5. */
    inPanicWith5?: boolean;
    scale: number;
    ebc: number;
  }
  it.each<Row>([
    { name: 'AutoscalerNoDataAtZeroNoAutoscale', spec: testSpec(10, 100), stable: 0, panic: 0, baseScale: 1, scale: 0, ebc: -87 },
    { name: 'AutoscalerNoDataAtZeroNoAutoscaleWithExplicitEPs', spec: testSpec(10, 100), stable: 0, panic: 0, baseScale: 1, scale: 0, ebc: -87 },
    { name: 'AutoscalerStableModeUnlimitedTBC', spec: testSpec(181, -1), stable: 21, panic: 26, baseScale: 1, scale: 1, ebc: -1 },
    { name: 'Autoscaler0TBC', spec: testSpec(10, 0), stable: 50, panic: 49, baseScale: 1, scale: 5, ebc: 0 },
    { name: 'AutoscalerStableModeNoChange', spec: testSpec(10, 100), stable: 50, panic: 50, baseScale: 1, scale: 5, ebc: -137 },
    // Stable is used for the desired scale when it is the larger window.
    { name: 'AutoscalerPanicStableLargerThanPanic', spec: testSpec(1, 100), stable: 50, panic: 30, baseScale: 5, inPanicWith5: true, scale: 50, ebc: -124 },
    { name: 'AutoscalerPanicStableLessThanPanic', spec: testSpec(1, 100), stable: 20, panic: 30, baseScale: 5, inPanicWith5: true, scale: 30, ebc: -124 },
    { name: 'AutoscalerStableModeNoChangeAlreadyScaled', spec: testSpec(10, 100), stable: 50, panic: 50, baseScale: 5, scale: 5, ebc: -84 },
    { name: 'AutoscalerStableModeIncreaseWithSmallScaleUpRate', spec: testSpec(1, 1982, { maxScaleUpRate: 1.1 }), stable: 3, panic: 3.1, baseScale: 2, scale: 3, ebc: -1983 },
    { name: 'AutoscalerStableModeDecreaseWithSmallScaleDownRate', spec: testSpec(10, 1982, { maxScaleDownRate: 1.1 }), stable: 1, panic: 1, baseScale: 100, scale: 90, ebc: -650 },
    { name: 'AutoscalerStableModeDecreaseNonReachable', spec: testSpec(10, 1982, { maxScaleDownRate: 1.1, reachable: false }), stable: 1, panic: 1, baseScale: 100, scale: 1, ebc: -650 },
    // Panic concurrency takes precedence.
    { name: 'AutoscalerPanicModeDoublePodCount', spec: testSpec(10, 84), stable: 50, panic: 100, baseScale: 1, scale: 10, ebc: -171 },
  ])('$name', (row) => {
    // The prepFunc state is what the constructor sets for a revision created 5 s ago with 5 ready pods.
    const a = row.inPanicWith5 ? new Autoscaler(row.spec, T0 - 5 * SEC, 5) : new Autoscaler(row.spec, T0, 1);
    if (row.inPanicWith5) expect(a.panicTime).toBe(T0 - 5 * SEC);
    const got = a.scale({ stableConcurrency: row.stable, panicConcurrency: row.panic, readyInstances: row.baseScale }, T0);
    expect(got).toEqual({ desiredScale: row.scale, excessBurstCapacity: row.ebc, valid: true });
  });
});

describe('StartInPanicMode', () => {
  const spec = testSpec(100, 11, { totalValue: 120, panicThreshold: 220 });
  // Static metrics of 10/10 want 1 pod; only panic mode (holding the initial count) keeps 2.
  it.each([
    { name: 'created at scale 0', initialReady: 0, panicTime: undefined, scale: 1 },
    { name: 'created at scale 1', initialReady: 1, panicTime: undefined, scale: 1 },
    { name: 'created at scale 2 starts in panic', initialReady: 2, panicTime: T0, scale: 2 },
    { name: 'TestNewFail: unknown count (default 0)', initialReady: undefined, panicTime: undefined, scale: 1 },
  ])('$name', ({ initialReady, panicTime, scale }) => {
    const a = initialReady === undefined ? new Autoscaler(spec, T0) : new Autoscaler(spec, T0, initialReady);
    expect(a.panicTime).toBe(panicTime);
    expect(a.scale({ stableConcurrency: 10, panicConcurrency: 10, readyInstances: 2 }, T0 + 2 * SEC)).toEqual({ desiredScale: scale, excessBurstCapacity: 219, valid: true });
  });
});

describe('MaxTimeWindow (TestTimedWindowMax)', () => {
  it.each([
    { name: 'single value', values: [[0, 5]], expect: 5 },
    { name: 'two values in same second', values: [[0, 6], [500, 5]], expect: 6 },
    { name: 'two values', values: [[0, 5], [1_000, 8]], expect: 8 },
    { name: 'time gap', values: [[0, 5], [6_000, 4]], expect: 4 },
    { name: 'nothing recorded (extra)', values: [], expect: 0 },
    { name: 'descending values stay until they expire (extra)', values: [[0, 9], [1_000, 7], [2_000, 3], [5_000, 1]], expect: 7 },
  ])('$name', ({ values, expect: want }) => {
    const w = new MaxTimeWindow(5_000, 1_000);
    for (const [t, v] of values) w.record(T0 + (t as number), v as number);
    expect(w.current()).toBe(want);
  });
});

describe('specFromConfig (MakeDecider + ResolveMetricTarget)', () => {
  it('uses Knative config-autoscaler defaults', () => {
    expect(DEFAULT_AUTOSCALER_SPEC).toEqual({
      targetValue: 70, totalValue: 100, targetBurstCapacity: 211, panicThreshold: 2, maxScaleUpRate: 1000, maxScaleDownRate: 2,
      stableWindowMs: 60_000, scaleDownDelayMs: 0, activationScale: 1, reachable: true,
    });
    expect(AUTOSCALER_DEFAULTS.panicWindowPercentage).toBe(10);
  });

  it.each([
    { name: 'container concurrency is the total', input: { containerConcurrency: 10 }, target: 7, total: 10 },
    { name: 'a target replaces the default', input: { scaling: { target: 50 } }, target: 35, total: 50 },
    { name: 'a target is capped by container concurrency', input: { containerConcurrency: 10, scaling: { target: 50 } }, target: 7, total: 10 },
    { name: 'a target below container concurrency wins', input: { containerConcurrency: 100, scaling: { target: 20 } }, target: 14, total: 20 },
    { name: 'target utilisation percentage', input: { containerConcurrency: 10, scaling: { targetUtilizationPercentage: 50 } }, target: 5, total: 10 },
    { name: 'TargetMin floor', input: { scaling: { target: 1, targetUtilizationPercentage: 0.5 } }, target: 0.01, total: 1 },
  ])('$name', ({ input, target, total }) => {
    const spec = specFromConfig(input);
    expect(spec.targetValue).toBeCloseTo(target, 12);
    expect(spec.totalValue).toBe(total);
  });

  it('takes per-revision overrides and reachability', () => {
    expect(specFromConfig({
      scaling: { targetBurstCapacity: -1, panicThresholdPercentage: 300, windowMs: 120_000, scaleDownDelayMs: 30_000, activationScale: 3 },
      reachable: false,
      defaults: { maxScaleUpRate: 5 },
    })).toMatchObject({ targetBurstCapacity: -1, panicThreshold: 3, stableWindowMs: 120_000, scaleDownDelayMs: 30_000, activationScale: 3, reachable: false, maxScaleUpRate: 5 });
  });
});
