/** Knative's `aggregation/bucketing_test.go`, the collector's window tests and networking's `RequestStats` tests, ported. */
import { describe, expect, it } from 'vitest';
import {
  ConcurrencySampler, MIN_EXPONENT, RevisionMetrics, TimedBuckets, WeightedBuckets, computeSmoothingCoeff, panicWindowMs, roundToDigits,
} from '../src/autoscaler/index.ts';

/** Go's tests start at `time.Now()`, which is not on a bucket boundary; neither is this. */
const NOW = 1_700_000_000_300;
const SEC = 1_000;

/** Exposes the protected first/last write times (Go's tests read the fields directly). */
class ProbeBuckets extends TimedBuckets {
  get first(): number {
    return this.firstWrite;
  }
  get last(): number {
    return this.lastWrite;
  }
}

function sum(b: TimedBuckets, now: number): number {
  let s = 0;
  b.forEachBucket(now, (_t, v) => { s += v; });
  return s;
}

describe('computeSmoothingCoeff (TestComputeDecayMultiplier)', () => {
  // Knative compares with a tolerance of weightPrecision (0.9999), which accepts anything; this checks 4 decimals.
  it.each([
    { numBuckets: 100, want: MIN_EXPONENT },
    { numBuckets: 60, want: MIN_EXPONENT },
    { numBuckets: 40, want: 0.20567 },
    { numBuckets: 6, want: 0.78456 },
  ])('nb=$numBuckets', ({ numBuckets, want }) => {
    expect(computeSmoothingCoeff(numBuckets)).toBeCloseTo(want, 4);
  });
});

describe('TimedBuckets', () => {
  const trunc1 = Math.floor(NOW / SEC) * SEC;
  const trunc5 = Math.floor(NOW / (5 * SEC)) * 5 * SEC;

  it.each([
    {
      name: 'granularity = 1s',
      granularity: SEC,
      stats: [[trunc1, 1], [trunc1 + 100, 10], [trunc1 + SEC, 1], [trunc1 + 3 * SEC, 1]], // activator from 0, scrape, next, next-next-next
      want: new Map([[trunc1, 11], [trunc1 + SEC, 1], [trunc1 + 3 * SEC, 1]]),
    },
    {
      name: 'granularity = 5s',
      granularity: 5 * SEC,
      stats: [[trunc5, 1], [trunc5 + 3 * SEC, 11], [trunc5 + 6 * SEC, 1]], // same bucket, then the next
      want: new Map([[trunc5, 12], [trunc5 + 5 * SEC, 1]]),
    },
    { name: 'empty', granularity: SEC, stats: [], want: new Map<number, number>() },
  ])('TestTimedFloat64BucketsSimple: $name', ({ granularity, stats, want }) => {
    const b = new TimedBuckets(2 * 60 * SEC, granularity);
    expect(b.isEmpty(trunc1)).toBe(true);
    for (const [t, v] of stats) b.record(t as number, v as number);
    const got = new Map<number, number>();
    // Zeros stand for "no data", so only non-zero buckets are compared.
    b.forEachBucket(trunc1 + 60 * SEC, (t, v) => { if (v > 0) got.set(t, v); });
    expect(got).toEqual(want);
  });

  it.each([
    { name: 'TestTimedFloat64BucketsManyReps', offsets: [1, 2, 3, 4, 5] },
    { name: 'TestTimedFloat64BucketsManyRepsWithNonMonotonicalOrder', offsets: [0, 3, 2, 1, 4] },
  ])('$name', ({ offsets }) => {
    const start = trunc1;
    const b = new TimedBuckets(60 * SEC, SEC);
    let end = start;
    offsets.forEach((d, p) => {
      end = start + d * SEC;
      for (let t = 0; t < 5; t++) b.record(end, p + t);
    });
    // Bucket sums 10 + 15 + 20 + 25 + 30, in whatever order they were written; reading twice changes nothing.
    expect(sum(b, end)).toBe(100);
    expect(sum(b, end)).toBe(100);
  });

  it('TestTimedFloat64BucketsWindowAverage', () => {
    const b = new TimedBuckets(5 * SEC, SEC);
    let now = NOW;
    b.record(now, 1);
    expect(b.windowAverage(now)).toBe(1); // the partial window since the first write; without it 0.2
    for (let i = 1; i < 5; i++) b.record(now + i * SEC, i + 1);
    expect(b.windowAverage(now + 4 * SEC)).toBe(15 / 5);
    expect(b.windowAverage(now + 3600)).toBe(15 / 5); // `now` lags behind the last write
    expect(b.windowAverage(now + 6 * SEC)).toBe((15 - 1 - 2) / (5 - 2)); // a short hole: stale buckets left out
    expect(b.windowAverage(now + 10 * SEC)).toBe(0); // a long hole
    b.record(now + 6 * SEC, 91); // a write after a hole
    expect(b.windowAverage(now + 6 * SEC)).toBe((15 - 1 - 2 + 91) / 5);

    now += 60 * SEC; // much farther
    b.record(now, 1984);
    expect(b.windowAverage(now)).toBe(1984);
    b.record(now - 3 * SEC, 4); // an earlier time
    expect(b.windowAverage(now)).toBe((4 + 1984) / 4);
    now += SEC;
    b.record(now, 5);
    expect(b.windowAverage(now)).toBe((4 + 1984 + 5) / 5);
    b.record(now - 3 * SEC, 10); // an earlier time again
    expect(b.windowAverage(now)).toBe((4 + 10 + 1984 + 5) / 5);
    b.record(now - 6 * SEC, 10); // too early: ignored
    expect(b.windowAverage(now)).toBe((4 + 10 + 1984 + 5) / 5);
    b.record(now - 5 * SEC, 10); // exactly a window early: ignored
    expect(b.windowAverage(now)).toBe((4 + 10 + 1984 + 5) / 5);
    b.record(now + 5 * SEC, 10); // exactly a window without data: starts over
    expect(b.windowAverage(now + 5 * SEC)).toBe(10);
  });

  it('TestDescendingRecord', () => {
    const b = new TimedBuckets(5 * SEC, SEC);
    for (let i = 8; i >= 0; i--) b.record(NOW + i * SEC, 5);
    // A 5 every second, never twice in one second: the average is 5.
    expect(b.windowAverage(NOW + 5 * SEC)).toBe(5);
  });

  it('TestTimedFloat64BucketsHoles', () => {
    const b = new TimedBuckets(5 * SEC, SEC);
    for (let i = 0; i < 5; i++) b.record(NOW + i * SEC, i + 1);
    expect(sum(b, NOW + 4 * SEC)).toBe(15);
    expect(b.windowAverage(NOW + 4 * SEC)).toBe(15 / 5);
    // A write at +8 s zeroes +5, +6, +7: left are [+4] = 5 and [+8] = 2.
    b.record(NOW + 8 * SEC, 2);
    expect(sum(b, NOW + 8 * SEC)).toBe(7);
  });

  it('TestTimedFloat64BucketsResizeWindow', () => {
    const b = new TimedBuckets(5 * SEC, SEC);
    for (let i = 0; i <= 5; i++) b.record(NOW + i * SEC, i + 1); // fills the ring with a rollover
    let now = NOW + 5 * SEC;
    const initial = 2 + 3 + 4 + 5 + 6;
    expect(sum(b, now)).toBe(initial);
    expect(b.windowAverage(now)).toBe(initial / 5);

    b.resizeWindow(10 * SEC, now);
    expect(b.bucketCount).toBe(10);
    expect(b.window).toBe(10 * SEC);
    expect(sum(b, now)).toBe(initial); // values copied
    expect(b.windowAverage(now)).toBe(initial / 5); // still at most 5 buckets of data

    now += SEC;
    b.record(now, 7); // the longer window keeps everything
    expect(sum(b, now)).toBe(initial + 7);
    expect(b.windowAverage(now)).toBe(roundToDigits(6, (initial + 7) / 6));

    b.resizeWindow(4 * SEC, now);
    expect(b.bucketCount).toBe(4);
    const shrunk = initial + 7 - 2 - 3; // the 2 oldest are gone
    expect(sum(b, now)).toBe(shrunk);
    expect(b.windowAverage(now)).toBe(shrunk / 4);

    b.resizeWindow(4 * SEC, now); // same window: a no-op
    expect(b.bucketCount).toBe(4);
    expect(sum(b, now)).toBe(shrunk);
  });

  it('TestTimedFloat64BucketsWindowUpdate3sGranularity', () => {
    const g = 3 * SEC;
    const t = Math.floor(NOW / g) * g;
    const b = new TimedBuckets(5 * SEC, g);
    expect(b.bucketCount).toBe(2); // ceil(5 / 3)
    [10, 2, 3, 4, 5, 6, 7].forEach((v, i) => b.record(t + i * SEC, v)); // 7 overrides the first bucket (10 + 2 + 3)
    let want = 4 + 5 + 6 + 7;
    expect(sum(b, t + 6 * SEC)).toBe(want);

    b.resizeWindow(10 * SEC, t + 6 * SEC);
    expect(b.bucketCount).toBe(4);
    expect(b.window).toBe(10 * SEC);
    expect(sum(b, t + 6 * SEC)).toBe(want);

    b.record(t + 9 * SEC + 300, 42);
    want += 42;
    expect(sum(b, t + 9 * SEC)).toBe(want);

    b.resizeWindow(4 * SEC, t + 9 * SEC);
    expect(b.bucketCount).toBe(2);
    expect(sum(b, t + 9 * SEC)).toBe(42 + 7); // the oldest bucket is dropped
  });

  it('TestTimedFloat64BucketsWindowUpdateNoOp', () => {
    const b = new ProbeBuckets(5 * SEC, SEC);
    const start = NOW - 60 * SEC;
    b.record(start, 19.82);
    expect(b.first).toBe(b.last);
    b.resizeWindow(10 * SEC, NOW); // the data is older than the window: reset "first write" to never
    expect(b.first).toBe(-Infinity);
  });

  it('isEmpty after more than a window without writes (extra)', () => {
    const b = new TimedBuckets(5 * SEC, SEC);
    b.record(NOW, 1);
    expect(b.isEmpty(NOW + 5 * SEC)).toBe(false);
    expect(b.isEmpty(NOW + 6 * SEC)).toBe(true);
  });
});

describe('WeightedBuckets', () => {
  it('TestTimedFloat64BucketsWeightedAverage', () => {
    const b = new WeightedBuckets(5 * SEC, SEC);
    const m = b.smoothingCoeff;
    b.record(NOW, 2);
    let want = 2 * m;
    expect(b.windowAverage(NOW)).toBe(want);
    want *= 1 - m; // one second later, no writes
    expect(b.windowAverage(NOW + SEC)).toBe(want);
    b.record(NOW + SEC, 2);
    want += 2 * m;
    expect(b.windowAverage(NOW + SEC)).toBe(want);
    for (let i = 0; i < 5; i++) b.record(NOW + (2 + i) * SEC, i + 2); // [2, 3, 4, 5, 6]
    want = 6 * m + 5 * m * (1 - m) + 4 * m * (1 - m) * (1 - m) + 3 * m * (1 - m) * (1 - m) * (1 - m) + 2 * m * (1 - m) * (1 - m) * (1 - m) * (1 - m);
    // Go compares exactly; here the hand-written sum rounds differently in the last bit (5.811579787388782 vs …783).
    expect(b.windowAverage(NOW + 6 * SEC)).toBeCloseTo(want, 12);
    expect(b.windowAverage(NOW + 16 * SEC)).toBe(0); // an empty window
  });

  it('TestWeightedFloat64BucketsResizeWindow', () => {
    const b = new WeightedBuckets(5 * SEC, SEC);
    expect(b.smoothingCoeff).toBe(computeSmoothingCoeff(5));
    for (let i = 0; i <= 5; i++) b.record(NOW + i * SEC, i + 1);
    const now = NOW + 5 * SEC;
    expect(sum(b, now)).toBe(2 + 3 + 4 + 5 + 6);
    expect(roundToDigits(3, b.windowAverage(now))).toBe(5.812); // computed by hand in Knative
    b.resizeWindow(10 * SEC, now);
    expect(b.bucketCount).toBe(10);
    expect(b.window).toBe(10 * SEC);
    expect(b.smoothingCoeff).toBe(computeSmoothingCoeff(10));
  });
});

describe('roundToDigits (TestRoundToNDigits)', () => {
  it.each([
    { n: 6, f: 3.6e-17, want: 0 },
    { n: 3, f: -3.6e-17, want: 0 },
    { n: 3, f: 0.0004, want: 0 },
    { n: 3, f: 1.2345, want: 1.235 },
    { n: 4, f: 1.2345, want: 1.2345 },
    { n: 6, f: 12345, want: 12345 },
    { n: 0, f: -2.5, want: -3 }, // extra: Go rounds half away from zero
  ])('roundToDigits($n, $f) = $want', ({ n, f, want }) => {
    expect(roundToDigits(n, f)).toBe(want);
  });
});

describe('RevisionMetrics (the metric collection)', () => {
  it('TestMetricCollectorNoDataError: no data before the first sample', () => {
    const m = new RevisionMetrics();
    expect(m.stableAndPanicConcurrency(NOW)).toEqual({ stable: NaN, panic: NaN });
    expect(m.stableAndPanicRPS(NOW)).toEqual({ stable: NaN, panic: NaN });
  });

  it('TestMetricCollectorRecord: a sample older than the stable window is dropped by the next one', () => {
    const m = new RevisionMetrics();
    m.record(NOW - 70 * SEC, { concurrency: 100, requests: 100 });
    m.record(NOW, { concurrency: 10, requests: 10 });
    expect(m.stableAndPanicConcurrency(NOW)).toEqual({ stable: 10, panic: 10 });
    expect(m.stableAndPanicRPS(NOW)).toEqual({ stable: 10, panic: 10 });
  });

  it('TestMetricCollectorAggregate: 6 s stable and 2 s panic windows', () => {
    const m = new RevisionMetrics({ stableWindowMs: 6 * SEC, panicWindowMs: 2 * SEC });
    for (let i = 0; i < 10; i++) m.record(NOW + i * SEC, { concurrency: i + 5, requests: i + 5 });
    expect(m.stableAndPanicConcurrency(NOW + 9 * SEC)).toEqual({ stable: 11.5, panic: 13.5 });
    expect(m.stableAndPanicRPS(NOW + 9 * SEC)).toEqual({ stable: 11.5, panic: 13.5 });
  });

  it.each([
    { name: 'a quiet panic window averages to 0 while the stable window has data', at: 10 * SEC, want: { stable: 4, panic: 0 } },
    { name: 'the stable window decides "no data"', at: 62 * SEC, want: { stable: NaN, panic: NaN } },
  ])('$name (extra)', ({ at, want }) => {
    const m = new RevisionMetrics();
    for (let i = 0; i < 2; i++) m.record(NOW + i * SEC, { concurrency: 4, requests: 8 });
    expect(m.stableAndPanicConcurrency(NOW + at)).toEqual(want);
  });

  it('defaults to 60 s / 6 s linear windows; samples in one second add up', () => {
    const m = new RevisionMetrics();
    expect([m.stableWindowMs, m.panicWindowMs, m.algorithm]).toEqual([60_000, 6_000, 'linear']);
    m.record(NOW, { concurrency: 1, requests: 2 });
    m.record(NOW + 1, { concurrency: 1, requests: 2 });
    expect(m.stableAndPanicRPS(NOW)).toEqual({ stable: 4, panic: 4 });
  });

  it('weighted-exponential weighs the newest seconds most', () => {
    const linear = new RevisionMetrics({ stableWindowMs: 6 * SEC, panicWindowMs: 2 * SEC });
    const weighted = new RevisionMetrics({ stableWindowMs: 6 * SEC, panicWindowMs: 2 * SEC, algorithm: 'weighted-exponential' });
    for (const m of [linear, weighted]) for (let i = 0; i < 6; i++) m.record(NOW + i * SEC, { concurrency: i < 5 ? 0 : 12, requests: 0 });
    expect(linear.stableAndPanicConcurrency(NOW + 5 * SEC).stable).toBe(2);
    expect(weighted.stableAndPanicConcurrency(NOW + 5 * SEC).stable).toBe(12 * computeSmoothingCoeff(6));
  });

  it('resizeWindows keeps the newest data that fits', () => {
    const m = new RevisionMetrics({ stableWindowMs: 6 * SEC, panicWindowMs: 2 * SEC });
    for (let i = 0; i < 6; i++) m.record(NOW + i * SEC, { concurrency: i + 1, requests: 1 });
    m.resizeWindows({ stableWindowMs: 3 * SEC, panicWindowMs: SEC }, NOW + 5 * SEC);
    expect([m.stableWindowMs, m.panicWindowMs]).toEqual([3 * SEC, SEC]);
    expect(m.stableAndPanicConcurrency(NOW + 5 * SEC)).toEqual({ stable: 5, panic: 6 });
  });

  it.each([
    { stable: 60 * SEC, pct: 10, want: 6 * SEC },
    { stable: 6 * SEC, pct: 10, want: SEC }, // 0.6 s rounds to 1 s
    { stable: 10 * SEC, pct: 1, want: SEC }, // never below one bucket
    { stable: 45 * SEC, pct: 10, want: 5 * SEC }, // 4.5 s rounds half away from zero
    { stable: 100 * SEC, pct: 15, want: 15 * SEC },
  ])('panicWindowMs($stable, $pct %) = $want (MakeMetric)', ({ stable, pct, want }) => {
    expect(panicWindowMs(stable, pct)).toBe(want);
  });
});

describe('ConcurrencySampler (TestRequestStats)', () => {
  type Ev = ['in' | 'out' | 'report', number];
  it.each<{ name: string; events: Ev[]; want: { concurrency: number; requests: number }[] }>([
    { name: 'no requests', events: [['report', 1000]], want: [{ concurrency: 0, requests: 0 }] },
    { name: '1 request, entire time', events: [['in', 0], ['out', 1000], ['report', 1000]], want: [{ concurrency: 1, requests: 1 }] },
    { name: '1 request, half the time', events: [['in', 0], ['out', 3000], ['report', 6000]], want: [{ concurrency: 0.5, requests: 1 }] },
    { name: 'very short request', events: [['in', 0], ['out', 1], ['report', 1000]], want: [{ concurrency: 1 / 1000, requests: 1 }] },
    {
      name: '3 requests, fill entire time',
      events: [['in', 0], ['out', 300], ['in', 300], ['out', 600], ['in', 600], ['out', 1000], ['report', 1000]],
      want: [{ concurrency: 1, requests: 3 }],
    },
    { name: 'interleaved requests', events: [['in', 0], ['in', 100], ['out', 600], ['out', 1000], ['report', 1000]], want: [{ concurrency: 1.5, requests: 2 }] },
    {
      name: 'request across reporting',
      events: [['in', 0], ['report', 1000], ['out', 1500], ['report', 2000]],
      want: [{ concurrency: 1, requests: 1 }, { concurrency: 0.5, requests: 0 }],
    },
    {
      name: 'request across multiple reportings',
      events: [['in', 0], ['report', 1000], ['report', 2000], ['report', 3000], ['out', 3500], ['report', 4000]],
      want: [{ concurrency: 1, requests: 1 }, { concurrency: 1, requests: 0 }, { concurrency: 1, requests: 0 }, { concurrency: 0.5, requests: 0 }],
    },
    { name: "ignore 'negative' requests", events: [['in', 500], ['in', 499], ['out', 1000], ['out', 999], ['report', 1000]], want: [{ concurrency: 1, requests: 2 }] },
    // The brief's example: two 500 ms requests in one second average 1.0, overlapping or back to back.
    { name: '2 overlapping 500 ms requests (extra)', events: [['in', 0], ['in', 0], ['out', 500], ['out', 500], ['report', 1000]], want: [{ concurrency: 1, requests: 2 }] },
    { name: '2 back-to-back 500 ms requests (extra)', events: [['in', 0], ['out', 500], ['in', 500], ['out', 1000], ['report', 1000]], want: [{ concurrency: 1, requests: 2 }] },
    { name: 'an end stamped before its start adds no negative time (extra)', events: [['in', 500], ['out', 400], ['report', 1000]], want: [{ concurrency: 0, requests: 1 }] },
    { name: 'a take with no time passed (extra)', events: [['in', 0], ['report', 0]], want: [{ concurrency: 0, requests: 1 }] },
  ])('$name', ({ events, want }) => {
    const s = new ConcurrencySampler(NOW);
    const reports: { concurrency: number; requests: number }[] = [];
    for (const [kind, ms] of events) {
      if (kind === 'in') s.start(NOW + ms);
      else if (kind === 'out') s.end(NOW + ms);
      else reports.push(s.takeAverage(NOW + ms));
    }
    expect(reports).toEqual(want);
  });

  it('tracks the requests in flight and feeds RevisionMetrics once a second (extra)', () => {
    const s = new ConcurrencySampler(NOW);
    const m = new RevisionMetrics({ stableWindowMs: 6 * SEC, panicWindowMs: 2 * SEC });
    s.start(NOW);
    s.start(NOW + 500);
    expect(s.inFlight).toBe(2);
    m.record(NOW + SEC, s.takeAverage(NOW + SEC)); // 1 × 0.5 s + 2 × 0.5 s = 1.5
    s.end(NOW + SEC);
    s.end(NOW + SEC);
    m.record(NOW + 2 * SEC, s.takeAverage(NOW + 2 * SEC)); // idle second
    expect(s.inFlight).toBe(0);
    expect(m.stableAndPanicConcurrency(NOW + 2 * SEC)).toEqual({ stable: 0.75, panic: 0.75 });
    expect(m.stableAndPanicRPS(NOW + 2 * SEC)).toEqual({ stable: 1, panic: 1 });
  });
});
