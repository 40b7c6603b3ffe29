/** Time as a dependency: shells take a Clock so tests can step it; pure code takes `now` as an argument. */
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
