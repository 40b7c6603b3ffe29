// @ts-check
/*
 * The Streams standard as globals, from web-streams-polyfill (built from the WHATWG reference
 * implementation; prelude-source.ts bundles it, the `vendor` op loads it on first use), and the
 * streams defined on top of it: TextEncoderStream / TextDecoderStream (Encoding §5) and
 * CompressionStream / DecompressionStream (Compression standard; gzip, deflate, deflate-raw over
 * fflate in the guest, so their CPU is the request's like any other guest work). The runtime's own
 * uses (Body, finish) go through ns.readAll / ns.byteStream, which call captured methods only.
 */
{
  const { define } = ns;
  const { ReflectApply, ObjectDefineProperty, PromisePrototypeThen } = ns.primordials;
  const ignore = () => {};

  // ---- the intrinsics the polyfill sees as `Promise` and `queueMicrotask` (prelude-source.ts), captured now ----
  const OriginalPromise = Promise;
  const promiseThen = Promise.prototype.then;
  const promiseResolve = Promise.resolve;
  const promiseReject = Promise.reject;
  const resolved = ReflectApply(promiseResolve, OriginalPromise, [undefined]);
  /** A constructor that makes real promises, with the original statics and `then`. */
  const IntrinsicPromise = /** @type {any} */ (function Promise(/** @type {any} */ executor) { return new OriginalPromise(executor); });
  IntrinsicPromise.resolve = (/** @type {unknown} */ v) => ReflectApply(promiseResolve, OriginalPromise, [v]);
  IntrinsicPromise.reject = (/** @type {unknown} */ e) => ReflectApply(promiseReject, OriginalPromise, [e]);
  IntrinsicPromise.all = Promise.all.bind(OriginalPromise);
  IntrinsicPromise.prototype = { then: promiseThen };
  const intrinsics = { Promise: IntrinsicPromise, queueMicrotask: (/** @type {() => void} */ cb) => { ReflectApply(promiseThen, resolved, [cb]); } };

  const NAMES = /** @type {const} */ ([
    'ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest',
    'ReadableStreamDefaultController', 'ReadableByteStreamController', 'WritableStream', 'WritableStreamDefaultWriter',
    'WritableStreamDefaultController', 'TransformStream', 'TransformStreamDefaultController', 'ByteLengthQueuingStrategy',
    'CountQueuingStrategy',
  ]);
  /** @type {ReturnType<IsoedgeVendorStreams> | undefined} */
  let S;
  // The methods the runtime calls, captured when the classes load (before any tenant code can reach them).
  /** @type {any} */ let getReader;
  /** @type {any} */ let tee;
  /** @type {any} */ let cancel;
  /** @type {any} */ let lockedGet;
  /** @type {any} */ let read;
  /** @type {any} */ let releaseLock;
  /** @type {any} */ let readableGet;
  /** @type {any} */ let writableGet;
  /** The Streams classes: the polyfill runs on first use, not at every instance's start. */
  const streams = () => {
    if (S !== undefined) return S;
    const s = /** @type {IsoedgeVendorStreams} */ (ns.ops.vendor('streams'))(intrinsics);
    const RS = s.ReadableStream.prototype;
    getReader = RS.getReader;
    tee = RS.tee;
    cancel = RS.cancel;
    lockedGet = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(RS, 'locked')).get;
    read = s.ReadableStreamDefaultReader.prototype.read;
    releaseLock = s.ReadableStreamDefaultReader.prototype.releaseLock;
    readableGet = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(s.TransformStream.prototype, 'readable')).get;
    writableGet = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(s.TransformStream.prototype, 'writable')).get;
    S = s;
    return s;
  };
  // Each global is an accessor until first read (or written); then it is the plain data property WebIDL defines.
  for (const name of NAMES) {
    ObjectDefineProperty(globalThis, name, {
      configurable: true,
      enumerable: false,
      get() { const v = streams()[name]; define(name, v); return v; },
      set(/** @type {unknown} */ v) { define(name, v); },
    });
  }
  const u8Set = Uint8Array.prototype.set;
  const u8Slice = Uint8Array.prototype.slice;

  // ---- bytes on the request path, through captured getters: a tenant's patch of Uint8Array or
  // %TypedArray%.prototype in one request cannot break the next one's body handling ----
  const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
  /** @type {(name: string | symbol) => () => any} */
  const getter = (name) => /** @type {() => any} */ (/** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(TypedArrayPrototype, name)).get);
  const tagGet = getter(Symbol.toStringTag);
  const bufferGet = getter('buffer');
  const byteOffsetGet = getter('byteOffset');
  const byteLengthGet = getter('byteLength');
  const abByteLengthGet = /** @type {() => number} */ (/** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')).get);
  /** Brand check: a Uint8Array whatever its prototype chain or Symbol.hasInstance says. */
  /** @type {(v: unknown) => v is Uint8Array} */
  const isU8 = (v) => v !== null && typeof v === 'object' && ReflectApply(tagGet, v, []) === 'Uint8Array';
  /** The exact bytes of a Uint8Array as an ArrayBuffer of their own (its buffer when it spans all of it). */
  /** @type {(b: Uint8Array) => ArrayBuffer} */
  const u8ArrayBuffer = (b) => {
    const buffer = ReflectApply(bufferGet, b, []);
    let whole = false;
    // ArrayBuffer's own getter throws for a SharedArrayBuffer: that one is copied too.
    try { whole = ReflectApply(byteOffsetGet, b, []) === 0 && ReflectApply(byteLengthGet, b, []) === ReflectApply(abByteLengthGet, buffer, []); } catch { whole = false; }
    return whole ? buffer : ReflectApply(bufferGet, ReflectApply(u8Slice, b, []), []);
  };
  /** @type {(b: Uint8Array) => number} */
  const u8Length = (b) => ReflectApply(byteLengthGet, b, []);
  /** @type {(b: Uint8Array) => Uint8Array} */
  const u8Copy = (b) => ReflectApply(u8Slice, b, []);

  /** @type {(v: unknown) => boolean} */
  const isReadableStream = (v) => S !== undefined && v instanceof S.ReadableStream;
  /** @type {(s: any) => boolean} */
  const isLocked = (s) => ReflectApply(lockedGet, s, []);
  /** The reference implementation's [[disturbed]] slot (a read or cancel happened). */
  /** @type {(s: any) => boolean} */
  const isDisturbed = (s) => s._disturbed === true;
  /** @type {(s: any) => [any, any]} */
  const teeStream = (s) => ReflectApply(tee, s, []);

  const TOO_LARGE = Object.freeze({ tooLarge: true });

  /** A byte stream over bytes the runtime already holds (a body): one chunk, then closed. */
  /** @type {(bytes: Uint8Array) => any} */
  const byteStream = (bytes) => new (streams().ReadableStream)({
    type: 'bytes',
    start(/** @type {any} */ c) {
      if (u8Length(bytes) > 0) c.enqueue(u8Copy(bytes));
      c.close();
    },
  });

  /**
   * A byte stream fed by the host (a request body as the client sends it, an outbound fetch's
   * response): each pull awaits `next()`, an op that resolves with the next chunk's bytes or null
   * at the end; `stop()` runs when the guest cancels. highWaterMark 0: nothing is asked of the host
   * before the guest reads, so the host's own flow control (credits, the socket) is the backpressure.
   */
  /** @type {(next: () => Promise<ArrayBuffer | null>, stop: () => void) => any} */
  const hostStream = (next, stop) => new (streams().ReadableStream)({
    type: 'bytes',
    pull(/** @type {any} */ c) {
      return PromisePrototypeThen(next(), (/** @type {ArrayBuffer | null} */ b) => {
        if (b === null) c.close();
        else if (b.byteLength > 0) c.enqueue(new Uint8Array(b));
      });
    },
    cancel() { stop(); },
  }, { highWaterMark: 0 });

  /**
   * Reads a stream to its end and concatenates its chunks (Uint8Array chunks only, as the Fetch
   * standard requires of a body). `limit` bounds the bytes kept: over it, the stream is cancelled
   * and the promise rejects with ns.TOO_LARGE (an object no tenant code can make or see).
   */
  /** @type {(stream: any, limit?: number) => Promise<Uint8Array>} */
  const readAll = async (stream, limit = Infinity) => {
    const reader = ReflectApply(getReader, stream, []);
    /** @type {Uint8Array[]} */
    const chunks = [];
    let total = 0;
    for (;;) {
      const r = await ReflectApply(read, reader, []);
      if (r.done) break;
      const v = r.value;
      if (!isU8(v)) {
        ReflectApply(releaseLock, reader, []);
        PromisePrototypeThen(ReflectApply(cancel, stream, [new TypeError('a body chunk is not a Uint8Array')]), ignore, ignore);
        throw new TypeError('Body: a stream chunk is not a Uint8Array');
      }
      total += u8Length(v);
      if (total > limit) {
        ReflectApply(releaseLock, reader, []);
        PromisePrototypeThen(ReflectApply(cancel, stream, []), ignore, ignore);
        throw TOO_LARGE;
      }
      chunks[chunks.length] = v;
    }
    ReflectApply(releaseLock, reader, []);
    if (chunks.length === 1) return /** @type {Uint8Array} */ (chunks[0]);
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < chunks.length; i++) { const c = /** @type {Uint8Array} */ (chunks[i]); ReflectApply(u8Set, out, [c, at]); at += u8Length(c); }
    return out;
  };

  const isView = ArrayBuffer.isView;
  /** @type {(name: string) => () => any} */
  const dvGetter = (name) => /** @type {() => any} */ (/** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(DataView.prototype, name)).get);
  const dvBuffer = dvGetter('buffer'), dvByteOffset = dvGetter('byteOffset'), dvByteLength = dvGetter('byteLength');
  /** @type {(v: unknown) => boolean} */
  const isArrayBuffer = (v) => { try { ReflectApply(abByteLengthGet, v, []); return true; } catch { return false; } };
  /** A BufferSource as a Uint8Array over the same bytes (captured getters only), or a TypeError. */
  /** @type {(chunk: unknown, who: string) => Uint8Array} */
  const bufferSource = (chunk, who) => {
    if (chunk !== null && typeof chunk === 'object') {
      if (ReflectApply(isView, ArrayBuffer, [chunk])) {
        const typed = ReflectApply(tagGet, chunk, []) !== undefined;
        return new Uint8Array(ReflectApply(typed ? bufferGet : dvBuffer, chunk, []), ReflectApply(typed ? byteOffsetGet : dvByteOffset, chunk, []), ReflectApply(typed ? byteLengthGet : dvByteLength, chunk, []));
      }
      // An ArrayBuffer or a SharedArrayBuffer.
      if (isArrayBuffer(chunk) || (typeof SharedArrayBuffer === 'function' && chunk instanceof SharedArrayBuffer)) return new Uint8Array(/** @type {ArrayBuffer} */ (chunk));
    }
    throw new TypeError(`${who}: the chunk is not an ArrayBuffer or ArrayBufferView`);
  };

  // The GenericTransformStream mixin: each class below holds its TransformStream in a private field.
  /** @type {(t: any) => any} */
  const readableOf = (t) => ReflectApply(readableGet, t, []);
  /** @type {(transformer: any) => any} */
  const transformStream = (transformer) => new (streams().TransformStream)(transformer);
  /** @type {(t: any) => any} */
  const writableOf = (t) => ReflectApply(writableGet, t, []);

  // ---- TextEncoderStream / TextDecoderStream (Encoding §5) ----
  const REPLACEMENT = new Uint8Array([0xef, 0xbf, 0xbd]);
  class TextEncoderStream {
    #t;
    constructor() {
      const encoder = new ns.TextEncoder();
      /** A lead surrogate left at the end of a chunk, waiting for the next one. */
      let pending = '';
      this.#t = transformStream({
        transform(/** @type {unknown} */ chunk, /** @type {any} */ c) {
          let s = pending + String(chunk);
          pending = '';
          const last = s.charCodeAt(s.length - 1);
          if (last >= 0xd800 && last <= 0xdbff) { pending = s.slice(-1); s = s.slice(0, -1); }
          if (s.length > 0) c.enqueue(encoder.encode(s));
        },
        flush(/** @type {any} */ c) { if (pending !== '') c.enqueue(REPLACEMENT.slice()); },
      });
    }
    get encoding() { return 'utf-8'; }
    get readable() { return readableOf(this.#t); }
    get writable() { return writableOf(this.#t); }
    get [Symbol.toStringTag]() { return 'TextEncoderStream'; }
  }
  class TextDecoderStream {
    #decoder;
    #t;
    constructor(label = 'utf-8', /** @type {{ fatal?: boolean, ignoreBOM?: boolean }} */ options = {}) {
      const decoder = new ns.TextDecoder(label, options);
      this.#t = transformStream({
        transform(/** @type {unknown} */ chunk, /** @type {any} */ c) {
          const s = decoder.decode(bufferSource(chunk, 'TextDecoderStream'), { stream: true });
          if (s !== '') c.enqueue(s);
        },
        flush(/** @type {any} */ c) { const s = decoder.decode(); if (s !== '') c.enqueue(s); },
      });
      this.#decoder = decoder;
    }
    get encoding() { return this.#decoder.encoding; }
    get fatal() { return this.#decoder.fatal; }
    get ignoreBOM() { return this.#decoder.ignoreBOM; }
    get readable() { return readableOf(this.#t); }
    get writable() { return writableOf(this.#t); }
    get [Symbol.toStringTag]() { return 'TextDecoderStream'; }
  }

  // ---- CompressionStream / DecompressionStream (Compression standard §5, §6) over fflate ----
  // The standard's "deflate" is the zlib format (RFC 1950), fflate's Zlib; "deflate-raw" is RFC 1951, fflate's Deflate.
  /** @type {Record<string, [any, any]> | undefined} */
  let FORMATS;
  /** @type {(format: unknown, who: string) => [any, any]} */
  const codecs = (format, who) => {
    const f = String(format);
    if (f !== 'gzip' && f !== 'deflate' && f !== 'deflate-raw') throw new TypeError(`${who}: unsupported format '${f}' (gzip, deflate or deflate-raw)`);
    if (FORMATS === undefined) {
      // fflate builds its Huffman tables when it loads (~8 ms): on the first CompressionStream only.
      const F = /** @type {IsoedgeVendorFlate} */ (ns.ops.vendor('flate'))();
      FORMATS = { gzip: [F.Gzip, F.Inflate], deflate: [F.Zlib, F.Inflate], 'deflate-raw': [F.Deflate, F.Inflate] };
    }
    return /** @type {[any, any]} */ (FORMATS[f]);
  };
  /** A transformer driving one fflate compressor. */
  /** @type {(Codec: any, who: string) => object} */
  const compressor = (Codec, who) => {
    /** @type {any} */ let controller;
    const codec = new Codec((/** @type {Uint8Array} */ data) => { if (data.byteLength > 0) controller.enqueue(data); });
    return {
      start(/** @type {any} */ c) { controller = c; },
      transform(/** @type {unknown} */ chunk) {
        const b = bufferSource(chunk, who);
        if (b.byteLength > 0) codec.push(ReflectApply(u8Slice, b, []), false);
      },
      flush() { codec.push(new Uint8Array(0), true); },
    };
  };

  // ---- decompression: fflate's raw Inflate for the DEFLATE data; the gzip (RFC 1952) and zlib (RFC 1950)
  // containers are read here, so their checksums are verified and bytes after the end are an error, as the standard requires ----
  /** @type {Uint32Array | undefined} */ let CRC_TABLE;
  /** @type {(crc: number, b: Uint8Array) => number} */
  const crc32 = (crc, b) => {
    if (CRC_TABLE === undefined) {
      CRC_TABLE = new Uint32Array(256);
      for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; CRC_TABLE[n] = c >>> 0; }
    }
    let c = ~crc;
    for (let i = 0; i < b.length; i++) c = /** @type {number} */ (CRC_TABLE[(c ^ /** @type {number} */ (b[i])) & 0xff]) ^ (c >>> 8);
    return ~c >>> 0;
  };
  /** @type {(adler: number, b: Uint8Array) => number} */
  const adler32 = (adler, b) => {
    let a = adler & 0xffff, d = adler >>> 16;
    for (let i = 0; i < b.length;) {
      const stop = Math.min(i + 3800, b.length);
      for (; i < stop; i++) { a += /** @type {number} */ (b[i]); d += a; }
      a %= 65521; d %= 65521;
    }
    return ((d << 16) | a) >>> 0;
  };
  /** Bytes a gzip header takes, or -1 while it is incomplete. */
  /** @type {(b: Uint8Array, fail: (m: string) => never) => number} */
  const gzipHeader = (b, fail) => {
    if (b.length < 10) return -1;
    if (b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8) fail('not gzip data');
    const flags = /** @type {number} */ (b[3]);
    let at = 10;
    if (flags & 4) { if (b.length < at + 2) return -1; at += 2 + (/** @type {number} */ (b[at]) | (/** @type {number} */ (b[at + 1]) << 8)); }
    for (const bit of [8, 16]) if (flags & bit) { const z = b.indexOf(0, at); if (z < 0) return -1; at = z + 1; }
    if (flags & 2) at += 2;
    return b.length < at ? -1 : at;
  };
  /** @type {(b: Uint8Array, fail: (m: string) => never) => number} */
  const zlibHeader = (b, fail) => {
    if (b.length < 2) return -1;
    const cmf = /** @type {number} */ (b[0]), flg = /** @type {number} */ (b[1]);
    if ((cmf & 15) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0) fail('not zlib data');
    if (flg & 32) fail('zlib data with a preset dictionary');
    return 2;
  };
  /** @type {(b: Uint8Array, at: number) => number} */
  const u32le = (b, at) => (/** @type {number} */ (b[at]) | (/** @type {number} */ (b[at + 1]) << 8) | (/** @type {number} */ (b[at + 2]) << 16) | (/** @type {number} */ (b[at + 3]) << 24)) >>> 0;
  /** @type {(b: Uint8Array, at: number) => number} */
  const u32be = (b, at) => ((/** @type {number} */ (b[at]) << 24) | (/** @type {number} */ (b[at + 1]) << 16) | (/** @type {number} */ (b[at + 2]) << 8) | /** @type {number} */ (b[at + 3])) >>> 0;
  /** @type {(a: Uint8Array, b: Uint8Array) => Uint8Array} */
  const concat = (a, b) => {
    if (a.length === 0) return b;
    const out = new Uint8Array(a.length + b.length);
    ReflectApply(u8Set, out, [a, 0]);
    ReflectApply(u8Set, out, [b, a.length]);
    return out;
  };

  /** A transformer for DecompressionStream: header, DEFLATE data, trailer, then nothing more. */
  /** @type {(format: 'gzip' | 'deflate' | 'deflate-raw', Inflate: any) => object} */
  const decompressor = (format, Inflate) => {
    /** @type {(m: string) => never} */
    const fail = (m) => { throw new TypeError(`DecompressionStream: ${m}`); };
    /** @type {any} */ let controller;
    let stage = format === 'deflate-raw' ? 1 : 0; // 0 header, 1 data, 2 trailer, 3 done
    /** @type {Uint8Array} */
    let pending = new Uint8Array(0);
    let check = format === 'gzip' ? 0 : 1;
    let size = 0;
    const inflate = new Inflate((/** @type {Uint8Array} */ data) => {
      if (data.byteLength === 0) return;
      if (format === 'gzip') check = crc32(check, data);
      else if (format === 'deflate') check = adler32(check, data);
      size += data.byteLength;
      controller.enqueue(data);
    });
    /** Feeds bytes through the stages; `final` on flush. */
    /** @type {(b: Uint8Array, final: boolean) => void} */
    const feed = (b, final) => {
      let buf = concat(pending, b);
      pending = new Uint8Array(0);
      if (stage === 0) {
        const n = format === 'gzip' ? gzipHeader(buf, fail) : zlibHeader(buf, fail);
        if (n < 0) { if (final) fail('the compressed stream is truncated'); pending = buf; return; }
        buf = buf.subarray(n);
        stage = 1;
      }
      if (stage === 1) {
        try { inflate.push(buf, final); } catch (e) { fail(e instanceof Error ? e.message : String(e)); }
        const st = inflate.s;
        if (!(st.f && !st.l)) { if (final) fail('the compressed stream is truncated'); return; }
        // The last block ended: what fflate kept past it (from the next whole byte) is the trailer and anything after.
        const rest = /** @type {Uint8Array} */ (inflate.p);
        buf = rest.subarray(st.p & 7 ? 1 : 0);
        stage = 2;
      }
      if (stage === 2) {
        const need = format === 'gzip' ? 8 : format === 'deflate' ? 4 : 0;
        if (buf.length < need) { if (final) fail('the compressed stream is truncated'); pending = buf; return; }
        if (format === 'gzip' && (u32le(buf, 0) !== check || u32le(buf, 4) !== (size >>> 0))) fail('the gzip checksum or length does not match');
        if (format === 'deflate' && u32be(buf, 0) !== check) fail('the zlib checksum does not match');
        buf = buf.subarray(need);
        stage = 3;
      }
      if (buf.length > 0) fail('data after the end of the compressed stream');
    };
    return {
      start(/** @type {any} */ c) { controller = c; },
      transform(/** @type {unknown} */ chunk) {
        const b = bufferSource(chunk, 'DecompressionStream');
        if (b.byteLength > 0) feed(ReflectApply(u8Slice, b, []), false);
      },
      flush() { if (stage !== 3) feed(new Uint8Array(0), true); },
    };
  };
  class CompressionStream {
    #t;
    constructor(/** @type {unknown} */ format) {
      if (arguments.length < 1) throw new TypeError('CompressionStream: 1 argument required');
      this.#t = transformStream(compressor(codecs(format, 'CompressionStream')[0], 'CompressionStream'));
    }
    get readable() { return readableOf(this.#t); }
    get writable() { return writableOf(this.#t); }
    get [Symbol.toStringTag]() { return 'CompressionStream'; }
  }
  class DecompressionStream {
    #t;
    constructor(/** @type {unknown} */ format) {
      if (arguments.length < 1) throw new TypeError('DecompressionStream: 1 argument required');
      this.#t = transformStream(decompressor(/** @type {any} */ (String(format)), codecs(format, 'DecompressionStream')[1]));
    }
    get readable() { return readableOf(this.#t); }
    get writable() { return writableOf(this.#t); }
    get [Symbol.toStringTag]() { return 'DecompressionStream'; }
  }
  define('TextEncoderStream', TextEncoderStream);
  define('TextDecoderStream', TextDecoderStream);
  define('CompressionStream', CompressionStream);
  define('DecompressionStream', DecompressionStream);
  Object.assign(ns, { isU8, u8ArrayBuffer, u8Copy, TOO_LARGE, streams, isReadableStream, isLocked, isDisturbed, teeStream, byteStream, hostStream, readAll, bufferSource, getStreamReader: (/** @type {any} */ s) => ReflectApply(getReader, s, []), readChunk: (/** @type {any} */ r) => ReflectApply(read, r, []), cancelReader: (/** @type {any} */ r, /** @type {unknown} */ why) => ReflectApply(/** @type {any} */ (streams().ReadableStreamDefaultReader.prototype.cancel), r, [why]) });
}
