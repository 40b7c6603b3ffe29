// @ts-check
/*
 * Blob and File (File API §3, §4), FormData (XHR §5) and the two FormData encodings a body uses:
 * multipart/form-data (serialized with a boundary when a FormData is a body; parsed by formData())
 * and application/x-www-form-urlencoded (parsed by formData()). A Blob's bytes live in the guest
 * as one immutable Uint8Array; slices copy.
 */
{
  const { define, bufferSource } = ns;
  const { ReflectApply } = ns.primordials;
  const enc = new ns.TextEncoder();
  const dec = new ns.TextDecoder();
  const u8Set = Uint8Array.prototype.set;
  const u8Slice = Uint8Array.prototype.slice;
  /** USVString conversion (WebIDL): lone surrogates become U+FFFD. */
  const toWellFormed = /** @type {any} */ (String.prototype).toWellFormed;
  /** @type {(s: unknown) => string} */
  const usv = (s) => ReflectApply(toWellFormed, String(s), []);

  /** A type as the File API keeps it: lower-cased, or '' if any character is outside U+0020–U+007E. */
  /** @type {(t: unknown) => string} */
  const normalizeType = (t) => {
    const s = t === undefined ? '' : String(t);
    for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c < 0x20 || c > 0x7e) return ''; }
    return s.toLowerCase();
  };

  /** A Blob's bytes (its private field, read and set by the runtime only). */
  /** @type {(b: any) => Uint8Array} */
  let blobBytes = () => new Uint8Array(0);
  /** @type {(b: any, bytes: Uint8Array) => void} */
  let setBytes = () => {};

  class Blob {
    /** @type {Uint8Array} */ #bytes;
    static {
      blobBytes = (b) => b.#bytes;
      setBytes = (b, bytes) => { b.#bytes = bytes; };
    }
    /** @type {string} */ #type;
    constructor(/** @type {unknown} */ blobParts = undefined, /** @type {any} */ options = undefined) {
      if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'function') throw new TypeError('Blob: options must be an object');
      const endings = options?.endings === undefined ? 'transparent' : String(options.endings);
      if (endings !== 'transparent' && endings !== 'native') throw new TypeError(`Blob: endings must be 'transparent' or 'native', not '${endings}'`);
      const type = normalizeType(options?.type);
      /** @type {Uint8Array[]} */
      const parts = [];
      if (blobParts !== undefined && blobParts !== null) {
        if (typeof blobParts !== 'object' && typeof blobParts !== 'function') throw new TypeError('Blob: blobParts must be a sequence');
        const iter = /** @type {any} */ (blobParts)[Symbol.iterator];
        if (typeof iter !== 'function') throw new TypeError('Blob: blobParts must be a sequence');
        for (const part of /** @type {Iterable<unknown>} */ (blobParts)) {
          if (part instanceof Blob) parts[parts.length] = part.#bytes;
          else if (part instanceof ArrayBuffer || ArrayBuffer.isView(part)) parts[parts.length] = ReflectApply(u8Slice, bufferSource(part, 'Blob'), []);
          else {
            let s = usv(part);
            if (endings === 'native') s = s.replace(/\r\n|\r/g, '\n');
            parts[parts.length] = enc.encode(s);
          }
        }
      }
      let total = 0;
      for (const p of parts) total += p.byteLength;
      const bytes = new Uint8Array(total);
      let at = 0;
      for (const p of parts) { ReflectApply(u8Set, bytes, [p, at]); at += p.byteLength; }
      this.#bytes = bytes;
      this.#type = type;
    }
    get size() { return this.#bytes.byteLength; }
    get type() { return this.#type; }
    slice(/** @type {unknown} */ start = undefined, /** @type {unknown} */ end = undefined, /** @type {unknown} */ contentType = undefined) {
      const size = this.#bytes.byteLength;
      /** @type {(v: unknown, d: number) => number} */
      const rel = (v, d) => {
        if (v === undefined) return d;
        const n = Math.trunc(Number(v)) || 0;
        return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
      };
      const from = rel(start, 0);
      const to = rel(end, size);
      const b = new Blob([], { type: contentType === undefined ? '' : contentType });
      b.#bytes = ReflectApply(u8Slice, this.#bytes, [from, Math.max(to, from)]);
      return b;
    }
    async text() { return dec.decode(this.#bytes); }
    async arrayBuffer() { return ReflectApply(u8Slice, this.#bytes, []).buffer; }
    async bytes() { return ReflectApply(u8Slice, this.#bytes, []); }
    stream() { return ns.byteStream(this.#bytes); }
    get [Symbol.toStringTag]() { return 'Blob'; }
  }

  class File extends Blob {
    /** @type {string} */ #name;
    /** @type {number} */ #lastModified;
    constructor(/** @type {unknown} */ fileBits, /** @type {unknown} */ fileName, /** @type {any} */ options = undefined) {
      if (arguments.length < 2) throw new TypeError(`File: 2 arguments required, but only ${arguments.length} present`);
      super(fileBits, options);
      this.#name = usv(fileName);
      const lm = options?.lastModified;
      this.#lastModified = lm === undefined ? Date.now() : Math.trunc(Number(lm)) || 0;
    }
    get name() { return this.#name; }
    get lastModified() { return this.#lastModified; }
    get webkitRelativePath() { return ''; }
    /** @override */
    get [Symbol.toStringTag]() { return 'File'; }
  }

  /** @typedef {[string, string | File]} Entry */
  /** XHR §5.1 "create an entry": a Blob that is not a File becomes File 'blob'; a filename renames. */
  /** @type {(name: unknown, value: unknown, filename: unknown, argc: number) => Entry} */
  const entry = (name, value, filename, argc) => {
    const n = usv(name);
    if (!(value instanceof Blob)) {
      if (argc > 2) throw new TypeError("FormData: parameter 2 is not of type 'Blob'");
      return [n, usv(value)];
    }
    if (!(value instanceof File) || filename !== undefined) {
      const f = new File([], filename !== undefined ? usv(filename) : value instanceof File ? value.name : 'blob', { type: value.type, lastModified: value instanceof File ? value.lastModified : undefined });
      setBytes(f, blobBytes(value));
      return [n, f];
    }
    return [n, value];
  };

  /** @type {(fd: any) => Entry[]} */
  let entriesOf = () => [];
  class FormData {
    /** @type {Entry[]} */ #entries = [];
    static { entriesOf = (fd) => fd.#entries; }
    constructor(/** @type {unknown} */ form = undefined) {
      if (form !== undefined) throw new TypeError("FormData: parameter 1 is not of type 'HTMLFormElement' (there are no forms here)");
    }
    append(/** @type {unknown} */ name, /** @type {unknown} */ value, /** @type {unknown} */ filename = undefined) {
      if (arguments.length < 2) throw new TypeError('FormData.append: 2 arguments required');
      this.#entries.push(entry(name, value, filename, arguments.length));
    }
    set(/** @type {unknown} */ name, /** @type {unknown} */ value, /** @type {unknown} */ filename = undefined) {
      if (arguments.length < 2) throw new TypeError('FormData.set: 2 arguments required');
      const e = entry(name, value, filename, arguments.length);
      const list = this.#entries;
      const i = list.findIndex((x) => x[0] === e[0]);
      if (i < 0) { list.push(e); return; }
      list[i] = e;
      this.#entries = list.filter((x, j) => j <= i || x[0] !== e[0]);
    }
    get(/** @type {unknown} */ name) {
      if (arguments.length < 1) throw new TypeError('FormData.get: 1 argument required');
      const n = usv(name);
      const e = this.#entries.find((x) => x[0] === n);
      return e ? e[1] : null;
    }
    getAll(/** @type {unknown} */ name) {
      if (arguments.length < 1) throw new TypeError('FormData.getAll: 1 argument required');
      const n = usv(name);
      return this.#entries.filter((x) => x[0] === n).map((x) => x[1]);
    }
    has(/** @type {unknown} */ name) {
      if (arguments.length < 1) throw new TypeError('FormData.has: 1 argument required');
      const n = usv(name);
      return this.#entries.some((x) => x[0] === n);
    }
    delete(/** @type {unknown} */ name) {
      if (arguments.length < 1) throw new TypeError('FormData.delete: 1 argument required');
      const n = usv(name);
      this.#entries = this.#entries.filter((x) => x[0] !== n);
    }
    forEach(/** @type {(value: unknown, key: string, parent: FormData) => void} */ callback, /** @type {unknown} */ thisArg = undefined) {
      if (typeof callback !== 'function') throw new TypeError('FormData.forEach: the callback is not a function');
      for (let i = 0; i < this.#entries.length; i++) { const e = /** @type {Entry} */ (this.#entries[i]); ReflectApply(callback, thisArg, [e[1], e[0], this]); }
    }
    *entries() { for (let i = 0; i < this.#entries.length; i++) { const e = /** @type {Entry} */ (this.#entries[i]); yield [e[0], e[1]]; } }
    *keys() { for (let i = 0; i < this.#entries.length; i++) yield /** @type {Entry} */ (this.#entries[i])[0]; }
    *values() { for (let i = 0; i < this.#entries.length; i++) yield /** @type {Entry} */ (this.#entries[i])[1]; }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return 'FormData'; }
  }

  // ---- multipart/form-data (HTML §4.10.21.8, RFC 7578) ----
  /** Names and filenames in a Content-Disposition: quotes and line breaks percent-encoded, as browsers do. */
  /** @type {(s: string) => string} */
  const escapeName = (s) => s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
  /** @type {() => string} */
  const boundary = () => {
    let s = '----isoedge-';
    for (let i = 0; i < 24; i++) s += '0123456789abcdef'.charAt(Math.floor(Math.random() * 16));
    return s;
  };
  /** @type {(fd: FormData) => [Uint8Array, string]} */
  const serializeFormData = (fd) => {
    const b = boundary();
    /** @type {Uint8Array[]} */
    const parts = [];
    for (const [name, value] of entriesOf(fd)) {
      // Line breaks in names and string values are normalized to CRLF first (HTML "constructing the entry list").
      const n = escapeName(name.replace(/\r\n|\r|\n/g, '\r\n'));
      if (typeof value === 'string') {
        parts.push(enc.encode(`--${b}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${value.replace(/\r\n|\r|\n/g, '\r\n')}\r\n`));
      } else {
        parts.push(enc.encode(`--${b}\r\nContent-Disposition: form-data; name="${n}"; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`));
        parts.push(blobBytes(value), enc.encode('\r\n'));
      }
    }
    parts.push(enc.encode(`--${b}--\r\n`));
    const out = blobBytes(new Blob(parts));
    return [out, `multipart/form-data; boundary=${b}`];
  };

  /** A parameter of a Content-Type or Content-Disposition value (quoted or a token), or undefined. */
  /** @type {(header: string, key: string) => string | undefined} */
  const param = (header, key) => {
    const re = new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i');
    const m = re.exec(header);
    if (!m) return undefined;
    return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
  };
  /** @type {(s: string) => string} */
  const unescapeName = (s) => s.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%22/g, '"');
  /** @type {(hay: Uint8Array, needle: Uint8Array, from: number) => number} */
  const indexOf = (hay, needle, from) => {
    const first = needle[0];
    outer: for (let i = hay.indexOf(/** @type {number} */ (first), from); i >= 0 && i + needle.length <= hay.length; i = hay.indexOf(/** @type {number} */ (first), i + 1)) {
      for (let k = 1; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
      return i;
    }
    return -1;
  };
  /** @type {() => never} */
  const malformed = () => { throw new TypeError('formData(): the body is not valid multipart/form-data'); };

  /** Parses a body for formData(): multipart/form-data or application/x-www-form-urlencoded, else a TypeError. */
  /** @type {(bytes: Uint8Array, contentType: string) => FormData} */
  const parseFormData = (bytes, contentType) => {
    const essence = (contentType.split(';')[0] || '').trim().toLowerCase();
    const fd = new FormData();
    if (essence === 'application/x-www-form-urlencoded') {
      for (const [k, v] of new ns.URLSearchParams(dec.decode(bytes))) fd.append(k, v);
      return fd;
    }
    if (essence !== 'multipart/form-data') throw new TypeError(`formData(): the body's content type is not multipart/form-data or application/x-www-form-urlencoded (${contentType || 'none'})`);
    const b = param(contentType, 'boundary');
    if (!b) malformed();
    const delim = enc.encode(`--${b}`);
    const crlf2 = enc.encode('\r\n\r\n');
    let at = indexOf(bytes, delim, 0);
    if (at < 0) malformed();
    for (;;) {
      at += delim.length;
      if (bytes[at] === 0x2d && bytes[at + 1] === 0x2d) return fd; // the closing delimiter
      if (bytes[at] !== 0x0d || bytes[at + 1] !== 0x0a) malformed();
      at += 2;
      const headEnd = indexOf(bytes, crlf2, at);
      if (headEnd < 0) malformed();
      const head = dec.decode(bytes.subarray(at, headEnd));
      const next = indexOf(bytes, enc.encode(`\r\n--${b}`), headEnd + 4);
      if (next < 0) malformed();
      const content = ReflectApply(u8Slice, bytes, [headEnd + 4, next]);
      /** @type {string | undefined} */ let disposition;
      let type = '';
      for (const line of head.split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const k = line.slice(0, colon).trim().toLowerCase();
        const v = line.slice(colon + 1).trim();
        if (k === 'content-disposition') disposition = v;
        else if (k === 'content-type') type = v;
      }
      if (disposition === undefined || !/^form-data\s*(;|$)/i.test(disposition)) malformed();
      const name = param(/** @type {string} */ (disposition), 'name');
      if (name === undefined) malformed();
      const filename = param(/** @type {string} */ (disposition), 'filename');
      if (filename !== undefined) {
        const f = new File([], unescapeName(filename), { type: type || 'text/plain' });
        setBytes(f, content);
        fd.append(unescapeName(/** @type {string} */ (name)), f);
      } else fd.append(unescapeName(/** @type {string} */ (name)), dec.decode(content));
      at = next + 2;
    }
  };

  define('Blob', Blob);
  define('File', File);
  define('FormData', FormData);
  Object.assign(ns, { Blob, File, FormData, blobBytes, serializeFormData, parseFormData });
}
