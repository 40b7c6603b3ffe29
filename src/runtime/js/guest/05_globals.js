// @ts-check
/* structuredClone, queueMicrotask, self and navigator. */
{
  const { define } = ns;
  // structuredClone: the serializable built-ins, cycles kept; functions and symbols refused.
  define('structuredClone', function structuredClone(/** @type {unknown} */ value) {
    /** @type {Map<unknown, any>} */
    const seen = new Map();
    // `any`: a clone walks values of every type; each branch is guarded by the instanceof before it.
    /** @type {(v: any) => any} */
    const clone = (v) => {
      if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
        if (typeof v === 'symbol') throw new TypeError('structuredClone: a Symbol could not be cloned');
        return v;
      }
      if (typeof v === 'function') throw new TypeError('structuredClone: a function could not be cloned');
      if (seen.has(v)) return seen.get(v);
      /** @type {any} */
      let out;
      if (v instanceof Date) out = new Date(v.getTime());
      else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
      else if (v instanceof ArrayBuffer) out = v.slice(0);
      else if (ArrayBuffer.isView(v)) { const t = /** @type {any} */ (v); out = new t.constructor(clone(t.buffer), t.byteOffset, v instanceof DataView ? t.byteLength : t.length); }
      else if (v instanceof Map) { out = new Map(); seen.set(v, out); for (const [k, x] of v) out.set(clone(k), clone(x)); return out; }
      else if (v instanceof Set) { out = new Set(); seen.set(v, out); for (const x of v) out.add(clone(x)); return out; }
      else if (v instanceof Error) { out = new (/** @type {any} */ (globalThis)[v.name] || Error)(v.message); if (v.stack) out.stack = v.stack; }
      else if (v instanceof Boolean || v instanceof Number || v instanceof String) out = Object(v.valueOf());
      else if (Array.isArray(v)) { const a = /** @type {any} */ (v); out = new Array(a.length); seen.set(v, out); for (const k of Object.keys(a)) out[k] = clone(a[k]); return out; }
      else { out = {}; seen.set(v, out); for (const k of Object.keys(v)) out[k] = clone(v[k]); return out; }
      seen.set(v, out);
      return out;
    };
    return clone(value);
  });
  define('queueMicrotask', function queueMicrotask(/** @type {unknown} */ cb) {
    if (typeof cb !== 'function') throw new TypeError('queueMicrotask: callback must be a function');
    Promise.resolve().then(/** @type {() => void} */ (cb));
  });
  define('self', globalThis);
  define('navigator', Object.freeze({ userAgent: 'isoedge' }));
}
