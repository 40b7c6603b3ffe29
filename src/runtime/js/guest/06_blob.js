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
      if (blobParts !== undefined) {
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
      // In place: an iterator over the list sees the change (XHR §5, iteration is live).
      for (let j = list.length - 1; j > i; j--) if (/** @type {Entry} */ (list[j])[0] === e[0]) list.splice(j, 1);
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
      const list = this.#entries;
      for (let j = list.length - 1; j >= 0; j--) if (/** @type {Entry} */ (list[j])[0] === n) list.splice(j, 1);
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

  // ---- MIME types (MIME Sniffing §4.4 parse, §4.5 serialize) and Fetch's "extract a MIME type" ----
  const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
  const QUOTED_OK = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;
  const WS = /^[\t\n\r ]+|[\t\n\r ]+$/g;
  /** @typedef {{ type: string, subtype: string, params: Map<string, string> }} MimeType */
  /** @type {(input: string) => MimeType | null} */
  const parseMime = (input) => {
    const s = input.replace(WS, '');
    const slash = s.indexOf('/');
    if (slash < 0) return null;
    const type = s.slice(0, slash);
    let i = s.indexOf(';', slash);
    if (i < 0) i = s.length;
    const subtype = s.slice(slash + 1, i).replace(/[\t\n\r ]+$/, '');
    if (!TOKEN.test(type) || !TOKEN.test(subtype)) return null;
    const params = new Map();
    while (i < s.length) {
      i++; // the ';'
      while (i < s.length && /[\t\n\r ]/.test(/** @type {string} */ (s[i]))) i++;
      let j = i;
      while (j < s.length && s[j] !== ';' && s[j] !== '=') j++;
      const name = s.slice(i, j).toLowerCase();
      i = j;
      if (i >= s.length) break;
      if (s[i] === ';') continue;
      i++; // the '='
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') { if (s[i] === '\\' && i + 1 < s.length) i++; value += s[i]; i++; }
        while (i < s.length && s[i] !== ';') i++;
      } else {
        let k = s.indexOf(';', i);
        if (k < 0) k = s.length;
        value = s.slice(i, k).replace(/[\t\n\r ]+$/, '');
        i = k;
        if (value === '') continue;
      }
      if (name !== '' && TOKEN.test(name) && QUOTED_OK.test(value) && !params.has(name)) params.set(name, value);
    }
    return { type: type.toLowerCase(), subtype: subtype.toLowerCase(), params };
  };
  /** @type {(m: MimeType) => string} */
  const serializeMime = (m) => {
    let out = `${m.type}/${m.subtype}`;
    for (const [k, v] of m.params) out += `;${k}=${TOKEN.test(v) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`}`;
    return out;
  };
  /** Fetch §3.1.7 "extract a MIME type" from header values: the last valid one, or null. */
  /** @type {(values: string[]) => MimeType | null} */
  const extractMime = (values) => {
    /** @type {MimeType | null} */ let found = null;
    for (const value of values) {
      // Split on commas outside quoted strings.
      for (const part of value.match(/(?:[^,"]|"(?:[^"\\]|\\.)*"?)+/g) || []) {
        const m = parseMime(part);
        if (m === null || (m.type === '*' && m.subtype === '*')) continue;
        found = m;
      }
    }
    return found;
  };

  // ---- multipart/form-data parsing (RFC 7578 as the WPT fetch/api/body tests pin it down) ----
  /** A Content-Disposition parameter: a quoted value (no escapes) or a token; undefined if absent. */
  /** @type {(header: string, key: string) => string | undefined} */
  const dispositionParam = (header, key) => {
    const m = new RegExp(`;\\s*${key}\\s*=\\s*(?:"([^"]*)"|([^;\\s"]*))`, 'i').exec(header);
    return m === null ? undefined : m[1] !== undefined ? m[1] : m[2];
  };
  /** @type {(hay: Uint8Array, needle: Uint8Array, from: number) => number} */
  const indexOf = (hay, needle, from) => {
    const first = /** @type {number} */ (needle[0]);
    outer: for (let i = hay.indexOf(first, from); i >= 0 && i + needle.length <= hay.length; i = hay.indexOf(first, i + 1)) {
      for (let k = 1; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
      return i;
    }
    return -1;
  };
  /** @type {(why: string) => never} */
  const malformed = (why) => { throw new TypeError(`formData(): the body is not valid multipart/form-data (${why})`); };
  /** @type {(bytes: Uint8Array, at: number) => number} past spaces and tabs (transport padding) */
  const skipPadding = (bytes, at) => { while (bytes[at] === 0x20 || bytes[at] === 0x09) at++; return at; };

  /** @type {(bytes: Uint8Array, boundary: string) => FormData} */
  const parseMultipart = (bytes, boundary) => {
    const fd = new FormData();
    const delim = enc.encode(`--${boundary}`);
    const next = enc.encode(`\r\n--${boundary}`);
    for (let k = 0; k < delim.length; k++) if (bytes[k] !== delim[k]) malformed('it does not start with the boundary');
    let at = delim.length;
    for (;;) {
      if (bytes[at] === 0x2d && bytes[at + 1] === 0x2d) {
        at = skipPadding(bytes, at + 2);
        if (at < bytes.length && (bytes[at] !== 0x0d || bytes[at + 1] !== 0x0a)) malformed('junk after the close delimiter');
        return fd;
      }
      at = skipPadding(bytes, at);
      if (bytes[at] !== 0x0d || bytes[at + 1] !== 0x0a) malformed('no CRLF after a delimiter');
      at += 2;
      /** @type {string | undefined} */ let disposition;
      /** @type {string[]} */ const types = [];
      let headers = 0;
      for (;;) {
        const eol = indexOf(bytes, CRLF, at);
        if (eol < 0) malformed('the headers do not end');
        if (eol === at) { at += 2; break; }
        const line = dec.decode(bytes.subarray(at, eol));
        at = eol + 2;
        headers++;
        if (/[\r\n\0]/.test(line)) malformed('a header holds CR, LF or NUL');
        const colon = line.indexOf(':');
        if (colon < 0) malformed('a header has no colon');
        const name = line.slice(0, colon).replace(/^[\t ]+|[\t ]+$/g, '');
        if (!TOKEN.test(name)) malformed('a header name is not a token');
        const value = line.slice(colon + 1).replace(/^[\t ]+|[\t ]+$/g, '');
        const lower = name.toLowerCase();
        if (lower === 'content-disposition') disposition = value;
        else if (lower === 'content-type') types.push(value);
      }
      if (headers === 0) malformed('a part has no headers');
      if (disposition === undefined || !/^form-data[\t ]*(;|$)/i.test(disposition)) malformed('a part has no Content-Disposition: form-data');
      const name = dispositionParam(/** @type {string} */ (disposition), 'name');
      if (name === undefined) malformed('a part has no name');
      const end = indexOf(bytes, next, at);
      if (end < 0) malformed('no close delimiter');
      const content = ReflectApply(u8Slice, bytes, [at, end]);
      const filename = dispositionParam(/** @type {string} */ (disposition), 'filename');
      if (filename !== undefined) {
        const mime = types.length === 0 ? null : extractMime(types);
        const f = new File([], filename, { type: types.length === 0 ? 'text/plain' : mime === null ? '' : serializeMime(mime), lastModified: 0 });
        setBytes(f, content);
        fd.append(/** @type {string} */ (name), f);
      } else fd.append(/** @type {string} */ (name), dec.decode(content));
      at = end + next.length;
    }
  };
  const CRLF = enc.encode('\r\n');

  /** Parses a body for formData(): multipart/form-data or application/x-www-form-urlencoded, else a TypeError. */
  /** @type {(bytes: Uint8Array, contentType: string) => FormData} */
  const parseFormData = (bytes, contentType) => {
    const mime = extractMime(contentType === '' ? [] : [contentType]);
    const essence = mime === null ? '' : `${mime.type}/${mime.subtype}`;
    if (essence === 'application/x-www-form-urlencoded') {
      const fd = new FormData();
      for (const [k, v] of new ns.URLSearchParams(dec.decode(bytes))) fd.append(k, v);
      return fd;
    }
    if (essence !== 'multipart/form-data') throw new TypeError(`formData(): the body's content type is not multipart/form-data or application/x-www-form-urlencoded (${contentType || 'none'})`);
    const boundary = /** @type {MimeType} */ (mime).params.get('boundary');
    if (boundary === undefined || boundary === '') throw new TypeError('formData(): the multipart/form-data content type has no boundary');
    return parseMultipart(bytes, boundary);
  };

  define('Blob', Blob);
  define('File', File);
  define('FormData', FormData);
  Object.assign(ns, { Blob, File, FormData, blobBytes, serializeFormData, parseFormData });
}
