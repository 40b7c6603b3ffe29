// @ts-check
/* Request and Response. */
{
  const { define, Body, setBody, extractBody, cloneBody, Headers, URL } = ns;
  const METHODS = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE)$/i;
  const FROM_HOST = Symbol('isoedge.fromHost');
  class Request extends Body {
    /** @type {string} */ #method;
    /** @type {string} */ #url;
    /** @type {any} */ #headers;
    /** @type {string} */ #redirect;
    /** @type {string | null} */ #rawHeaders = null;
    constructor(/** @type {any} */ input, /** @type {any} */ init = {}) {
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
      /** @type {string} */
      let method = init.method ?? (src ? src.method : 'GET');
      method = String(method);
      if (METHODS.test(method)) method = method.toUpperCase();
      else if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) throw new TypeError(`Request: invalid method ${method}`);
      this.#method = method;
      this.#headers = new Headers(init.headers ?? (src ? src.headers : undefined));
      this.#rawHeaders = null;
      this.#redirect = init.redirect ?? (src ? src.redirect : 'follow');
      // Fetch: duplex is 'half' or absent. Unlike the standard (and like workerd), a stream body does not require it.
      if (init.duplex !== undefined && init.duplex !== 'half') throw new TypeError(`Request: duplex must be 'half', not '${init.duplex}'`);
      if (init.body !== undefined && init.body !== null) {
        if (method === 'GET' || method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
        const [b, type] = extractBody(init.body);
        setBody(this, b);
        if (type && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
      } else if (src && init.body === undefined) {
        if (src.bodyUsed) throw new TypeError('Request: the input request\'s body has already been used');
        setBody(this, cloneBody(src));
      }
    }
    get method() { return this.#method; }
    get url() { return this.#url; }
    get headers() {
      if (this.#rawHeaders !== null) { this.#headers = new Headers(JSON.parse(this.#rawHeaders)); this.#rawHeaders = null; }
      return this.#headers;
    }
    get redirect() { return this.#redirect; }
    static fromHost(/** @type {string} */ url, /** @type {string} */ method, /** @type {string} */ headersJson) { return new Request(FROM_HOST, { url, method, headers: headersJson }); }
    /** The request's header pairs as received (for Wasm frames), without building a Headers object. */
    headersForWasm() { return this.#rawHeaders !== null ? JSON.parse(this.#rawHeaders) : Headers.pairs(this.headers); }
    get signal() { return ns.requestSignal(this); }
    get cf() { return undefined; }
    clone() {
      if (this.bodyUsed) throw new TypeError('Request.clone: body has already been used');
      return new Request(this);
    }
    get [Symbol.toStringTag]() { return 'Request'; }
  }

  const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);
  class Response extends Body {
    /** @type {number} */ #status;
    /** @type {string} */ #statusText;
    /** @type {any} */ #headers;
    #type = 'default';
    constructor(/** @type {unknown} */ body = null, /** @type {any} */ init = {}) {
      super();
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`Response: status ${init.status} is outside 200-599`);
      this.#status = status;
      this.#statusText = init.statusText === undefined ? '' : String(init.statusText);
      this.#headers = new Headers(init.headers);
      if (body !== null && body !== undefined) {
        if (NULL_BODY_STATUS.has(status)) throw new TypeError(`Response with null body status ${status} cannot have a body`);
        const [b, type] = extractBody(body);
        setBody(this, b);
        if (type && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
      }
    }
    static json(/** @type {unknown} */ data, /** @type {any} */ init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(JSON.stringify(data), { ...init, headers });
    }
    static redirect(/** @type {unknown} */ url, status = 302) {
      if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Response.redirect: invalid status ${status}`);
      return new Response(null, { status, headers: { location: new URL(String(url)).href } });
    }
    static error() { const r = new Response(null, { status: 200 }); r.#type = 'error'; r.#status = 0; return r; }
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
      setBody(r, cloneBody(this));
      return r;
    }
    get [Symbol.toStringTag]() { return 'Response'; }
  }
  define('Request', Request);
  define('Response', Response);
  Object.assign(ns, { Request, Response, NULL_BODY_STATUS });
}
