// @ts-check
/* Components: jco-transpiled edge:host/handler and wasi:http/proxy guests. */
{
  const { ops, state, deepFreeze, refuse, Response, NULL_BODY_STATUS, wasmFault, WASM_FAULT, bodyBytes, checkMemory, fmt } = ns;
  /**
   * Runs jco's instantiate() with WebAssembly.Instance wrapped, to note the memories its core
   * instances export (jco keeps them private, and the host must bound them).
   */
  /** @type {<T>(memories: WebAssembly.Memory[], fn: () => T) => T} */
  function withMemoriesIn(memories, fn) {
    const W = WebAssembly;
    const Native = W.Instance;
    /** @this {unknown} */
    function Recording(/** @type {WebAssembly.Module} */ module, /** @type {object} */ imports) {
      const inst = new Native(module, imports);
      for (const v of Object.values(inst.exports)) if (v instanceof W.Memory) memories.push(v);
      return inst;
    }
    Recording.prototype = Native.prototype;
    W.Instance = /** @type {any} */ (Recording);
    try {
      return fn();
    } finally {
      W.Instance = Native;
    }
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
  /** @type {(x: any, wasi: any, instantiate: () => any, checkMemories: () => void) => void} */
  function bindWasiHttp(x, wasi, instantiate, checkMemories) {
    const key = x && Object.keys(x).find((k) => k.startsWith('wasi:http/incoming-handler@'));
    if (!key || typeof x[key].handle !== 'function') throw refuse('EDGE_ERR_MODULE_INIT', 'the component has no wasi:http/incoming-handler export');
    let fresh = x;
    state.handler = {
      fetch(/** @type {any} */ req) {
        const body = bodyBytes(req);
        let r;
        try {
          const ih = (fresh || instantiate())[key];
          fresh = null;
          r = wasi.serve(ih, req.method, req.url, req.headersForWasm(), body);
        } catch (e) {
          if (e instanceof WebAssembly.RuntimeError) throw e;
          if (e && /** @type {any} */ (e)[WASM_FAULT]) throw e;
          throw wasmFault('trap', `the component failed: ${e instanceof Error ? e.message : fmt(e)}`);
        } finally {
          checkMemories();
        }
        if (r.fault) throw wasmFault(r.fault, r.message);
        if (!Number.isInteger(r.status) || r.status < 200 || r.status > 599) throw wasmFault('bad_response', `the component set status ${r.status}, not from 200 to 599`);
        return new Response(NULL_BODY_STATUS.has(r.status) ? null : r.body, { status: r.status, headers: r.headers });
      },
    };
  }

  /**
   * A jco-transpiled component: the tenant script defined `__isoedge_component.instantiate`;
   * the host passes the compiled core modules by name. A script that also defines `wasiHttp`
   * is a wasi:http/proxy component (the deployer bundled guest/wasi-http.js into it); any
   * other serves edge:host/handler@0.1.0. Refuses (EDGE_ERR_MODULE_INIT) a component it cannot bind.
   */
  ns.entry.bindComponent = function bindComponent(/** @type {string} */ namesJson, /** @type {string} */ envJson, /** @type {number} */ maxBytes, /** @type {number} */ maxBodyBytes, /** @type {WebAssembly.Module[]} */ ...mods) {
    const c = globalThis.__isoedge_component;
    globalThis.__isoedge_component = undefined; // a top-level `var`: not deletable
    if (!c || typeof c.instantiate !== 'function') throw refuse('EDGE_ERR_MODULE_INIT', 'the component script defines no instantiate()');
    /** @type {Record<string, WebAssembly.Module>} */
    const byName = {};
    JSON.parse(namesJson).forEach((/** @type {string} */ n, /** @type {number} */ i) => { byName[n] = /** @type {WebAssembly.Module} */ (mods[i]); });
    const vars = JSON.parse(envJson);
    const wasi = typeof c.wasiHttp === 'function' ? c.wasiHttp({ log: (/** @type {string} */ level, /** @type {string} */ text) => ops.log(level, text), env: { ...vars }, maxBodyBytes }) : null;
    /** @type {WebAssembly.Memory[]} */
    const memories = [];
    const make = /** @type {NonNullable<typeof c.instantiate>} */ (c.instantiate);
    const instantiate = () => withMemoriesIn(memories, () => make((n) => /** @type {WebAssembly.Module} */ (byName[n]), wasi ? wasi.imports : { log: { default: (/** @type {unknown} */ m) => ops.log('info', String(m)) }, 'edge:host/types': {} }));
    let x;
    try {
      x = instantiate();
    } catch (e) {
      throw refuse('EDGE_ERR_MODULE_INIT', `the component could not be instantiated: ${e && /** @type {Error} */ (e).message}`);
    }
    state.env = deepFreeze(vars);
    const checkMemories = () => { for (const m of memories) checkMemory(m, maxBytes, 'component'); };
    if (wasi) { bindWasiHttp(x, wasi, () => { memories.length = 0; return instantiate(); }, checkMemories); return; }
    if (!x || typeof x.handle !== 'function') throw refuse('EDGE_ERR_MODULE_INIT', 'the component has no handle export');
    state.handler = {
      fetch(/** @type {any} */ req) {
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
  };
}
