// @ts-check
/*
 * TextEncoder / TextDecoder (WHATWG Encoding) and atob / btoa (HTML forgiving-base64).
 * TextDecoder decodes UTF-8, UTF-16LE and UTF-16BE with every label the Encoding standard gives
 * them, streaming ({ stream: true } keeps a split sequence for the next call), fatal and
 * ignoreBOM, here in the isolate. The legacy encodings (windows-1252, shift_jis, gbk, …) are the
 * host's ICU decoder through the text_label / text_decode ops (bridge/encoding.ts).
 */
{
  const { define, domException } = ns;
  const StringFromCharCode = String.fromCharCode;
  const ReflectApply = Reflect.apply;

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') {
      const s = `${input}`;
      const out = new Uint8Array(s.length * 3);
      let p = 0;
      for (let i = 0; i < s.length; i++) {
        let c = s.charCodeAt(i);
        if (c < 0x80) { out[p++] = c; continue; }
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
          const d = s.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; } else c = 0xfffd;
        } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
        if (c < 0x800) { out[p++] = 0xc0 | (c >> 6); out[p++] = 0x80 | (c & 63); }
        else if (c < 0x10000) { out[p++] = 0xe0 | (c >> 12); out[p++] = 0x80 | ((c >> 6) & 63); out[p++] = 0x80 | (c & 63); }
        else { out[p++] = 0xf0 | (c >> 18); out[p++] = 0x80 | ((c >> 12) & 63); out[p++] = 0x80 | ((c >> 6) & 63); out[p++] = 0x80 | (c & 63); }
      }
      return out.slice(0, p);
    }
    /** Writes as many whole code points as fit; answers the UTF-16 code units read and bytes written. */
    encodeInto(/** @type {unknown} */ input, /** @type {unknown} */ dest) {
      if (!(dest instanceof Uint8Array)) throw new TypeError("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.");
      const s = `${input}`;
      const n = dest.length;
      let read = 0, written = 0;
      while (read < s.length) {
        let c = s.charCodeAt(read);
        let units = 1;
        if (c >= 0xd800 && c <= 0xdbff && read + 1 < s.length) {
          const d = s.charCodeAt(read + 1);
          if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); units = 2; } else c = 0xfffd;
        } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
        const bytes = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (written + bytes > n) break;
        if (bytes === 1) dest[written] = c;
        else if (bytes === 2) { dest[written] = 0xc0 | (c >> 6); dest[written + 1] = 0x80 | (c & 63); }
        else if (bytes === 3) { dest[written] = 0xe0 | (c >> 12); dest[written + 1] = 0x80 | ((c >> 6) & 63); dest[written + 2] = 0x80 | (c & 63); }
        else { dest[written] = 0xf0 | (c >> 18); dest[written + 1] = 0x80 | ((c >> 12) & 63); dest[written + 2] = 0x80 | ((c >> 6) & 63); dest[written + 3] = 0x80 | (c & 63); }
        written += bytes;
        read += units;
      }
      return { read, written };
    }
    get [Symbol.toStringTag]() { return 'TextEncoder'; }
  }

  // The Encoding standard's labels of the encodings decoded here.
  /** @type {Record<string, string>} */
  const LABELS = { 'unicode-1-1-utf-8': 'utf-8', 'unicode11utf8': 'utf-8', 'unicode20utf8': 'utf-8', 'utf-8': 'utf-8', 'utf8': 'utf-8', 'x-unicode20utf8': 'utf-8', 'csunicode': 'utf-16le', 'iso-10646-ucs-2': 'utf-16le', 'ucs-2': 'utf-16le', 'unicode': 'utf-16le', 'unicodefeff': 'utf-16le', 'utf-16': 'utf-16le', 'utf-16le': 'utf-16le', 'unicodefffe': 'utf-16be', 'utf-16be': 'utf-16be' };

  const isSpace = (/** @type {number} */ c) => c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;
  /** Encoding §4.2 "get an encoding": ASCII whitespace trimmed, ASCII case-insensitive. */
  const encodingOf = (/** @type {string} */ label) => {
    let a = 0, b = label.length;
    while (a < b && isSpace(label.charCodeAt(a))) a++;
    while (b > a && isSpace(label.charCodeAt(b - 1))) b--;
    const l = label.slice(a, b).toLowerCase();
    if (Object.hasOwn(LABELS, l)) return LABELS[l];
    // Any other label: the host's table (bridge/encoding.ts), for the legacy encodings it decodes.
    const e = ns.ops.text_label(l);
    return e === '' ? undefined : e;
  };
  const u8Slice = Uint8Array.prototype.slice;
  /** Handles of legacy decoders' host-side streams: per isolate, so one counter. */
  let nextStream = 1;

  class TextDecoder {
    #encoding;
    #fatal;
    #ignoreBOM;
    // Between calls with { stream: true }: the partial sequence and whether the BOM was looked at.
    #streaming = false;
    #bomSeen = false;
    // UTF-8 decoder state (Encoding §8.1.1)
    #cp = 0; #needed = 0; #seen = 0; #lower = 0x80; #upper = 0xbf;
    // UTF-16 decoder state (Encoding §8.3.1)
    #leadByte = -1; #leadSurrogate = -1;
    // A legacy encoding's stream on the host (0: none open)
    #hostStream = 0;
    constructor(/** @type {unknown} */ label = 'utf-8', /** @type {any} */ options = undefined) {
      const e = label === 'utf-8' ? 'utf-8' : encodingOf(`${label}`);
      if (e === undefined) throw new RangeError(`Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid.`);
      if (options !== undefined && options !== null && typeof options !== 'object') throw new TypeError("Failed to construct 'TextDecoder': the options must be an object");
      this.#encoding = e;
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return this.#encoding; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    #reset() { this.#cp = 0; this.#needed = 0; this.#seen = 0; this.#lower = 0x80; this.#upper = 0xbf; this.#leadByte = -1; this.#leadSurrogate = -1; this.#bomSeen = false; }
    #error() {
      if (this.#fatal) { this.#reset(); this.#streaming = false; throw new TypeError(`The encoded data was not valid ${this.#encoding}.`); }
      return 0xfffd;
    }
    decode(/** @type {unknown} */ input = undefined, /** @type {any} */ options = undefined) {
      if (options !== undefined && options !== null && typeof options !== 'object') throw new TypeError("Failed to execute 'decode' on 'TextDecoder': the options must be an object");
      /** @type {Uint8Array} */
      let b;
      if (input === undefined || input === null) b = new Uint8Array(0);
      else if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && input instanceof SharedArrayBuffer)) b = new Uint8Array(input);
      else if (ArrayBuffer.isView(input)) b = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      else throw new TypeError("Failed to execute 'decode' on 'TextDecoder': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.");
      if (!this.#streaming) this.#reset();
      const stream = !!(options && options.stream);
      this.#streaming = stream;
      if (this.#encoding !== 'utf-8' && this.#encoding !== 'utf-16le' && this.#encoding !== 'utf-16be') return this.#legacy(b, stream);
      /** @type {number[]} */
      const units = [];
      let out = '';
      const push = (/** @type {number} */ cp) => {
        if (!this.#bomSeen) { this.#bomSeen = true; if (cp === 0xfeff && !this.#ignoreBOM) return; }
        if (cp >= 0x10000) { cp -= 0x10000; units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023)); } else units.push(cp);
        if (units.length >= 8192) { out += ReflectApply(StringFromCharCode, null, units); units.length = 0; }
      };
      /** A run of ASCII bytes, appended as one string (no BOM can be among them). */
      const pushAscii = (/** @type {number} */ from, /** @type {number} */ to) => {
        this.#bomSeen = true;
        if (to - from < 64) {
          for (let k = from; k < to; k++) units.push(/** @type {number} */ (b[k]));
          if (units.length >= 8192) { out += ReflectApply(StringFromCharCode, null, units); units.length = 0; }
          return;
        }
        if (units.length) { out += ReflectApply(StringFromCharCode, null, units); units.length = 0; }
        for (let k = from; k < to; k += 8192) out += ReflectApply(StringFromCharCode, null, b.subarray(k, Math.min(to, k + 8192)));
      };
      if (this.#encoding === 'utf-8') this.#utf8(b, push, pushAscii, stream);
      else this.#utf16(b, push, stream, this.#encoding === 'utf-16be');
      return out + ReflectApply(StringFromCharCode, null, units);
    }
    /** A legacy encoding, decoded by the host; its stream state stays there between { stream: true } calls. */
    #legacy(/** @type {Uint8Array} */ b, /** @type {boolean} */ stream) {
      if (stream && this.#hostStream === 0) this.#hostStream = nextStream++;
      const handle = this.#hostStream;
      if (!stream) this.#hostStream = 0;
      const flags = (this.#fatal ? 1 : 0) | (this.#ignoreBOM ? 2 : 0) | (stream ? 4 : 0);
      // The bytes cross as a copy of just this view.
      const bytes = b.byteLength === 0 ? null : /** @type {ArrayBuffer} */ (/** @type {Uint8Array} */ (ReflectApply(u8Slice, b, [])).buffer);
      try {
        return ns.ops.text_decode(handle, this.#encoding, flags, bytes);
      } catch (e) {
        this.#hostStream = 0;
        this.#streaming = false;
        const code = /** @type {{ code?: unknown }} */ (e).code;
        if (code === 'EDGE_ERR_BAD_ARGUMENT') throw new TypeError(`${/** @type {Error} */ (e).message.slice(code.length + 2)}`);
        throw e;
      }
    }
    #utf8(/** @type {Uint8Array} */ b, /** @type {(cp: number) => void} */ push, /** @type {(from: number, to: number) => void} */ pushAscii, /** @type {boolean} */ stream) {
      const n = b.length;
      for (let i = 0; i < n; i++) {
        const byte = /** @type {number} */ (b[i]);
        if (this.#needed === 0) {
          if (byte < 0x80) {
            let j = i + 1;
            while (j < n && /** @type {number} */ (b[j]) < 0x80) j++;
            pushAscii(i, j);
            i = j - 1;
            continue;
          }
          if (byte >= 0xc2 && byte <= 0xdf) { this.#needed = 1; this.#cp = byte & 0x1f; }
          else if (byte >= 0xe0 && byte <= 0xef) {
            if (byte === 0xe0) this.#lower = 0xa0;
            if (byte === 0xed) this.#upper = 0x9f;
            this.#needed = 2; this.#cp = byte & 0xf;
          } else if (byte >= 0xf0 && byte <= 0xf4) {
            if (byte === 0xf0) this.#lower = 0x90;
            if (byte === 0xf4) this.#upper = 0x8f;
            this.#needed = 3; this.#cp = byte & 0x7;
          } else push(this.#error());
          continue;
        }
        if (byte < this.#lower || byte > this.#upper) {
          // The byte is not part of the sequence: an error, then the byte is decoded afresh.
          this.#cp = 0; this.#needed = 0; this.#seen = 0; this.#lower = 0x80; this.#upper = 0xbf;
          push(this.#error());
          i--;
          continue;
        }
        this.#lower = 0x80; this.#upper = 0xbf;
        this.#cp = (this.#cp << 6) | (byte & 0x3f);
        if (++this.#seen !== this.#needed) continue;
        const cp = this.#cp;
        this.#cp = 0; this.#needed = 0; this.#seen = 0;
        push(cp);
      }
      if (!stream && this.#needed !== 0) {
        this.#cp = 0; this.#needed = 0; this.#seen = 0; this.#lower = 0x80; this.#upper = 0xbf;
        push(this.#error());
      }
    }
    #utf16(/** @type {Uint8Array} */ b, /** @type {(cp: number) => void} */ push, /** @type {boolean} */ stream, /** @type {boolean} */ be) {
      for (let i = 0; i < b.length; i++) {
        const byte = /** @type {number} */ (b[i]);
        if (this.#leadByte < 0) { this.#leadByte = byte; continue; }
        const unit = be ? (this.#leadByte << 8) | byte : (byte << 8) | this.#leadByte;
        this.#leadByte = -1;
        if (this.#leadSurrogate >= 0) {
          const lead = this.#leadSurrogate;
          this.#leadSurrogate = -1;
          if (unit >= 0xdc00 && unit <= 0xdfff) { push(0x10000 + ((lead - 0xd800) << 10) + (unit - 0xdc00)); continue; }
          // An unpaired lead surrogate: an error, then this unit afresh.
          push(this.#error());
        }
        if (unit >= 0xd800 && unit <= 0xdbff) { this.#leadSurrogate = unit; continue; }
        if (unit >= 0xdc00 && unit <= 0xdfff) { push(this.#error()); continue; }
        push(unit);
      }
      if (!stream && (this.#leadByte >= 0 || this.#leadSurrogate >= 0)) {
        this.#leadByte = -1; this.#leadSurrogate = -1;
        push(this.#error());
      }
    }
    get [Symbol.toStringTag]() { return 'TextDecoder'; }
  }
  define('TextEncoder', TextEncoder);
  define('TextDecoder', TextDecoder);

  // ---- atob / btoa (HTML §8.3, forgiving-base64) ----
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  /** @type {Int8Array} */
  const VALUE = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) VALUE[B64.charCodeAt(i)] = i;
  define('btoa', function btoa(/** @type {unknown} */ data) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'btoa': 1 argument required, but only 0 present.");
    const s = `${data}`;
    let out = '';
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i), b = i + 1 < s.length ? s.charCodeAt(i + 1) : 0, c = i + 2 < s.length ? s.charCodeAt(i + 2) : 0;
      if (a > 255 || b > 255 || c > 255) throw domException("Failed to execute 'btoa': The string to be encoded contains characters outside of the Latin1 range.", 'InvalidCharacterError');
      const n = (a << 16) | (b << 8) | c;
      out += B64.charAt(n >> 18) + B64.charAt((n >> 12) & 63) + (i + 1 < s.length ? B64.charAt((n >> 6) & 63) : '=') + (i + 2 < s.length ? B64.charAt(n & 63) : '=');
    }
    return out;
  });
  define('atob', function atob(/** @type {unknown} */ data) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'atob': 1 argument required, but only 0 present.");
    const bad = () => domException("Failed to execute 'atob': The string to be decoded is not correctly encoded.", 'InvalidCharacterError');
    let s = `${data}`.replace(/[\t\n\f\r ]/g, '');
    if (s.length % 4 === 0) s = s.endsWith('==') ? s.slice(0, -2) : s.endsWith('=') ? s.slice(0, -1) : s;
    if (s.length % 4 === 1) throw bad();
    let out = '';
    let bits = 0, acc = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const v = c < 128 ? /** @type {number} */ (VALUE[c]) : -1;
      if (v < 0) throw bad();
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) { bits -= 8; out += StringFromCharCode((acc >> bits) & 255); }
    }
    return out;
  });
  ns.TextEncoder = TextEncoder;
  ns.TextDecoder = TextDecoder;
}
