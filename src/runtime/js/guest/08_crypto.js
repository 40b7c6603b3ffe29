// @ts-check
/*
 * Web Crypto: `crypto` (a Crypto), `crypto.subtle` (a SubtleCrypto), CryptoKey, and Workers'
 * `crypto.timingSafeEqual` and `crypto.DigestStream`. Randomness comes from the host's CSPRNG (the
 * `random` op). SubtleCrypto is the host's WebCrypto (crypto/subtle.ts) through the `subtle` op: a
 * CryptoKey here holds only a handle into the host's per-isolate key table, algorithm dictionaries
 * cross as JSON (BufferSources as `{ $hex }`, keys as `{ $key: handle }`, NaN and ±Infinity as
 * `{ $num }`), and the host's errors come back as `{ name, message }`, thrown here as the
 * DOMException (or TypeError) of that name.
 */
{
  const { define, ops, domException } = ns;
  const { JSONParse, JSONStringify, PromisePrototypeThen, PromiseReject, ObjectDefineProperty, ObjectFreeze } = ns.primordials;
  const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);
  const ArrayBufferPrototypeSlice = /** @type {(b: ArrayBuffer, s?: number, e?: number) => ArrayBuffer} */ (uncurryThis(ArrayBuffer.prototype.slice));
  const ArrayBufferIsView = ArrayBuffer.isView;
  const WeakMapPrototypeGet = /** @type {(m: WeakMap<object, KeySlot>, k: object) => KeySlot | undefined} */ (uncurryThis(WeakMap.prototype.get));
  const WeakMapPrototypeSet = /** @type {(m: WeakMap<object, KeySlot>, k: object, v: KeySlot) => void} */ (uncurryThis(WeakMap.prototype.set));
  const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
  const typedArrayTag = /** @type {(v: unknown) => string | undefined} */ (uncurryThis(/** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag)).get));
  const INTERNAL = Symbol('isoedge.crypto');
  const illegal = (/** @type {unknown} */ token) => { if (token !== INTERNAL) throw new TypeError('Illegal constructor'); };
  /** WebIDL's class string on the prototype. */
  const tag = (/** @type {Function} */ C, /** @type {string} */ name) => ObjectDefineProperty(C.prototype, Symbol.toStringTag, { value: name, configurable: true });

  // ---- bytes ----
  /** A copy of a BufferSource's bytes as an ArrayBuffer (what crosses the bridge), or a TypeError. */
  const bufferSource = (/** @type {unknown} */ v, /** @type {string} */ what) => {
    if (v instanceof ArrayBuffer) return ArrayBufferPrototypeSlice(v, 0);
    if (ArrayBufferIsView(v)) return ArrayBufferPrototypeSlice(/** @type {ArrayBuffer} */ (v.buffer), v.byteOffset, v.byteOffset + v.byteLength);
    throw new TypeError(`${what} is not a BufferSource (an ArrayBuffer or an ArrayBufferView)`);
  };
  const view = (/** @type {unknown} */ v, /** @type {string} */ what) => {
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (ArrayBufferIsView(v)) return new Uint8Array(/** @type {ArrayBuffer} */ (v.buffer), v.byteOffset, v.byteLength);
    throw new TypeError(`${what} is not a BufferSource (an ArrayBuffer or an ArrayBufferView)`);
  };
  const HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));
  const toHex = (/** @type {Uint8Array} */ b) => { let s = ''; for (let i = 0; i < b.length; i++) s += HEX[/** @type {number} */ (b[i])]; return s; };
  const fromHex = (/** @type {string} */ s) => { const out = new Uint8Array(s.length >> 1); for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16); return out; };

  // ---- getRandomValues / randomUUID ----
  const INTEGER_ARRAYS = new Set(['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array']);
  /** @type {<T extends ArrayBufferView>(arr: T) => T} */
  const getRandomValues = (arr) => {
    if (!ArrayBufferIsView(arr)) throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not an ArrayBufferView");
    if (!INTEGER_ARRAYS.has(/** @type {string} */ (typedArrayTag(arr)))) throw domException("Failed to execute 'getRandomValues' on 'Crypto': the array is not an integer TypedArray", 'TypeMismatchError');
    if (arr.byteLength > 65536) throw domException(`Failed to execute 'getRandomValues' on 'Crypto': the array's byte length (${arr.byteLength}) exceeds 65536`, 'QuotaExceededError');
    new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(new Uint8Array(ops.random(arr.byteLength)));
    return arr;
  };

  // ---- CryptoKey: a handle into the host's key table and the key's description ----
  /** @typedef {{ h: number, type: string, extractable: boolean, algorithm: object, usages: readonly string[] }} KeySlot */
  /** @type {WeakMap<object, KeySlot>} */
  const KEYS = new WeakMap();
  // A handle goes back to the host once its CryptoKey is collected. Not a FinalizationRegistry: its
  // cleanup tasks never run in these isolates (and it would stop the isolate's reuse). WeakRefs are
  // cleared by the GC itself, so every so often (when the live handles doubled since the last
  // sweep) the handles of collected keys are freed (the keyFree op).
  const WeakRefDeref = /** @type {(r: WeakRef<object>) => object | undefined} */ (uncurryThis(WeakRef.prototype.deref));
  const { MapPrototypeSet, MapPrototypeDelete } = ns.primordials;
  /** @type {Map<number, WeakRef<object>>} */
  const live = new Map();
  const MapPrototypeEntries = /** @type {(m: Map<number, WeakRef<object>>) => IterableIterator<[number, WeakRef<object>]>} */ (uncurryThis(Map.prototype.entries));
  const MapIteratorNext = /** @type {(it: IterableIterator<[number, WeakRef<object>]>) => IteratorResult<[number, WeakRef<object>]>} */ (uncurryThis(Object.getPrototypeOf(new Map().entries()).next));
  let sweepAt = 1024;
  const sweep = () => {
    /** @type {number[]} */
    const dead = [];
    const it = MapPrototypeEntries(live);
    for (let r = MapIteratorNext(it); !r.done; r = MapIteratorNext(it)) if (WeakRefDeref(r.value[1]) === undefined) dead[dead.length] = r.value[0];
    for (const h of dead) { MapPrototypeDelete(live, h); ops.keyFree(h); }
    sweepAt = Math.max(1024, live.size * 2);
  };
  const track = (/** @type {object} */ k, /** @type {number} */ h) => {
    MapPrototypeSet(live, h, new WeakRef(k));
    if (live.size >= sweepAt) sweep();
  };
  const slot = (/** @type {unknown} */ k) => {
    const s = k !== null && typeof k === 'object' ? WeakMapPrototypeGet(KEYS, k) : undefined;
    if (s === undefined) throw new TypeError('Illegal invocation: not a CryptoKey');
    return s;
  };
  class CryptoKey {
    constructor(/** @type {unknown} */ token) { illegal(token); }
    get type() { return slot(this).type; }
    get extractable() { return slot(this).extractable; }
    get algorithm() { return slot(this).algorithm; }
    get usages() { return slot(this).usages; }
  }
  tag(CryptoKey, 'CryptoKey');
  const deepFreeze = (/** @type {any} */ o) => { if (o && typeof o === 'object' && !ArrayBufferIsView(o)) { ObjectFreeze(o); for (const k in o) deepFreeze(o[k]); } return o; };
  const makeKey = (/** @type {KeySlot} */ info) => {
    const k = new CryptoKey(INTERNAL);
    WeakMapPrototypeSet(KEYS, k, { h: info.h, type: info.type, extractable: info.extractable, algorithm: deepFreeze(info.algorithm), usages: ObjectFreeze(info.usages) });
    track(k, info.h);
    return k;
  };

  // ---- the wire: guest values → JSON for the host, and back ----
  /** @type {(v: any, depth: number) => any} */
  const wire = (v, depth) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) }; // JSON has no NaN or Infinity
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || v === undefined) return v;
    if (typeof v === 'bigint' || typeof v === 'symbol') throw new TypeError(`a ${typeof v} is not a valid algorithm member`);
    if (typeof v === 'function') return undefined;
    if (depth > 8) throw new TypeError('the algorithm dictionary is nested too deeply');
    const s = WeakMapPrototypeGet(KEYS, v);
    if (s !== undefined) return { $key: s.h };
    if (v instanceof ArrayBuffer || ArrayBufferIsView(v)) return { $hex: toHex(view(v, 'a member')) };
    if (Array.isArray(v)) { const out = []; for (let i = 0; i < v.length; i++) out.push(wire(v[i], depth + 1)); return out; }
    /** @type {Record<string, unknown>} */
    const out = {};
    // A WebIDL dictionary reads inherited members too; no dictionary member starts with '$' (the wire's own markers).
    for (const k in v) if (k[0] !== '$') { const x = wire(v[k], depth + 1); if (x !== undefined) out[k] = x; }
    return out;
  };
  // ---- algorithm normalization, as far as the spec does it before the promise: the registered names per operation ----
  const AES = ['AES-CTR', 'AES-CBC', 'AES-GCM'];
  const GENERATE = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP', 'ECDSA', 'ECDH', ...AES, 'AES-KW', 'HMAC', 'Ed25519', 'X25519'];
  /** @type {Record<string, string[]>} */
  const REGISTERED = {
    digest: ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'],
    encrypt: ['RSA-OAEP', ...AES], decrypt: ['RSA-OAEP', ...AES],
    sign: ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'ECDSA', 'HMAC', 'Ed25519'], verify: ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'ECDSA', 'HMAC', 'Ed25519'],
    generateKey: GENERATE, importKey: [...GENERATE, 'HKDF', 'PBKDF2'],
    deriveBits: ['ECDH', 'HKDF', 'PBKDF2', 'X25519'], 'get key length': [...AES, 'AES-KW', 'HMAC', 'HKDF', 'PBKDF2'],
    wrapKey: ['AES-KW', 'RSA-OAEP', ...AES], unwrapKey: ['AES-KW', 'RSA-OAEP', ...AES],
  };
  /** @type {Record<string, Map<string, string>>} upper-cased name → the registered spelling, per operation */
  const BY_OP = {};
  for (const op in REGISTERED) BY_OP[op] = new Map(/** @type {string[]} */ (REGISTERED[op]).map((n) => [n.toUpperCase(), n]));
  /** The dictionaries of these algorithms have a `hash` member, itself normalized as a digest algorithm. */
  const HASHED = new Set(['HMAC', 'RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP', 'ECDSA', 'HKDF', 'PBKDF2']);
  /**
   * WebCrypto's "normalize an algorithm" for `op`, up to what must be known before the promise: a
   * string or a dictionary with a name (else a TypeError), registered for op (else a NotSupportedError,
   * also for an unknown hash). Returns the dictionary as the wire carries it; Node checks the rest.
   * @type {(op: string, a: unknown) => any}
   */
  const algorithm = (op, a) => {
    if (typeof a !== 'string' && (a === null || typeof a !== 'object')) throw new TypeError('the algorithm must be a string or an object');
    const name = typeof a === 'string' ? a : /** @type {{ name?: unknown }} */ (a).name;
    if (name === undefined) throw new TypeError("the algorithm has no 'name'");
    const canonical = /** @type {Map<string, string>} */ (BY_OP[op]).get(String(name).toUpperCase());
    if (canonical === undefined) throw domException(`Unrecognized algorithm name for ${op}: ${String(name)}`, 'NotSupportedError');
    if (typeof a === 'string') return canonical;
    const out = wire(a, 0);
    out.name = canonical;
    if (HASHED.has(canonical) && /** @type {{ hash?: unknown }} */ (a).hash !== undefined) out.hash = algorithm('digest', /** @type {{ hash?: unknown }} */ (a).hash);
    return out;
  };
  const revive = (/** @type {string} */ _k, /** @type {any} */ x) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) return x;
    if (typeof x.$hex === 'string') return fromHex(x.$hex);
    if (x.$key !== undefined) return makeKey(x.$key);
    return x;
  };
  /** @type {(r: [string, ArrayBuffer | null]) => any} */
  const outcome = (r) => {
    const o = JSONParse(r[0], revive);
    if (o.err) throw o.err.name === 'TypeError' ? new TypeError(String(o.err.message)) : domException(String(o.err.message), String(o.err.name));
    return r[1] !== null ? r[1] : o.v;
  };
  /** One WebCrypto operation on the host: its arguments are checked here only as far as they must be to cross. */
  const call = (/** @type {string} */ method, /** @type {object} */ params, /** @type {ArrayBuffer | null} */ a = null, /** @type {ArrayBuffer | null} */ b = null) =>
    PromisePrototypeThen(/** @type {Promise<[string, ArrayBuffer | null]>} */ (ops.subtle(method, JSONStringify(params), a, b)), outcome);
  const keyArg = (/** @type {unknown} */ k, /** @type {string} */ what) => {
    const s = k !== null && typeof k === 'object' ? WeakMapPrototypeGet(KEYS, k) : undefined;
    if (s === undefined) throw new TypeError(`${what} is not a CryptoKey`);
    return { $key: s.h };
  };
  const usagesArg = (/** @type {unknown} */ u) => {
    if (u === null || typeof u !== 'object' || typeof (/** @type {any} */ (u)[Symbol.iterator]) !== 'function') throw new TypeError('keyUsages must be a sequence of strings');
    return Array.from(/** @type {Iterable<unknown>} */ (u), String);
  };
  const need = (/** @type {number} */ got, /** @type {number} */ n, /** @type {string} */ m) => {
    if (got < n) throw new TypeError(`Failed to execute '${m}' on 'SubtleCrypto': ${n} arguments required, but only ${got} present`);
  };
  /** A method's synchronous argument errors become its promise's rejection, as WebIDL's promise-returning operations do. */
  const promise = (/** @type {() => Promise<any>} */ f) => { try { return f(); } catch (e) { return PromiseReject(e); } };
  const keyData = (/** @type {string} */ format, /** @type {unknown} */ data) => {
    if (format === 'jwk') {
      if (data === null || typeof data !== 'object' || data instanceof ArrayBuffer || ArrayBufferIsView(data)) throw new TypeError("keyData must be a JsonWebKey object for format 'jwk'");
      return { jwk: wire(data, 0), bytes: null };
    }
    return { jwk: undefined, bytes: bufferSource(data, 'keyData') };
  };

  class SubtleCrypto {
    constructor(/** @type {unknown} */ token) { illegal(token); }
    /** @param {unknown} alg @param {unknown} data */
    digest(alg, data) { const n = arguments.length; return promise(() => { need(n, 2, 'digest'); const d = bufferSource(data, 'data'); return call('digest', { alg: algorithm('digest', alg) }, d); }); }
    /** @param {unknown} alg @param {unknown} key @param {unknown} data */
    encrypt(alg, key, data) { const n = arguments.length; return promise(() => { need(n, 3, 'encrypt'); const k = keyArg(key, 'key'); const d = bufferSource(data, 'data'); return call('encrypt', { alg: algorithm('encrypt', alg), key: k }, d); }); }
    /** @param {unknown} alg @param {unknown} key @param {unknown} data */
    decrypt(alg, key, data) { const n = arguments.length; return promise(() => { need(n, 3, 'decrypt'); const k = keyArg(key, 'key'); const d = bufferSource(data, 'data'); return call('decrypt', { alg: algorithm('decrypt', alg), key: k }, d); }); }
    /** @param {unknown} alg @param {unknown} key @param {unknown} data */
    sign(alg, key, data) { const n = arguments.length; return promise(() => { need(n, 3, 'sign'); const k = keyArg(key, 'key'); const d = bufferSource(data, 'data'); return call('sign', { alg: algorithm('sign', alg), key: k }, d); }); }
    /** @param {unknown} alg @param {unknown} key @param {unknown} signature @param {unknown} data */
    verify(alg, key, signature, data) {
      const n = arguments.length;
      return promise(() => {
        need(n, 4, 'verify');
        const k = keyArg(key, 'key');
        const sig = bufferSource(signature, 'signature');
        const d = bufferSource(data, 'data');
        return call('verify', { alg: algorithm('verify', alg), key: k }, sig, d);
      });
    }
    /** @param {unknown} alg @param {unknown} extractable @param {unknown} usages */
    generateKey(alg, extractable, usages) {
      const n = arguments.length;
      return promise(() => { need(n, 3, 'generateKey'); const u = usagesArg(usages); return call('generateKey', { alg: algorithm('generateKey', alg), extractable: !!extractable, usages: u }); });
    }
    /** @param {unknown} alg @param {unknown} baseKey @param {unknown} derivedKeyType @param {unknown} extractable @param {unknown} usages */
    deriveKey(alg, baseKey, derivedKeyType, extractable, usages) {
      const n = arguments.length;
      return promise(() => {
        need(n, 5, 'deriveKey');
        const k = keyArg(baseKey, 'baseKey');
        const u = usagesArg(usages);
        return call('deriveKey', { alg: algorithm('deriveBits', alg), key: k, derived: algorithm('get key length', derivedKeyType), extractable: !!extractable, usages: u });
      });
    }
    /** @param {unknown} alg @param {unknown} baseKey @param {unknown} [length] */
    deriveBits(alg, baseKey, length) {
      const n = arguments.length;
      return promise(() => {
        need(n, 2, 'deriveBits');
        if (length !== undefined && length !== null && typeof length !== 'number') length = Number(length);
        const k = keyArg(baseKey, 'baseKey'); return call('deriveBits', { alg: algorithm('deriveBits', alg), key: k, length: length ?? null });
      });
    }
    /** @param {unknown} format @param {unknown} data @param {unknown} alg @param {unknown} extractable @param {unknown} usages */
    importKey(format, data, alg, extractable, usages) {
      const n = arguments.length;
      return promise(() => {
        need(n, 5, 'importKey');
        const f = String(format);
        const d = keyData(f, data);
        const u = usagesArg(usages); return call('importKey', { format: f, jwk: d.jwk, alg: algorithm('importKey', alg), extractable: !!extractable, usages: u }, d.bytes);
      });
    }
    /** @param {unknown} format @param {unknown} key */
    exportKey(format, key) { const n = arguments.length; return promise(() => { need(n, 2, 'exportKey'); return call('exportKey', { format: String(format), key: keyArg(key, 'key') }); }); }
    /** @param {unknown} format @param {unknown} key @param {unknown} wrappingKey @param {unknown} wrapAlgorithm */
    wrapKey(format, key, wrappingKey, wrapAlgorithm) {
      const n = arguments.length;
      return promise(() => {
        need(n, 4, 'wrapKey');
        const k = keyArg(key, 'key'); const w = keyArg(wrappingKey, 'wrappingKey'); return call('wrapKey', { format: String(format), key: k, wrappingKey: w, alg: algorithm('wrapKey', wrapAlgorithm) });
      });
    }
    /**
     * @param {unknown} format @param {unknown} wrappedKey @param {unknown} unwrappingKey @param {unknown} unwrapAlgorithm
     * @param {unknown} unwrappedKeyAlgorithm @param {unknown} extractable @param {unknown} usages
     */
    unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, usages) {
      const n = arguments.length;
      return promise(() => {
        need(n, 7, 'unwrapKey');
        const wrapped = bufferSource(wrappedKey, 'wrappedKey');
        const k = keyArg(unwrappingKey, 'unwrappingKey');
        const u = usagesArg(usages);
        return call('unwrapKey', {
          format: String(format), unwrappingKey: k, alg: algorithm('unwrapKey', unwrapAlgorithm),
          keyAlg: algorithm('importKey', unwrappedKeyAlgorithm), extractable: !!extractable, usages: u,
        }, wrapped);
      });
    }
    /** Workers' extension (also `crypto.timingSafeEqual`). @param {unknown} a @param {unknown} b */
    timingSafeEqual(a, b) { return timingSafeEqual(a, b); }
  }
  tag(SubtleCrypto, 'SubtleCrypto');
  const subtle = new SubtleCrypto(INTERNAL);

  /** Workers' constant-time comparison: equal-length BufferSources, or a TypeError. */
  const timingSafeEqual = (/** @type {unknown} */ a, /** @type {unknown} */ b) => {
    const x = view(a, 'timingSafeEqual: the first argument');
    const y = view(b, 'timingSafeEqual: the second argument');
    if (x.byteLength !== y.byteLength) throw new TypeError('timingSafeEqual: the inputs must have the same byte length');
    let d = 0;
    for (let i = 0; i < x.length; i++) d |= /** @type {number} */ (x[i]) ^ /** @type {number} */ (y[i]);
    return d === 0;
  };

  // ---- DigestStream (Workers): a WritableStream whose `digest` promise resolves to the digest of what was written ----
  /** @type {any} */
  let DigestStream;
  const digestStream = () => {
    if (DigestStream) return DigestStream;
    const WS = /** @type {any} */ (globalThis).WritableStream;
    if (typeof WS !== 'function') {
      return class DigestStream { constructor() { throw new TypeError('crypto.DigestStream needs WritableStream, which this runtime does not provide yet'); } };
    }
    const encoder = new ns.TextEncoder();
    DigestStream = class DigestStream extends WS {
      constructor(/** @type {unknown} */ alg) {
        // The hash runs host-side (the `subtle` op's digestStream/digestUpdate/digestFinish, in order).
        const started = /** @type {Promise<number>} */ (call('digestStream', { alg: algorithm('digest', alg) }));
        PromisePrototypeThen(started, () => {}, () => {});
        /** @type {(v: ArrayBuffer) => void} */ let resolve = () => {};
        /** @type {(e: unknown) => void} */ let reject = () => {};
        const digest = new Promise((res, rej) => { resolve = res; reject = rej; });
        PromisePrototypeThen(digest, () => {}, () => {});
        let handle = 0;
        super({
          start() { return PromisePrototypeThen(started, (h) => { handle = h; }, (e) => { reject(e); throw e; }); },
          write(/** @type {unknown} */ chunk) {
            const c = typeof chunk === 'string' ? encoder.encode(chunk).buffer : bufferSource(chunk, 'DigestStream: a chunk');
            return call('digestUpdate', { h: handle }, c);
          },
          close() { return PromisePrototypeThen(call('digestFinish', { h: handle }), (d) => { resolve(d); }, (e) => { reject(e); throw e; }); },
          abort(/** @type {unknown} */ reason) { ops.keyFree(handle); reject(reason); },
        });
        PromisePrototypeThen(started, (h) => track(this, h), () => {});
        ObjectDefineProperty(this, 'digest', { value: digest, enumerable: true });
      }
    };
    return DigestStream;
  };

  class Crypto {
    constructor(/** @type {unknown} */ token) { illegal(token); }
    get subtle() { return subtle; }
    /** @template {ArrayBufferView} T @param {T} array */
    getRandomValues(array) { return getRandomValues(array); }
    randomUUID() {
      const b = getRandomValues(new Uint8Array(16));
      // Indexes 6 and 8 exist: 16 bytes.
      b[6] = (/** @type {number} */ (b[6]) & 0x0f) | 0x40;
      b[8] = (/** @type {number} */ (b[8]) & 0x3f) | 0x80;
      const h = toHex(b);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    /** @param {unknown} a @param {unknown} b */
    timingSafeEqual(a, b) { return timingSafeEqual(a, b); }
    get DigestStream() { return digestStream(); }
  }
  tag(Crypto, 'Crypto');
  define('Crypto', Crypto);
  define('SubtleCrypto', SubtleCrypto);
  define('CryptoKey', CryptoKey);
  define('crypto', new Crypto(INTERNAL));
}
