// @ts-check
/*
 * The guest runtime's infrastructure, first of the files prelude-source.ts concatenates into
 * one script (the numbers are the load order). It takes the host bridge out of the global
 * scope, captures the intrinsics the runtime relies on before any tenant code can change
 * them, and builds `ns.ops` from the op table the host generated into the script (bridge/ops.ts):
 * sync ops are plain calls, async ops return promises settled through the one `complete`
 * entry point. Every later file reads and extends `ns`, a closure variable tenant code never sees.
 */
// The host set the bridge's callbacks as this global (isolate.ts); the wrapper's parameter holds them now.
delete globalThis.__isoedge_host;
// V8's gc() exists in every context because the host sets --expose-gc (isolate.ts: the host clears a
// reused isolate with it before this runs). Tenant code must not have it; V8 makes the property
// non-configurable, so it stays, holding undefined.
if (typeof globalThis.gc === 'function') globalThis.gc = undefined;

const ns = /** @type {IsoedgeNs} */ (/** @type {unknown} */ ({ entry: {}, state: { handler: null, env: null, responseBytes: Infinity } }));
{
  // ---- primordials: uncurried so a tenant's `Map.prototype.get = …` changes nothing here ----
  const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);
  const p = {
    ReflectApply: Reflect.apply,
    ObjectDefineProperty: Object.defineProperty,
    ObjectFreeze: Object.freeze,
    ObjectKeys: Object.keys,
    JSONParse: JSON.parse,
    JSONStringify: JSON.stringify,
    Promise,
    PromiseReject: Promise.reject.bind(Promise),
    PromisePrototypeThen: uncurryThis(Promise.prototype.then),
    MapPrototypeGet: uncurryThis(Map.prototype.get),
    MapPrototypeSet: uncurryThis(Map.prototype.set),
    MapPrototypeDelete: uncurryThis(Map.prototype.delete),
    MapPrototypeClear: uncurryThis(Map.prototype.clear),
    StringPrototypeStartsWith: uncurryThis(String.prototype.startsWith),
    StringPrototypeIndexOf: uncurryThis(String.prototype.indexOf),
    StringPrototypeSlice: uncurryThis(String.prototype.slice),
  };
  ns.primordials = p;
  /** The revision's env is frozen all the way down: one tenant object shared by every request. */
  ns.deepFreeze = (o) => { if (o && typeof o === 'object') { p.ObjectFreeze(o); for (const k of p.ObjectKeys(o)) ns.deepFreeze(/** @type {any} */ (o)[k]); } return o; };
  ns.define = (name, value) =>
    p.ObjectDefineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });

  // ---- refusals: a host op throws `EDGE_ERR_…: message` (OpError); the guest sees a TypeError with `code` ----
  /** @type {(code: string, message: string) => TypeError & { code: string }} */
  const opError = (code, message) => {
    const e = new TypeError(`${code}: ${message}`);
    p.ObjectDefineProperty(e, 'code', { value: code, writable: true, configurable: true, enumerable: false });
    return /** @type {TypeError & { code: string }} */ (e);
  };
  // An entry point (bind, bindWasm, bindComponent) refuses the same way, towards the host (instance.ts).
  ns.refuse = (code, message) => /** @type {TypeError & { code: typeof code }} */ (opError(code, message));
  /** An exception thrown by a host callback, as the guest should see it (others pass through). */
  const refusal = (/** @type {unknown} */ e) => {
    // Not `instanceof Error`: the error is made by isolated-vm, in whichever realm it chooses.
    const message = e !== null && typeof e === 'object' ? /** @type {{ message?: unknown }} */ (e).message : undefined;
    if (typeof message !== 'string' || !p.StringPrototypeStartsWith(message, 'EDGE_ERR_')) return e;
    const at = p.StringPrototypeIndexOf(message, ': ');
    if (at < 0) return e;
    return opError(p.StringPrototypeSlice(message, 0, at), p.StringPrototypeSlice(message, at + 2));
  };

  // ---- async ops: one table of pending promises, settled by complete(opId, ok, …) ----
  const OP_ID = Symbol('isoedge.opId');
  /** @type {Map<number, { resolve: (v: unknown) => void, reject: (e: unknown) => void, n: number }>} */
  const pending = new Map();
  let nextOp = 1;
  /** @type {(id: number, n: number) => Promise<any>} */
  const track = (id, n) => {
    /** @type {(v: unknown) => void} */ let resolve = () => {};
    /** @type {(e: unknown) => void} */ let reject = () => {};
    const promise = new p.Promise((res, rej) => { resolve = res; reject = rej; });
    p.MapPrototypeSet(pending, id, { resolve, reject, n });
    /** @type {any} */ (promise)[OP_ID] = id;
    return promise;
  };
  /** @type {(id: number, e: unknown) => Promise<never>} */
  const refused = (id, e) => {
    const r = p.PromiseReject(refusal(e));
    /** @type {any} */ (r)[OP_ID] = id;
    return r;
  };
  // One closure per arity, so a call allocates nothing and passes exactly the table's arguments.
  /** @type {(fn: Function, arity: number) => Function} */
  const syncOp = (fn, arity) => {
    switch (arity) {
      case 0: return () => { try { return fn(); } catch (e) { throw refusal(e); } };
      case 1: return (/** @type {unknown} */ a) => { try { return fn(a); } catch (e) { throw refusal(e); } };
      case 2: return (/** @type {unknown} */ a, /** @type {unknown} */ b) => { try { return fn(a, b); } catch (e) { throw refusal(e); } };
      case 3: return (/** @type {unknown} */ a, /** @type {unknown} */ b, /** @type {unknown} */ c) => { try { return fn(a, b, c); } catch (e) { throw refusal(e); } };
      case 4: return (/** @type {unknown} */ a, /** @type {unknown} */ b, /** @type {unknown} */ c, /** @type {unknown} */ d) => { try { return fn(a, b, c, d); } catch (e) { throw refusal(e); } };
      default: throw new TypeError(`isoedge: ops take at most 4 arguments, not ${arity}`);
    }
  };
  /** @type {(fn: Function, arity: number, n: number) => Function} */
  const asyncOp = (fn, arity, n) => {
    switch (arity) {
      case 0: return () => { const id = nextOp++; try { fn(id); } catch (e) { return refused(id, e); } return track(id, n); };
      case 1: return (/** @type {unknown} */ a) => { const id = nextOp++; try { fn(id, a); } catch (e) { return refused(id, e); } return track(id, n); };
      case 2: return (/** @type {unknown} */ a, /** @type {unknown} */ b) => { const id = nextOp++; try { fn(id, a, b); } catch (e) { return refused(id, e); } return track(id, n); };
      case 3: return (/** @type {unknown} */ a, /** @type {unknown} */ b, /** @type {unknown} */ c) => { const id = nextOp++; try { fn(id, a, b, c); } catch (e) { return refused(id, e); } return track(id, n); };
      case 4: return (/** @type {unknown} */ a, /** @type {unknown} */ b, /** @type {unknown} */ c, /** @type {unknown} */ d) => { const id = nextOp++; try { fn(id, a, b, c, d); } catch (e) { return refused(id, e); } return track(id, n); };
      default: throw new TypeError(`isoedge: ops take at most 4 arguments, not ${arity}`);
    }
  };

  // ---- ns.ops from the table: the callbacks arrive in the table's order, one per row ----
  const fns = __isoedge_bridge;
  if (!Array.isArray(fns) || fns.length !== __isoedge_table.ops.length) throw new TypeError('isoedge: the host bridge does not match the op table');
  /** @type {Record<string, Function>} */
  const ops = {};
  __isoedge_table.ops.forEach(([name, kind, arity, n], i) => {
    const fn = fns[i];
    if (typeof fn !== 'function') throw new TypeError(`isoedge: no host callback for op ${name}`);
    if (n > 4) throw new TypeError(`isoedge: async ops complete with at most 4 values, not ${n} (${name})`);
    ops[name] = kind === 'sync' ? syncOp(fn, arity) : asyncOp(fn, arity, n);
  });
  ns.ops = /** @type {IsoedgeOps} */ (/** @type {unknown} */ (p.ObjectFreeze(ops)));
  ns.OP_ID = OP_ID;

  /** Cancels an async op the guest no longer wants (clearTimeout): its promise never settles. */
  ns.cancel = (promise) => {
    const id = /** @type {any} */ (promise)[OP_ID];
    if (p.MapPrototypeDelete(pending, id)) ns.ops.cancel(id);
  };
  /** Drops every pending op (detach()): captured intrinsics only, no tenant code runs here. */
  ns.dropPending = () => { p.MapPrototypeClear(pending); };

  /** The one re-entry point for async ops: ok with up to four values, or a refusal code and message. */
  ns.entry.complete = (/** @type {number} */ id, /** @type {boolean} */ ok, /** @type {unknown} */ a, /** @type {unknown} */ b, /** @type {unknown} */ c, /** @type {unknown} */ d) => {
    const op = p.MapPrototypeGet(pending, id);
    if (op === undefined) return;
    ns.clock.tick(); // I/O completed: the runtime's clock advances (01_events.js)
    p.MapPrototypeDelete(pending, id);
    if (!ok) op.reject(opError(String(a), String(b)));
    else op.resolve(op.n === 0 ? undefined : op.n === 1 ? a : op.n === 2 ? [a, b] : op.n === 3 ? [a, b, c] : [a, b, c, d]);
  };
}
