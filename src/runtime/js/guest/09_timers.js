// @ts-check
/*
 * setTimeout / setInterval / clearTimeout / clearInterval and scheduler.wait on the async `timer`
 * op: the host owns the clock (and bounds how many timers wait at once), and a timer's callback
 * runs under the CPU limit of the request that set it. HTML §8.6 "timer initialisation steps":
 * the delay is a WebIDL `long` (negative → 0), nested timers past level 5 wait at least 4 ms, an
 * interval re-arms after each run (one op pending at a time), and an exception in a callback is
 * reported (reportError), not thrown.
 */
{
  const { ops, define, cancel, reportException, withSignal } = ns;
  const { ReflectApply, PromisePrototypeThen, MapPrototypeGet, MapPrototypeSet, MapPrototypeDelete, MapPrototypeClear } = ns.primordials;
  /** Live timers by handle: the op promise each waits on now. clear*() of any other value does nothing. */
  /** @type {Map<unknown, Promise<void>>} */
  const timers = new Map();
  let nextHandle = 1;
  /** The timer nesting level of the timer callback running now (0 outside one). */
  let nesting = 0;

  /** @type {(handle: number, fn: Function, args: unknown[], ms: number, repeat: boolean) => void} */
  const arm = (handle, fn, args, ms, repeat) => {
    const level = nesting;
    const wait = level > 5 && ms < 4 ? 4 : ms;
    const done = ops.timer(wait);
    MapPrototypeSet(timers, handle, done);
    PromisePrototypeThen(done, () => {
      if (MapPrototypeGet(timers, handle) !== done) return;
      if (!repeat) MapPrototypeDelete(timers, handle);
      const prev = nesting;
      nesting = level + 1;
      try { ReflectApply(fn, globalThis, args); } catch (e) { reportException(e); }
      // Re-armed unless the callback cleared it; the next run's nesting level is one more.
      if (repeat && MapPrototypeGet(timers, handle) === done) arm(handle, fn, args, ms, true);
      nesting = prev;
    }, () => {
      // Refused (over the host's timer limit, which logs it): the timer never fires, as documented.
      if (MapPrototypeGet(timers, handle) === done) MapPrototypeDelete(timers, handle);
    });
  };
  /** @type {(name: string, repeat: boolean) => (fn: unknown, ms?: unknown, ...args: unknown[]) => number} */
  const starter = (name, repeat) => /** @type {any} */ ({
    [name](/** @type {unknown} */ fn, /** @type {unknown} */ ms = 0, /** @type {unknown[]} */ ...args) {
      // Workers, too, refuse a string of code (no eval).
      if (typeof fn !== 'function') throw new TypeError(`${name}: callback must be a function`);
      let t = Number(ms) | 0; // WebIDL long
      if (t < 0) t = 0;
      const handle = nextHandle++;
      arm(handle, fn, args, t, repeat);
      return handle;
    },
  })[name];
  /** @type {(name: string) => (id: unknown) => void} */
  const clearer = (name) => /** @type {any} */ ({
    [name](/** @type {unknown} */ id) {
      const done = MapPrototypeGet(timers, id);
      if (done === undefined) return;
      MapPrototypeDelete(timers, id);
      cancel(done);
    },
  })[name];
  define('setTimeout', starter('setTimeout', false));
  define('setInterval', starter('setInterval', true));
  // One list of timers (HTML): either clear function clears either kind.
  define('clearTimeout', clearer('clearTimeout'));
  define('clearInterval', clearer('clearInterval'));

  // Workers' scheduler.wait(ms, { signal }): an awaitable setTimeout.
  const scheduler = {
    wait(/** @type {unknown} */ ms, /** @type {any} */ options = undefined) {
      let t = Number(ms) | 0;
      if (t < 0) t = 0;
      const signal = options !== null && typeof options === 'object' ? options.signal : undefined;
      const done = ops.timer(t);
      return withSignal(signal, done, done);
    },
  };
  define('scheduler', Object.freeze(scheduler));
  /** detach(): forget every timer without running tenant code (captured intrinsics only). */
  ns.dropTimers = () => { MapPrototypeClear(timers); };
}
