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
 */

const MAX_LINE = 16384;
const latin1 = (bytes) => { let s = ''; for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192)); return s; };
const fromLatin1 = (s) => { const b = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff; return b; };
const u64 = (n) => { const v = Number(n); if (!(v >= 0)) throw new RangeError(`bad length ${n}`); return Math.min(v, 2 ** 31); };

/**
 * @param {{ log: (level: string, text: string) => void, env: Record<string, string>, maxBodyBytes?: number }} cap
 *   log: a line for the structured log (the request's), env: the revision's variables,
 *   maxBodyBytes: the revision's response limit (a longer body fails with EDGE_ERR_RESPONSE_TOO_LARGE).
 */
export function createWasiHttp(cap) {
  const maxBodyBytes = Number.isFinite(cap.maxBodyBytes) ? cap.maxBodyBytes : Infinity;
  // ---- wasi:io ----
  class IoError {
    #msg;
    constructor(msg) { this.#msg = msg; }
    toDebugString() { return this.#msg; }
  }

  /** Ready now, or at a monotonic-clock deadline (ns). */
  class Pollable {
    #at;
    constructor(at = 0n) { this.#at = at; }
    ready() { return now() >= this.#at; }
    block() { while (!this.ready()) { /* no sleeping in an isolate: spin under the CPU limit */ } }
  }
  function poll(list) {
    if (!list.length) throw new Error('wasi:io/poll.poll: the list of pollables is empty');
    let out = list.flatMap((p, i) => (p.ready() ? [i] : []));
    while (!out.length) out = list.flatMap((p, i) => (p.ready() ? [i] : []));
    return new Uint32Array(out);
  }

  class InputStream {
    #bytes; #pos = 0;
    constructor(bytes) { this.#bytes = bytes; }
    read(len) {
      if (this.#pos >= this.#bytes.length) throw { tag: 'closed' };
      const n = Math.min(u64(len), this.#bytes.length - this.#pos);
      const out = this.#bytes.slice(this.#pos, this.#pos + n);
      this.#pos += n;
      return out;
    }
    blockingRead(len) { return this.read(len); }
    skip(len) { return BigInt(this.read(len).length); }
    blockingSkip(len) { return this.skip(len); }
    subscribe() { return new Pollable(); }
  }

  /** An output stream into a sink; writes are accepted whole (the host buffers everything). */
  class OutputStream {
    #sink;
    constructor(sink) { this.#sink = sink; }
    checkWrite() { if (this.#sink.closed) throw { tag: 'closed' }; return 65536n; }
    write(bytes) { if (this.#sink.closed) throw { tag: 'closed' }; this.#sink.write(bytes.slice()); }
    blockingWriteAndFlush(bytes) { this.write(bytes); }
    flush() { this.checkWrite(); }
    blockingFlush() { this.checkWrite(); }
    subscribe() { return new Pollable(); }
    writeZeroes(len) { if (this.#sink.closed) throw { tag: 'closed' }; this.#sink.writeZeroes(u64(len)); }
    blockingWriteZeroesAndFlush(len) { this.writeZeroes(len); }
    splice(src, len) {
      const bytes = src.read(len);
      this.write(bytes);
      return BigInt(bytes.length);
    }
    blockingSplice(src, len) { return this.splice(src, len); }
  }

  /** stdout and stderr: whole lines to the structured log, the rest when the request ends. */
  class LineSink {
    #level; #pending = '';
    // One decoder per stream: a UTF-8 sequence split across writes must not leak into the other stream.
    #dec = new TextDecoder();
    constructor(level) { this.#level = level; }
    write(bytes) {
      const lines = (this.#pending + this.#dec.decode(bytes, { stream: true })).split('\n');
      this.#pending = lines.pop().slice(0, MAX_LINE);
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
  const checkValue = (v) => { for (const b of v) if (b === 0 || b === 10 || b === 13) throw { tag: 'invalid-syntax' }; };

  class Fields {
    #entries = []; #immutable = false;
    static fromList(entries) {
      const f = new Fields();
      for (const [k, v] of entries) f.append(k, v);
      return f;
    }
    /** Internal: an immutable fields from trusted pairs (request headers, copies). */
    static frozen(entries) { const f = new Fields(); f.#entries = entries; f.#immutable = true; return f; }
    static pairs(f) { return f.#entries; }
    static freeze(f) { f.#immutable = true; return f; }
    #check(name) {
      if (this.#immutable) throw { tag: 'immutable' };
      if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' };
      if (FORBIDDEN.has(name.toLowerCase())) throw { tag: 'forbidden' };
    }
    get(name) { const n = name.toLowerCase(); return this.#entries.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v.slice()); }
    has(name) { const n = name.toLowerCase(); return this.#entries.some(([k]) => k.toLowerCase() === n); }
    set(name, values) {
      this.#check(name);
      values.forEach(checkValue);
      const n = name.toLowerCase();
      this.#entries = this.#entries.filter(([k]) => k.toLowerCase() !== n).concat(values.map((v) => [name, v.slice()]));
    }
    delete(name) {
      this.#check(name);
      const n = name.toLowerCase();
      this.#entries = this.#entries.filter(([k]) => k.toLowerCase() !== n);
    }
    append(name, value) { this.#check(name); checkValue(value); this.#entries.push([name, value.slice()]); }
    entries() { return this.#entries.map(([k, v]) => [k, v.slice()]); }
    clone() { const f = new Fields(); f.#entries = this.#entries.map(([k, v]) => [k, v]); return f; }
  }

  const METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);
  const methodOf = (m) => (METHODS.has(m.toLowerCase()) ? { tag: m.toLowerCase() } : { tag: 'other', val: m });

  class IncomingRequest {
    #method; #url; #headers; #body;
    constructor(method, url, headers, body) { this.#method = method; this.#url = new URL(url); this.#headers = headers; this.#body = new IncomingBody(body); }
    method() { return methodOf(this.#method); }
    pathWithQuery() { return this.#url.pathname + this.#url.search; }
    scheme() { return this.#url.protocol === 'https:' ? { tag: 'HTTPS' } : { tag: 'HTTP' }; }
    authority() { return this.#url.host; }
    headers() { return Fields.frozen(this.#headers.map(([k, v]) => [k, fromLatin1(v)])); }
    consume() { const b = this.#body; if (!b) throw undefined; this.#body = undefined; return b; }
  }

  class IncomingBody {
    #bytes;
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
    chunks = []; size = 0; closed = false;
    write(b) {
      if (this.size + b.length <= maxBodyBytes) this.chunks.push(b);
      this.size += b.length;
    }
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
    static finish(body, trailers) {
      body.finished = true;
      body.sink.closed = true;
      if (trailers) cap.log('warn', 'wasi:http: response trailers are not sent by this host');
    }
  }

  class OutgoingResponse {
    #headers; status = 200; outBody = undefined;
    constructor(headers) { this.#headers = Fields.freeze(headers); }
    statusCode() { return this.status; }
    setStatusCode(code) { if (!(code >= 100 && code <= 999)) throw undefined; this.status = code; }
    headers() { return Fields.frozen(Fields.pairs(this.#headers)); }
    body() { if (this.outBody) throw undefined; this.outBody = new OutgoingBody(); return this.outBody; }
    static pairs(r) { return Fields.pairs(r.#headers); }
  }

  class ResponseOutparam {
    result = undefined;
    static set(param, response) {
      if (param.result) throw new Error('wasi:http: response-outparam.set called twice');
      param.result = response;
    }
    sendInformational() { throw { tag: 'HTTP-protocol-error' }; }
  }

  class OutgoingRequest {
    #headers; #method = { tag: 'get' }; #path; #scheme; #authority; #body;
    constructor(headers) { this.#headers = Fields.freeze(headers); }
    body() { if (this.#body) throw undefined; this.#body = new OutgoingBody(); return this.#body; }
    method() { return this.#method; }
    setMethod(m) { this.#method = m; }
    pathWithQuery() { return this.#path; }
    setPathWithQuery(p) { this.#path = p; }
    scheme() { return this.#scheme; }
    setScheme(s) { this.#scheme = s; }
    authority() { return this.#authority; }
    setAuthority(a) { this.#authority = a; }
    headers() { return Fields.frozen(Fields.pairs(this.#headers)); }
  }

  class RequestOptions {
    #t = {};
    connectTimeout() { return this.#t.connect; }
    setConnectTimeout(d) { this.#t.connect = d; }
    firstByteTimeout() { return this.#t.firstByte; }
    setFirstByteTimeout(d) { this.#t.firstByte = d; }
    betweenBytesTimeout() { return this.#t.betweenBytes; }
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
      subscribeInstant: (when) => new Pollable(when),
      subscribeDuration: (d) => new Pollable(now() + d),
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
      exit: (status) => { throw new Exit(`the component called wasi:cli/exit (${status && status.tag === 'err' ? 'error' : 'ok'})`); },
      exitWithCode: (code) => { throw new Exit(`the component called wasi:cli/exit with code ${code}`); },
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

function describe(code) {
  if (!code || typeof code !== 'object') return String(code);
  return code.val === undefined ? code.tag : `${code.tag} (${typeof code.val === 'object' ? JSON.stringify(code.val, (_, v) => (typeof v === 'bigint' ? String(v) : v)) : code.val})`;
}
