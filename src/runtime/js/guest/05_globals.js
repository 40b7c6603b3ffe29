// @ts-check
/* structuredClone (HTML §2.7), queueMicrotask, performance (High Resolution Time), self and navigator. */
{
  const { define, domException, reportException, clock } = ns;
  const { ReflectApply, PromisePrototypeThen, ObjectKeys, ObjectFreeze, ObjectDefineProperty } = ns.primordials;
  const ArrayIsArray = Array.isArray;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ArrayBufferIsView = ArrayBuffer.isView;
  const uncurry = Function.prototype.bind.bind(Function.prototype.call);
  const ArrayBufferSlice = uncurry(ArrayBuffer.prototype.slice);
  const ArrayBufferTransfer = uncurry(/** @type {any} */ (ArrayBuffer.prototype).transfer);
  const getter = (/** @type {object} */ proto, /** @type {string} */ key) => uncurry(/** @type {PropertyDescriptor} */ (ObjectGetOwnPropertyDescriptor(proto, key)).get);
  const ByteLength = getter(ArrayBuffer.prototype, 'byteLength');
  const Detached = getter(ArrayBuffer.prototype, 'detached');
  const Resizable = getter(ArrayBuffer.prototype, 'resizable');
  const MaxByteLength = getter(ArrayBuffer.prototype, 'maxByteLength');
  const DateGetTime = uncurry(Date.prototype.getTime);
  const ERROR_NAMES = ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError'];
  const ERRORS = /** @type {Record<string, ErrorConstructor>} */ ({ Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError });
  /** Objects with the runtime's (or V8's) internal state that HTML does not list as serializable. */
  const platform = (/** @type {object} */ v) =>
    v instanceof WeakMap || v instanceof WeakSet || v instanceof Promise || v instanceof WeakRef || (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer) ||
    ns.isEventObject(v) || v instanceof ns.Headers || v instanceof ns.URL || v instanceof ns.URLSearchParams ||
    v instanceof ns.TextEncoder || v instanceof ns.TextDecoder || (typeof WebAssembly === 'object' && (v instanceof WebAssembly.Memory || v instanceof WebAssembly.Instance));
  const cloneError = (/** @type {string} */ what) => domException(`${what} could not be cloned.`, 'DataCloneError');

  define('structuredClone', function structuredClone(/** @type {unknown} */ value, /** @type {any} */ options = undefined) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required.");
    /** @type {ArrayBuffer[]} */
    const transfer = [];
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') throw new TypeError('structuredClone: the options must be an object');
      if (options.transfer !== undefined) {
        for (const t of options.transfer) {
          if (!(t instanceof ArrayBuffer)) throw cloneError('A value in the transfer list');
          if (transfer.includes(t)) throw domException('An ArrayBuffer is listed twice in the transfer list.', 'DataCloneError');
          if (Detached(t)) throw domException('An ArrayBuffer in the transfer list is detached.', 'DataCloneError');
          transfer.push(t);
        }
      }
    }
    /** @type {Map<unknown, any>} */
    const seen = new Map();
    /** @type {(v: any) => any} */
    const clone = (v) => {
      if (typeof v === 'symbol') throw cloneError('Symbol()');
      if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
      if (typeof v === 'function') throw cloneError(`function ${v.name || '(anonymous)'}`);
      if (seen.has(v)) return seen.get(v);
      /** @type {any} */
      let out;
      if (v instanceof ArrayBuffer) {
        if (Detached(v)) throw cloneError('A detached ArrayBuffer');
        if (Resizable(v)) { out = new (/** @type {any} */ (ArrayBuffer))(ByteLength(v), { maxByteLength: MaxByteLength(v) }); new Uint8Array(out).set(new Uint8Array(v)); }
        else out = ArrayBufferSlice(v, 0);
      } else if (ArrayBufferIsView(v)) {
        const t = /** @type {any} */ (v);
        if (Detached(t.buffer)) throw cloneError('A view of a detached ArrayBuffer');
        const buf = clone(t.buffer);
        out = v instanceof DataView ? new DataView(buf, t.byteOffset, t.byteLength) : new t.constructor(buf, t.byteOffset, t.length);
      } else if (v instanceof Date) out = new Date(DateGetTime(v));
      else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
      else if (v instanceof Boolean || v instanceof Number || v instanceof String || v instanceof BigInt) out = Object(v.valueOf());
      else if (v instanceof ns.DOMException) { out = domException(v.message, v.name); if (typeof v.stack === 'string') out.stack = v.stack; }
      else if (v instanceof Error) {
        // HTML: the name if it is one of the standard ones, else "Error"; message, cause and stack as data.
        let name = 'Error';
        for (let p = /** @type {any} */ (v); p !== null; p = ObjectGetPrototypeOf(p)) { const d = ObjectGetOwnPropertyDescriptor(p, 'name'); if (d) { if ('value' in d && typeof d.value === 'string' && ERROR_NAMES.includes(d.value)) name = d.value; break; } }
        out = new (/** @type {ErrorConstructor} */ (ERRORS[name]))();
        seen.set(v, out);
        const m = ObjectGetOwnPropertyDescriptor(v, 'message');
        if (m && 'value' in m) out.message = String(m.value); else delete out.message;
        const c = ObjectGetOwnPropertyDescriptor(v, 'cause');
        if (c && 'value' in c) out.cause = clone(c.value);
        if (typeof v.stack === 'string') out.stack = v.stack;
        return out;
      } else if (v instanceof Map) { out = new Map(); seen.set(v, out); for (const [k, x] of [...v]) out.set(clone(k), clone(x)); return out; }
      else if (v instanceof Set) { out = new Set(); seen.set(v, out); for (const x of [...v]) out.add(clone(x)); return out; }
      else if (platform(v)) throw cloneError(`${Object.prototype.toString.call(v)}`);
      else if (ArrayIsArray(v)) { const a = /** @type {any} */ (v); out = new Array(a.length); seen.set(v, out); for (const k of ObjectKeys(a)) out[k] = clone(a[k]); return out; }
      else { out = {}; seen.set(v, out); for (const k of ObjectKeys(v)) out[k] = clone(v[k]); return out; }
      seen.set(v, out);
      return out;
    };
    const result = clone(value);
    // Transferred buffers: the clone has their bytes; the originals are detached, as a transfer leaves them.
    for (const t of transfer) {
      if (!seen.has(t)) seen.set(t, ArrayBufferSlice(t, 0));
      ArrayBufferTransfer(t);
    }
    return result;
  });

  define('queueMicrotask', function queueMicrotask(/** @type {unknown} */ cb) {
    if (typeof cb !== 'function') throw new TypeError("Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'.");
    // An exception in the callback is reported (reportError), as HTML's microtask checkpoint does.
    PromisePrototypeThen(ns.primordials.Promise.resolve(), () => { try { ReflectApply(cb, undefined, []); } catch (e) { reportException(e); } });
  });

  // ---- performance: a clock that advances only when the host enters the isolate (ns.clock), in whole ms ----
  // Built on first read of `performance` or `Performance`, like the events module (01_events.js).
  const buildPerformance = () => {
  /** @type {{ name: string, entryType: string, startTime: number, duration: number, detail: unknown }[]} */
  let entries = [];
  const MAX_ENTRIES = 1024;
  /** @type {(name: string, entryType: string, startTime: number, duration: number, detail: unknown) => object} */
  const entry = (name, entryType, startTime, duration, detail) => {
    const e = ObjectFreeze({ name, entryType, startTime, duration, detail, toJSON() { return { name, entryType, startTime, duration, detail }; } });
    if (entries.length >= MAX_ENTRIES) entries.shift();
    entries.push(/** @type {any} */ (e));
    return e;
  };
  /** @type {(m: unknown, who: string) => number} */
  const markTime = (m, who) => {
    if (typeof m === 'number') return m;
    for (let i = entries.length - 1; i >= 0; i--) { const e = /** @type {any} */ (entries[i]); if (e.entryType === 'mark' && e.name === String(m)) return e.startTime; }
    throw domException(`${who}: the mark '${String(m)}' does not exist.`, 'SyntaxError');
  };
  class Performance {
    get timeOrigin() { return clock.origin; }
    now() { return clock.now(); }
    mark(/** @type {unknown} */ name, /** @type {any} */ options = undefined) {
      const o = options ?? {};
      const startTime = o.startTime === undefined ? clock.now() : Number(o.startTime);
      if (startTime < 0) throw new TypeError('performance.mark: startTime must not be negative');
      return entry(String(name), 'mark', startTime, 0, o.detail === undefined ? null : structuredClone(o.detail));
    }
    measure(/** @type {unknown} */ name, /** @type {any} */ start = undefined, /** @type {unknown} */ end = undefined) {
      let s = 0, e = clock.now(), detail = null;
      if (start !== null && typeof start === 'object') {
        if (start.start !== undefined) s = markTime(start.start, 'performance.measure');
        if (start.end !== undefined) e = markTime(start.end, 'performance.measure');
        if (start.duration !== undefined) { if (start.end === undefined) e = s + Number(start.duration); else s = e - Number(start.duration); }
        if (start.detail !== undefined) detail = structuredClone(start.detail);
      } else {
        if (start !== undefined) s = markTime(start, 'performance.measure');
        if (end !== undefined) e = markTime(end, 'performance.measure');
      }
      return entry(String(name), 'measure', s, e - s, detail);
    }
    getEntries() { return entries.slice(); }
    getEntriesByType(/** @type {unknown} */ type) { return entries.filter((x) => x.entryType === String(type)); }
    getEntriesByName(/** @type {unknown} */ name, /** @type {unknown} */ type = undefined) { return entries.filter((x) => x.name === String(name) && (type === undefined || x.entryType === String(type))); }
    clearMarks(/** @type {unknown} */ name = undefined) { entries = entries.filter((x) => x.entryType !== 'mark' || (name !== undefined && x.name !== String(name))); }
    clearMeasures(/** @type {unknown} */ name = undefined) { entries = entries.filter((x) => x.entryType !== 'measure' || (name !== undefined && x.name !== String(name))); }
    toJSON() { return { timeOrigin: clock.origin }; }
    get [Symbol.toStringTag]() { return 'Performance'; }
  }
  return { Performance, performance: new Performance() };
  };
  /** @type {any} */
  let perf = null;
  const loadPerformance = () => {
    if (perf === null) { perf = buildPerformance(); define('Performance', perf.Performance); define('performance', perf.performance); }
    return perf;
  };
  for (const name of ['Performance', 'performance']) {
    ObjectDefineProperty(globalThis, name, { configurable: true, enumerable: false, get() { return loadPerformance()[name]; }, set(v) { loadPerformance(); define(name, v); } });
  }
  define('self', globalThis);
  // What Workers answers: libraries that detect the Workers runtime by it take the Workers path (docs/host-abi.md).
  define('navigator', ObjectFreeze({ userAgent: 'Cloudflare-Workers', hardwareConcurrency: 1 }));
}
