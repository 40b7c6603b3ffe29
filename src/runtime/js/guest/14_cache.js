// @ts-check
/*
 * The Cache API as Workers has it: `caches.default`, `caches.open(name)`, and Cache's put/match/delete,
 * on three sync ops (bridge/cache.ts) into the executor's store. The checks Workers makes with a TypeError
 * (a non-GET put, 206, Vary: *, an error response, a used body) are made here; whether and how long a
 * response is kept (Cache-Control, Expires, Set-Cookie) is decided on the host (executor/cache-policy.ts).
 */
{
  const { ops, define, bodyOf, setBody, Headers, Request, Response, NULL_BODY_STATUS, dec, isU8, u8ArrayBuffer, readAll, TOO_LARGE } = ns;
  const { ReflectApply, ObjectDefineProperty, JSONParse, JSONStringify, StringPrototypeIndexOf } = ns.primordials;
  const U8 = Uint8Array;
  const u8Subarray = Uint8Array.prototype.subarray;
  const NEW = Symbol('isoedge.cache');

  /** A Request for the key, as Workers' Request.coerce: a Request as it is, anything else a GET of that URL (an invalid one is a TypeError). */
  const coerce = (/** @type {unknown} */ r) => (r instanceof Request ? r : new Request(r));

  /** A cache_match answer: u32 little-endian meta length, `[status, statusText, headers, hasBody]` JSON, body. A new Response each time. */
  const unpack = (/** @type {ArrayBuffer} */ packed) => {
    const all = new U8(packed);
    const n = /** @type {number} */ (all[0]) | (/** @type {number} */ (all[1]) << 8) | (/** @type {number} */ (all[2]) << 16) | (/** @type {number} */ (all[3]) << 24);
    const [status, statusText, headers, hasBody] = JSONParse(dec.decode(ReflectApply(u8Subarray, all, [4, 4 + n])));
    const res = new Response(null, { status, statusText, headers });
    if (hasBody && !NULL_BODY_STATUS.has(status)) setBody(res, ReflectApply(u8Subarray, all, [4 + n]));
    return res;
  };

  class Cache {
    /** '' for caches.default, else 'name:' and the name given to open(): the two can never collide. */
    #name;
    constructor(/** @type {unknown} */ key, name = '') {
      if (key !== NEW) throw new TypeError('Illegal constructor');
      this.#name = name;
    }

    /** The stored response for the request's URL, as a new Response with `cf-cache-status: HIT`; undefined on a miss or for a non-GET (unless ignoreMethod). */
    async match(/** @type {unknown} */ request, /** @type {any} */ options) {
      const req = coerce(request);
      if (req.method !== 'GET' && !(options && options.ignoreMethod)) return undefined;
      const packed = ops.cache_match(this.#name, req.url);
      return packed === null ? undefined : unpack(packed);
    }

    /** Stores the response under the request's URL when its headers allow it (else nothing happens, as in Workers); the body is read at once. */
    async put(/** @type {unknown} */ request, /** @type {unknown} */ response) {
      if (arguments.length < 2) throw new TypeError(`Failed to execute 'put' on 'Cache': 2 arguments required, but only ${arguments.length} present.`);
      const req = coerce(request);
      if (!(response instanceof Response)) throw new TypeError("Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.");
      const res = /** @type {any} */ (response);
      if (res.type === 'error') throw new TypeError('Cache is unable to store an error response');
      if (req.method !== 'GET') throw new TypeError('Cannot cache response to non-GET request.');
      if (res.status === 206) throw new TypeError('Cannot cache response to a range request (206 Partial Content).');
      const vary = res.headers.get('vary');
      if (vary !== null && StringPrototypeIndexOf(vary, '*') >= 0) throw new TypeError("Cannot cache response with 'Vary: *' header.");
      if (res.bodyUsed) throw new TypeError('Body has already been used');
      const meta = JSONStringify([res.status, res.statusText, Headers.pairs(res.headers)]);
      // The body is disturbed before put() returns, as in Workers; text()/bytes() mark it used synchronously.
      const b = bodyOf(res);
      /** @type {string | ArrayBuffer | null} */
      let body;
      if (b === null) body = null;
      else if (typeof b === 'string') body = await res.text();
      else if (isU8(b)) body = u8ArrayBuffer(await res.bytes());
      else {
        try {
          body = u8ArrayBuffer(await readAll(res.body, ns.state.responseBytes));
        } catch (e) {
          // Over limits.responseBytes: not stored, like a put the Workers cache refuses (413), without an error.
          if (e === TOO_LARGE) return undefined;
          throw e;
        }
      }
      ops.cache_put(this.#name, req.url, meta, body);
      return undefined;
    }

    /** Removes the entry for the request's URL: true if there was a live one. A non-GET deletes nothing unless ignoreMethod. */
    async delete(/** @type {unknown} */ request, /** @type {any} */ options) {
      const req = coerce(request);
      if (req.method !== 'GET' && !(options && options.ignoreMethod)) return false;
      return ops.cache_delete(this.#name, req.url) === 1;
    }

    // Workers does not implement these either.
    async add() { throw new TypeError("Failed to execute 'add' on 'Cache': the method is not implemented."); }
    async addAll() { throw new TypeError("Failed to execute 'addAll' on 'Cache': the method is not implemented."); }
    get [Symbol.toStringTag]() { return 'Cache'; }
  }

  class CacheStorage {
    /** @type {Cache | undefined} */
    #default;
    constructor(/** @type {unknown} */ key) {
      if (key !== NEW) throw new TypeError('Illegal constructor');
    }
    get default() { return (this.#default ??= new Cache(NEW, '')); }
    /** A Cache of its own for `name` (converted to a string as WebIDL does: a Symbol is a TypeError), under the same bound. */
    async open(/** @type {unknown} */ cacheName) {
      if (arguments.length < 1) throw new TypeError("Failed to execute 'open' on 'CacheStorage': 1 argument required, but only 0 present.");
      const name = `${/** @type {any} */ (cacheName)}`;
      if (name.length >= 1024) throw new TypeError('Cache name is too long.');
      return new Cache(NEW, `name:${name}`);
    }
    get [Symbol.toStringTag]() { return 'CacheStorage'; }
  }

  define('Cache', Cache);
  define('CacheStorage', CacheStorage);
  // `caches` is made on first read: an instance that never uses it holds no CacheStorage.
  ObjectDefineProperty(globalThis, 'caches', {
    configurable: true, enumerable: false,
    get() { const c = new CacheStorage(NEW); define('caches', c); return c; },
    set(/** @type {unknown} */ v) { define('caches', v); },
  });
}
