// @ts-check
/*
 * URL, URLSearchParams and URLPattern (WHATWG URL, URL Pattern). URL parsing is the host's own
 * WHATWG parser through sync ops (bridge/url.ts, Node's URL): a URL keeps the components the host
 * answered and asks again on each setter. URLSearchParams is here in full (the
 * application/x-www-form-urlencoded parser and serializer), tied to its URL's query. URLPattern is
 * urlpattern-polyfill, loaded into the isolate by the vendor op on first use (prelude-source.ts).
 */
{
  const { define, ops, INTERNAL } = ns;
  const { ObjectDefineProperty, MapPrototypeGet, MapPrototypeSet, MapPrototypeDelete } = ns.primordials;
  const enc = new ns.TextEncoder();
  const dec = new ns.TextDecoder();
  /** WebIDL USVString: a string with every lone surrogate replaced by U+FFFD. */
  const usv = (/** @type {unknown} */ v) => /** @type {any} */ (`${v}`).toWellFormed();

  // ---- application/x-www-form-urlencoded (URL §5) ----
  const isHex = (/** @type {number} */ c) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
  /** Percent-decode (URL §1.3) a string's UTF-8 bytes, '+' as space first, then UTF-8 decode without BOM. */
  const formDecode = (/** @type {string} */ s) => {
    if (s.indexOf('%') < 0) return s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ');
    const b = enc.encode(s.replace(/\+/g, ' '));
    const out = new Uint8Array(b.length);
    let n = 0;
    for (let i = 0; i < b.length; i++) {
      const c = /** @type {number} */ (b[i]);
      if (c === 0x25 && i + 2 < b.length && isHex(/** @type {number} */ (b[i + 1])) && isHex(/** @type {number} */ (b[i + 2]))) {
        out[n++] = parseInt(String.fromCharCode(/** @type {number} */ (b[i + 1]), /** @type {number} */ (b[i + 2])), 16);
        i += 2;
      } else out[n++] = c;
    }
    return dec.decode(out.subarray(0, n));
  };
  /** @type {(s: string) => [string, string][]} */
  const formParse = (s) => {
    /** @type {[string, string][]} */
    const list = [];
    for (const part of s.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      list.push(eq < 0 ? [formDecode(part), ''] : [formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
    }
    return list;
  };
  // The urlencoded percent-encode set leaves ASCII alphanumerics and *-._ alone; space is '+'.
  const formEncode = (/** @type {string} */ s) => encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  const formSerialize = (/** @type {[string, string][]} */ list) => {
    let out = '';
    for (let i = 0; i < list.length; i++) {
      const p = /** @type {[string, string]} */ (list[i]);
      out += (i ? '&' : '') + formEncode(p[0]) + '=' + formEncode(p[1]);
    }
    return out;
  };

  class URLSearchParams {
    /** @type {[string, string][]} */
    #list = [];
    /** @type {URL | null} */
    #url = null;
    constructor(/** @type {any} */ init = '') {
      if (init === INTERNAL) return;
      if (init !== null && (typeof init === 'object' || typeof init === 'function')) {
        if (init[Symbol.iterator] !== undefined) {
          for (const pair of init) {
            if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function')) throw new TypeError('URLSearchParams: each member of the sequence must be a sequence');
            const p = [...pair];
            if (p.length !== 2) throw new TypeError('URLSearchParams: each pair must have exactly two members');
            this.#list.push([usv(p[0]), usv(p[1])]);
          }
        } else {
          for (const k of Reflect.ownKeys(init)) {
            const d = Object.getOwnPropertyDescriptor(init, k);
            if (d === undefined || !d.enumerable) continue;
            if (typeof k === 'symbol') throw new TypeError('URLSearchParams: a record key cannot be a symbol');
            this.#list.push([usv(k), usv(init[k])]);
          }
        }
      } else {
        const s = usv(init);
        this.#list = formParse(s.charCodeAt(0) === 0x3f ? s.slice(1) : s);
      }
    }
    /** The URL's query object: parsed from its query, updating it on each change. */
    static forURL(/** @type {URL} */ url, /** @type {string} */ search) {
      const p = new URLSearchParams(INTERNAL);
      p.#url = url;
      p.#list = search === '' ? [] : formParse(search.slice(1));
      return p;
    }
    static reparse(/** @type {URLSearchParams} */ p, /** @type {string} */ search) { p.#list = search === '' ? [] : formParse(search.slice(1)); }
    #update() { if (this.#url !== null) URL.setQuery(this.#url, formSerialize(this.#list)); }
    get size() { return this.#list.length; }
    append(/** @type {unknown} */ name, /** @type {unknown} */ value) {
      if (arguments.length < 2) throw new TypeError("Failed to execute 'append' on 'URLSearchParams': 2 arguments required.");
      this.#list.push([usv(name), usv(value)]); this.#update();
    }
    delete(/** @type {unknown} */ name, /** @type {unknown} */ value = undefined) {
      const n = usv(name);
      const v = value === undefined ? undefined : usv(value);
      this.#list = this.#list.filter((p) => p[0] !== n || (v !== undefined && p[1] !== v));
      this.#update();
    }
    get(/** @type {unknown} */ name) { const n = usv(name); for (const p of this.#list) if (p[0] === n) return p[1]; return null; }
    getAll(/** @type {unknown} */ name) { const n = usv(name); return this.#list.filter((p) => p[0] === n).map((p) => p[1]); }
    has(/** @type {unknown} */ name, /** @type {unknown} */ value = undefined) {
      const n = usv(name);
      const v = value === undefined ? undefined : usv(value);
      return this.#list.some((p) => p[0] === n && (v === undefined || p[1] === v));
    }
    set(/** @type {unknown} */ name, /** @type {unknown} */ value) {
      if (arguments.length < 2) throw new TypeError("Failed to execute 'set' on 'URLSearchParams': 2 arguments required.");
      const n = usv(name), v = usv(value);
      const i = this.#list.findIndex((p) => p[0] === n);
      if (i < 0) this.#list.push([n, v]);
      else { /** @type {[string, string]} */ (this.#list[i])[1] = v; this.#list = this.#list.filter((p, j) => j <= i || p[0] !== n); }
      this.#update();
    }
    /** Stable, by code units (URL §6.2). */
    sort() { this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this.#update(); }
    // Live iteration (WebIDL pair iterators): an index into the list as it is at each step.
    *entries() { for (let i = 0; i < this.#list.length; i++) { const p = /** @type {[string, string]} */ (this.#list[i]); yield [p[0], p[1]]; } }
    *keys() { for (let i = 0; i < this.#list.length; i++) yield /** @type {[string, string]} */ (this.#list[i])[0]; }
    *values() { for (let i = 0; i < this.#list.length; i++) yield /** @type {[string, string]} */ (this.#list[i])[1]; }
    forEach(/** @type {unknown} */ cb, /** @type {unknown} */ thisArg = undefined) {
      if (typeof cb !== 'function') throw new TypeError("Failed to execute 'forEach' on 'URLSearchParams': the callback is not a function.");
      for (let i = 0; i < this.#list.length; i++) { const p = /** @type {[string, string]} */ (this.#list[i]); cb.call(thisArg, p[1], p[0], this); }
    }
    toString() { return formSerialize(this.#list); }
    get [Symbol.toStringTag]() { return 'URLSearchParams'; }
  }
  ObjectDefineProperty(URLSearchParams.prototype, Symbol.iterator, { value: URLSearchParams.prototype.entries, writable: true, configurable: true });

  // Components as the host answers them (bridge/url.ts FIELDS).
  const HREF = 0, ORIGIN = 1, PROTOCOL = 2, USERNAME = 3, PASSWORD = 4, HOST = 5, HOSTNAME = 6, PORT = 7, PATHNAME = 8, SEARCH = 9, HASH = 10;
  // The last answers for short inputs: `new URL(request.url)` and a router's base URLs repeat within a request.
  // Parsing is a pure function of (input, base), and one instance serves one revision.
  /** @type {Map<string, string>} */
  const cache = new Map();
  const CACHE_SIZE = 32, CACHE_KEY_MAX = 2048;
  /** @type {(input: unknown, base: unknown, hasBase: boolean) => string} */
  const parse = (input, base, hasBase) => {
    const i = usv(input);
    const b = hasBase ? usv(base) : '';
    const key = hasBase ? `${b.length}:${b}${i}` : i;
    if (key.length > CACHE_KEY_MAX) return ops.url_parse(i, b, hasBase ? 1 : 0);
    let r = MapPrototypeGet(cache, key);
    if (r === undefined) {
      r = ops.url_parse(i, b, hasBase ? 1 : 0);
      if (cache.size >= CACHE_SIZE) MapPrototypeDelete(cache, /** @type {string} */ (cache.keys().next().value));
      MapPrototypeSet(cache, key, r);
    }
    return r;
  };

  class URL {
    /** @type {string[]} */
    #c;
    /** @type {URLSearchParams | null} */
    #sp = null;
    constructor(/** @type {unknown} */ url, /** @type {unknown} */ base = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'URL': 1 argument required, but only 0 present.");
      if (url === INTERNAL) { this.#c = []; return; }
      const r = parse(url, base, base !== undefined);
      if (r === '') throw new TypeError(`Invalid URL: ${usv(url)}`);
      this.#c = r.split('\n');
    }
    static canParse(/** @type {unknown} */ url, /** @type {unknown} */ base = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'canParse' on 'URL': 1 argument required.");
      return parse(url, base, base !== undefined) !== '';
    }
    static parse(/** @type {unknown} */ url, /** @type {unknown} */ base = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'parse' on 'URL': 1 argument required.");
      const r = parse(url, base, base !== undefined);
      if (r === '') return null;
      const u = new URL(INTERNAL);
      u.#c = r.split('\n');
      return u;
    }
    /** URLSearchParams' update steps: the serialized list becomes the query ('' clears it). */
    static setQuery(/** @type {URL} */ u, /** @type {string} */ query) {
      const r = ops.url_set(/** @type {string} */ (u.#c[HREF]), 'search', query);
      if (r !== '') u.#c = r.split('\n');
    }
    #set(/** @type {string} */ name, /** @type {unknown} */ v) {
      const r = ops.url_set(/** @type {string} */ (this.#c[HREF]), name, usv(v));
      if (r !== '') this.#c = r.split('\n');
    }
    get href() { return /** @type {string} */ (this.#c[HREF]); }
    set href(v) {
      const r = ops.url_set('', 'href', usv(v));
      if (r === '') throw new TypeError(`Invalid URL: ${usv(v)}`);
      this.#c = r.split('\n');
      if (this.#sp !== null) URLSearchParams.reparse(this.#sp, /** @type {string} */ (this.#c[SEARCH]));
    }
    get origin() { return /** @type {string} */ (this.#c[ORIGIN]); }
    get protocol() { return /** @type {string} */ (this.#c[PROTOCOL]); }
    set protocol(v) { this.#set('protocol', v); }
    get username() { return /** @type {string} */ (this.#c[USERNAME]); }
    set username(v) { this.#set('username', v); }
    get password() { return /** @type {string} */ (this.#c[PASSWORD]); }
    set password(v) { this.#set('password', v); }
    get host() { return /** @type {string} */ (this.#c[HOST]); }
    set host(v) { this.#set('host', v); }
    get hostname() { return /** @type {string} */ (this.#c[HOSTNAME]); }
    set hostname(v) { this.#set('hostname', v); }
    get port() { return /** @type {string} */ (this.#c[PORT]); }
    set port(v) { this.#set('port', v); }
    get pathname() { return /** @type {string} */ (this.#c[PATHNAME]); }
    set pathname(v) { this.#set('pathname', v); }
    get search() { return /** @type {string} */ (this.#c[SEARCH]); }
    set search(v) {
      this.#set('search', v);
      if (this.#sp !== null) URLSearchParams.reparse(this.#sp, /** @type {string} */ (this.#c[SEARCH]));
    }
    get searchParams() {
      if (this.#sp === null) this.#sp = URLSearchParams.forURL(this, /** @type {string} */ (this.#c[SEARCH]));
      return this.#sp;
    }
    get hash() { return /** @type {string} */ (this.#c[HASH]); }
    set hash(v) { this.#set('hash', v); }
    toString() { return /** @type {string} */ (this.#c[HREF]); }
    toJSON() { return /** @type {string} */ (this.#c[HREF]); }
    get [Symbol.toStringTag]() { return 'URL'; }
  }

  // ---- URLPattern: urlpattern-polyfill, loaded into this isolate on first use of the global ----
  // It runs here, under the request's CPU limit, because matching runs regular expressions built from
  // the tenant's patterns (prelude-source.ts). Until then the global is an accessor that costs nothing.
  /** @type {any} */
  let URLPattern;
  const urlPattern = () => {
    if (URLPattern === undefined) {
      URLPattern = /** @type {IsoedgeVendorUrlPattern} */ (ops.vendor('urlpattern'))().URLPattern;
      define('URLPattern', URLPattern);
    }
    return URLPattern;
  };
  ObjectDefineProperty(globalThis, 'URLPattern', {
    configurable: true, enumerable: false,
    get: urlPattern,
    set(v) { define('URLPattern', v); },
  });
  define('URLSearchParams', URLSearchParams);
  define('URL', URL);
  ns.URL = URL;
  ns.URLSearchParams = URLSearchParams;
}
