/** The autoscaling shell with a manual clock and ticker: activator, breaker, KPA bounds, scale to zero, threads. */
import { describe, expect, it } from 'vitest';
import { manualClock, manualScheduler, type Scheduler } from '../src/core/clock.ts';
import { ScalingManager } from '../src/activator/index.ts';

const HOST = {
  tickMs: 2000, stableWindowMs: 60_000, panicWindowPercentage: 10, panicThresholdPercentage: 200, maxScaleUpRate: 1000, maxScaleDownRate: 2,
  containerConcurrencyTargetDefault: 100, targetUtilizationPercentage: 70, targetBurstCapacity: 211, scaleToZeroGraceMs: 30_000,
  activatorQueueDepth: 10_000, activationTimeoutMs: 30_000, queueTimeoutMs: 10_000,
};

function setup(host = HOST) {
  const clock = manualClock(1_000_000);
  const realized: [string, number][] = [];
  const threads: number[] = [];
  // Ticks are stepped by hand (sample()/tick()); deadlines run when `timers.advance()` moves the clock.
  const timers = manualScheduler((ms) => clock.advance(ms));
  const manual: Scheduler = { ...timers, every: () => () => {} };
  const m = new ScalingManager(host, { min: 1, max: 4, targetConcurrency: 10 }, clock, {
    realize: (rev, n) => realized.push([rev, n]),
    resizeThreads: (n) => threads.push(n),
  }, { decision: () => {}, threads: () => {} }, manual);
  const now = () => clock.now();
  /** Advance time second by second, sampling each second and ticking every 2 s. */
  const run = (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      clock.advance(1000);
      m.sample();
      if ((clock.now() / 1000) % 2 === 0) m.tick();
    }
  };
  return { m, clock, timers, realized, threads, now, run };
}

describe('activator', () => {
  it('the first request at zero pokes the scaler at once and is released', async () => {
    const { m, realized, now } = setup();
    const s = m.scaler('f-00001', 0, undefined);
    expect(s.desired).toBe(0);
    const adm = await s.admit(now);
    expect(s.desired).toBe(1);
    expect(realized).toEqual([['f-00001', 1]]);
    adm.release();
  });

  it('a burst of 1,000 concurrent first requests (containerConcurrency 1) loses none and fails none', async () => {
    const { m, now } = setup();
    const s = m.scaler('f-00001', 1, undefined);
    const admissions = Array.from({ length: 1000 }, () => s.admit(now));
    let served = 0;
    // Serve whatever holds a slot, one at a time, until all 1,000 are through.
    const pending = admissions.map((p) => p.then((a) => { served++; a.release(); }));
    await Promise.all(pending);
    expect(served).toBe(1000);
    expect(s.inflight).toBe(0);
    expect(s.queued).toBe(0);
  });

  it('a full queue refuses with EDGE_ERR_QUEUE_FULL when the activator is out of the path', async () => {
    const { m, now, run } = setup({ ...HOST, targetBurstCapacity: 0 });
    const s = m.scaler('f-00001', 1, { queueDepth: 3, maxScale: 1 });
    const first = await s.admit(now);
    s.setReady(1);
    run(2);
    expect(s.activatorInPath).toBe(false);
    expect(s.breaker.capacity).toBe(1);
    expect(s.breaker.queueDepth).toBe(3);
    const waiting = [s.admit(now), s.admit(now), s.admit(now)];
    await expect(s.admit(now)).rejects.toMatchObject({ code: 'EDGE_ERR_QUEUE_FULL' });
    first.release();
    for (const w of waiting) (await w).release();
  });
});

describe('admission deadlines (on the injected clock)', () => {
  it('a request waiting while no instance is ready fails with EDGE_ERR_ACTIVATION_TIMEOUT at activationTimeoutMs', async () => {
    const { m, now, timers } = setup({ ...HOST, activationTimeoutMs: 500 });
    const s = m.scaler('f-00001', 1, undefined);
    const first = await s.admit(now); // pokes: one slot, the instance is still starting
    const second = s.admit(now);
    let settled = false;
    second.catch(() => {}).finally(() => { settled = true; });
    timers.advance(499);
    await Promise.resolve();
    expect(settled).toBe(false);
    timers.advance(1);
    await expect(second).rejects.toMatchObject({ code: 'EDGE_ERR_ACTIVATION_TIMEOUT', message: 'revision f-00001 did not scale from zero within 500 ms' });
    expect(s.queued).toBe(0);
    first.release();
    expect(timers.pending.after).toBe(0);
  });

  it('a request waiting for a slot of a ready revision fails with EDGE_ERR_QUEUE_TIMEOUT at queueTimeoutMs', async () => {
    const { m, now, timers } = setup({ ...HOST, queueTimeoutMs: 200 });
    const s = m.scaler('f-00001', 1, undefined);
    const first = await s.admit(now);
    s.setReady(1);
    const second = s.admit(now);
    timers.advance(200);
    await expect(second).rejects.toMatchObject({ code: 'EDGE_ERR_QUEUE_TIMEOUT', message: 'no slot of revision f-00001 within 200 ms' });
    // The slot is still usable: a request after the release is admitted at once.
    first.release();
    const third = await s.admit(now);
    expect(third.queuedMs).toBe(0);
    third.release();
  });

  it('a waiter admitted before its deadline reports how long it queued, and its timer is cancelled', async () => {
    const { m, now, timers } = setup({ ...HOST, queueTimeoutMs: 1000 });
    const s = m.scaler('f-00001', 1, undefined);
    const first = await s.admit(now);
    s.setReady(1);
    const second = s.admit(now);
    timers.advance(300);
    first.release();
    const adm = await second;
    expect(adm.queuedMs).toBe(300);
    expect(timers.pending.after).toBe(0);
    adm.release();
  });

  it('a caller that gives up (client gone) leaves the queue with its own reason', async () => {
    const { m, now } = setup();
    const s = m.scaler('f-00001', 1, undefined);
    const first = await s.admit(now);
    s.setReady(1);
    const ac = new AbortController();
    const second = s.admit(now, ac.signal);
    expect(s.queued).toBe(1);
    ac.abort(new Error('client closed the connection'));
    await expect(second).rejects.toThrow('client closed the connection');
    expect(s.queued).toBe(0);
    first.release();
  });
});

describe('KPA loop', () => {
  it('scales up with load, enters panic within two ticks of a step, and honours maxScale', async () => {
    const { m, now, run } = setup();
    const s = m.scaler('f-00001', 10, { maxScale: 5 });
    const held = await Promise.all(Array.from({ length: 5 }, () => s.admit(now)));
    s.setReady(1);
    run(4);
    // 5 in flight at target 10 × 0.7 = 7 → 1 instance.
    expect(s.desired).toBe(1);
    const more = Array.from({ length: 45 }, () => s.admit(now));
    run(4); // two ticks after the step to 50
    expect(s.panicMode).toBe(true);
    expect(s.desired).toBe(5); // wants ceil(50 / 7) = 8, capped at maxScale 5
    for (const h of held) h.release();
    for (const p of more) (await p).release();
  });

  it('keeps minScale, and scales to zero only after the grace period without traffic', async () => {
    const { m, now, run, realized } = setup();
    const s = m.scaler('f-00001', 0, undefined);
    (await s.admit(now)).release();
    s.setReady(1);
    run(20);
    expect(s.desired).toBe(1);
    run(20); // 40 s idle > 30 s grace
    expect(s.desired).toBe(0);
    expect(realized.at(-1)).toEqual(['f-00001', 0]);
    const pinned = m.scaler('g-00001', 0, { minScale: 2 });
    pinned.poke(now());
    run(60);
    expect(pinned.desired).toBe(2);
  });

  it('a deploy starts the revision at its initial scale', () => {
    const { m, realized } = setup();
    m.deployed('f-00001', 0, undefined);
    expect(realized).toEqual([['f-00001', 1]]);
    m.deployed('g-00001', 0, { initialScale: 0 });
    expect(realized).toHaveLength(1);
  });

  it('sets executor threads from total concurrency (target 10 × 0.7 per thread), bounded by max', () => {
    const { m, run, threads } = setup();
    for (let i = 0; i < 30; i++) m.requestStarted();
    run(6);
    expect(threads.at(-1)).toBe(4); // ceil(30 / 7) = 5, capped at max 4
    for (let i = 0; i < 30; i++) m.requestEnded();
  });
});
