import { describe, expect, it } from 'vitest';
import { IdleWork, WarmPool } from '../src/pool/index.ts';
import { DeferredDisposal } from '../src/executor/disposal.ts';
import { manualClock, manualScheduler } from '../src/core/clock.ts';

function steps(name: string, n: number, log: string[]): () => boolean {
  let left = n;
  return () => {
    log.push(name);
    return --left > 0;
  };
}

describe('IdleWork', () => {
  it('runs one step per turn and lets the jobs take turns', () => {
    const scheduler = manualScheduler();
    const idle = new IdleWork({ scheduler, quiet: () => true });
    const log: string[] = [];
    idle.post(steps('a', 3, log));
    idle.post(steps('b', 2, log));
    expect(scheduler.pending.immediate).toBe(1);
    expect(scheduler.runImmediates(1)).toBe(1);
    expect(log).toEqual(['a']);
    scheduler.runImmediates();
    expect(log).toEqual(['a', 'b', 'a', 'b', 'a']);
    expect(idle.size).toBe(0);
  });

  it('posting a queued job again adds nothing', () => {
    const scheduler = manualScheduler();
    const idle = new IdleWork({ scheduler, quiet: () => true });
    const log: string[] = [];
    const job = steps('a', 1, log);
    idle.post(job);
    idle.post(job);
    expect(idle.size).toBe(1);
    scheduler.runImmediates();
    expect(log).toEqual(['a']);
  });

  it('waits while it is not quiet, on one timer for the whole queue, and asks again after 2 ms', () => {
    const scheduler = manualScheduler();
    let quiet = false;
    const idle = new IdleWork({ scheduler, quiet: () => quiet });
    const log: string[] = [];
    idle.post(steps('a', 1, log));
    idle.post(steps('b', 1, log));
    scheduler.runImmediates();
    expect(log).toEqual([]);
    expect(scheduler.pending).toEqual({ immediate: 0, after: 1, every: 0 });
    scheduler.advance(10);
    expect(log).toEqual([]);
    expect(scheduler.pending.after).toBe(1);
    quiet = true;
    scheduler.advance(1.9);
    expect(log).toEqual([]);
    scheduler.advance(0.1);
    expect(log).toEqual(['a', 'b']);
    expect(scheduler.pending).toEqual({ immediate: 0, after: 0, every: 0 });
  });

  it('drops a job that threw and reports it; close drops everything', () => {
    const scheduler = manualScheduler();
    const errors: unknown[] = [];
    const idle = new IdleWork({ scheduler, quiet: () => true, onError: (e) => errors.push(e) });
    idle.post(() => { throw new Error('boom'); });
    scheduler.runImmediates();
    expect(errors).toHaveLength(1);
    const log: string[] = [];
    idle.post(steps('a', 5, log));
    scheduler.runImmediates(1);
    idle.close();
    scheduler.runImmediates();
    idle.post(steps('b', 1, log));
    scheduler.runImmediates();
    expect(log).toEqual(['a']);
  });

  it('serves the warm pool and deferred disposal from one queue', () => {
    const scheduler = manualScheduler();
    let quiet = true;
    const idle = new IdleWork({ scheduler, quiet: () => quiet });
    const log: string[] = [];
    const pool = new WarmPool<number>({ create: () => { log.push('create'); return 1; }, dispose: () => {}, min: 2, max: 4, clock: manualClock(), idle });
    const disposal = new DeferredDisposal(idle, 2);
    const doomed = (n: number) => ({ end: () => () => { log.push(`free ${n}`); } });
    disposal.dispose(doomed(1));
    disposal.dispose(doomed(2));
    scheduler.runImmediates();
    expect(log).toEqual(['create', 'free 1', 'create', 'free 2']);
    expect(pool.size).toBe(2);
    // Under load nothing runs; past the backlog the oldest is freed at once.
    quiet = false;
    for (let i = 3; i <= 6; i++) disposal.dispose(doomed(i));
    expect(log.slice(4)).toEqual(['free 3', 'free 4']);
    expect(disposal.size).toBe(2);
    disposal.flush();
    expect(log.slice(6)).toEqual(['free 5', 'free 6']);
  });
});
