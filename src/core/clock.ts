/**
 * Time and deferred work as dependencies: shells take a Clock and a Scheduler so tests can
 * step them by hand; pure code takes `now` as an argument.
 */
export interface Clock {
  /** Milliseconds, monotonic, fractional. */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };

export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function manualClock(start = 0): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) { t += ms; },
    set(ms) { t = ms; },
  };
}

/**
 * The three ways shells defer work (knative's tickProvider, widened). `immediate` is the next
 * event-loop turn (after pending I/O, so requests that already arrived go first); `after` a
 * pause or a deadline; `every` a background tick. None keeps the process alive by itself.
 */
export interface Scheduler {
  immediate(fn: () => void): void;
  /** Runs `fn` once after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
  /** Calls `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
}

/** setImmediate / an unref'd setTimeout / an unref'd setInterval. */
export const systemScheduler: Scheduler = {
  immediate: (fn) => { setImmediate(fn); },
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
  every: (ms, fn) => {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

export interface ManualScheduler extends Scheduler {
  /** Runs the jobs queued with `immediate`, including those they queue, until none is left (at most `limit`). Returns how many ran. */
  runImmediates(limit?: number): number;
  /** Moves time forward: runs due `after` and `every` jobs in time order, with their immediates. */
  advance(ms: number): void;
  /** Jobs waiting: immediates, pauses and ticks. */
  readonly pending: { immediate: number; after: number; every: number };
}

/**
 * A scheduler for tests. Time is its own (start at 0) unless `onAdvance` is given, which is
 * told each step so a manualClock can follow (`manualScheduler((ms) => clock.advance(ms))`).
 */
export function manualScheduler(onAdvance?: (ms: number) => void): ManualScheduler {
  let now = 0;
  const immediates: (() => void)[] = [];
  let timers: { at: number; fn: () => void; every?: number; stopped?: boolean }[] = [];
  const runImmediates = (limit = 100_000): number => {
    let n = 0;
    while (immediates.length && n < limit) {
      immediates.shift()!();
      n++;
    }
    return n;
  };
  return {
    immediate: (fn) => { immediates.push(fn); },
    after: (ms, fn) => {
      const t = { at: now + ms, fn, stopped: false };
      timers.push(t);
      return () => { t.stopped = true; };
    },
    every: (ms, fn) => {
      const t = { at: now + ms, fn, every: ms, stopped: false };
      timers.push(t);
      return () => { t.stopped = true; };
    },
    runImmediates,
    advance(ms) {
      const end = now + ms;
      runImmediates();
      for (;;) {
        timers = timers.filter((t) => !t.stopped);
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        onAdvance?.(due.at - now);
        now = due.at;
        if (due.every) due.at += due.every;
        else timers.splice(timers.indexOf(due), 1);
        due.fn();
        runImmediates();
      }
      onAdvance?.(end - now);
      now = end;
    },
    get pending() {
      return { immediate: immediates.length, after: timers.filter((t) => !t.every && !t.stopped).length, every: timers.filter((t) => t.every && !t.stopped).length };
    },
  };
}
