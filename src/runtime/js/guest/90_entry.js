// @ts-check
/*
 * The entry points the host holds References to: bind and dispatch here, bindWasm, bindComponent
 * and complete from earlier files. The last file: it checks ns.entry against the host's list
 * (bridge/ops.ts ENTRY_POINTS, generated into the script) and hands exactly those to the host.
 */
{
  const { ops, state, deepFreeze, refuse, bodyOf, setBody, Request, Response, Headers, enc, fmt, WASM_FAULT, console, readAll, isLocked, isDisturbed, TOO_LARGE, isU8, u8ArrayBuffer } = ns;
  const { JSONStringify, ObjectKeys, PromisePrototypeThen } = ns.primordials;
  // One ctx for every request: waitUntil's promises are tracked by the isolate's own job queue.
  const ctx = Object.freeze({
    waitUntil(/** @type {unknown} */ p) { Promise.resolve(p).catch((e) => console.error('waitUntil promise rejected:', e)); },
    passThroughOnException() {},
  });

  /** @type {(id: number, res: any) => void} */
  function finish(id, res) {
    if (!(res instanceof Response)) {
      const got = res === null ? 'null' : typeof res === 'object' ? (res.constructor && res.constructor.name) || 'object' : typeof res;
      ops.fail(id, 'bad_response', `fetch() must return a Response (or a promise of one); it returned ${got}`);
      return;
    }
    if (res.type === 'error') { ops.fail(id, 'bad_response', 'fetch() returned Response.error()'); return; }
    const b = bodyOf(res);
    if (b === null || typeof b === 'string' || isU8(b)) { done(id, res, b); return; }
    // A ReadableStream body: collected here, within the response limit, then sent as bytes (streaming to the client is issue 10).
    if (isLocked(b) || isDisturbed(b)) { ops.fail(id, 'bad_response', 'fetch() returned a Response whose body stream is locked or has been read'); return; }
    const limit = state.responseBytes;
    PromisePrototypeThen(readAll(b, limit), (bytes) => done(id, res, bytes), (e) => {
      if (e === TOO_LARGE) ops.fail(id, 'too_large', `the response body stream is over the limit of ${limit} bytes`);
      else failWith(id, e);
    });
  }
  /** @type {(id: number, res: any, b: string | Uint8Array | null) => void} */
  function done(id, res, b) {
    ops.done(id, res.status, JSONStringify(Headers.pairs(res.headers)), b === null ? null : typeof b === 'string' ? b : u8ArrayBuffer(b));
  }
  /** @type {(id: number, e: any) => void} */
  function failWith(id, e) {
    if (e instanceof WebAssembly.RuntimeError) { ops.fail(id, 'trap', `${e.message}`); return; }
    if (e && e[WASM_FAULT]) { ops.fail(id, e[WASM_FAULT], e.message); return; }
    ops.fail(id, 'threw', e instanceof Error ? `${e.name}: ${e.message}` : `non-Error thrown: ${fmt(e)}`);
  }

  Object.assign(ns.entry, {
    /** After the tenant script ran: bind its default export and the revision's env, or refuse (EDGE_ERR_MODULE_NO_FETCH). */
    bind(/** @type {string} */ envJson, /** @type {number} */ responseBytes) {
      const mod = globalThis.__isoedge_module;
      globalThis.__isoedge_module = undefined; // a top-level `var`: not deletable
      const def = mod && mod.default;
      if (!def || typeof def.fetch !== 'function') throw refuse('EDGE_ERR_MODULE_NO_FETCH', 'the module has no default export with a fetch(request, env, ctx) method');
      state.handler = /** @type {IsoedgeHandler} */ (def);
      state.env = deepFreeze(JSON.parse(envJson));
      state.responseBytes = responseBytes;
    },
    dispatch(/** @type {number} */ id, /** @type {string} */ method, /** @type {string} */ url, /** @type {string} */ headersJson, /** @type {ArrayBuffer | null} */ body) {
      /** @type {any} */
      let res;
      ns.clock.tick(); // a request arrived: the runtime's clock advances (01_events.js)
      try {
        const req = Request.fromHost(url, method, headersJson);
        if (body !== null && body !== undefined) setBody(req, new Uint8Array(body));
        // dispatch() runs only after a bind: the host calls it on specialised instances only.
        res = /** @type {IsoedgeHandler} */ (state.handler).fetch(req, state.env, ctx);
      } catch (e) {
        failWith(id, e);
        return;
      }
      if (res && typeof res.then === 'function') res.then((/** @type {unknown} */ r) => finish(id, r), (/** @type {unknown} */ e) => failWith(id, e));
      else finish(id, res);
    },
    /**
     * Runs the common request path with throwaway requests so V8 compiles the runtime's lazy
     * functions (and isolate.ts keeps them in the prelude's code cache) while the isolate waits
     * in the warm pool, not on a tenant's first request.
     */
    warmup() {
      // Three rounds: V8 gives a function its feedback vector only after a few calls, and a first
      // request that is a function's third call pays for them all at once (measured: the second
      // request 0.2 ms instead of 0.08 with one round).
      for (let round = 0; round < 3; round++) {
        const req = Request.fromHost('http://warmup.invalid/a/b?c=d', 'POST', '[["x-a","b"]]');
        setBody(req, enc.encode('{"a":1}'));
        new ns.URL(req.url).searchParams.get('c');
        req.headers.get('x-a');
        req.json().then(() => {});
        const res = Response.json({ ok: true }, { status: 201, headers: { 'x-b': 'c' } });
        Headers.pairs(res.headers);
        JSON.stringify(Headers.pairs(new Response('x').headers));
        // The whole request path once, answered to an id no request has (the host ignores it): dispatch,
        // finish and done, for a sync and an async handler, with a string and a byte body.
        const handler = state.handler;
        const dispatch = /** @type {IsoedgeEntry} */ (ns.entry.dispatch);
        state.handler = { fetch: (/** @type {any} */ r) => new Response(`${r.method} ${r.url}`, { headers: { 'content-type': 'text/plain' } }) };
        dispatch(-1, 'GET', 'http://warmup.invalid/', '[["accept","*/*"]]', null);
        state.handler = { fetch: async (/** @type {any} */ r) => new Response(enc.encode(r.headers.get('accept') ?? '')) };
        dispatch(-1, 'GET', 'http://warmup.invalid/', '[["accept","*/*"]]', null);
        state.handler = handler;
      }
      return '';
    },
    /**
     * The host is about to reuse this isolate for another context (isolate.ts, recycle()):
     * drop the tenant's handler, env, timers and fetches so they can be collected, and mute
     * finalization callbacks, the one way this context's code could still run afterwards.
     * Not a refusal: it always detaches, and answers whether the isolate may be reused (false
     * when this context made a FinalizationRegistry or called Atomics.waitAsync).
     */
    detach() {
      // Captured intrinsics only: tenant code must not run here (it would run unmetered).
      const deferred = ns.muteDeferred();
      state.handler = null;
      state.env = null;
      ns.dropTimers();
      ns.dropPending();
      return !deferred;
    },
  });

  // The host's list of entry points, no more and no fewer: a mismatch fails the isolate's start.
  const names = __isoedge_table.entries;
  if (ObjectKeys(ns.entry).length !== names.length) throw new TypeError(`isoedge: the runtime defines entry points ${ObjectKeys(ns.entry).join(', ')}, the host expects ${names.join(', ')}`);
  /** @type {Record<string, IsoedgeEntry>} */
  const api = {};
  for (const n of names) {
    const f = ns.entry[n];
    if (typeof f !== 'function') throw new TypeError(`isoedge: the runtime has no entry point ${n}`);
    api[n] = f;
  }
  ns.api = Object.freeze(api);
}
