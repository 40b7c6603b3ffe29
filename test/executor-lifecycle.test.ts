import { describe, expect, it } from 'vitest';
import { FATAL, OK, fakeLifecycle, revision } from './helpers/executor-fakes.ts';

describe('InstanceLifecycle: acquire', () => {
  it('reuses a hot instance after its request', () => {
    const { life, factory } = fakeLifecycle();
    const r = revision('a');
    life.load(r);
    const first = life.acquire(r);
    expect(first.tier).toBe('cold');
    expect(life.inflight).toBe(1);
    life.release(first.inst, OK);
    const again = life.acquire(r);
    expect(again).toMatchObject({ tier: 'hot', inst: first.inst });
    expect(factory.made).toHaveLength(1);
    expect(life.stats().starts).toEqual({ hot: 1, warm: 0, cold: 1 });
  });

  it('takes from the warm pool (made with warmup and a GC), refilled in the background', () => {
    const { life, scheduler } = fakeLifecycle({ warmMin: 1 });
    scheduler.runImmediates();
    expect(life.stats()).toMatchObject({ warm: 1, isolatesCreated: 1 });
    const r = revision('a');
    life.load(r);
    const got = life.acquire(r);
    expect(got.tier).toBe('warm');
    expect(got.inst.opts).toMatchObject({ warmup: true, collect: true });
    expect(life.stats().warm).toBe(0);
  });

  it('starts cold when the warm pool is empty or the revision has its own heap limit', () => {
    const { life, scheduler } = fakeLifecycle({ warmMin: 1 });
    scheduler.runImmediates();
    const big = revision('big', { memoryMb: 256 });
    life.load(big);
    const got = life.acquire(big);
    expect(got.tier).toBe('cold');
    expect(got.inst.opts).toMatchObject({ memoryMb: 256, warmup: false, collect: false });
    expect(life.stats().warm).toBe(1);
  });

  it('respects the revision concurrency within one turn', () => {
    const { life } = fakeLifecycle();
    const one = revision('one', { concurrency: 1 });
    const any = revision('any', { concurrency: 0 });
    life.load(one);
    life.load(any);
    const [a, b] = [life.acquire(one), life.acquire(one)];
    expect(a.inst).not.toBe(b.inst);
    const [c, d] = [life.acquire(any), life.acquire(any)];
    expect(c.inst).toBe(d.inst);
    expect(c.inst.inflight).toBe(2);
  });

  it('disposes an instance whose specialisation failed and throws', () => {
    const { life, factory } = fakeLifecycle();
    const r = revision('b', { fn: 'broken' });
    life.load(r);
    expect(() => life.acquire(r)).toThrow('top-level code failed');
    expect(factory.made[0]!.isolate.isDisposed).toBe(true);
    expect(life.inflight).toBe(0);
  });
});

describe('InstanceLifecycle: retire, reuse and disposal', () => {
  it('an evicted idle instance gives its isolate to the next cold start', () => {
    const { life, factory } = fakeLifecycle({ hotMax: 1 });
    const [a, b, c] = [revision('a'), revision('b'), revision('c')];
    for (const r of [a, b, c]) life.load(r);
    const x = life.acquire(a);
    life.release(x.inst, OK);
    const y = life.acquire(b); // made first, then added: that evicts x, which is recycled
    life.release(y.inst, OK);
    expect(x.inst.recycled).toBe(true);
    expect(y.inst.isolate).not.toBe(x.inst.isolate);
    expect(life.stats()).toMatchObject({ spareIsolates: 1, isolatesReused: 0, evictions: 1 });
    const z = life.acquire(c);
    expect(z.inst.isolate).toBe(x.inst.isolate);
    expect(z.inst.opts.collect).toBe(false); // the request path does not collect first
    expect(life.stats()).toMatchObject({ spareIsolates: 1, isolatesReused: 1, evictions: 2 });
    expect(factory.made).toHaveLength(3);
  });

  it('reuses an isolate without a GC at most MAX_UNCOLLECTED (4) times in a row, then frees it in a quiet moment', () => {
    const { life, factory, scheduler } = fakeLifecycle({ hotMax: 1 });
    const revs = Array.from({ length: 12 }, (_, i) => revision(`r${i}`));
    for (const r of revs) {
      life.load(r);
      life.release(life.acquire(r).inst, OK);
    }
    // Each new instance is made before it evicts the last one, so two isolates take turns.
    const uses = new Map<number, number>();
    for (const i of factory.made) uses.set(i.isolate.id, (uses.get(i.isolate.id) ?? 0) + 1);
    const first = factory.made[0]!.isolate;
    // One new context, then 4 uncollected ones: at its next retirement the isolate is not kept.
    expect(uses.get(first.id)).toBe(5);
    expect(Math.max(...uses.values())).toBe(5);
    expect(factory.made.filter((i) => i.isolate === first).map((i) => i.recycled)).toEqual([true, true, true, true, false]);
    expect(first.isDisposed).toBe(false); // ended, waiting for a quiet moment
    scheduler.runImmediates();
    expect(first.isDisposed).toBe(true);
  });

  it('frees retired isolates only in quiet moments: nothing in flight and no message for 2 ms', () => {
    const { life, factory, scheduler, clock } = fakeLifecycle({ hotMax: 1 });
    // A heap limit of its own: not kept as a spare, so it is disposed (deferred).
    const [a, b] = [revision('a', { memoryMb: 64 }), revision('b')];
    life.load(a);
    life.load(b);
    const x = life.acquire(a);
    life.release(x.inst, OK);
    life.messageArrived();
    const y = life.acquire(b); // evicts x
    expect(x.inst.ended).toBe(true);
    expect(life.quiet()).toBe(false);
    scheduler.advance(10); // y is still in flight
    expect(x.inst.isolate.isDisposed).toBe(false);
    life.release(y.inst, OK);
    life.messageArrived();
    expect(life.quiet()).toBe(false);
    clock.advance(1.9);
    expect(life.quiet()).toBe(false);
    clock.advance(0.1);
    expect(life.quiet()).toBe(true);
    scheduler.advance(2);
    expect(x.inst.isolate.isDisposed).toBe(true);
    expect(factory.made.length).toBeGreaterThanOrEqual(2); // plus the warm pool's refill, in the same quiet moment
  });

  it('never reuses a faulted instance, also when it faulted while serving others', () => {
    const { life, scheduler } = fakeLifecycle();
    const r = revision('a');
    life.load(r);
    const x = life.acquire(r);
    x.inst.faulted = true;
    life.release(x.inst, FATAL);
    expect(x.inst.ended).toBe(true);
    const y = life.acquire(r);
    expect(y.tier).toBe('cold');
    expect(y.inst).not.toBe(x.inst);
    // Two requests on one instance; the first is fatal: it leaves the hot set, the second finishes.
    const z = life.acquire(r);
    expect(z.inst).toBe(y.inst);
    y.inst.faulted = true;
    life.release(y.inst, FATAL);
    expect(y.inst.ended).toBe(false);
    const w = life.acquire(r);
    expect(w.inst).not.toBe(y.inst);
    life.release(w.inst, OK);
    life.release(z.inst, OK);
    expect(y.inst.ended).toBe(true);
    expect(y.inst.recycled).toBe(false);
    scheduler.runImmediates();
    expect(x.inst.isolate.isDisposed).toBe(true);
    expect(life.stats().spareIsolates).toBe(0);
  });

  it('replacing a revision releases the old copy and retires its instances; unloading forgets it', () => {
    const { life } = fakeLifecycle();
    const v1 = revision('a');
    life.load(v1);
    const x = life.acquire(v1);
    life.release(x.inst, OK);
    const v2 = revision('a');
    life.load(v2);
    expect(v1.released).toBe(1);
    expect(x.inst.ended).toBe(true);
    expect(life.acquire(v2).inst).not.toBe(x.inst);
    life.unload('a');
    expect(v2.released).toBe(1);
    expect(life.revision('a')).toBeUndefined();
  });
});

describe('InstanceLifecycle: pinned instances', () => {
  it('creates missing pinned instances one per turn and reports each', () => {
    const { life, scheduler, emitted } = fakeLifecycle({ warmMin: 1 });
    scheduler.runImmediates(); // warm pool filled
    const r = revision('a');
    life.load(r);
    life.pin('a', 3);
    expect(scheduler.runImmediates(1)).toBe(1);
    expect(life.stats().hot).toBe(1);
    expect(emitted.filter((m) => m.t === 'instances' && m.tier)).toEqual([expect.objectContaining({ rev: 'a', count: 1, tier: 'warm' })]);
    // One per turn: warm-pool refills (and requests) run between them.
    const counts = [1];
    while (scheduler.runImmediates(1) === 1) counts.push(life.stats().hot);
    for (let i = 1; i < counts.length; i++) expect(counts[i]! - counts[i - 1]!).toBeLessThanOrEqual(1);
    expect(life.stats().hot).toBe(3);
    expect(emitted.filter((m) => m.t === 'instances' && m.tier).map((m) => m.t === 'instances' && m.count)).toEqual([1, 2, 3]);
  });

  it('re-creates a lost pinned instance on the next tick and keeps pinned ones past the idle TTL', () => {
    const { life, scheduler, clock } = fakeLifecycle({ idleTtlMs: 5000 });
    const r = revision('a');
    life.load(r);
    life.pin('a', 1);
    scheduler.runImmediates();
    expect(life.stats().hot).toBe(1);
    clock.advance(1);
    scheduler.advance(10_000); // ticks touch the pinned instance
    expect(life.stats().hot).toBe(1);
    life.pin('a', 0);
    scheduler.advance(10_000);
    expect(life.stats().hot).toBe(0); // idled out once unpinned
  });

  it('logs a revision that cannot start instead of spinning, and does nothing without a hot set', () => {
    const { life, scheduler, emitted } = fakeLifecycle();
    life.load(revision('b', { fn: 'broken' }));
    life.pin('b', 2);
    scheduler.runImmediates();
    expect(emitted).toEqual([expect.objectContaining({ t: 'log', level: 'error', rev: 'b' })]);
    expect(scheduler.pending.immediate).toBe(0);
    const none = fakeLifecycle({ hotMax: 0 });
    none.life.load(revision('a'));
    none.life.pin('a', 1);
    expect(none.scheduler.pending.immediate).toBe(0);
  });
});

describe('InstanceLifecycle: shutdown', () => {
  it('disposes every isolate: serving, hot, warm, spare and doomed, and releases the revisions', () => {
    const { life, factory, scheduler } = fakeLifecycle({ warmMin: 1, hotMax: 2 });
    scheduler.runImmediates();
    const revs = [revision('a'), revision('b'), revision('c', { memoryMb: 64 }), revision('d')];
    for (const r of revs) life.load(r);
    const c = life.acquire(revs[2]!);
    life.release(c.inst, OK);
    const a = life.acquire(revs[0]!); // warm
    life.release(a.inst, OK);
    const b = life.acquire(revs[1]!); // evicts c: doomed (its own heap limit)
    life.release(b.inst, OK);
    const d = life.acquire(revs[3]!); // evicts a: a spare, taken by d; d stays serving
    expect(c.inst.ended && !c.inst.isolate.isDisposed).toBe(true);
    expect(d.inst.inflight).toBe(1);
    life.shutdown();
    for (const inst of factory.made) {
      expect(inst.ended).toBe(true);
      expect(inst.isolate.isDisposed).toBe(true);
    }
    expect(revs.map((r) => r.released)).toEqual([1, 1, 1, 1]);
    expect(scheduler.pending.every).toBe(0);
    // The request that was serving ends afterwards: nothing is kept.
    life.release(d.inst, OK);
    scheduler.advance(5000);
    expect(life.stats()).toMatchObject({ warm: 0, hot: 0, spareIsolates: 0 });
  });
});
