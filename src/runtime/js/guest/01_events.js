// @ts-check
/*
 * DOM events (DOM §2): Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent, and
 * abort (DOM §3.1–3.2): AbortController, AbortSignal. The global scope is an EventTarget too
 * (addEventListener('error', …) sees what reportError reports). There is no tree: an event's
 * path is its target alone, so dispatch is capture listeners then the others, at the target.
 *
 * Also the runtime's clock (`ns.clock`): performance.now() and Event#timeStamp read it. It
 * advances only when the host enters the isolate (a request's dispatch, an async op's
 * completion), as Workers' clock advances only on I/O, in whole milliseconds.
 */
{
  const { define, domException, console, ops, cancel } = ns;
  const { ReflectApply, ObjectDefineProperty, PromisePrototypeThen } = ns.primordials;
  const DateNow = Date.now;
  const WeakMapGet = Function.prototype.call.bind(WeakMap.prototype.get);
  const WeakMapSet = Function.prototype.call.bind(WeakMap.prototype.set);

  // ---- the clock: wall time at the last entry into the isolate, never going back ----
  const origin = DateNow();
  let last = origin;
  ns.clock = {
    origin,
    tick() { const t = DateNow(); if (t > last) last = t; },
    now() { return last - origin; },
  };

  /**
   * An exception as text without running any of its code (HTML's report-an-exception reads no
   * getters): an Error's own `message` and the `name` its prototype chain holds as data, else
   * the primitive, else a generic word. Non-empty, as an ErrorEvent's message must be.
   */
  const GetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const GetPrototypeOf = Object.getPrototypeOf;
  const ErrorCtor = Error;
  const describe = (/** @type {unknown} */ e) => {
    if (e instanceof ErrorCtor) {
      let name = 'Error';
      for (let o = /** @type {any} */ (e); o !== null; o = GetPrototypeOf(o)) {
        const d = GetOwnPropertyDescriptor(o, 'name');
        if (d) { if ('value' in d && typeof d.value === 'string') name = d.value; break; }
      }
      const m = GetOwnPropertyDescriptor(e, 'message');
      const message = m && 'value' in m && typeof m.value === 'string' ? m.value : '';
      return `Uncaught ${message ? `${name}: ${message}` : name}`;
    }
    if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return `Uncaught ${typeof e === 'symbol' ? e.toString() : String(e)}`;
    return typeof e === 'function' ? 'Uncaught function' : 'Uncaught exception (an object)';
  };
  /** The log line of an unhandled report: the stack of an Error (a data property V8 set), else the description. */
  const logUncaught = (/** @type {unknown} */ e) => {
    const st = e instanceof ErrorCtor ? GetOwnPropertyDescriptor(e, 'stack') : undefined;
    console.error(st && 'value' in st && typeof st.value === 'string' ? `Uncaught ${st.value}` : describe(e));
  };

  // A private token: AbortSignal, and events the runtime itself makes (isTrusted), are built through it only.
  const INTERNAL = Symbol('isoedge.internal');
  ns.INTERNAL = INTERNAL;

  /**
   * The module is built on first use (a read of one of its globals, or a request's signal, or a
   * fetch with a signal): an idle instance carries none of its ~100 functions. Until then its
   * globals are accessors on the global object; building replaces them with plain values.
   * @type {any}
   */
  let E = null;
  function build() {
  const NONE = 0, CAPTURING_PHASE = 1, AT_TARGET = 2, BUBBLING_PHASE = 3;

  /** @type {(init: unknown, who: string) => Record<string, unknown>} */
  const dict = (init, who) => {
    if (init === undefined || init === null) return {};
    if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError(`${who}: the options must be an object`);
    return /** @type {Record<string, unknown>} */ (init);
  };

  class Event {
    #type = '';
    /** @type {any} */ #target = null;
    /** @type {any} */ #currentTarget = null;
    #phase = NONE;
    #bubbles = false;
    #cancelable = false;
    #composed = false;
    #canceled = false;
    #stop = false;
    #stopImmediate = false;
    #inPassive = false;
    #dispatching = false;
    #initialized = true;
    #trusted = false;
    #timeStamp = 0;
    constructor(/** @type {unknown} */ type, /** @type {unknown} */ init = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required, but only 0 present.");
      const d = dict(init, 'Event');
      this.#type = String(type);
      this.#bubbles = !!d.bubbles;
      this.#cancelable = !!d.cancelable;
      this.#composed = !!d.composed;
      this.#timeStamp = ns.clock.now();
    }
    get type() { return this.#type; }
    get target() { return this.#target; }
    get srcElement() { return this.#target; }
    get currentTarget() { return this.#currentTarget; }
    get eventPhase() { return this.#phase; }
    get bubbles() { return this.#bubbles; }
    get cancelable() { return this.#cancelable; }
    get composed() { return this.#composed; }
    get defaultPrevented() { return this.#canceled; }
    get isTrusted() { return this.#trusted; }
    get timeStamp() { return this.#timeStamp; }
    get returnValue() { return !this.#canceled; }
    set returnValue(v) { if (!v) this.#cancel(); }
    get cancelBubble() { return this.#stop; }
    set cancelBubble(v) { if (v) this.#stop = true; }
    #cancel() { if (this.#cancelable && !this.#inPassive) this.#canceled = true; }
    preventDefault() { this.#cancel(); }
    stopPropagation() { this.#stop = true; }
    stopImmediatePropagation() { this.#stop = true; this.#stopImmediate = true; }
    composedPath() { return this.#dispatching && this.#currentTarget !== null ? [this.#currentTarget] : []; }
    initEvent(/** @type {unknown} */ type, bubbles = false, cancelable = false) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'initEvent': 1 argument required.");
      if (this.#dispatching) return;
      this.#initialized = true;
      this.#stop = false; this.#stopImmediate = false; this.#canceled = false;
      this.#trusted = false;
      this.#target = null;
      this.#type = String(type);
      this.#bubbles = !!bubbles;
      this.#cancelable = !!cancelable;
    }
    get [Symbol.toStringTag]() { return 'Event'; }

    /** DOM "dispatch" for a target without a parent (the event path is the target alone). */
    static dispatch(/** @type {Event} */ event, /** @type {EventTarget} */ target, trusted = false) {
      if (!(#type in event)) throw new TypeError("Failed to execute 'dispatchEvent': parameter 1 is not of type 'Event'.");
      if (event.#dispatching || !event.#initialized) throw domException('The event is already being dispatched.', 'InvalidStateError');
      event.#trusted = trusted;
      event.#dispatching = true;
      event.#target = target;
      if (!event.#stop) {
        event.#phase = AT_TARGET;
        event.#currentTarget = target;
        invoke(target, event, true);
        if (!event.#stop) invoke(target, event, false);
      }
      event.#phase = NONE;
      event.#currentTarget = null;
      event.#dispatching = false;
      event.#stop = false;
      event.#stopImmediate = false;
      return !event.#canceled;
    }
    static stoppedImmediately(/** @type {Event} */ e) { return e.#stopImmediate; }
    static setPassive(/** @type {Event} */ e, /** @type {boolean} */ v) { e.#inPassive = v; }
  }
  for (const [k, v] of /** @type {[string, number][]} */ ([['NONE', NONE], ['CAPTURING_PHASE', CAPTURING_PHASE], ['AT_TARGET', AT_TARGET], ['BUBBLING_PHASE', BUBBLING_PHASE]])) {
    ObjectDefineProperty(Event, k, { value: v, enumerable: true });
    ObjectDefineProperty(Event.prototype, k, { value: v, enumerable: true });
  }

  /**
   * @typedef {{ callback: any, capture: boolean, once: boolean, passive: boolean, removed: boolean }} Listener
   * @type {WeakMap<object, Map<string, Listener[]>>}
   */
  const LISTENERS = new WeakMap();

  /** An exception in a listener or callback: reported (an ErrorEvent on the global scope, then the log), never thrown. */
  const report = (/** @type {unknown} */ e) => {
    const ev = new ErrorEvent('error', { message: describe(e), error: e, cancelable: true });
    let logIt = true;
    if (!reporting) {
      reporting = true;
      try { logIt = Event.dispatch(ev, globalTarget, true); } finally { reporting = false; }
    }
    if (logIt) logUncaught(e);
  };
  let reporting = false;

  /** DOM "inner invoke": a snapshot of the listeners, each called unless removed meanwhile. */
  function invoke(/** @type {EventTarget} */ target, /** @type {Event} */ event, /** @type {boolean} */ capture) {
    const map = WeakMapGet(LISTENERS, target);
    const list = map && map.get(event.type);
    if (!list) return;
    const snapshot = list.slice();
    for (let i = 0; i < snapshot.length; i++) {
      const l = /** @type {Listener} */ (snapshot[i]);
      if (l.removed || l.capture !== capture) continue;
      if (l.once) removeListener(target, event.type, l);
      if (l.passive) Event.setPassive(event, true);
      try {
        if (typeof l.callback === 'function') ReflectApply(l.callback, target, [event]);
        else {
          const handle = l.callback.handleEvent;
          if (typeof handle !== 'function') throw new TypeError("The listener's handleEvent is not a function");
          ReflectApply(handle, l.callback, [event]);
        }
      } catch (e) {
        report(e);
      }
      Event.setPassive(event, false);
      if (Event.stoppedImmediately(event)) return;
    }
  }
  function removeListener(/** @type {object} */ target, /** @type {string} */ type, /** @type {Listener} */ l) {
    l.removed = true;
    const list = WeakMapGet(LISTENERS, target)?.get(type);
    if (!list) return;
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
  }
  /** @type {(o: unknown) => { capture: boolean, once: boolean, passive: boolean, signal: any }} */
  const flatten = (o) => {
    if (typeof o === 'boolean' || o === undefined || o === null || (typeof o !== 'object' && typeof o !== 'function')) return { capture: !!o, once: false, passive: false, signal: undefined };
    const d = /** @type {Record<string, unknown>} */ (o);
    const signal = d.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError("addEventListener: the option 'signal' is not an AbortSignal");
    return { capture: !!d.capture, once: !!d.once, passive: !!d.passive, signal };
  };

  class EventTarget {
    constructor() { WeakMapSet(LISTENERS, this, new Map()); }
    addEventListener(/** @type {unknown} */ type, /** @type {any} */ callback, /** @type {unknown} */ options = undefined) {
      if (arguments.length < 2) throw new TypeError("Failed to execute 'addEventListener': 2 arguments required.");
      const { capture, once, passive, signal } = flatten(options);
      if (callback === null || callback === undefined) return;
      if (typeof callback !== 'function' && typeof callback !== 'object') throw new TypeError("addEventListener: the listener is not an object");
      if (signal !== undefined && signal.aborted) return;
      const t = String(type);
      const map = WeakMapGet(LISTENERS, this);
      if (!map) throw new TypeError('Illegal invocation');
      let list = map.get(t);
      if (!list) { list = []; map.set(t, list); }
      for (const l of list) if (l.callback === callback && l.capture === capture) return;
      /** @type {Listener} */
      const l = { callback, capture, once, passive, removed: false };
      list.push(l);
      if (signal !== undefined) AbortSignal.onAbort(signal, () => removeListener(this, t, l));
    }
    removeEventListener(/** @type {unknown} */ type, /** @type {any} */ callback, /** @type {unknown} */ options = undefined) {
      const capture = typeof options === 'object' && options !== null ? !!(/** @type {any} */ (options).capture) : !!options;
      const map = WeakMapGet(LISTENERS, this);
      if (!map) throw new TypeError('Illegal invocation');
      const t = String(type);
      const list = map.get(t);
      if (!list) return;
      for (const l of list) if (l.callback === callback && l.capture === capture) { removeListener(this, t, l); return; }
    }
    dispatchEvent(/** @type {any} */ event) {
      if (!WeakMapGet(LISTENERS, this)) throw new TypeError('Illegal invocation');
      return Event.dispatch(event, this);
    }
    get [Symbol.toStringTag]() { return 'EventTarget'; }
  }

  const addListener = EventTarget.prototype.addEventListener;
  /** An `on<type>` event handler attribute: one listener, registered when first set, calling whatever is set now. */
  const HANDLERS = new WeakMap();
  /** @type {(proto: object, type: string) => void} */
  const eventHandler = (proto, type) => {
    ObjectDefineProperty(proto, 'on' + type, {
      configurable: true, enumerable: true,
      get() { return WeakMapGet(HANDLERS, this)?.[type] ?? null; },
      set(v) {
        let h = WeakMapGet(HANDLERS, this);
        if (!h) { h = {}; WeakMapSet(HANDLERS, this, h); }
        const fn = typeof v === 'function' || (typeof v === 'object' && v !== null) ? v : null;
        if (fn !== null && !(type in h)) {
          const holder = h;
          ReflectApply(addListener, this, [type, (/** @type {Event} */ e) => {
            const cur = holder[type];
            if (typeof cur === 'function') return ReflectApply(cur, this, [e]);
          }]);
        }
        h[type] = fn;
      },
    });
  };

  class CustomEvent extends Event {
    /** @type {unknown} */ #detail;
    constructor(/** @type {unknown} */ type, /** @type {unknown} */ init = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'CustomEvent': 1 argument required.");
      super(type, init);
      /** @type {unknown} */
      const detail = dict(init, 'CustomEvent').detail;
      this.#detail = detail === undefined ? null : detail;
    }
    get detail() { return this.#detail; }
    initCustomEvent(/** @type {unknown} */ type, bubbles = false, cancelable = false, /** @type {unknown} */ detail = null) {
      this.initEvent(type, bubbles, cancelable);
      this.#detail = detail;
    }
    /** @override */
    get [Symbol.toStringTag]() { return 'CustomEvent'; }
  }

  class ErrorEvent extends Event {
    #message; #filename; #lineno; #colno; #error;
    constructor(/** @type {unknown} */ type, /** @type {unknown} */ init = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'ErrorEvent': 1 argument required.");
      super(type, init);
      const d = dict(init, 'ErrorEvent');
      this.#message = d.message === undefined ? '' : String(d.message);
      this.#filename = d.filename === undefined ? '' : String(d.filename);
      this.#lineno = d.lineno === undefined ? 0 : Number(d.lineno) >>> 0;
      this.#colno = d.colno === undefined ? 0 : Number(d.colno) >>> 0;
      this.#error = d.error === undefined ? undefined : d.error;
    }
    get message() { return this.#message; }
    get filename() { return this.#filename; }
    get lineno() { return this.#lineno; }
    get colno() { return this.#colno; }
    get error() { return this.#error; }
    /** @override */
    get [Symbol.toStringTag]() { return 'ErrorEvent'; }
  }

  class PromiseRejectionEvent extends Event {
    #promise; #reason;
    constructor(/** @type {unknown} */ type, /** @type {unknown} */ init = undefined) {
      if (arguments.length < 2) throw new TypeError("Failed to construct 'PromiseRejectionEvent': 2 arguments required.");
      const d = dict(init, 'PromiseRejectionEvent');
      if (!('promise' in d)) throw new TypeError("Failed to construct 'PromiseRejectionEvent': required member promise is undefined.");
      super(type, init);
      this.#promise = d.promise;
      this.#reason = d.reason;
    }
    get promise() { return this.#promise; }
    get reason() { return this.#reason; }
    /** @override */
    get [Symbol.toStringTag]() { return 'PromiseRejectionEvent'; }
  }

  // ---- AbortSignal / AbortController (DOM §3.1, §3.2) ----
  class AbortSignal extends EventTarget {
    #aborted = false;
    /** @type {unknown} */ #reason = undefined;
    /** @type {(() => void)[]} */ #algorithms = [];
    #dependent = false;
    /** @type {AbortSignal[]} */ #sources = [];
    /** @type {AbortSignal[]} */ #dependents = [];
    constructor(/** @type {unknown} */ token = undefined) {
      if (token !== INTERNAL) throw new TypeError('Illegal constructor');
      super();
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    static abort(/** @type {unknown} */ reason = undefined) {
      const s = new AbortSignal(INTERNAL);
      s.#aborted = true;
      s.#reason = reason === undefined ? domException('This operation was aborted', 'AbortError') : reason;
      return s;
    }
    static timeout(/** @type {unknown} */ ms) {
      const n = Number(ms);
      if (!Number.isFinite(n) || n < 0 || n > Number.MAX_SAFE_INTEGER) throw new TypeError("AbortSignal.timeout: the delay must be a non-negative finite number of milliseconds");
      const s = new AbortSignal(INTERNAL);
      // The host's timer op: the wait is metered and bounded like setTimeout's.
      PromisePrototypeThen(ops.timer(Math.trunc(n)), () => AbortSignal.signalAbort(s, domException('The operation timed out.', 'TimeoutError')), () => {});
      return s;
    }
    static any(/** @type {Iterable<AbortSignal>} */ signals) {
      const list = [...signals];
      for (const s of list) if (!(s instanceof AbortSignal)) throw new TypeError("AbortSignal.any: every member must be an AbortSignal");
      const r = new AbortSignal(INTERNAL);
      for (const s of list) if (s.#aborted) { r.#aborted = true; r.#reason = s.#reason; return r; }
      r.#dependent = true;
      for (const s of list) {
        const sources = s.#dependent ? s.#sources : [s];
        for (const src of sources) {
          if (src.#aborted || r.#sources.includes(src)) continue;
          r.#sources.push(src);
          src.#dependents.push(r);
        }
      }
      return r;
    }
    /** DOM "signal abort". */
    static signalAbort(/** @type {AbortSignal} */ s, /** @type {unknown} */ reason) {
      if (s.#aborted) return;
      s.#aborted = true;
      s.#reason = reason === undefined ? domException('This operation was aborted', 'AbortError') : reason;
      /** @type {AbortSignal[]} */
      const deps = [];
      for (const d of s.#dependents) if (!d.#aborted) { d.#aborted = true; d.#reason = s.#reason; deps.push(d); }
      s.#dependents = [];
      AbortSignal.#runAbortSteps(s);
      for (const d of deps) AbortSignal.#runAbortSteps(d);
    }
    static #runAbortSteps(/** @type {AbortSignal} */ s) {
      const algs = s.#algorithms;
      s.#algorithms = [];
      for (const a of algs) { try { a(); } catch (e) { report(e); } }
      Event.dispatch(new Event('abort'), s, true);
    }
    /** Adds an abort algorithm (runs before the abort event's listeners); returns its removal. */
    static onAbort(/** @type {AbortSignal} */ s, /** @type {() => void} */ fn) {
      if (s.#aborted) return () => {};
      s.#algorithms.push(fn);
      return () => { const i = s.#algorithms.indexOf(fn); if (i >= 0) s.#algorithms.splice(i, 1); };
    }
    /** @override */
    get [Symbol.toStringTag]() { return 'AbortSignal'; }
  }
  eventHandler(AbortSignal.prototype, 'abort');

  class AbortController {
    #signal = new AbortSignal(INTERNAL);
    get signal() { return this.#signal; }
    abort(/** @type {unknown} */ reason = undefined) { AbortSignal.signalAbort(this.#signal, reason); }
    get [Symbol.toStringTag]() { return 'AbortController'; }
  }

  // ---- the global scope as an EventTarget (addEventListener('error' | 'unhandledrejection', …)) ----
  // The global object itself is the target (an error event's target is globalThis, and
  // EventTarget.prototype.addEventListener.call(globalThis, …) works), without changing its prototype.
  const globalTarget = /** @type {EventTarget} */ (/** @type {unknown} */ (globalThis));
  WeakMapSet(LISTENERS, globalThis, new Map());
  /** @type {Record<string, Function>} */
  const onGlobal = {};
  for (const name of /** @type {const} */ (['addEventListener', 'removeEventListener', 'dispatchEvent'])) {
    const m = EventTarget.prototype[name];
    onGlobal[name] = /** @type {Function} */ ({ [name](/** @type {unknown[]} */ ...a) { return ReflectApply(m, globalTarget, a); } }[name]);
  }

  /** A request's signal: made on first read; aborted when the client goes away (90_entry.js cancel). */
  const SIGNALS = new WeakMap();
  const requestSignal = (/** @type {object} */ req) => {
    let s = WeakMapGet(SIGNALS, req);
    if (s === undefined) { s = new AbortSignal(INTERNAL); WeakMapSet(SIGNALS, req, s); }
    return s;
  };
  /** Rejects `promise`'s result with the signal's reason when it aborts first; cancels the op (ns.cancel) if it was an op's. */
  /** @type {(signal: unknown, promise: Promise<any>, op?: Promise<unknown>) => Promise<any>} */
  const withSignal = (signal, promise, op) => {
    if (!(signal instanceof AbortSignal)) return ns.primordials.PromiseReject(new TypeError("the option 'signal' is not an AbortSignal"));
    if (signal.aborted) { if (op) cancel(op); return ns.primordials.PromiseReject(signal.reason); }
    return new ns.primordials.Promise((resolve, reject) => {
      const off = AbortSignal.onAbort(signal, () => { if (op) cancel(op); reject(signal.reason); });
      PromisePrototypeThen(promise, (v) => { off(); resolve(v); }, (e) => { off(); reject(e); });
    });
  };

  return {
    Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent, AbortSignal, AbortController,
    reportError: function reportError(/** @type {unknown} */ e) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'reportError': 1 argument required.");
      report(e);
    },
    ...onGlobal,
    report, requestSignal, withSignal,
    abortRequest: (/** @type {object} */ req, /** @type {unknown} */ reason) => AbortSignal.signalAbort(requestSignal(req), reason),
  };
  }

  const GLOBALS = ['Event', 'EventTarget', 'CustomEvent', 'ErrorEvent', 'PromiseRejectionEvent', 'AbortSignal', 'AbortController', 'reportError', 'addEventListener', 'removeEventListener', 'dispatchEvent'];
  const load = () => {
    if (E === null) {
      E = build();
      for (const name of GLOBALS) define(name, E[name]);
    }
    return E;
  };
  for (const name of GLOBALS) {
    ObjectDefineProperty(globalThis, name, {
      configurable: true, enumerable: false,
      get() { return load()[name]; },
      // Assigned before first use: build first, so the tenant's value is the one that stays.
      set(v) { load(); define(name, v); },
    });
  }
  // Without the module built, nothing listens for errors on the global scope: log at once.
  ns.reportException = (e) => { if (E === null) logUncaught(e); else E.report(e); };
  ns.requestSignal = (req) => load().requestSignal(req);
  ns.abortRequest = (req, reason) => load().abortRequest(req, reason);
  ns.withSignal = (signal, promise, op) => (signal === undefined || signal === null ? promise : load().withSignal(signal, promise, op));
  /** Whether v is one of the module's objects (structuredClone refuses them); none exist before it is built. */
  ns.isEventObject = (v) => E !== null && (v instanceof E.EventTarget || v instanceof E.Event);
}
