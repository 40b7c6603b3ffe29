import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Breaker } from '../src/concurrency/index.ts';

describe('Breaker', () => {
  it('admits up to capacity, queues up to depth, refuses beyond with EDGE_ERR_QUEUE_FULL', async () => {
    const b = new Breaker({ capacity: 2, queueDepth: 1 });
    const r1 = await b.acquire();
    const r2 = await b.acquire();
    const third = b.acquire();
    expect(b.queued).toBe(1);
    await expect(b.acquire()).rejects.toMatchObject({ code: 'EDGE_ERR_QUEUE_FULL' });
    r1();
    const r3 = await third;
    expect(b.inFlight).toBe(2);
    r2(); r3();
    expect(b.inFlight).toBe(0);
  });

  it('releases waiters in FIFO order and a double release frees one slot only', async () => {
    const b = new Breaker({ capacity: 1, queueDepth: 10 });
    const first = await b.acquire();
    const order: number[] = [];
    const waits = [1, 2, 3].map((i) => b.acquire().then((rel) => { order.push(i); return rel; }));
    first();
    first();
    expect(b.inFlight).toBe(1);
    (await waits[0]!)();
    (await waits[1]!)();
    (await waits[2]!)();
    expect(order).toEqual([1, 2, 3]);
  });

  it('a waiter whose signal aborts leaves the queue with the abort reason', async () => {
    const b = new Breaker({ capacity: 0, queueDepth: 5 });
    const ac = new AbortController();
    const p = b.acquire(ac.signal);
    expect(b.queued).toBe(1);
    ac.abort(new Error('deadline'));
    await expect(p).rejects.toThrow('deadline');
    expect(b.queued).toBe(0);
  });

  it('raising capacity from zero releases the held requests (scale from zero)', async () => {
    const b = new Breaker({ capacity: 0, queueDepth: 1000 });
    const held = Array.from({ length: 1000 }, () => b.acquire());
    expect(b.queued).toBe(1000);
    b.update({ capacity: Infinity });
    const releases = await Promise.all(held);
    expect(b.inFlight).toBe(1000);
    for (const r of releases) r();
    expect(b.inFlight).toBe(0);
  });

  it('never exceeds capacity, and in flight plus queued never exceeds capacity plus depth', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }),
      fc.array(fc.oneof(fc.constant('acquire' as const), fc.constant('release' as const), fc.integer({ min: 0, max: 6 })), { maxLength: 60 }),
      async (cap, depth, ops) => {
        const b = new Breaker({ capacity: cap, queueDepth: depth });
        let capNow = cap;
        const held: (() => void)[] = [];
        for (const op of ops) {
          if (op === 'acquire') b.acquire().then((r) => held.push(r), () => {});
          else if (op === 'release') held.shift()?.();
          else { b.update({ capacity: op }); capNow = op; }
          await Promise.resolve();
          await Promise.resolve();
          expect(b.queued).toBeLessThanOrEqual(depth);
          if (b.queued > 0) expect(b.inFlight).toBeGreaterThanOrEqual(Math.min(capNow, b.inFlight));
          expect(b.inFlight).toBe(held.length);
        }
      },
    ), { numRuns: 200 });
  });

  it('with fixed limits: in flight ≤ capacity and in flight + queued ≤ capacity + depth, always', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.array(fc.boolean(), { maxLength: 80 }),
      async (cap, depth, ops) => {
        const b = new Breaker({ capacity: cap, queueDepth: depth });
        const held: (() => void)[] = [];
        for (const acquire of ops) {
          if (acquire) b.acquire().then((r) => held.push(r), () => {});
          else held.shift()?.();
          await Promise.resolve();
          await Promise.resolve();
          expect(b.inFlight).toBeLessThanOrEqual(cap);
          expect(b.inFlight + b.queued).toBeLessThanOrEqual(cap + depth);
        }
      },
    ), { numRuns: 200 });
  });
});
