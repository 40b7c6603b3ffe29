/**
 * Time as a dependency: shells take a Clock (and a Scheduler for timers) so tests can
 * step them; pure code takes `now` as an argument.
 */
export interface Clock {
  /** Milliseconds, monotonic, fractional. */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };

/** Timers as a dependency (knative's tickProvider): `after` for deadlines, `every` for loops. */
export interface Scheduler {
  /** Runs `fn` once after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
  /** Runs `fn` every `ms` until stopped. Never keeps the process alive. */
  every(ms: number, fn: () => void): { stop(): void };
}

export const systemScheduler: Scheduler = {
  after(ms, fn) {
    const h = setTimeout(fn, ms);
    h.unref();
    return () => clearTimeout(h);
  },
  every(ms, fn) {
    const h = setInterval(fn, ms);
    h.unref();
    return { stop: () => clearInterval(h) };
  },
};

export interface ManualClock extends Clock, Scheduler {
  /** Moves time forward, running every timer that falls due on the way, in order. */
  advance(ms: number): void;
  set(ms: number): void;
  /** Timers not yet run or cancelled. */
  readonly pending: number;
}

/** A clock and scheduler for tests: nothing happens until `advance()`. */
export function manualClock(start = 0): ManualClock {
  let t = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void; every?: number }>();
  const next = (until: number): [number, { at: number; fn: () => void; every?: number }] | undefined => {
    let best: [number, { at: number; fn: () => void; every?: number }] | undefined;
    for (const e of timers) if (e[1].at <= until && (!best || e[1].at < best[1].at)) best = e;
    return best;
  };
  return {
    now: () => t,
    advance(ms) {
      const until = t + ms;
      for (let due = next(until); due; due = next(until)) {
        const [id, timer] = due;
        t = Math.max(t, timer.at);
        if (timer.every) timer.at += timer.every;
        else timers.delete(id);
        timer.fn();
      }
      t = until;
    },
    set(ms) { t = ms; },
    after(ms, fn) {
      const id = seq++;
      timers.set(id, { at: t + ms, fn });
      return () => { timers.delete(id); };
    },
    every(ms, fn) {
      const id = seq++;
      timers.set(id, { at: t + ms, fn, every: Math.max(1, ms) });
      return { stop: () => { timers.delete(id); } };
    },
    get pending() { return timers.size; },
  };
}
