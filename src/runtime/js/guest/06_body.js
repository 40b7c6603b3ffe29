// @ts-check
/* The Body mixin shared by Request and Response, and the buffered stream behind `body`. */
{
  const { define } = ns;
  const enc = new ns.TextEncoder();
  const dec = new ns.TextDecoder();
  const BODY = Symbol('isoedge.body');

  /** A buffered body stream: enough for `new Response(request.body)` and getReader() loops. */
  class BufferedStream {
    /** @type {Uint8Array | undefined} */
    #bytes;
    constructor(/** @type {Uint8Array} */ bytes) { this.#bytes = bytes; }
    static bytes(/** @type {BufferedStream} */ s) { return s.#bytes; }
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
  /** @type {(body: unknown) => [string | Uint8Array | null, string | null]} */
  function extractBody(body) {
    if (body == null) return [null, null];
    if (typeof body === 'string') return [body, 'text/plain;charset=UTF-8'];
    if (body instanceof ArrayBuffer) return [new Uint8Array(body.slice(0)), null];
    if (ArrayBuffer.isView(body)) return [new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)), null];
    if (body instanceof URLSearchParams) return [body.toString(), 'application/x-www-form-urlencoded;charset=UTF-8'];
    if (body instanceof BufferedStream) {
      if (body.locked) throw new TypeError('Body: the stream is already locked or read');
      return [/** @type {Uint8Array} */ (BufferedStream.bytes(body)), null];
    }
    return [String(body), 'text/plain;charset=UTF-8'];
  }

  /** The Body mixin shared by Request and Response. */
  class Body {
    /** @type {string | Uint8Array | null} */
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
  define('ReadableStream', BufferedStream);
  Object.assign(ns, { enc, dec, BODY, Body, BufferedStream, extractBody });
}
