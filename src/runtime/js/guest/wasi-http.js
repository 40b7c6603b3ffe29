// @ts-check
/*
 * WASI 0.2 for wasi:http/proxy components, inside the isolate: the `imports` object handed
 * to jco's instantiate() and serve(), which drives wasi:http/incoming-handler for one request.
 * Bundled into the revision's script at deploy (src/deploy/compile.worker.ts), so only
 * components pay for it. Plain JS with isolate globals only (no Node APIs).
 *
 * Everything is synchronous: jco instantiates with sync imports, and the host buffers request
 * and response bodies, so a stream is a cursor over bytes and every pollable is ready, except
 * clock pollables, which block by spinning (under the request's CPU limit). Outgoing requests
 * are refused with the error-code HTTP-request-denied: answering one needs the host's async
 * fetch, which a synchronous import cannot wait for.
 *
 * jco's conventions: an import returning result<T, E> returns T or throws E (a plain value,
 * never an Error: an Error thrown through Wasm is a trap); option<T> is T or undefined;
 * u64 is a BigInt; list<u8> is a Uint8Array.
 *
 * Type-checked (`// @ts-check`, JSDoc) against the project's libs (es2023 + node, whose
 * TextDecoder, URL and crypto match the isolate's); it is an ES module of its own, bundled by
 * esbuild, so none of the prelude's `ns` is in scope here.
 */

/**
 * A jco variant or enum case (an error-code, a method, a scheme): `{ tag }` or `{ tag, val }`.
 * @typedef {{ tag: string, val?: unknown }} Variant
 */
/** A header or trailer field: a name and its value's bytes. @typedef {[string, Uint8Array]} FieldPair */
/**
 * Where an output stream's bytes go: a response body (BodySink) or a log stream (LineSink,
 * which is never closed and has no writeZeroes).
 * @typedef {{ closed?: boolean, write(bytes: Uint8Array): void, writeZeroes?(n: number): void }} Sink
 */
/**
 * What createWasiHttp needs from the isolate.
 * @typedef {{ log: (level: string, text: string) => void, env: Record<string, string>, maxBodyBytes?: number }} WasiHttpCap
 */
/**
 * What serve() answers: the response, or a fault (a kind of bridge/ops.ts FAULTS) when the
 * handler did not produce one.
 * @typedef {{ status: number, headers: [string, string][], body: Uint8Array | null }} ServedResponse
 * @typedef {{ fault: 'bad_response' | 'threw' | 'too_large', message: string }} ServeFault
 */
/** A component's wasi:http/incoming-handler export, as jco lifts it. @typedef {{ handle(request: unknown, responseOut: unknown): void }} IncomingHandler */

const MAX_LINE = 16384;
/** @type {(bytes: Uint8Array) => string} */
const latin1 = (bytes) => { let s = ''; for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, /** @type {number[]} */ (/** @type {unknown} */ (bytes.subarray(i, i + 8192)))); return s; };
/** @type {(s: string) => Uint8Array} */
const fromLatin1 = (s) => { const b = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff; return b; };
/** A u64 length (a BigInt; randomU64 passes a number) as a number, at most 2^31. @type {(n: bigint | number) => number} */
const u64 = (n) => { const v = Number(n); if (!(v >= 0)) throw new RangeError(`bad length ${n}`); return Math.min(v, 2 ** 31); };

/**
 * @param {WasiHttpCap} cap
 *   log: a line for the structured log (the request's), env: the revision's variables,
 *   maxBodyBytes: the revision's response limit (a longer body fails with EDGE_ERR_RESPONSE_TOO_LARGE).
 * @returns {{ imports: Record<string, Record<string, unknown>>, serve: (handler: IncomingHandler, method: string, url: string, headerPairs: [string, string][], body: Uint8Array) => ServedResponse | ServeFault }}
 */
export function createWasiHttp(cap) {
  const maxBodyBytes = Number.isFinite(cap.maxBodyBytes) ? /** @type {number} */ (cap.maxBodyBytes) : Infinity;
  // ---- wasi:io ----
  class IoError {
    /** @type {string} */ #msg;
    /** @param {string} msg */
    constructor(msg) { this.#msg = msg; }
    toDebugString() { return this.#msg; }
  }

  /** Ready now, or at a monotonic-clock deadline (ns). */
  class Pollable {
    /** @type {bigint} */ #at;
    constructor(at = 0n) { this.#at = at; }
    ready() { return now() >= this.#at; }
    block() { while (!this.ready()) { /* no sleeping in an isolate: spin under the CPU limit */ } }
  }
  /** @type {(list: Pollable[]) => Uint32Array} */
  function poll(list) {
    if (!list.length) throw new Error('wasi:io/poll.poll: the list of pollables is empty');
    let out = list.flatMap((p, i) => (p.ready() ? [i] : []));
    while (!out.length) out = list.flatMap((p, i) => (p.ready() ? [i] : []));
    return new Uint32Array(out);
  }

  class InputStream {
    /** @type {Uint8Array} */ #bytes; #pos = 0;
    /** @param {Uint8Array} bytes */
    constructor(bytes) { this.#bytes = bytes; }
    /** @param {bigint} len @returns {Uint8Array} */
    read(len) {
      if (this.#pos >= this.#bytes.length) throw { tag: 'closed' };
      const n = Math.min(u64(len), this.#bytes.length - this.#pos);
      const out = this.#bytes.slice(this.#pos, this.#pos + n);
      this.#pos += n;
      return out;
    }
    /** @param {bigint} len */
    blockingRead(len) { return this.read(len); }
    /** @param {bigint} len */
    skip(len) { return BigInt(this.read(len).length); }
    /** @param {bigint} len */
    blockingSkip(len) { return this.skip(len); }
    subscribe() { return new Pollable(); }
  }

  /** An output stream into a sink; writes are accepted whole (the host buffers everything). */
  class OutputStream {
    /** @type {Sink} */ #sink;
    /** @param {Sink} sink */
    constructor(sink) { this.#sink = sink; }
    checkWrite() { if (this.#sink.closed) throw { tag: 'closed' }; return 65536n; }
    /** @param {Uint8Array} bytes */
    write(bytes) { if (this.#sink.closed) throw { tag: 'closed' }; this.#sink.write(bytes.slice()); }
    /** @param {Uint8Array} bytes */
    blockingWriteAndFlush(bytes) { this.write(bytes); }
    flush() { this.checkWrite(); }
    blockingFlush() { this.checkWrite(); }
    subscribe() { return new Pollable(); }
    // On stdout or stderr (a LineSink) the call fails with a TypeError, which the glue turns into a trap.
    /** @param {bigint} len */
    writeZeroes(len) { if (this.#sink.closed) throw { tag: 'closed' }; /** @type {Required<Sink>} */ (this.#sink).writeZeroes(u64(len)); }
    /** @param {bigint} len */
    blockingWriteZeroesAndFlush(len) { this.writeZeroes(len); }
    /** @param {InputStream} src @param {bigint} len */
    splice(src, len) {
      const bytes = src.read(len);
      this.write(bytes);
      return BigInt(bytes.length);
    }
    /** @param {InputStream} src @param {bigint} len */
    blockingSplice(src, len) { return this.splice(src, len); }
  }

  /** stdout and stderr: whole lines to the structured log, the rest when the request ends. */
  class LineSink {
    /** @type {string} */ #level; #pending = '';
    // One decoder per stream: a UTF-8 sequence split across writes must not leak into the other stream.
    #dec = new TextDecoder();
    /** @param {string} level */
    constructor(level) { this.#level = level; }
    /** @param {Uint8Array} bytes */
    write(bytes) {
      const lines = (this.#pending + this.#dec.decode(bytes, { stream: true })).split('\n');
      this.#pending = /** @type {string} */ (lines.pop()).slice(0, MAX_LINE); // split() answers at least one
      for (const l of lines) cap.log(this.#level, l.slice(0, MAX_LINE));
    }
    flush() {
      const rest = this.#pending + this.#dec.decode();
      if (rest) cap.log(this.#level, rest.slice(0, MAX_LINE));
      this.#pending = '';
    }
  }
  const stdout = new LineSink('info');
  const stderr = new LineSink('error');

  // ---- wasi:clocks ----
  let last = 0n;
  /** Monotonic nanoseconds from Date.now() (the isolate has no finer clock); never goes back. */
  function now() {
    const t = BigInt(Date.now()) * 1_000_000n;
    if (t > last) last = t;
    return last;
  }

  // ---- wasi:random (the host's CSPRNG, through crypto.getRandomValues) ----
  /** @type {(len: bigint | number) => Uint8Array} */
  function randomBytes(len) {
    const out = new Uint8Array(u64(len));
    for (let i = 0; i < out.length; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
    return out;
  }
  const randomU64 = () => new DataView(randomBytes(8).buffer).getBigUint64(0, true);

  // ---- wasi:http/types ----
  const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
  // Hop-by-hop and host-managed fields a guest may not set (as wasmtime refuses them).
  const FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);
  /** @type {(v: Uint8Array) => void} */
  const checkValue = (v) => { for (const b of v) if (b === 0 || b === 10 || b === 13) throw { tag: 'invalid-syntax' }; };

  class Fields {
    /** @type {FieldPair[]} */ #entries = []; #immutable = false;
    /** @param {FieldPair[]} entries */
    static fromList(entries) {
      const f = new Fields();
      for (const [k, v] of entries) f.append(k, v);
      return f;
    }
    /** Internal: an immutable fields from trusted pairs (request headers, copies). */
    /** @param {FieldPair[]} entries */
    static frozen(entries) { const f = new Fields(); f.#entries = entries; f.#immutable = true; return f; }
    /** @param {Fields} f */
    static pairs(f) { return f.#entries; }
    /** @param {Fields} f */
    static freeze(f) { f.#immutable = true; return f; }
    /** @param {string} name */
    #check(name) {
      if (this.#immutable) throw { tag: 'immutable' };
      if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' };
      if (FORBIDDEN.has(name.toLowerCase())) throw { tag: 'forbidden' };
    }
    /** @param {string} name */
    get(name) { const n = name.toLowerCase(); return this.#entries.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v.slice()); }
    /** @param {string} name */
    has(name) { const n = name.toLowerCase(); return this.#entries.some(([k]) => k.toLowerCase() === n); }
    /** @param {string} name @param {Uint8Array[]} values */
    set(name, values) {
      this.#check(name);
      values.forEach(checkValue);
      const n = name.toLowerCase();
      this.#entries = this.#entries.filter(([k]) => k.toLowerCase() !== n).concat(values.map((v) => /** @type {FieldPair} */ ([name, v.slice()])));
    }
    /** @param {string} name */
    delete(name) {
      this.#check(name);
      const n = name.toLowerCase();
      this.#entries = this.#entries.filter(([k]) => k.toLowerCase() !== n);
    }
    /** @param {string} name @param {Uint8Array} value */
    append(name, value) { this.#check(name); checkValue(value); this.#entries.push([name, value.slice()]); }
    /** @returns {FieldPair[]} */
    entries() { return this.#entries.map(([k, v]) => [k, v.slice()]); }
    clone() { const f = new Fields(); f.#entries = this.#entries.map(([k, v]) => [k, v]); return f; }
  }

  const METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);
  /** @type {(m: string) => Variant} */
  const methodOf = (m) => (METHODS.has(m.toLowerCase()) ? { tag: m.toLowerCase() } : { tag: 'other', val: m });

  class IncomingRequest {
    /** @type {string} */ #method;
    /** @type {URL} */ #url;
    /** @type {[string, string][]} */ #headers;
    /** @type {IncomingBody | undefined} */ #body;
    /** @param {string} method @param {string} url @param {[string, string][]} headers @param {Uint8Array} body */
    constructor(method, url, headers, body) { this.#method = method; this.#url = new URL(url); this.#headers = headers; this.#body = new IncomingBody(body); }
    method() { return methodOf(this.#method); }
    pathWithQuery() { return this.#url.pathname + this.#url.search; }
    scheme() { return this.#url.protocol === 'https:' ? { tag: 'HTTPS' } : { tag: 'HTTP' }; }
    authority() { return this.#url.host; }
    headers() { return Fields.frozen(this.#headers.map(([k, v]) => [k, fromLatin1(v)])); }
    consume() { const b = this.#body; if (!b) throw undefined; this.#body = undefined; return b; }
  }

  class IncomingBody {
    /** @type {Uint8Array | undefined} */ #bytes;
    /** @param {Uint8Array} bytes */
    constructor(bytes) { this.#bytes = bytes; }
    stream() { const b = this.#bytes; if (!b) throw undefined; this.#bytes = undefined; return new InputStream(b); }
    static finish() { return new FutureTrailers(); }
  }

  class FutureTrailers {
    #taken = false;
    subscribe() { return new Pollable(); }
    get() {
      if (this.#taken) return { tag: 'err', val: undefined };
      this.#taken = true;
      return { tag: 'ok', val: { tag: 'ok', val: undefined } };
    }
  }

  /** Bytes written to a response body; past the revision's response limit they are counted, not kept. */
  class BodySink {
    /** @type {Uint8Array[]} */ chunks = []; size = 0; closed = false;
    /** @param {Uint8Array} b */
    write(b) {
      if (this.size + b.length <= maxBodyBytes) this.chunks.push(b);
      this.size += b.length;
    }
    /** @param {number} n */
    writeZeroes(n) {
      if (this.size + n <= maxBodyBytes) this.chunks.push(new Uint8Array(n));
      this.size += n;
    }
    bytes() {
      const out = new Uint8Array(this.size);
      let o = 0;
      for (const c of this.chunks) { out.set(c, o); o += c.length; }
      return out;
    }
  }

  class OutgoingBody {
    sink = new BodySink(); finished = false; #written = false;
    write() { if (this.#written) throw undefined; this.#written = true; return new OutputStream(this.sink); }
    /** @param {OutgoingBody} body @param {Fields | undefined} trailers */
    static finish(body, trailers) {
      body.finished = true;
      body.sink.closed = true;
      if (trailers) cap.log('warn', 'wasi:http: response trailers are not sent by this host');
    }
  }

  class OutgoingResponse {
    /** @type {Fields} */ #headers; status = 200;
    /** @type {OutgoingBody | undefined} */ outBody = undefined;
    /** @param {Fields} headers */
    constructor(headers) { this.#headers = Fields.freeze(headers); }
    statusCode() { return this.status; }
    /** @param {number} code */
    setStatusCode(code) { if (!(code >= 100 && code <= 999)) throw undefined; this.status = code; }
    headers() { return Fields.frozen(Fields.pairs(this.#headers)); }
    body() { if (this.outBody) throw undefined; this.outBody = new OutgoingBody(); return this.outBody; }
    /** @param {OutgoingResponse} r */
    static pairs(r) { return Fields.pairs(r.#headers); }
  }

  class ResponseOutparam {
    /** @type {ResponseResult | undefined} */ result = undefined;
    /** @param {ResponseOutparam} param @param {ResponseResult} response */
    static set(param, response) {
      if (param.result) throw new Error('wasi:http: response-outparam.set called twice');
      param.result = response;
    }
    sendInformational() { throw { tag: 'HTTP-protocol-error' }; }
  }
  /** What response-outparam.set was given: result<outgoing-response, error-code>. @typedef {{ tag: 'ok', val: OutgoingResponse } | { tag: 'err', val: Variant | undefined }} ResponseResult */

  class OutgoingRequest {
    /** @type {Fields} */ #headers;
    /** @type {Variant} */ #method = { tag: 'get' };
    /** @type {string | undefined} */ #path;
    /** @type {Variant | undefined} */ #scheme;
    /** @type {string | undefined} */ #authority;
    /** @type {OutgoingBody | undefined} */ #body;
    /** @param {Fields} headers */
    constructor(headers) { this.#headers = Fields.freeze(headers); }
    body() { if (this.#body) throw undefined; this.#body = new OutgoingBody(); return this.#body; }
    method() { return this.#method; }
    /** @param {Variant} m */
    setMethod(m) { this.#method = m; }
    pathWithQuery() { return this.#path; }
    /** @param {string | undefined} p */
    setPathWithQuery(p) { this.#path = p; }
    scheme() { return this.#scheme; }
    /** @param {Variant | undefined} s */
    setScheme(s) { this.#scheme = s; }
    authority() { return this.#authority; }
    /** @param {string | undefined} a */
    setAuthority(a) { this.#authority = a; }
    headers() { return Fields.frozen(Fields.pairs(this.#headers)); }
  }

  class RequestOptions {
    /** @type {{ connect?: bigint, firstByte?: bigint, betweenBytes?: bigint }} */ #t = {};
    connectTimeout() { return this.#t.connect; }
    /** @param {bigint | undefined} d */
    setConnectTimeout(d) { this.#t.connect = d; }
    firstByteTimeout() { return this.#t.firstByte; }
    /** @param {bigint | undefined} d */
    setFirstByteTimeout(d) { this.#t.firstByte = d; }
    betweenBytesTimeout() { return this.#t.betweenBytes; }
    /** @param {bigint | undefined} d */
    setBetweenBytesTimeout(d) { this.#t.betweenBytes = d; }
  }

  // Never created here (outgoing requests are refused); defined so the interface instantiates.
  class IncomingResponse {
    status() { return 0; }
    headers() { return Fields.frozen([]); }
    consume() { throw undefined; }
  }
  class FutureIncomingResponse {
    subscribe() { return new Pollable(); }
    get() { return { tag: 'err', val: undefined }; }
  }

  // ---- wasi:cli, and the stubs components built with wasi-libc or StarlingMonkey import ----
  class Exit extends Error {}
  class TerminalInput {}
  class TerminalOutput {}
  class Descriptor {}
  class DirectoryEntryStream {}

  const imports = {
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': { Pollable, poll },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:clocks/monotonic-clock': {
      now,
      resolution: () => 1_000_000n,
      subscribeInstant: (/** @type {bigint} */ when) => new Pollable(when),
      subscribeDuration: (/** @type {bigint} */ d) => new Pollable(now() + d),
    },
    'wasi:clocks/wall-clock': {
      now: () => { const ms = Date.now(); return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 }; },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
    'wasi:random/random': { getRandomBytes: randomBytes, getRandomU64: randomU64 },
    'wasi:random/insecure': { getInsecureRandomBytes: randomBytes, getInsecureRandomU64: randomU64 },
    'wasi:random/insecure-seed': { insecureSeed: () => [randomU64(), randomU64()] },
    'wasi:cli/stdout': { getStdout: () => new OutputStream(stdout) },
    'wasi:cli/stderr': { getStderr: () => new OutputStream(stderr) },
    'wasi:cli/stdin': { getStdin: () => new InputStream(new Uint8Array(0)) },
    'wasi:cli/environment': {
      getEnvironment: () => Object.entries(cap.env),
      getArguments: () => [],
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      exit: (/** @type {{ tag: 'ok' | 'err' } | undefined} */ status) => { throw new Exit(`the component called wasi:cli/exit (${status && status.tag === 'err' ? 'error' : 'ok'})`); },
      exitWithCode: (/** @type {number} */ code) => { throw new Exit(`the component called wasi:cli/exit with code ${code}`); },
    },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:filesystem/preopens': { getDirectories: () => [] },
    'wasi:filesystem/types': { Descriptor, DirectoryEntryStream, filesystemErrorCode: () => undefined },
    'wasi:http/types': {
      Fields, IncomingRequest, IncomingBody, FutureTrailers, OutgoingResponse, OutgoingBody, ResponseOutparam,
      OutgoingRequest, RequestOptions, IncomingResponse, FutureIncomingResponse,
      httpErrorCode: () => undefined,
    },
    'wasi:http/outgoing-handler': {
      handle: () => {
        cap.log('warn', 'wasi:http/outgoing-handler: outgoing requests are not supported for wasi:http components by this host');
        throw { tag: 'HTTP-request-denied' };
      },
    },
  };

  /**
   * Runs one request through the component's incoming-handler export. Returns the response
   * ({ status, headers: [name, value][], body }) or { fault, message } when the handler did not
   * produce one; a trap or an error from the component propagates.
   * @param {IncomingHandler} handler @param {string} method @param {string} url
   * @param {[string, string][]} headerPairs @param {Uint8Array} body
   * @returns {ServedResponse | ServeFault}
   */
  function serve(handler, method, url, headerPairs, body) {
    const out = new ResponseOutparam();
    try {
      handler.handle(new IncomingRequest(method, url, headerPairs, body), out);
    } finally {
      stdout.flush();
      stderr.flush();
    }
    const r = out.result;
    if (!r) return { fault: 'bad_response', message: 'the component returned from wasi:http/incoming-handler.handle without setting its response-outparam' };
    if (r.tag === 'err') return { fault: 'threw', message: `the component answered with the wasi:http error-code ${describe(r.val)}` };
    const res = r.val;
    const ob = res.outBody;
    if (ob && !ob.finished) return { fault: 'bad_response', message: 'the component did not finish its response body (outgoing-body.finish), so the response is incomplete' };
    if (ob && ob.sink.size > maxBodyBytes) return { fault: 'too_large', message: `the component wrote a response body of ${ob.sink.size} bytes, over the limit of ${maxBodyBytes}` };
    return { status: res.status, headers: OutgoingResponse.pairs(res).map(([k, v]) => [k, latin1(v)]), body: ob ? ob.sink.bytes() : null };
  }

  return { imports, serve };
}

/** An error-code variant for a message: its tag, and its payload if it has one. @param {Variant | undefined} code */
function describe(code) {
  if (!code || typeof code !== 'object') return String(code);
  return code.val === undefined ? code.tag : `${code.tag} (${typeof code.val === 'object' ? JSON.stringify(code.val, (_, v) => (typeof v === 'bigint' ? String(v) : v)) : code.val})`;
}
