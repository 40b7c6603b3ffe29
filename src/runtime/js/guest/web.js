/*
 * Guest-side Web APIs for isoedge isolates: Headers, URL, URLSearchParams,
 * TextEncoder/TextDecoder, atob/btoa, structuredClone, queueMicrotask.
 * A bare V8 isolate has none of these. This file is evaluated once per
 * pre-warmed isolate (before any tenant code), so it must stay small: every
 * byte here is heap in every idle instance. It defines globals only; the
 * host bridge is wired in prelude.js.
 */
(function () {
  'use strict';
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });

  // ---- TextEncoder / TextDecoder (UTF-8 only, as in Workers) ----
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') {
      const s = String(input);
      const out = new Uint8Array(s.length * 3);
      let p = 0;
      for (let i = 0; i < s.length; i++) {
        let c = s.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
          const d = s.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; } else c = 0xfffd;
        } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
        if (c < 0x80) out[p++] = c;
        else if (c < 0x800) { out[p++] = 0xc0 | (c >> 6); out[p++] = 0x80 | (c & 63); }
        else if (c < 0x10000) { out[p++] = 0xe0 | (c >> 12); out[p++] = 0x80 | ((c >> 6) & 63); out[p++] = 0x80 | (c & 63); }
        else { out[p++] = 0xf0 | (c >> 18); out[p++] = 0x80 | ((c >> 12) & 63); out[p++] = 0x80 | ((c >> 6) & 63); out[p++] = 0x80 | (c & 63); }
      }
      return out.slice(0, p);
    }
  }
  class TextDecoder {
    constructor(label = 'utf-8', opts = {}) {
      const l = String(label).toLowerCase();
      if (l !== 'utf-8' && l !== 'utf8') throw new RangeError(`TextDecoder: unsupported encoding ${label}`);
      this.fatal = !!opts.fatal;
      this.ignoreBOM = !!opts.ignoreBOM;
    }
    get encoding() { return 'utf-8'; }
    decode(input) {
      if (input === undefined) return '';
      const b = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      let s = '';
      let chunk = [];
      let i = (!this.ignoreBOM && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) ? 3 : 0;
      const bad = () => { if (this.fatal) throw new TypeError('The encoded data was not valid utf-8'); return 0xfffd; };
      while (i < b.length) {
        const c = b[i];
        let cp;
        let n = 0;
        if (c < 0x80) { cp = c; n = 1; }
        else if (c >= 0xc2 && c < 0xe0) { cp = c & 31; n = 2; }
        else if (c >= 0xe0 && c < 0xf0) { cp = c & 15; n = 3; }
        else if (c >= 0xf0 && c < 0xf5) { cp = c & 7; n = 4; }
        else { cp = bad(); n = 1; }
        if (n > 1) {
          let ok = i + n <= b.length;
          for (let k = 1; ok && k < n; k++) { const x = b[i + k]; if ((x & 0xc0) !== 0x80) ok = false; else cp = (cp << 6) | (x & 63); }
          if (ok && ((n === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
          if (!ok) { cp = bad(); n = 1; }
        }
        i += n;
        if (cp >= 0x10000) { cp -= 0x10000; chunk.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023)); } else chunk.push(cp);
        if (chunk.length > 8192) { s += String.fromCharCode.apply(null, chunk); chunk = []; }
      }
      return s + String.fromCharCode.apply(null, chunk);
    }
  }
  define('TextEncoder', TextEncoder);
  define('TextDecoder', TextDecoder);

  // ---- atob / btoa ----
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  define('btoa', function btoa(data) {
    const s = String(data);
    let out = '';
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
      if (a > 255 || b > 255 || c > 255) throw new Error('btoa: the string contains characters outside of the Latin1 range');
      const n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < s.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < s.length ? B64[n & 63] : '=');
    }
    return out;
  });
  define('atob', function atob(data) {
    let s = String(data).replace(/[\t\n\f\r ]/g, '');
    if (s.length % 4 === 0) s = s.replace(/==?$/, '');
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw new Error('atob: the string to be decoded is not correctly encoded');
    let out = '';
    let bits = 0, acc = 0;
    for (let i = 0; i < s.length; i++) {
      acc = (acc << 6) | B64.indexOf(s[i]);
      bits += 6;
      if (bits >= 8) { bits -= 8; out += String.fromCharCode((acc >> bits) & 255); }
    }
    return out;
  });

  // ---- Headers: ordered [lower-name, value] pairs; repeats kept (set-cookie) ----
  const validName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
  const norm = (v) => String(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  class Headers {
    #list = [];
    constructor(init) {
      if (init == null) return;
      if (init instanceof Headers) { this.#list = init.#list.map((p) => [p[0], p[1]]); return; }
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeError('Headers: each header pair must be [name, value]');
          this.append(p[0], p[1]);
        }
      } else if (typeof init === 'object') for (const k of Object.keys(init)) this.append(k, init[k]);
      else throw new TypeError('Headers: init must be an object, an array of pairs or Headers');
    }
    static #key(name) {
      const n = String(name);
      if (!validName.test(n)) throw new TypeError(`Headers: invalid header name ${JSON.stringify(n)}`);
      return n.toLowerCase();
    }
    append(name, value) { this.#list.push([Headers.#key(name), norm(value)]); }
    set(name, value) {
      const k = Headers.#key(name);
      const i = this.#list.findIndex((p) => p[0] === k);
      if (i === -1) { this.#list.push([k, norm(value)]); return; }
      this.#list[i][1] = norm(value);
      this.#list = this.#list.filter((p, j) => j <= i || p[0] !== k);
    }
    get(name) {
      const k = Headers.#key(name);
      const vals = this.#list.filter((p) => p[0] === k).map((p) => p[1]);
      return vals.length ? vals.join(', ') : null;
    }
    getSetCookie() { return this.#list.filter((p) => p[0] === 'set-cookie').map((p) => p[1]); }
    getAll(name) { const k = Headers.#key(name); return this.#list.filter((p) => p[0] === k).map((p) => p[1]); }
    has(name) { const k = Headers.#key(name); return this.#list.some((p) => p[0] === k); }
    delete(name) { const k = Headers.#key(name); this.#list = this.#list.filter((p) => p[0] !== k); }
    *entries() {
      // Combined per name, sorted, as the Fetch standard iterates; set-cookie stays separate.
      const names = [...new Set(this.#list.map((p) => p[0]))].sort();
      for (const n of names) {
        if (n === 'set-cookie') for (const v of this.getSetCookie()) yield [n, v];
        else yield [n, this.get(n)];
      }
    }
    *keys() { for (const [k] of this.entries()) yield k; }
    *values() { for (const [, v] of this.entries()) yield v; }
    forEach(cb, thisArg) { for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this); }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return 'Headers'; }
    /** Raw pairs in insertion order, for the host bridge. */
    static pairs(h) { return h.#list.map((p) => [p[0], p[1]]); }
  }
  define('Headers', Headers);

  // ---- URLSearchParams ----
  const decodeQ = (s) => { try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return s; } };
  const encodeQ = (s) => encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  class URLSearchParams {
    #list = [];
    #onChange = null;
    constructor(init = '') {
      if (typeof init === 'string') this.#parse(init);
      else if (init instanceof URLSearchParams) this.#list = init.#list.map((p) => [p[0], p[1]]);
      else if (init && typeof init[Symbol.iterator] === 'function') for (const [k, v] of init) this.#list.push([String(k), String(v)]);
      else if (init && typeof init === 'object') for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
    }
    #parse(s) {
      this.#list = [];
      for (const part of s.replace(/^\?/, '').split('&')) {
        if (!part) continue;
        const eq = part.indexOf('=');
        this.#list.push(eq === -1 ? [decodeQ(part), ''] : [decodeQ(part.slice(0, eq)), decodeQ(part.slice(eq + 1))]);
      }
    }
    #changed() { if (this.#onChange) this.#onChange(this.toString()); }
    static attach(p, query, onChange) { p.#parse(query); p.#onChange = onChange; }
    get size() { return this.#list.length; }
    append(k, v) { this.#list.push([String(k), String(v)]); this.#changed(); }
    delete(k, v) { this.#list = this.#list.filter((p) => p[0] !== String(k) || (v !== undefined && p[1] !== String(v))); this.#changed(); }
    get(k) { const p = this.#list.find((x) => x[0] === String(k)); return p ? p[1] : null; }
    getAll(k) { return this.#list.filter((x) => x[0] === String(k)).map((x) => x[1]); }
    has(k, v) { return this.#list.some((x) => x[0] === String(k) && (v === undefined || x[1] === String(v))); }
    set(k, v) {
      const key = String(k);
      const i = this.#list.findIndex((x) => x[0] === key);
      if (i === -1) this.#list.push([key, String(v)]);
      else { this.#list[i][1] = String(v); this.#list = this.#list.filter((x, j) => j <= i || x[0] !== key); }
      this.#changed();
    }
    sort() { this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this.#changed(); }
    *entries() { for (const p of this.#list) yield [p[0], p[1]]; }
    *keys() { for (const p of this.#list) yield p[0]; }
    *values() { for (const p of this.#list) yield p[1]; }
    forEach(cb, thisArg) { for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this); }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this.#list.map((p) => encodeQ(p[0]) + '=' + encodeQ(p[1])).join('&'); }
  }
  define('URLSearchParams', URLSearchParams);

  // ---- URL: WHATWG parsing for special schemes (http, https, ws, wss, ftp, file) and opaque others ----
  const DEFAULT_PORT = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21', 'file:': '' };
  const pathEnc = (s) => s.replace(/[\u0000-\u0020"#<>?`{}\u007f-\uffff]/g, (c) => encodeURIComponent(c));
  const queryEnc = (s) => s.replace(/[\u0000-\u0020"#<>\u007f-\uffff]/g, (c) => encodeURIComponent(c));
  const fragEnc = (s) => s.replace(/[\u0000-\u0020"<>`\u007f-\uffff]/g, (c) => encodeURIComponent(c));
  function normPath(path) {
    const out = [];
    const segs = path.split('/');
    for (let i = 1; i < segs.length; i++) {
      const s = segs[i];
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
    constructor(input, base) {
      let s = String(input).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
      const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(s);
      if (m) this.#parseAbsolute(m[1].toLowerCase() + ':', m[2]);
      else {
        if (base === undefined) throw new TypeError(`Invalid URL: ${String(input)}`);
        const b = base instanceof URL ? base : new URL(base);
        this.#resolve(s, b);
      }
      URLSearchParams.attach(this.#sp, this.#search, (q) => { this.#search = q ? '?' + q : ''; });
    }
    static canParse(input, base) { try { new URL(input, base); return true; } catch { return false; } }
    static parse(input, base) { try { return new URL(input, base); } catch { return null; } }
    #parseAbsolute(protocol, rest) {
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
    #setAuthority(a) {
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
      const host = pm[1].toLowerCase();
      if (this.#special && /[\u0000\t\n\r #/:<>?@[\\\]^|%]/.test(host.replace(/^\[.*\]$/, ''))) throw new TypeError(`Invalid URL host: ${host}`);
      this.#hostname = host;
      const port = pm[2] ?? '';
      if (port !== '' && Number(port) > 65535) throw new TypeError(`Invalid URL port: ${port}`);
      this.#port = port === '' || String(Number(port)) === DEFAULT_PORT[this.#protocol] ? '' : String(Number(port));
    }
    #setTail(t) {
      const q = t.search(/[?#]/);
      const path = q === -1 ? t : t.slice(0, q);
      this.#pathname = this.#special ? normPath(pathEnc(path || '/')) : pathEnc(path);
      this.#setQueryHash(q === -1 ? '' : t.slice(q));
    }
    #setQueryHash(t) {
      const h = t.indexOf('#');
      const query = h === -1 ? t : t.slice(0, h);
      this.#search = query.length > 1 ? queryEnc(query) : '';
      this.#hash = h === -1 || h === t.length - 1 ? '' : '#' + fragEnc(t.slice(h + 1));
    }
    #resolve(s, b) {
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
    set search(v) { const q = String(v).replace(/^\?/, ''); this.#search = q ? '?' + queryEnc(q) : ''; URLSearchParams.attach(this.#sp, this.#search, (x) => { this.#search = x ? '?' + x : ''; }); }
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

  // ---- structuredClone: the serializable built-ins, cycles kept; functions and symbols refused ----
  define('structuredClone', function structuredClone(value) {
    const seen = new Map();
    const clone = (v) => {
      if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
        if (typeof v === 'symbol') throw new TypeError('structuredClone: a Symbol could not be cloned');
        return v;
      }
      if (typeof v === 'function') throw new TypeError('structuredClone: a function could not be cloned');
      if (seen.has(v)) return seen.get(v);
      let out;
      if (v instanceof Date) out = new Date(v.getTime());
      else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
      else if (v instanceof ArrayBuffer) out = v.slice(0);
      else if (ArrayBuffer.isView(v)) out = new v.constructor(clone(v.buffer), v.byteOffset, v instanceof DataView ? v.byteLength : v.length);
      else if (v instanceof Map) { out = new Map(); seen.set(v, out); for (const [k, x] of v) out.set(clone(k), clone(x)); return out; }
      else if (v instanceof Set) { out = new Set(); seen.set(v, out); for (const x of v) out.add(clone(x)); return out; }
      else if (v instanceof Error) { out = new (globalThis[v.name] || Error)(v.message); if (v.stack) out.stack = v.stack; }
      else if (v instanceof Boolean || v instanceof Number || v instanceof String) out = Object(v.valueOf());
      else if (Array.isArray(v)) { out = new Array(v.length); seen.set(v, out); for (const k of Object.keys(v)) out[k] = clone(v[k]); return out; }
      else { out = {}; seen.set(v, out); for (const k of Object.keys(v)) out[k] = clone(v[k]); return out; }
      seen.set(v, out);
      return out;
    };
    return clone(value);
  });
  define('queueMicrotask', function queueMicrotask(cb) {
    if (typeof cb !== 'function') throw new TypeError('queueMicrotask: callback must be a function');
    Promise.resolve().then(cb);
  });
  define('self', globalThis);
  define('navigator', Object.freeze({ userAgent: 'isoedge' }));
})();
