// @ts-check
/* Headers: ordered [lower-name, value] pairs; repeats kept (set-cookie). */
{
  const { define } = ns;
  const validName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
  const norm = (/** @type {unknown} */ v) => String(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  class Headers {
    /** @type {[string, string][]} */
    #list = [];
    constructor(/** @type {any} */ init) {
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
    static #key(/** @type {unknown} */ name) {
      const n = String(name);
      if (!validName.test(n)) throw new TypeError(`Headers: invalid header name ${JSON.stringify(n)}`);
      return n.toLowerCase();
    }
    append(/** @type {unknown} */ name, /** @type {unknown} */ value) { this.#list.push([Headers.#key(name), norm(value)]); }
    set(/** @type {unknown} */ name, /** @type {unknown} */ value) {
      const k = Headers.#key(name);
      const i = this.#list.findIndex((p) => p[0] === k);
      if (i === -1) { this.#list.push([k, norm(value)]); return; }
      /** @type {[string, string]} */ (this.#list[i])[1] = norm(value);
      this.#list = this.#list.filter((p, j) => j <= i || p[0] !== k);
    }
    get(/** @type {unknown} */ name) {
      const k = Headers.#key(name);
      const vals = this.#list.filter((p) => p[0] === k).map((p) => p[1]);
      return vals.length ? vals.join(', ') : null;
    }
    getSetCookie() { return this.#list.filter((p) => p[0] === 'set-cookie').map((p) => p[1]); }
    getAll(/** @type {unknown} */ name) { const k = Headers.#key(name); return this.#list.filter((p) => p[0] === k).map((p) => p[1]); }
    has(/** @type {unknown} */ name) { const k = Headers.#key(name); return this.#list.some((p) => p[0] === k); }
    delete(/** @type {unknown} */ name) { const k = Headers.#key(name); this.#list = this.#list.filter((p) => p[0] !== k); }
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
    forEach(/** @type {Function} */ cb, /** @type {unknown} */ thisArg) { for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this); }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return 'Headers'; }
    /** Raw pairs in insertion order, for the host bridge. */
    static pairs(/** @type {Headers} */ h) { return h.#list.map((p) => [p[0], p[1]]); }
  }
  define('Headers', Headers);
  ns.Headers = Headers;
}
