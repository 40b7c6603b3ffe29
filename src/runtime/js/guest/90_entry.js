// @ts-check
/*
 * The entry points the host holds References to: bind and dispatch here, bindWasm, bindComponent
 * and complete from earlier files. The last file: it checks ns.entry against the host's list
 * (bridge/ops.ts ENTRY_POINTS, generated into the script) and hands exactly those to the host.
 */
{
  const { ops, state, deepFreeze, refuse, bodyOf, setBody, Request, Response, Headers, enc, fmt, WASM_FAULT, console, isLocked, isDisturbed, isU8, u8ArrayBuffer, getStreamReader, readChunk, cancelReader, hostStream, domException } = ns;
  const { JSONStringify, ObjectKeys, ObjectFreeze, PromisePrototypeThen } = ns.primordials;
  const ReflectApply = Reflect.apply;
  // One ctx for every request: waitUntil's promises are tracked by the isolate's own job queue.
  const ctx = Object.freeze({
    waitUntil(/** @type {unknown} */ p) { Promise.resolve(p).catch((e) => console.error('waitUntil promise rejected:', e)); },
    passThroughOnException() {},
  });

  /**
   * Requests in flight, by dispatch id: the Request (to abort its signal when the client goes away)
   * and, once the response streams, its reader and the part of a chunk not yet sent.
   * @type {Map<number, { req: any, reader?: any, rest?: Uint8Array, budget?: number, looping?: boolean, ring?: Uint8Array, wpos?: number }>}
   */
  const live = new Map();
  /** A chunk crosses to the host in pieces of at most this many bytes, so the host's buffers stay bounded. */
  const MAX_CHUNK = 65536;
  const u8Subarray = Uint8Array.prototype.subarray;
  const u8Set = Uint8Array.prototype.set;
  const u8Length = /** @type {() => number} */ (/** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength')).get);

  /** @type {(id: number, res: any) => void} */
  function finish(id, res) {
    if (!(res instanceof Response)) {
      const got = res === null ? 'null' : typeof res === 'object' ? (res.constructor && res.constructor.name) || 'object' : typeof res;
      failWith(id, null, 'bad_response', `fetch() must return a Response (or a promise of one); it returned ${got}`);
      return;
    }
    if (res.type === 'error') { failWith(id, null, 'bad_response', 'fetch() returned Response.error()'); return; }
    const b = bodyOf(res);
    if (b === null || typeof b === 'string' || isU8(b)) { live.delete(id); done(id, res, b); return; }
    if (isLocked(b) || isDisturbed(b)) { failWith(id, null, 'bad_response', 'fetch() returned a Response whose body stream is locked or has been read'); return; }
    const l = live.get(id);
    // The host gave up on this request (the client went away) while the handler ran: nothing will read the body.
    if (l === undefined) { PromisePrototypeThen(b.cancel(), ignore, ignore); return; }
    // A ReadableStream body streams: the head now, then one chunk per pull(id) from the host (its credit).
    l.reader = getStreamReader(b);
    ops.stream_head(id, res.status, JSONStringify(Headers.pairs(res.headers)));
  }
  const ignore = () => {};
  /** @type {(id: number, res: any, b: string | Uint8Array | null) => void} */
  function done(id, res, b) {
    ops.done(id, res.status, JSONStringify(Headers.pairs(res.headers)), b === null ? null : typeof b === 'string' ? b : u8ArrayBuffer(b));
  }
  /** @type {(id: number, e: any, kind?: string, message?: string) => void} */
  function failWith(id, e, kind = undefined, message = undefined) {
    live.delete(id);
    if (kind !== undefined) { ops.fail(id, kind, /** @type {string} */ (message)); return; }
    if (e instanceof WebAssembly.RuntimeError) { ops.fail(id, 'trap', `${e.message}`); return; }
    if (e && e[WASM_FAULT]) { ops.fail(id, e[WASM_FAULT], e.message); return; }
    ops.fail(id, 'threw', thrown(e));
  }
  /** What a handler threw, as the failure's message. */
  const thrown = (/** @type {any} */ e) => (e instanceof Error ? `${e.name}: ${e.message}` : `non-Error thrown: ${fmt(e)}`);

  /** A scheduled run's answer when the handler settled: 204 and no body; `isoedge-no-retry: 1` once controller.noRetry() was called. */
  const SCHEDULED_HEADERS = '[]';
  const SCHEDULED_NO_RETRY_HEADERS = '[["isoedge-no-retry","1"]]';
  /**
   * A cron trigger's run (docs/host-abi.md, "Scheduled handlers"): the bound handler's
   * scheduled(controller, env, ctx), its result awaited. Settled: done(204, no body, plus
   * isoedge-no-retry: 1 after controller.noRetry()). Thrown or rejected: the `threw` failure of a
   * fetch handler (EDGE_ERR_FUNCTION_THREW, the same message), `threw_no_retry` after noRetry() so
   * the host's failure says so. No scheduled handler (a JS module without one, any Wasm or component
   * tier, whose runtime handlers have fetch only): `no_scheduled` (EDGE_ERR_MODULE_NO_SCHEDULED).
   */
  function scheduled(/** @type {number} */ id, /** @type {string} */ cron, /** @type {number} */ scheduledTime) {
    const h = /** @type {IsoedgeHandler} */ (state.handler);
    /** @type {unknown} */
    let run;
    try {
      run = h.scheduled; // the tenant's object: a getter may throw
    } catch (e) {
      failWith(id, e);
      return;
    }
    if (typeof run !== 'function') {
      ops.fail(id, 'no_scheduled', 'the revision has no scheduled handler: its module\'s default export has no scheduled(controller, env, ctx) method (Wasm and component revisions have none)');
      return;
    }
    let noRetry = false;
    const controller = ObjectFreeze({ cron, scheduledTime, type: 'scheduled', noRetry() { noRetry = true; } });
    const settled = () => ops.done(id, 204, noRetry ? SCHEDULED_NO_RETRY_HEADERS : SCHEDULED_HEADERS, null);
    const failed = (/** @type {unknown} */ e) => { if (noRetry) ops.fail(id, 'threw_no_retry', thrown(e)); else failWith(id, e); };
    /** @type {any} */
    let r;
    try {
      r = ReflectApply(run, h, [controller, state.env, ctx]);
    } catch (e) {
      failed(e);
      return;
    }
    if (r && typeof r.then === 'function') r.then(settled, failed);
    else settled();
  }
  /**
   * Sends at most `max` bytes of `u` (and never more than MAX_CHUNK), keeping the rest for the next pull;
   * answers how many went. Never more than the host's credit: its ring holds no more.
   */
  /** @type {(id: number, l: { rest?: Uint8Array, ring?: Uint8Array, wpos?: number }, u: Uint8Array, max: number) => number} */
  function sendChunk(id, l, u, max) {
    const n = ReflectApply(u8Length, u, []);
    const ring = l.ring;
    if (ring !== undefined) {
      // Written straight into the host's ring, contiguous: a piece stops at its end (the next one wraps to 0).
      const size = ReflectApply(u8Length, ring, []);
      const at = /** @type {number} */ (l.wpos);
      const piece = Math.min(n, MAX_CHUNK, max, size - at);
      l.rest = n > piece ? ReflectApply(u8Subarray, u, [piece]) : undefined;
      if (piece === 0) return 1;
      ReflectApply(u8Set, ring, [n > piece ? ReflectApply(u8Subarray, u, [0, piece]) : u, at]);
      l.wpos = (at + piece) % size;
      ops.stream_wrote(id, piece);
      return piece;
    }
    const piece = Math.min(MAX_CHUNK, max);
    if (n > piece) {
      l.rest = ReflectApply(u8Subarray, u, [piece]);
      ops.stream_chunk(id, u8ArrayBuffer(ReflectApply(u8Subarray, u, [0, piece])));
      return piece;
    }
    l.rest = undefined;
    // The bridge copies the bytes to the host: a chunk that is a whole buffer goes as it is.
    ops.stream_chunk(id, u8ArrayBuffer(u));
    // An empty chunk still counts, so a stream of them cannot loop within one pull for ever.
    return Math.max(n, 1);
  }

  Object.assign(ns.entry, {
    /**
     * After the tenant script ran: bind its default export and the revision's env, or refuse (EDGE_ERR_MODULE_NO_FETCH).
     * Answers whether the export also has a scheduled method (the deployer checks it against the revision's cron triggers).
     */
    bind(/** @type {string} */ envJson, /** @type {number} */ responseBytes) {
      const mod = globalThis.__isoedge_module;
      globalThis.__isoedge_module = undefined; // a top-level `var`: not deletable
      const def = mod && mod.default;
      if (!def || typeof def.fetch !== 'function') throw refuse('EDGE_ERR_MODULE_NO_FETCH', 'the module has no default export with a fetch(request, env, ctx) method');
      state.handler = /** @type {IsoedgeHandler} */ (def);
      state.env = deepFreeze(JSON.parse(envJson));
      state.responseBytes = responseBytes;
      return typeof def.scheduled === 'function';
    },
    /**
     * A request: `body` is its bytes, null, or the number 1 when it streams from the host (the body_read op).
     * With `cron` (a string) it is a cron trigger's run instead, due at `scheduledTime` (Unix ms): see scheduled().
     */
    dispatch(/** @type {number} */ id, /** @type {string} */ method, /** @type {string} */ url, /** @type {string} */ headersJson, /** @type {ArrayBuffer | null | number} */ body, /** @type {string | undefined} */ cron = undefined, /** @type {number} */ scheduledTime = 0) {
      /** @type {any} */
      let res;
      ns.clock.tick(); // a request arrived: the runtime's clock advances (01_events.js)
      if (cron !== undefined) { scheduled(id, cron, scheduledTime); return; }
      try {
        const req = Request.fromHost(url, method, headersJson);
        if (body === 1) setBody(req, hostStream(() => ops.body_read(id), ignore));
        else if (body !== null && body !== undefined) setBody(req, new Uint8Array(/** @type {ArrayBuffer} */ (body)));
        live.set(id, { req });
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
     * The host can take `maxBytes` more of request `id`'s streaming response: read chunks and send them
     * (stream_chunk; stream_end or fail at the end) until that much went or the stream has none ready.
     * One loop per request: a pull while it runs only raises what it may send.
     */
    pull(/** @type {number} */ id, /** @type {number} */ maxBytes, /** @type {SharedArrayBuffer | undefined} */ ring) {
      const l = live.get(id);
      if (l === undefined || l.reader === undefined) return;
      if (ring !== undefined && l.ring === undefined) { l.ring = new Uint8Array(ring); l.wpos = 0; }
      l.budget = maxBytes;
      if (l.looping) return;
      l.looping = true;
      const step = () => {
        if (live.get(id) !== l) return;
        if (/** @type {number} */ (l.budget) <= 0) { l.looping = false; return; }
        if (l.rest !== undefined) { l.budget = /** @type {number} */ (l.budget) - sendChunk(id, l, l.rest, /** @type {number} */ (l.budget)); step(); return; }
        PromisePrototypeThen(readChunk(l.reader), (r) => {
          if (live.get(id) !== l) return;
          if (r.done) { live.delete(id); ops.stream_end(id); return; }
          const v = r.value;
          /** @type {Uint8Array | undefined} */
          let u;
          if (isU8(v)) u = /** @type {Uint8Array} */ (v);
          else if (v instanceof ArrayBuffer) u = new Uint8Array(v);
          else if (ArrayBuffer.isView(v)) u = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
          if (u === undefined) {
            const what = v === null ? 'null' : typeof v === 'object' ? (v.constructor && v.constructor.name) || 'object' : typeof v;
            PromisePrototypeThen(cancelReader(l.reader, new TypeError('bad chunk')), ignore, ignore);
            failWith(id, null, 'bad_response', `a response body stream must give Uint8Array (or ArrayBuffer / ArrayBufferView) chunks; it gave ${what}`);
            return;
          }
          l.budget = /** @type {number} */ (l.budget) - sendChunk(id, l, u, /** @type {number} */ (l.budget));
          step();
        }, (e) => { if (live.get(id) === l) failWith(id, e); });
      };
      step();
    },
    /**
     * The host is done with request `id` before its response ended (the client went away, a limit):
     * its signal aborts and its response stream, if any, is cancelled (the source's cancel() runs).
     */
    cancel(/** @type {number} */ id, /** @type {string} */ why) {
      const l = live.get(id);
      if (l === undefined) return;
      live.delete(id);
      const reason = domException(why, 'AbortError');
      ns.abortRequest(l.req, reason);
      if (l.reader !== undefined) PromisePrototypeThen(cancelReader(l.reader, reason), ignore, ignore);
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
