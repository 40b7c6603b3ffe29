// @ts-check
/*
 * The Body mixin shared by Request and Response (Fetch §6.2). A body is held as the runtime got it,
 * a string or bytes, until `body` is read: then (or when constructed from one) it is a
 * ReadableStream (05_streams.js), and text()/bytes()/… read that stream. The common path (a
 * buffered request body read with text() or json(), a string or bytes response) never makes one.
 */
{
  const { isU8, u8Copy, bufferSource, isReadableStream, isLocked, isDisturbed, teeStream, byteStream, readAll, Blob, FormData, blobBytes, serializeFormData, parseFormData } = ns;
  const { JSONParse } = ns.primordials;
  const enc = new ns.TextEncoder();
  const dec = new ns.TextDecoder();

  /** Normalises any BodyInit (Fetch §6.2.1 "extract a body") to string | bytes | stream | null and its default content type. */
  /** @type {IsoedgeNs['extractBody']} */
  function extractBody(body) {
    if (body == null) return [null, null];
    if (typeof body === 'string') return [body, 'text/plain;charset=UTF-8'];
    // A BufferSource: its bytes copied, through captured getters (05_streams.js).
    if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return [u8Copy(bufferSource(body, 'Body')), null];
    if (body instanceof ns.URLSearchParams) return [body.toString(), 'application/x-www-form-urlencoded;charset=UTF-8'];
    // A Blob's bytes are immutable: the body shares them.
    if (body instanceof Blob) { const type = /** @type {any} */ (body).type; return [blobBytes(body), type === '' ? null : type]; }
    if (body instanceof FormData) return serializeFormData(body);
    if (isReadableStream(body)) {
      if (isLocked(body) || isDisturbed(body)) throw new TypeError('Body: the ReadableStream is locked or has been read');
      return [body, null];
    }
    return [String(body), 'text/plain;charset=UTF-8'];
  }

  /** A stream that is already disturbed and locked: `body` of a body consumed before it was ever read as a stream. */
  const usedStream = () => {
    const s = byteStream(new Uint8Array(0));
    s.getReader().read();
    return s;
  };

  /** The body slot of a Request or Response (a TypeError for anything else): a private field, set from the class's static block. */
  /** @type {(o: object) => string | Uint8Array | null | ReadableStream} */
  let bodyOf = () => null;
  /** @type {(o: object, v: unknown) => void} */
  let setBody = () => {};

  /** The Body mixin shared by Request and Response. */
  class Body {
    // Private fields, not properties: `{ ...request }` (itty-router's withParams proxy, for one) and
    // Reflect.ownKeys see nothing, as of workerd's Request/Response, which have no own properties.
    /** @type {string | Uint8Array | null | ReadableStream} */
    #body = null;
    #used = false;
    static {
      bodyOf = (o) => /** @type {Body} */ (o).#body;
      setBody = (o, v) => { /** @type {Body} */ (o).#body = /** @type {any} */ (v); };
    }
    /** The body's bytes (or its string), read to the end: a TypeError if it was used or its stream is locked. */
    async #consume() {
      const b = bodyOf(this);
      if (this.#used) throw new TypeError('Body has already been used');
      // A null body is never "used" (Fetch: bodyUsed is body non-null and disturbed).
      if (b === null) return b;
      if (typeof b === 'string' || isU8(b)) { this.#used = true; return b; }
      if (isDisturbed(b)) throw new TypeError('Body has already been used');
      if (isLocked(b)) throw new TypeError('Body: the stream is locked');
      return readAll(b);
    }
    get bodyUsed() {
      const b = bodyOf(this);
      return this.#used || (b !== null && typeof b === 'object' && !(isU8(b)) && isDisturbed(b));
    }
    get body() {
      const b = bodyOf(this);
      if (b === null) return null;
      if (typeof b !== 'string' && !(isU8(b))) return b;
      const s = this.#used ? usedStream() : byteStream(typeof b === 'string' ? enc.encode(b) : b);
      this.#body = s;
      return s;
    }
    async text() { const b = await this.#consume(); return b === null ? '' : typeof b === 'string' ? b : dec.decode(b); }
    async json() { return JSONParse(await this.text()); }
    async bytes() { const b = await this.#consume(); return b === null ? new Uint8Array(0) : typeof b === 'string' ? enc.encode(b) : u8Copy(b); }
    async arrayBuffer() { return (await this.bytes()).buffer; }
    async blob() {
      const b = await this.#consume();
      const type = /** @type {any} */ (this).headers.get('content-type');
      return new Blob(b === null ? [] : [b], { type: type === null ? '' : type });
    }
    async formData() {
      const b = await this.#consume();
      const type = /** @type {any} */ (this).headers.get('content-type');
      return parseFormData(b === null ? new Uint8Array(0) : typeof b === 'string' ? enc.encode(b) : b, type === null ? '' : type);
    }
  }

  /** The body for a clone (Fetch "clone a body"): a stream is teed, the original keeps one branch. */
  /** @type {(o: any) => unknown} */
  const cloneBody = (o) => {
    const b = bodyOf(o);
    if (b === null || typeof b === 'string' || isU8(b)) return b;
    if (isLocked(b)) throw new TypeError('clone: the body stream is locked');
    const [x, y] = teeStream(b);
    setBody(o, x);
    return y;
  };
  /** The body's bytes for the host (a response, an outbound fetch): a stream is read to its end first. */
  /** @type {IsoedgeNs['bodyBytesAsync']} */
  const bodyBytesAsync = async (b) => {
    if (b === null || typeof b === 'string' || isU8(b)) return b;
    if (isLocked(b) || isDisturbed(b)) throw new TypeError('Body: the ReadableStream is locked or has been read');
    return readAll(b);
  };
  Object.assign(ns, { enc, dec, bodyOf, setBody, Body, extractBody, cloneBody, bodyBytesAsync });
}
