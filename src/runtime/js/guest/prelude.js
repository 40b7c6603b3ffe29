/*
 * The isoedge guest runtime: Request, Response, console, timers, crypto and the
 * dispatch entry points the host calls. Evaluated after web.js in every
 * pre-warmed isolate, before any tenant code. The host passes its bridge as
 * the global `__isoedge_host` (ivm.Callbacks); this file captures it in a
 * closure and deletes the global, so tenant code can never call the host
 * directly: every bridge call is one of the fixed, validated entry points here.
 */
(function (host) {
  'use strict';
  delete globalThis.__isoedge_host;
  const mapClear = Map.prototype.clear;
  // V8's gc() exists in every context because the host sets --expose-gc (isolate.ts: the host clears a
  // reused isolate with it before this runs). Tenant code must not have it; V8 makes the property
  // non-configurable, so it stays, holding undefined.
  if (typeof globalThis.gc === 'function') globalThis.gc = undefined;
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const BODY = Symbol('isoedge.body');

  // ---- console → the host's structured log (tagged with function, revision and request there) ----
  const fmt = (v) => {
    if (typeof v === 'string') return v;
    if (v instanceof Error) return v.stack || String(v);
    if (typeof v === 'object' && v !== null) { try { return JSON.stringify(v); } catch { return String(v); } }
    return String(v);
  };
  const logAt = (level) => (...args) => { host.log(level, args.map(fmt).join(' ').slice(0, 16384)); };
  define('console', Object.freeze({
    log: logAt('info'), info: logAt('info'), debug: logAt('debug'), trace: logAt('debug'),
    warn: logAt('warn'), error: logAt('error'),
  }));

  // ---- a buffered body stream: enough for `new Response(request.body)` and getReader() loops ----
  class BufferedStream {
    #bytes;
    constructor(bytes) { this.#bytes = bytes; }
    static bytes(s) { return s.#bytes; }
    get locked() { return this.#bytes === undefined; }
    getReader() {
      let bytes = this.#bytes;
      this.#bytes = undefined;
      return {
        read: async () => { if (bytes === undefined) return { done: true, value: undefined }; const v = bytes; bytes = undefined; return { done: false, value: v }; },
        releaseLock() {},
        cancel: async () => { bytes = undefined; },
      };
    }
  }

  /** Normalises any BodyInit to string | Uint8Array | null and a default content type. */
  function extractBody(body) {
    if (body == null) return [null, null];
    if (typeof body === 'string') return [body, 'text/plain;charset=UTF-8'];
    if (body instanceof ArrayBuffer) return [new Uint8Array(body.slice(0)), null];
    if (ArrayBuffer.isView(body)) return [new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)), null];
    if (body instanceof URLSearchParams) return [body.toString(), 'application/x-www-form-urlencoded;charset=UTF-8'];
    if (body instanceof BufferedStream) {
      if (body.locked) throw new TypeError('Body: the stream is already locked or read');
      return [BufferedStream.bytes(body), null];
    }
    return [String(body), 'text/plain;charset=UTF-8'];
  }

  /** The Body mixin shared by Request and Response. */
  class Body {
    [BODY] = null;
    #used = false;
    #take() {
      if (this.#used) throw new TypeError('Body has already been used');
      this.#used = true;
      return this[BODY];
    }
    get bodyUsed() { return this.#used; }
    get body() {
      if (this[BODY] === null) return null;
      const b = this.#take();
      return new BufferedStream(typeof b === 'string' ? enc.encode(b) : b);
    }
    async text() { const b = this.#take(); return b === null ? '' : typeof b === 'string' ? b : dec.decode(b); }
    async json() { return JSON.parse(await this.text()); }
    async bytes() { const b = this.#take(); return b === null ? new Uint8Array(0) : typeof b === 'string' ? enc.encode(b) : b.slice(); }
    async arrayBuffer() { return (await this.bytes()).buffer; }
    async formData() { throw new TypeError('formData() is not supported by isoedge; parse the body with text() or bytes()'); }
    async blob() { throw new TypeError('blob() is not supported by isoedge; use arrayBuffer() or bytes()'); }
  }

  const METHODS = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE)$/i;
  const FROM_HOST = Symbol('isoedge.fromHost');
  class Request extends Body {
    #method; #url; #headers; #redirect; #rawHeaders = null;
    constructor(input, init = {}) {
      super();
      if (input === FROM_HOST) {
        // Built by dispatch(): the host already validated the URL and method; headers are parsed on first use.
        this.#url = init.url;
        this.#method = init.method;
        this.#rawHeaders = init.headers;
        this.#redirect = 'follow';
        return;
      }
      let src = null;
      if (input instanceof Request) src = input;
      this.#url = src ? src.url : new URL(String(input)).href;
      let method = init.method ?? (src ? src.method : 'GET');
      method = String(method);
      if (METHODS.test(method)) method = method.toUpperCase();
      else if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) throw new TypeError(`Request: invalid method ${method}`);
      this.#method = method;
      this.#headers = new Headers(init.headers ?? (src ? src.headers : undefined));
      this.#rawHeaders = null;
      this.#redirect = init.redirect ?? (src ? src.redirect : 'follow');
      if (init.body !== undefined && init.body !== null) {
        if (method === 'GET' || method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
        const [b, type] = extractBody(init.body);
        this[BODY] = b;
        if (type && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
      } else if (src && init.body === undefined) {
        this[BODY] = src[BODY];
      }
    }
    get method() { return this.#method; }
    get url() { return this.#url; }
    get headers() {
      if (this.#rawHeaders !== null) { this.#headers = new Headers(JSON.parse(this.#rawHeaders)); this.#rawHeaders = null; }
      return this.#headers;
    }
    get redirect() { return this.#redirect; }
    static fromHost(url, method, headersJson) { return new Request(FROM_HOST, { url, method, headers: headersJson }); }
    /** The request's header pairs as received (for Wasm frames), without building a Headers object. */
    headersForWasm() { return this.#rawHeaders !== null ? JSON.parse(this.#rawHeaders) : Headers.pairs(this.headers); }
    get signal() { return undefined; }
    get cf() { return undefined; }
    clone() {
      if (this.bodyUsed) throw new TypeError('Request.clone: body has already been used');
      return new Request(this);
    }
    get [Symbol.toStringTag]() { return 'Request'; }
  }

  const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);
  class Response extends Body {
    #status; #statusText; #headers; #type = 'default';
    constructor(body = null, init = {}) {
      super();
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`Response: status ${init.status} is outside 200-599`);
      this.#status = status;
      this.#statusText = init.statusText === undefined ? '' : String(init.statusText);
      this.#headers = new Headers(init.headers);
      if (body !== null && body !== undefined) {
        if (NULL_BODY_STATUS.has(status)) throw new TypeError(`Response with null body status ${status} cannot have a body`);
        const [b, type] = extractBody(body);
        this[BODY] = b;
        if (type && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
      }
    }
    static json(data, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(JSON.stringify(data), { ...init, headers });
    }
    static redirect(url, status = 302) {
      if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Response.redirect: invalid status ${status}`);
      return new Response(null, { status, headers: { location: new URL(String(url)).href } });
    }
    static error() { const r = new Response(null, { status: 200 }); r.#type = 'error'; return r; }
    get status() { return this.#status; }
    get statusText() { return this.#statusText; }
    get ok() { return this.#status >= 200 && this.#status < 300; }
    get headers() { return this.#headers; }
    get redirected() { return false; }
    get type() { return this.#type; }
    get url() { return ''; }
    clone() {
      if (this.bodyUsed) throw new TypeError('Response.clone: body has already been used');
      const r = new Response(null, { status: this.#status, statusText: this.#statusText, headers: this.#headers });
      r[BODY] = this[BODY];
      return r;
    }
    get [Symbol.toStringTag]() { return 'Response'; }
  }
  define('Request', Request);
  define('Response', Response);
  define('ReadableStream', BufferedStream);

  // ---- crypto: randomness comes from the host's CSPRNG ----
  const getRandomValues = (arr) => {
    if (!ArrayBuffer.isView(arr) || arr instanceof Float32Array || arr instanceof Float64Array || arr instanceof DataView) {
      throw new TypeError('crypto.getRandomValues: argument must be an integer TypedArray');
    }
    if (arr.byteLength > 65536) throw new RangeError('crypto.getRandomValues: at most 65536 bytes per call');
    new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(new Uint8Array(host.random(arr.byteLength)));
    return arr;
  };
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  define('crypto', Object.freeze({
    getRandomValues,
    randomUUID() {
      const b = getRandomValues(new Uint8Array(16));
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      const h = hex(b);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  }));

  // ---- timers: the host owns the clock and re-enters through fire(), under the CPU limit ----
  const timers = new Map();
  let nextTimer = 1;
  define('setTimeout', function setTimeout(fn, ms = 0, ...args) {
    if (typeof fn !== 'function') throw new TypeError('setTimeout: callback must be a function');
    const id = nextTimer++;
    timers.set(id, () => fn(...args));
    host.timer(id, Math.max(0, Number(ms) || 0));
    return id;
  });
  define('clearTimeout', function clearTimeout(id) {
    if (timers.delete(id)) host.untimer(id);
  });

  // ---- outbound fetch: through the host, which checks its allowlist, then re-enters through fetchDone() ----
  const pendingFetch = new Map();
  let nextFetch = 1;
  define('fetch', function fetch(input, init) {
    let req;
    try { req = input instanceof Request && init === undefined ? input : new Request(input instanceof Request ? input : String(input), init || {}); }
    catch (e) { return Promise.reject(e); }
    const id = nextFetch++;
    return new Promise((resolve, reject) => {
      pendingFetch.set(id, { resolve, reject });
      const b = req[BODY];
      const why = host.fetch(id, req.method, req.url, JSON.stringify(Headers.pairs(req.headers)), b === null ? null : typeof b === 'string' ? b : b.slice().buffer);
      if (why) { pendingFetch.delete(id); reject(new TypeError(why)); }
    });
  });
  // ---- code V8 may run later on its own: finalizers and Atomics.waitAsync timeouts ----
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
      constructor(cleanup) {
        if (typeof cleanup !== 'function') throw new TypeError('FinalizationRegistry: cleanup must be callable');
        deferredCode = true;
        Object.defineProperty(this, REGISTRY, { value: new NativeFinalizationRegistry((held) => { if (!detached) cleanup(held); }) });
      }
      register(target, held, token) { return apply(nativeRegister, this[REGISTRY], [target, held, token]); }
      unregister(token) { return apply(nativeUnregister, this[REGISTRY], [token]); }
    });
  }
  if (typeof Atomics.waitAsync === 'function') {
    const nativeWaitAsync = Atomics.waitAsync;
    Atomics.waitAsync = function waitAsync(...args) { deferredCode = true; return apply(nativeWaitAsync, Atomics, args); };
  }

  // ---- the entry points the host holds References to ----
  let handler = null;
  let env = null;
  // One ctx for every request: waitUntil's promises are tracked by the isolate's own job queue.
  const ctx = Object.freeze({
    waitUntil(p) { Promise.resolve(p).catch((e) => console.error('waitUntil promise rejected:', e)); },
    passThroughOnException() {},
  });
  const deepFreeze = (o) => { if (o && typeof o === 'object') { Object.freeze(o); for (const k of Object.keys(o)) deepFreeze(o[k]); } return o; };

  function finish(id, res) {
    if (!(res instanceof Response)) {
      const got = res === null ? 'null' : typeof res === 'object' ? (res.constructor && res.constructor.name) || 'object' : typeof res;
      host.fail(id, 'bad_response', `fetch() must return a Response (or a promise of one); it returned ${got}`);
      return;
    }
    if (res.type === 'error') { host.fail(id, 'bad_response', 'fetch() returned Response.error()'); return; }
    const b = res[BODY];
    host.done(id, res.status, JSON.stringify(Headers.pairs(res.headers)), b === null ? null : typeof b === 'string' ? b : b.buffer.byteLength === b.byteLength ? b.buffer : b.slice().buffer);
  }
  function failWith(id, e) {
    if (e instanceof WebAssembly.RuntimeError) { host.fail(id, 'trap', `${e.message}`); return; }
    if (e && e[WASM_FAULT]) { host.fail(id, e[WASM_FAULT], e.message); return; }
    host.fail(id, 'threw', e instanceof Error ? `${e.name}: ${e.message}` : `non-Error thrown: ${fmt(e)}`);
  }

  // ---- edge-core-v1 guests: a core Wasm module behind the same fetch entry point ----
  const WASM_FAULT = Symbol('isoedge.wasmFault');
  const wasmFault = (kind, message) => Object.assign(new Error(message), { [WASM_FAULT]: kind });
  /** A request's body as the bytes a Wasm guest receives (empty when there is none). */
  const bodyBytes = (req) => { const b = req[BODY]; return b === null ? new Uint8Array(0) : typeof b === 'string' ? enc.encode(b) : b; };
  /** Linear memory is outside the isolate's heap limit: every Wasm tier checks it after each call. */
  function checkMemory(memory, maxBytes, who) {
    if (memory.buffer.byteLength > maxBytes) throw wasmFault('memory', `the ${who} grew its memory to ${memory.buffer.byteLength} bytes, over the limit of ${maxBytes}`);
  }
  function frame(head, body) {
    const h = enc.encode(JSON.stringify(head));
    const out = new Uint8Array(4 + h.length + (body ? body.length : 0));
    new DataView(out.buffer).setUint32(0, h.length, true);
    out.set(h, 4);
    if (body) out.set(body, 4 + h.length);
    return out;
  }
  function wasmHandler(x, maxBytes) {
    return {
      fetch(req) {
        const f = frame({ method: req.method, url: req.url, headers: req.headersForWasm() }, bodyBytes(req));
        const ptr = x.alloc(f.length) >>> 0;
        if (ptr + f.length > x.memory.buffer.byteLength) throw wasmFault('bad_response', `alloc(${f.length}) returned ${ptr}, outside memory`);
        new Uint8Array(x.memory.buffer, ptr, f.length).set(f);
        const r = x.handle(ptr, f.length);
        checkMemory(x.memory, maxBytes, 'module');
        const rp = Number(BigInt.asUintN(64, r) >> 32n);
        const rl = Number(BigInt.asUintN(64, r) & 0xffffffffn);
        const mem = new Uint8Array(x.memory.buffer);
        if (rl < 4 || rp + rl > mem.length) throw wasmFault('bad_response', `handle() returned a response of ${rl} bytes at ${rp}, outside memory`);
        const hl = new DataView(x.memory.buffer).getUint32(rp, true);
        if (4 + hl > rl) throw wasmFault('bad_response', `response head length ${hl} runs past the response (${rl} bytes)`);
        let head;
        try { head = JSON.parse(dec.decode(mem.subarray(rp + 4, rp + 4 + hl))); } catch (e) { throw wasmFault('bad_response', `response head is not JSON: ${e.message}`); }
        const status = head && head.status;
        if (!Number.isInteger(status) || status < 200 || status > 599) throw wasmFault('bad_response', `response status ${JSON.stringify(status)} is not from 200 to 599`);
        const hs = Array.isArray(head.headers) ? head.headers : [];
        const out = mem.slice(rp + 4 + hl, rp + rl);
        return new Response(NULL_BODY_STATUS.has(status) ? null : out, { status, headers: hs });
      },
    };
  }

  /**
   * wasi:http/proxy: each request goes through incoming-handler.handle of a fresh component
   * instance, as under wasmtime serve, Spin and Fastly (guests rely on it: StarlingMonkey cannot
   * serve a second request from one instance). The instance made at bind serves the first
   * request; the compiled core modules and the script stay, so a new one costs about a
   * millisecond for a small component. Any error out of the
   * component (a trap, or a misuse its glue or the WASI implementation refuses) leaves it in an
   * unknown state, so it is reported as a trap and the instance is dropped.
   */
  /**
   * Runs jco's instantiate() with WebAssembly.Instance wrapped, to note the memories its core
   * instances export (jco keeps them private, and the host must bound them).
   */
  function withMemoriesIn(memories, fn) {
    const W = WebAssembly;
    const Native = W.Instance;
    function Recording(module, imports) {
      const inst = new Native(module, imports);
      for (const v of Object.values(inst.exports)) if (v instanceof W.Memory) memories.push(v);
      return inst;
    }
    Recording.prototype = Native.prototype;
    W.Instance = Recording;
    try {
      return fn();
    } finally {
      W.Instance = Native;
    }
  }

  function bindWasiHttp(x, wasi, instantiate, checkMemories) {
    const key = x && Object.keys(x).find((k) => k.startsWith('wasi:http/incoming-handler@'));
    if (!key || typeof x[key].handle !== 'function') return 'the component has no wasi:http/incoming-handler export';
    let fresh = x;
    handler = {
      fetch(req) {
        const body = bodyBytes(req);
        let r;
        try {
          const ih = (fresh || instantiate())[key];
          fresh = null;
          r = wasi.serve(ih, req.method, req.url, req.headersForWasm(), body);
        } catch (e) {
          if (e instanceof WebAssembly.RuntimeError) throw e;
          if (e && e[WASM_FAULT]) throw e;
          throw wasmFault('trap', `the component failed: ${e instanceof Error ? e.message : fmt(e)}`);
        } finally {
          checkMemories();
        }
        if (r.fault) throw wasmFault(r.fault, r.message);
        if (!Number.isInteger(r.status) || r.status < 200 || r.status > 599) throw wasmFault('bad_response', `the component set status ${r.status}, not from 200 to 599`);
        return new Response(NULL_BODY_STATUS.has(r.status) ? null : r.body, { status: r.status, headers: r.headers });
      },
    };
    return '';
  }

  const api = {
    /** After the tenant script ran: bind its default export and the revision's env. Returns '' or a reason. */
    bind(envJson) {
      const mod = globalThis.__isoedge_module;
      globalThis.__isoedge_module = undefined; // a top-level `var`: not deletable
      const def = mod && mod.default;
      if (!def || typeof def.fetch !== 'function') return 'the module has no default export with a fetch(request, env, ctx) method';
      handler = def;
      env = deepFreeze(JSON.parse(envJson));
      return '';
    },
    /** An edge-core-v1 module (compiled by the host) becomes this isolate's handler. Returns '' or a reason. */
    bindWasm(mod, envJson, maxBytes) {
      let x = null;
      const imports = { env: { log: (ptr, len) => { host.log('info', dec.decode(new Uint8Array(x.memory.buffer, ptr >>> 0, len >>> 0))); } } };
      try {
        x = new WebAssembly.Instance(mod, imports).exports;
        if (typeof x._initialize === 'function') x._initialize();
      } catch (e) {
        return `the module could not be instantiated: ${e && e.message}`;
      }
      env = deepFreeze(JSON.parse(envJson));
      handler = wasmHandler(x, maxBytes);
      return '';
    },
    /**
     * A jco-transpiled component: the tenant script defined `__isoedge_component.instantiate`;
     * the host passes the compiled core modules by name. A script that also defines `wasiHttp`
     * is a wasi:http/proxy component (the deployer bundled guest/wasi-http.js into it); any
     * other serves edge:host/handler@0.1.0.
     */
    bindComponent(namesJson, envJson, maxBytes, maxBodyBytes, ...mods) {
      const c = globalThis.__isoedge_component;
      globalThis.__isoedge_component = undefined; // a top-level `var`: not deletable
      if (!c || typeof c.instantiate !== 'function') return 'the component script defines no instantiate()';
      const byName = {};
      JSON.parse(namesJson).forEach((n, i) => { byName[n] = mods[i]; });
      const vars = JSON.parse(envJson);
      const wasi = typeof c.wasiHttp === 'function' ? c.wasiHttp({ log: (level, text) => host.log(level, text), env: { ...vars }, maxBodyBytes }) : null;
      const memories = [];
      const instantiate = () => withMemoriesIn(memories, () => c.instantiate((n) => byName[n], wasi ? wasi.imports : { log: { default: (m) => host.log('info', String(m)) }, 'edge:host/types': {} }));
      let x;
      try {
        x = instantiate();
      } catch (e) {
        return `the component could not be instantiated: ${e && e.message}`;
      }
      env = deepFreeze(vars);
      const checkMemories = () => { for (const m of memories) checkMemory(m, maxBytes, 'component'); };
      if (wasi) return bindWasiHttp(x, wasi, () => { memories.length = 0; return instantiate(); }, checkMemories);
      if (!x || typeof x.handle !== 'function') return 'the component has no handle export';
      handler = {
        fetch(req) {
          let r;
          try {
            r = x.handle({ method: req.method, url: req.url, headers: req.headersForWasm(), body: bodyBytes(req) });
          } finally {
            checkMemories();
          }
          const status = r && r.status;
          if (!Number.isInteger(status) || status < 200 || status > 599) throw wasmFault('bad_response', `handle() returned status ${JSON.stringify(status)}, not from 200 to 599`);
          return new Response(NULL_BODY_STATUS.has(status) ? null : r.body, { status, headers: r.headers });
        },
      };
      return '';
    },
    dispatch(id, method, url, headersJson, body) {
      let res;
      try {
        const req = Request.fromHost(url, method, headersJson);
        if (body !== null && body !== undefined) req[BODY] = new Uint8Array(body);
        res = handler.fetch(req, env, ctx);
      } catch (e) {
        failWith(id, e);
        return;
      }
      if (res && typeof res.then === 'function') res.then((r) => finish(id, r), (e) => failWith(id, e));
      else finish(id, res);
    },
    /**
     * Runs the common request path once with a throwaway request so V8 compiles
     * the runtime's lazy functions while the isolate waits in the warm pool,
     * not on a tenant's first request.
     */
    warmup() {
      const req = Request.fromHost('http://warmup.invalid/a/b?c=d', 'POST', '[["x-a","b"]]');
      req[BODY] = enc.encode('{"a":1}');
      new URL(req.url).searchParams.get('c');
      req.headers.get('x-a');
      req.json().then(() => {});
      const res = Response.json({ ok: true }, { status: 201, headers: { 'x-b': 'c' } });
      Headers.pairs(res.headers);
      JSON.stringify(Headers.pairs(new Response('x').headers));
      return '';
    },
    fetchDone(id, status, headersJson, body, error) {
      const p = pendingFetch.get(id);
      if (!p) return;
      pendingFetch.delete(id);
      if (error) { p.reject(new TypeError(error)); return; }
      try {
        p.resolve(new Response(NULL_BODY_STATUS.has(status) ? null : body, { status, headers: JSON.parse(headersJson) }));
      } catch (e) { p.reject(e); }
    },
    fire(id) {
      const fn = timers.get(id);
      if (!fn) return;
      timers.delete(id);
      try { fn(); } catch (e) { console.error('uncaught exception in setTimeout callback:', e); }
    },
    /**
     * The host is about to reuse this isolate for another context (isolate.ts, recycle()):
     * drop the tenant's handler, env, timers and fetches so they can be collected, and mute
     * finalization callbacks, the one way this context's code could still run afterwards.
     */
    detach() {
      detached = true;
      handler = null;
      env = null;
      // Captured intrinsics only: tenant code must not run here (it would run unmetered).
      apply(mapClear, timers, []);
      apply(mapClear, pendingFetch, []);
      return deferredCode ? 'deferred code' : '';
    },
  };
  define('__isoedge_runtime', api);
})(globalThis.__isoedge_host);
