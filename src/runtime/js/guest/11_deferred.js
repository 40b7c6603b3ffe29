// @ts-check
/* Code V8 may run later on its own: finalizers and Atomics.waitAsync timeouts. */
{
  const { define } = ns;
  // An isolate is reused for another tenant only if this context used neither (detach() says so);
  // the callbacks are also muted once detached. The native constructor stays private: a subclass
  // would hand it out through Object.getPrototypeOf.
  let detached = false;
  let deferredCode = false;
  const apply = Reflect.apply;
  const NativeFinalizationRegistry = globalThis.FinalizationRegistry;
  if (typeof NativeFinalizationRegistry === 'function') {
    const nativeRegister = NativeFinalizationRegistry.prototype.register;
    const nativeUnregister = NativeFinalizationRegistry.prototype.unregister;
    const REGISTRY = Symbol('isoedge.registry');
    define('FinalizationRegistry', class FinalizationRegistry {
      constructor(/** @type {unknown} */ cleanup) {
        if (typeof cleanup !== 'function') throw new TypeError('FinalizationRegistry: cleanup must be callable');
        deferredCode = true;
        Object.defineProperty(this, REGISTRY, { value: new NativeFinalizationRegistry((held) => { if (!detached) /** @type {Function} */ (cleanup)(held); }) });
      }
      register(/** @type {object} */ target, /** @type {unknown} */ held, /** @type {object | undefined} */ token) { return apply(nativeRegister, /** @type {any} */ (this)[REGISTRY], [target, held, token]); }
      unregister(/** @type {object} */ token) { return apply(nativeUnregister, /** @type {any} */ (this)[REGISTRY], [token]); }
    });
  }
  // es2023's lib, which the project targets, has no Atomics.waitAsync.
  const atomics = /** @type {any} */ (Atomics);
  if (typeof atomics.waitAsync === 'function') {
    const nativeWaitAsync = atomics.waitAsync;
    atomics.waitAsync = function waitAsync(/** @type {unknown[]} */ ...args) { deferredCode = true; return apply(nativeWaitAsync, Atomics, args); };
  }
  /** detach(): mutes the callbacks; true when this context registered any (so its isolate is not reused). */
  ns.muteDeferred = () => { detached = true; return deferredCode; };
}
