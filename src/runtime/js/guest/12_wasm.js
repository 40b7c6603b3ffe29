// @ts-check
/* edge-core-v1 guests: a core Wasm module behind the same fetch entry point (the framing of docs/host-abi.md). */
{
  const { ops, state, deepFreeze, refuse, enc, dec, bodyOf, Response, NULL_BODY_STATUS } = ns;
  const WASM_FAULT = Symbol('isoedge.wasmFault');
  /** @type {IsoedgeNs['wasmFault']} */
  const wasmFault = (kind, message) => Object.assign(new Error(message), { [WASM_FAULT]: kind });
  /** A request's body as the bytes a Wasm guest receives (empty when there is none). */
  /** @type {IsoedgeNs['bodyBytes']} */
  const bodyBytes = (req) => { const b = bodyOf(req); return b === null ? new Uint8Array(0) : typeof b === 'string' ? enc.encode(b) : b; };
  /** Linear memory is outside the isolate's heap limit: every Wasm tier checks it after each call. */
  /** @type {IsoedgeNs['checkMemory']} */
  function checkMemory(memory, maxBytes, who) {
    if (memory.buffer.byteLength > maxBytes) throw wasmFault('memory', `the ${who} grew its memory to ${memory.buffer.byteLength} bytes, over the limit of ${maxBytes}`);
  }
  /** One edge-core-v1 frame: u32 head length, JSON head, body. */
  function frame(/** @type {object} */ head, /** @type {Uint8Array | null} */ body) {
    const h = enc.encode(JSON.stringify(head));
    const out = new Uint8Array(4 + h.length + (body ? body.length : 0));
    new DataView(out.buffer).setUint32(0, h.length, true);
    out.set(h, 4);
    if (body) out.set(body, 4 + h.length);
    return out;
  }
  /** @typedef {{ memory: WebAssembly.Memory, alloc(n: number): number, handle(ptr: number, len: number): bigint, _initialize?: () => void }} CoreExports */
  function wasmHandler(/** @type {CoreExports} */ x, /** @type {number} */ maxBytes) {
    return {
      fetch(/** @type {any} */ req) {
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
        try { head = JSON.parse(dec.decode(mem.subarray(rp + 4, rp + 4 + hl))); } catch (e) { throw wasmFault('bad_response', `response head is not JSON: ${/** @type {Error} */ (e).message}`); }
        const status = head && head.status;
        if (!Number.isInteger(status) || status < 200 || status > 599) throw wasmFault('bad_response', `response status ${JSON.stringify(status)} is not from 200 to 599`);
        const hs = Array.isArray(head.headers) ? head.headers : [];
        const out = mem.slice(rp + 4 + hl, rp + rl);
        return new Response(NULL_BODY_STATUS.has(status) ? null : out, { status, headers: hs });
      },
    };
  }

  Object.assign(ns, { WASM_FAULT, wasmFault, bodyBytes, checkMemory });

  /** An edge-core-v1 module (compiled by the host) becomes this isolate's handler, or it refuses (EDGE_ERR_MODULE_INIT). */
  ns.entry.bindWasm = function bindWasm(/** @type {WebAssembly.Module} */ mod, /** @type {string} */ envJson, /** @type {number} */ maxBytes) {
    /** @type {CoreExports | null} */
    let x = null;
    const imports = { env: { log: (/** @type {number} */ ptr, /** @type {number} */ len) => { if (x) ops.log('info', dec.decode(new Uint8Array(x.memory.buffer, ptr >>> 0, len >>> 0))); } } };
    try {
      const exp = /** @type {CoreExports} */ (/** @type {unknown} */ (new WebAssembly.Instance(mod, imports).exports));
      x = exp;
      if (typeof exp._initialize === 'function') exp._initialize();
    } catch (e) {
      throw refuse('EDGE_ERR_MODULE_INIT', `the module could not be instantiated: ${e && /** @type {Error} */ (e).message}`);
    }
    state.env = deepFreeze(JSON.parse(envJson));
    state.handler = wasmHandler(x, maxBytes);
  };
}
