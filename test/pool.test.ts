import { describe, expect, it } from 'vitest';
import { HotSet, IdleWork, WarmPool, type PooledInstance } from '../src/pool/index.ts';
import { manualClock, manualScheduler } from '../src/core/clock.ts';

let ids = 0;
function fake(revId: string, bytes = 1000): PooledInstance & { disposedCount: number } {
  const inst = {
    id: ++ids, revId, inflight: 0, retired: false, disposedCount: 0,
    get disposed() { return inst.disposedCount > 0; },
    heapBytes: () => bytes,
    dispose() { inst.disposedCount++; },
  };
  return inst;
}

describe('HotSet', () => {
  it('returns an idle instance of the revision and respects concurrency', () => {
    const hot = new HotSet({ max: 10, maxBytes: 1e9, idleTtlMs: 1000, clock: manualClock() });
    const a = fake('r1');
    hot.add(a);
    expect(hot.acquire('r1', 0)).toBe(a);
    expect(hot.acquire('r2', 0)).toBeUndefined();
    a.inflight = 1;
    expect(hot.acquire('r1', 1)).toBeUndefined();
    expect(hot.acquire('r1', 2)).toBe(a);
  });

  it('evicts the least recently used beyond max count and disposes it', () => {
    const hot = new HotSet({ max: 2, maxBytes: 1e9, idleTtlMs: 1e6, clock: manualClock() });
    const [a, b, c] = [fake('a'), fake('b'), fake('c')];
    hot.add(a);
    hot.add(b);
    hot.acquire('a', 0); // a is now more recent than b
    hot.add(c);
    expect(b.disposedCount).toBe(1);
    expect(a.disposedCount + c.disposedCount).toBe(0);
    expect(hot.stats()).toMatchObject({ instances: 2, evictions: 1 });
  });

  it('hands instances that leave to the retire hook (the executor reuses their isolates), a busy one when it is released', () => {
    const retired: number[] = [];
    const hot = new HotSet<ReturnType<typeof fake>>({ max: 1, maxBytes: 1e9, idleTtlMs: 1e6, clock: manualClock(), retire: (i) => retired.push(i.id) });
    const [a, b, c] = [fake('a'), fake('b'), fake('c')];
    hot.add(a);
    a.inflight = 1;
    hot.add(b); // a is evicted while busy: retired only once its request ends
    expect(retired).toEqual([]);
    a.inflight = 0;
    hot.release(a);
    hot.add(c);
    expect(retired).toEqual([a.id, b.id]);
    expect(a.disposedCount + b.disposedCount).toBe(0);
  });

  it('evicts by memory budget', () => {
    const hot = new HotSet({ max: 100, maxBytes: 2500, idleTtlMs: 1e6, clock: manualClock() });
    const xs = [fake('a'), fake('b'), fake('c')];
    for (const x of xs) hot.add(x);
    expect(xs[0]!.disposedCount).toBe(1);
    expect(hot.stats().bytes).toBe(2000);
  });

  it('disposes instances idle past the TTL, but a busy one only after its request', () => {
    const clock = manualClock(1000); // lru-cache treats a start time of 0 as no TTL
    const hot = new HotSet({ max: 10, maxBytes: 1e9, idleTtlMs: 1000, clock });
    const idle = fake('a');
    const busy = fake('b');
    hot.add(idle);
    hot.add(busy);
    busy.inflight = 1;
    clock.advance(1500);
    hot.purgeStale();
    expect(idle.disposedCount).toBe(1);
    expect(busy.disposedCount).toBe(0);
    expect(busy.retired).toBe(true);
    expect(hot.acquire('b', 0)).toBeUndefined();
    busy.inflight = 0;
    hot.release(busy);
    expect(busy.disposedCount).toBe(1);
  });

  it('dropRevision retires every instance of that revision', () => {
    const hot = new HotSet({ max: 10, maxBytes: 1e9, idleTtlMs: 1e6, clock: manualClock() });
    const a = fake('a');
    hot.add(a);
    hot.dropRevision('a');
    expect(a.disposedCount).toBe(1);
    expect(hot.acquire('a', 0)).toBeUndefined();
  });
});

describe('HotSet with no room (pool.hotMax 0)', () => {
  it('lets the instance serve its request and disposes it on release', () => {
    const hot = new HotSet({ max: 0, maxBytes: 1e9, idleTtlMs: 1000, clock: manualClock(1000) });
    const a = fake('a');
    hot.add(a);
    expect(a.disposedCount).toBe(0);
    a.inflight = 1;
    expect(hot.acquire('a', 0)).toBeUndefined();
    a.inflight = 0;
    hot.release(a);
    expect(a.disposedCount).toBe(1);
  });

  it('drops an instance disposed behind its back, and does not keep one larger than the budget', () => {
    const hot = new HotSet({ max: 10, maxBytes: 500, idleTtlMs: 1e6, clock: manualClock(1000) });
    const big = fake('a', 1000);
    hot.add(big);
    expect(big.retired).toBe(true);
    expect(big.disposedCount).toBe(1);
    const b = fake('b');
    const hot2 = new HotSet({ max: 10, maxBytes: 1e9, idleTtlMs: 1e6, clock: manualClock(1000) });
    hot2.add(b);
    b.dispose();
    expect(hot2.acquire('b', 0)).toBeUndefined();
    expect(hot2.stats().instances).toBe(0);
  });
});

describe('WarmPool', () => {
  function setup(min: number, max: number) {
    const clock = manualClock();
    const scheduler = manualScheduler();
    let made = 0;
    const pool = new WarmPool<number>({ create: () => ++made, dispose: () => {}, min, max, clock, idle: new IdleWork({ scheduler, quiet: () => true }) });
    const drain = () => { scheduler.runImmediates(); };
    return { pool, clock, drain, scheduler };
  }

  it('fills to min in the background, one per deferred turn', () => {
    const { pool, drain, scheduler } = setup(3, 10);
    expect(pool.size).toBe(0);
    expect(scheduler.pending.immediate).toBe(1);
    expect(scheduler.runImmediates(1)).toBe(1);
    expect(pool.size).toBe(1);
    drain();
    expect(pool.size).toBe(3);
  });

  it('hands out ready isolates and refills after a take', () => {
    const { pool, drain } = setup(2, 10);
    drain();
    expect(pool.take()).toBeDefined();
    expect(pool.size).toBe(1);
    drain();
    expect(pool.size).toBe(2);
  });

  it('grows its target with the rate of specialisations, up to max, and shrinks back', () => {
    const { pool, clock, drain } = setup(1, 8);
    drain();
    for (let i = 0; i < 50; i++) { pool.take(); clock.advance(100); }
    expect(pool.target()).toBe(5); // 50 takes in the last 10 s = 5/s
    clock.advance(20_000);
    expect(pool.target()).toBe(1);
    for (let i = 0; i < 500; i++) pool.take();
    expect(pool.target()).toBe(8);
  });
});
