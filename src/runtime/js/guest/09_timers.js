// @ts-check
/* setTimeout / clearTimeout on the async `timer` op: the host owns the clock, and a timer's callback runs under the CPU limit of the request that set it. */
{
  const { ops, define, OP_ID, cancel, console } = ns;
  const { ReflectApply, PromisePrototypeThen, MapPrototypeGet, MapPrototypeSet, MapPrototypeDelete, MapPrototypeClear } = ns.primordials;
  /** Live timers by id (the op id of their promise); clearTimeout of any other number does nothing. */
  /** @type {Map<unknown, Promise<void>>} */
  const timers = new Map();
  define('setTimeout', function setTimeout(/** @type {unknown} */ fn, /** @type {unknown} */ ms = 0, /** @type {unknown[]} */ ...args) {
    if (typeof fn !== 'function') throw new TypeError('setTimeout: callback must be a function');
    const done = ops.timer(Math.max(0, Number(ms) || 0));
    const id = /** @type {number} */ (/** @type {any} */ (done)[OP_ID]);
    MapPrototypeSet(timers, id, done);
    PromisePrototypeThen(done, () => {
      if (!MapPrototypeDelete(timers, id)) return;
      try { ReflectApply(fn, undefined, args); } catch (e) { console.error('uncaught exception in setTimeout callback:', e); }
    }, () => {
      // Refused (over the host's timer limit, which logs it): the timer never fires, as documented.
      MapPrototypeDelete(timers, id);
    });
    return id;
  });
  define('clearTimeout', function clearTimeout(/** @type {unknown} */ id) {
    const done = MapPrototypeGet(timers, id);
    if (done === undefined) return;
    MapPrototypeDelete(timers, id);
    cancel(done);
  });
  /** detach(): forget every timer without running tenant code (captured intrinsics only). */
  ns.dropTimers = () => { MapPrototypeClear(timers); };
}
