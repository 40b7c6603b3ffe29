// @ts-check
/* URLSearchParams and URL: WHATWG parsing for special schemes (http, https, ws, wss, ftp, file) and opaque others. */
{
  const { define } = ns;
  const decodeQ = (/** @type {string} */ s) => { try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return s; } };
  const encodeQ = (/** @type {string} */ s) => encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  class URLSearchParams {
    /** @type {[string, string][]} */
    #list = [];
    /** @type {((query: string) => void) | null} */
    #onChange = null;
    constructor(/** @type {any} */ init = '') {
      if (typeof init === 'string') this.#parse(init);
      else if (init instanceof URLSearchParams) this.#list = init.#list.map((p) => [p[0], p[1]]);
      else if (init && typeof init[Symbol.iterator] === 'function') for (const [k, v] of init) this.#list.push([String(k), String(v)]);
      else if (init && typeof init === 'object') for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
    }
    #parse(/** @type {string} */ s) {
      this.#list = [];
      for (const part of s.replace(/^\?/, '').split('&')) {
        if (!part) continue;
        const eq = part.indexOf('=');
        this.#list.push(eq === -1 ? [decodeQ(part), ''] : [decodeQ(part.slice(0, eq)), decodeQ(part.slice(eq + 1))]);
      }
    }
    #changed() { if (this.#onChange) this.#onChange(this.toString()); }
    static attach(/** @type {URLSearchParams} */ p, /** @type {string} */ query, /** @type {(query: string) => void} */ onChange) { p.#parse(query); p.#onChange = onChange; }
    get size() { return this.#list.length; }
    append(/** @type {unknown} */ k, /** @type {unknown} */ v) { this.#list.push([String(k), String(v)]); this.#changed(); }
    delete(/** @type {unknown} */ k, /** @type {unknown} */ v) { this.#list = this.#list.filter((p) => p[0] !== String(k) || (v !== undefined && p[1] !== String(v))); this.#changed(); }
    get(/** @type {unknown} */ k) { const p = this.#list.find((x) => x[0] === String(k)); return p ? p[1] : null; }
    getAll(/** @type {unknown} */ k) { return this.#list.filter((x) => x[0] === String(k)).map((x) => x[1]); }
    has(/** @type {unknown} */ k, /** @type {unknown} */ v) { return this.#list.some((x) => x[0] === String(k) && (v === undefined || x[1] === String(v))); }
    set(/** @type {unknown} */ k, /** @type {unknown} */ v) {
      const key = String(k);
      const i = this.#list.findIndex((x) => x[0] === key);
      if (i === -1) this.#list.push([key, String(v)]);
      else { /** @type {[string, string]} */ (this.#list[i])[1] = String(v); this.#list = this.#list.filter((x, j) => j <= i || x[0] !== key); }
      this.#changed();
    }
    sort() { this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this.#changed(); }
    *entries() { for (const p of this.#list) yield [p[0], p[1]]; }
    *keys() { for (const p of this.#list) yield p[0]; }
    *values() { for (const p of this.#list) yield p[1]; }
    forEach(/** @type {Function} */ cb, /** @type {unknown} */ thisArg) { for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this); }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this.#list.map((p) => encodeQ(p[0]) + '=' + encodeQ(p[1])).join('&'); }
  }
  define('URLSearchParams', URLSearchParams);

  /** @type {Record<string, string>} */
  const DEFAULT_PORT = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21', 'file:': '' };
  const pathEnc = (/** @type {string} */ s) => s.replace(/[\u0000-\u0020"#<>?`{}\u007f-\uffff]/g, (c) => encodeURIComponent(c));
  const queryEnc = (/** @type {string} */ s) => s.replace(/[\u0000-\u0020"#<>\u007f-\uffff]/g, (c) => encodeURIComponent(c));
  const fragEnc = (/** @type {string} */ s) => s.replace(/[\u0000-\u0020"<>`\u007f-\uffff]/g, (c) => encodeURIComponent(c));
  function normPath(/** @type {string} */ path) {
    /** @type {string[]} */
    const out = [];
    const segs = path.split('/');
    for (let i = 1; i < segs.length; i++) {
      const s = /** @type {string} */ (segs[i]);
      const d = s.toLowerCase();
      if (d === '..' || d === '.%2e' || d === '%2e.' || d === '%2e%2e') { out.pop(); if (i === segs.length - 1) out.push(''); }
      else if (d === '.' || d === '%2e') { if (i === segs.length - 1) out.push(''); }
      else out.push(s);
    }
    return '/' + out.join('/');
  }
  class URL {
    #protocol = ''; #username = ''; #password = ''; #hostname = ''; #port = ''; #pathname = ''; #search = ''; #hash = '';
    #special = false;
    #sp = new URLSearchParams();
    constructor(/** @type {unknown} */ input, /** @type {any} */ base = undefined) {
      let s = String(input).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
      const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(s);
      if (m) this.#parseAbsolute(/** @type {string} */ (m[1]).toLowerCase() + ':', /** @type {string} */ (m[2]));
      else {
        if (base === undefined) throw new TypeError(`Invalid URL: ${String(input)}`);
        const b = base instanceof URL ? base : new URL(base);
        this.#resolve(s, b);
      }
      URLSearchParams.attach(this.#sp, this.#search, (/** @type {string} */ q) => { this.#search = q ? '?' + q : ''; });
    }
    static canParse(/** @type {unknown} */ input, /** @type {unknown} */ base) { try { new URL(input, base); return true; } catch { return false; } }
    static parse(/** @type {unknown} */ input, /** @type {unknown} */ base) { try { return new URL(input, base); } catch { return null; } }
    #parseAbsolute(/** @type {string} */ protocol, /** @type {string} */ rest) {
      this.#protocol = protocol;
      this.#special = protocol in DEFAULT_PORT;
      if (this.#special) rest = rest.replace(/\\/g, '/');
      if (this.#special || rest.startsWith('//')) {
        // Special schemes ignore any number of slashes before the authority (http:example.com works).
        const auth = this.#special ? rest.replace(/^\/*/, '') : rest.slice(2);
        const end = auth.search(/[/?#]/);
        const authority = end === -1 ? auth : auth.slice(0, end);
        this.#setAuthority(authority);
        this.#setTail(end === -1 ? '' : auth.slice(end));
        if (this.#special && protocol !== 'file:' && !this.#hostname) throw new TypeError(`Invalid URL: ${protocol}${rest}`);
      } else {
        // Opaque path (mailto:, data:, ...): kept as written.
        const q = rest.search(/[?#]/);
        this.#pathname = q === -1 ? rest : rest.slice(0, q);
        this.#setQueryHash(q === -1 ? '' : rest.slice(q));
      }
    }
    #setAuthority(/** @type {string} */ a) {
      const at = a.lastIndexOf('@');
      if (at !== -1) {
        const cred = a.slice(0, at);
        const c = cred.indexOf(':');
        this.#username = c === -1 ? cred : cred.slice(0, c);
        this.#password = c === -1 ? '' : cred.slice(c + 1);
        a = a.slice(at + 1);
      }
      const pm = /^(\[[0-9A-Fa-f:.]+\]|[^:]*)(?::(\d*))?$/.exec(a);
      if (!pm) throw new TypeError(`Invalid URL host: ${a}`);
      const host = /** @type {string} */ (pm[1]).toLowerCase();
      if (this.#special && /[\u0000\t\n\r #/:<>?@[\\\]^|%]/.test(host.replace(/^\[.*\]$/, ''))) throw new TypeError(`Invalid URL host: ${host}`);
      this.#hostname = host;
      const port = pm[2] ?? '';
      if (port !== '' && Number(port) > 65535) throw new TypeError(`Invalid URL port: ${port}`);
      this.#port = port === '' || String(Number(port)) === DEFAULT_PORT[this.#protocol] ? '' : String(Number(port));
    }
    #setTail(/** @type {string} */ t) {
      const q = t.search(/[?#]/);
      const path = q === -1 ? t : t.slice(0, q);
      this.#pathname = this.#special ? normPath(pathEnc(path || '/')) : pathEnc(path);
      this.#setQueryHash(q === -1 ? '' : t.slice(q));
    }
    #setQueryHash(/** @type {string} */ t) {
      const h = t.indexOf('#');
      const query = h === -1 ? t : t.slice(0, h);
      this.#search = query.length > 1 ? queryEnc(query) : '';
      this.#hash = h === -1 || h === t.length - 1 ? '' : '#' + fragEnc(t.slice(h + 1));
    }
    #resolve(/** @type {string} */ s, /** @type {URL} */ b) {
      this.#protocol = b.protocol;
      this.#special = b.protocol in DEFAULT_PORT;
      if (this.#special) s = s.replace(/\\/g, '/');
      if (s.startsWith('//')) { this.#parseAbsolute(b.protocol, s); return; }
      this.#username = b.username; this.#password = b.password; this.#hostname = b.hostname; this.#port = b.port;
      if (s === '') { this.#pathname = b.pathname; this.#search = b.search; return; }
      if (s[0] === '#') { this.#pathname = b.pathname; this.#search = b.search; this.#setQueryHash(s); return; }
      if (s[0] === '?') { this.#pathname = b.pathname; this.#setQueryHash(s); return; }
      if (s[0] === '/') { this.#setTail(s); return; }
      const dir = b.pathname.slice(0, b.pathname.lastIndexOf('/') + 1);
      this.#setTail(dir + s);
    }
    get protocol() { return this.#protocol; }
    set protocol(v) { const p = String(v).replace(/:?$/, ':').toLowerCase(); if ((p in DEFAULT_PORT) === this.#special) this.#protocol = p; }
    get username() { return this.#username; }
    set username(v) { this.#username = encodeURIComponent(String(v)); }
    get password() { return this.#password; }
    set password(v) { this.#password = encodeURIComponent(String(v)); }
    get hostname() { return this.#hostname; }
    set hostname(v) { this.#hostname = String(v).toLowerCase(); }
    get port() { return this.#port; }
    set port(v) { const p = String(v); if (p === '' || /^\d+$/.test(p)) this.#port = p === DEFAULT_PORT[this.#protocol] ? '' : p; }
    get host() { return this.#hostname + (this.#port ? ':' + this.#port : ''); }
    set host(v) { this.#setAuthority(String(v)); }
    get origin() { return this.#special && this.#protocol !== 'file:' ? this.#protocol + '//' + this.host : 'null'; }
    get pathname() { return this.#pathname; }
    set pathname(v) { const p = String(v); this.#pathname = this.#special ? normPath(pathEnc(p.startsWith('/') ? p : '/' + p)) : pathEnc(p); }
    get search() { return this.#search.length > 1 ? this.#search : ''; }
    set search(v) { const q = String(v).replace(/^\?/, ''); this.#search = q ? '?' + queryEnc(q) : ''; URLSearchParams.attach(this.#sp, this.#search, (/** @type {string} */ x) => { this.#search = x ? '?' + x : ''; }); }
    get searchParams() { return this.#sp; }
    get hash() { return this.#hash; }
    set hash(v) { const h = String(v).replace(/^#/, ''); this.#hash = h ? '#' + fragEnc(h) : ''; }
    get href() {
      const cred = this.#username || this.#password ? this.#username + (this.#password ? ':' + this.#password : '') + '@' : '';
      const auth = this.#special || this.#hostname ? '//' + cred + this.host : '';
      return this.#protocol + auth + this.#pathname + this.search + this.#hash;
    }
    set href(v) { const u = new URL(v); this.#protocol = u.protocol; this.#special = u.protocol in DEFAULT_PORT; this.#setAuthority(u.host); this.#username = u.username; this.#password = u.password; this.#pathname = u.pathname; this.search = u.search; this.#hash = u.hash; }
    toString() { return this.href; }
    toJSON() { return this.href; }
    get [Symbol.toStringTag]() { return 'URL'; }
  }
  define('URL', URL);
  ns.URL = URL;
  ns.URLSearchParams = URLSearchParams;
}
