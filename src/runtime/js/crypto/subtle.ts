/**
 * The host half of `crypto.subtle` (guest/08_crypto.js): Node's WebCrypto, reached through the
 * `subtle` op. Keys never leave the host: each isolate has one KeyTable of Node CryptoKeys, and the
 * guest holds only their handles (small integers, meaningful in that table alone). What crosses the
 * bridge is bytes, JSON-able algorithm dictionaries, handles and `{ name, message }` of the
 * DOMException (or TypeError) Node's WebCrypto threw — never a host object or stack.
 *
 * Node runs most WebCrypto operations on the libuv threadpool, outside the executor thread's CPU
 * time. The table runs one operation at a time per isolate and reports each one's wall time, from
 * start to result, as the host CPU it used (an upper bound) through Settle.charge: the bridge
 * charges it to the request that started the op, which ends the instance with EDGE_ERR_CPU_LIMIT
 * once over budget. The caps below keep any one call short.
 */
import { createHash, type Hash, type webcrypto } from 'node:crypto';

type Key = webcrypto.CryptoKey;
type Pair = webcrypto.CryptoKeyPair;
const subtle = globalThis.crypto.subtle;

/** RSA keys may be generated with at most this modulus (a 4096-bit keygen takes ~0.1–2 s here). */
export const RSA_MAX_GENERATE_BITS = 4096;
/** …and imported with at most this one (one private-key operation stays in the tens of ms). */
export const RSA_MAX_IMPORT_BITS = 8192;
/** PBKDF2: at most this many iterations (Workers' limit too)… */
export const PBKDF2_MAX_ITERATIONS = 100_000;
/** …and at most this many iterations × output blocks per call. */
export const PBKDF2_MAX_WORK = 1_000_000;
/** Keys one isolate may hold at once (the guest frees a key's handle when its CryptoKey is collected). */
export const MAX_KEYS = 65_536;
/** DigestStreams one isolate may have open at once. */
export const MAX_DIGEST_STREAMS = 1024;
/** Operations one isolate may have queued at once. */
export const MAX_QUEUED = 256;

/**
 * Jobs this thread's isolates may run at once (all tables together). libuv's threadpool (4 threads by
 * default) is shared by the process's executor threads; keeping each thread's share under it means a
 * job started here rarely waits inside libuv behind another tenant's keygen, which its wall time would
 * charge it for. A job waiting for a slot waits here, uncharged, in FIFO order.
 */
export const THREAD_SLOTS = 2;
let busySlots = 0;
const slotWaiters: (() => void)[] = [];

function acquireSlot(start: () => void): void {
  if (busySlots < THREAD_SLOTS) {
    busySlots++;
    start();
  } else {
    slotWaiters.push(start);
  }
}

function releaseSlot(): void {
  const next = slotWaiters.shift();
  if (next) queueMicrotask(next);
  else busySlots--;
}

/** An error the guest rethrows as `ns.domException(message, name)`, or a TypeError when name is 'TypeError'. */
class WebCryptoError extends Error {
  constructor(message: string, name: string) {
    super(message);
    this.name = name;
  }
}

const SPEC_NAMES = new Set(['NotSupportedError', 'SyntaxError', 'InvalidAccessError', 'DataError', 'OperationError', 'TypeError', 'QuotaExceededError', 'InvalidStateError', 'NotAllowedError']);

/** Only a name the spec uses and a message cross the bridge; anything else is an OperationError. */
function describe(e: unknown): { name: string; message: string } {
  const name = e !== null && typeof e === 'object' ? (e as { name?: unknown }).name : undefined;
  const message = e !== null && typeof e === 'object' ? (e as { message?: unknown }).message : undefined;
  const msg = typeof message === 'string' ? message.slice(0, 512) : 'the operation failed';
  return typeof name === 'string' && SPEC_NAMES.has(name) ? { name, message: msg } : { name: 'OperationError', message: msg };
}

type Wire = { $hex?: string; $key?: number; $num?: string } & Record<string, unknown>;

/** A key's description as the guest's CryptoKey shows it. */
interface KeyInfo {
  h: number;
  type: string;
  extractable: boolean;
  algorithm: unknown;
  usages: string[];
}

/** The part of the `subtle` op's Settle (bridge/ops.ts) this file uses. */
export interface SubtleSettle {
  resolve(json: string, bytes: ArrayBuffer | null): void;
  charge(ns: bigint): void;
}

interface Job {
  method: string;
  params: string;
  a: ArrayBuffer | string | null;
  b: ArrayBuffer | string | null;
  settle: SubtleSettle;
}

/** One isolate's keys and its queue of WebCrypto operations. */
export class KeyTable {
  readonly #keys = new Map<number, Key>();
  /** DigestStreams' running hashes (node:crypto Hash), by handle from the same numbering as keys. */
  readonly #hashes = new Map<number, Hash>();
  #next = 1;
  readonly #queue: Job[] = [];
  #running = false;
  #closed = false;

  /** Keys and open DigestStreams held. */
  get size(): number {
    return this.#keys.size + this.#hashes.size;
  }

  /** The isolate ended (end, dispose, recycle): every key is dropped, queued work never runs. */
  close(): void {
    this.#closed = true;
    this.#keys.clear();
    this.#hashes.clear();
    this.#queue.length = 0;
  }

  /** The guest's CryptoKey for this handle was collected. */
  free(h: number): void {
    this.#keys.delete(h);
    this.#hashes.delete(h);
  }

  /** Queues one operation; returns its cancel function (the bridge calls it when the instance ends). */
  start(settle: Job['settle'], method: string, params: string, a: Job['a'], b: Job['b']): () => void {
    if (this.#queue.length >= MAX_QUEUED) {
      // Not at once: the guest records the op's promise only once this call has returned.
      const t = setImmediate(() => settle.resolve(JSON.stringify({ err: { name: 'OperationError', message: `more than ${MAX_QUEUED} crypto operations pending in this instance` } }), null));
      return () => clearImmediate(t);
    }
    const job: Job = { method, params, a, b, settle };
    this.#queue.push(job);
    this.#pump();
    return () => {
      const i = this.#queue.indexOf(job);
      if (i >= 0) this.#queue.splice(i, 1);
    };
  }

  #pump(): void {
    if (this.#running || this.#closed) return;
    const job = this.#queue.shift();
    if (!job) return;
    this.#running = true;
    // The clock starts once a threadpool slot is this job's: waiting for one is not charged.
    acquireSlot(() => this.#begin(job));
  }

  #begin(job: Job): void {
    if (this.#closed) {
      releaseSlot();
      return;
    }
    const t0 = process.hrtime.bigint();
    let out: Promise<unknown>;
    try {
      out = this.#run(job);
    } catch (e) {
      out = Promise.reject(e);
    }
    out.then(
      (v) => this.#answer(job, t0, v, undefined),
      (e: unknown) => this.#answer(job, t0, undefined, e),
    );
  }

  #answer(job: Job, t0: bigint, v: unknown, e: unknown): void {
    const ns = process.hrtime.bigint() - t0;
    releaseSlot();
    this.#running = false;
    try {
      this.#deliver(job, ns, v, e);
    } finally {
      // The next job starts after this completion re-entered the isolate (and was charged).
      this.#pump();
    }
  }

  #deliver(job: Job, ns: bigint, v: unknown, e: unknown): void {
    if (!this.#closed) {
      job.settle.charge(ns);
      let json = '{}';
      try {
        if (e !== undefined) throw e;
        if (!(v instanceof ArrayBuffer)) json = this.#encode(v);
      } catch (err) {
        json = JSON.stringify({ err: describe(err) });
      }
      job.settle.resolve(json, v instanceof ArrayBuffer && e === undefined ? v : null);
    }
  }

  #encode(v: unknown): string {
    return JSON.stringify({ v: this.#wire(v) }, (_k, x: unknown) => (x instanceof Uint8Array ? { $hex: Buffer.from(x).toString('hex') } : x));
  }

  #wire(v: unknown): unknown {
    if (isKey(v)) return { $key: this.#add(v) };
    if (v !== null && typeof v === 'object' && isKey((v as Pair).publicKey) && isKey((v as Pair).privateKey)) {
      const p = v as Pair;
      return { publicKey: { $key: this.#add(p.publicKey) }, privateKey: { $key: this.#add(p.privateKey) } };
    }
    return v;
  }

  #add(k: Key): KeyInfo {
    if (this.#keys.size >= MAX_KEYS) throw new WebCryptoError(`more than ${MAX_KEYS} keys in this instance`, 'OperationError');
    const h = this.#next++;
    this.#keys.set(h, k);
    return { h, type: k.type, extractable: k.extractable, algorithm: k.algorithm, usages: [...k.usages] };
  }

  #key(h: unknown): Key {
    const k = typeof h === 'number' ? this.#keys.get(h) : undefined;
    if (!k) throw new WebCryptoError('the key is not a CryptoKey of this instance', 'TypeError');
    return k;
  }

  #hash(h: unknown): Hash {
    const x = typeof h === 'number' ? this.#hashes.get(h) : undefined;
    if (!x) throw new WebCryptoError('the DigestStream is closed', 'InvalidStateError');
    return x;
  }

  /** The guest's parameters: `{ $hex }` are bytes, `{ $key }` this table's keys. */
  #params(json: string): Record<string, unknown> {
    const p = JSON.parse(json, (_k, x: unknown) => {
      if (x === null || typeof x !== 'object' || Array.isArray(x)) return x;
      const w = x as Wire;
      if (typeof w.$hex === 'string') return Buffer.from(w.$hex, 'hex');
      if (typeof w.$num === 'string') return Number(w.$num);
      if (w.$key !== undefined) return this.#key(w.$key);
      return x;
    }) as unknown;
    if (p === null || typeof p !== 'object') throw new WebCryptoError('bad parameters', 'TypeError');
    return p as Record<string, unknown>;
  }

  #run(job: Job): Promise<unknown> {
    const p = this.#params(job.params);
    const alg = p.alg as webcrypto.AlgorithmIdentifier;
    const a = bytes(job.a);
    const ext = p.extractable as boolean;
    const usages = p.usages as webcrypto.KeyUsage[];
    switch (job.method) {
      case 'digest': return subtle.digest(alg, a);
      case 'encrypt': return subtle.encrypt(alg as never, p.key as Key, a);
      case 'decrypt': return subtle.decrypt(alg as never, p.key as Key, a);
      case 'sign': return subtle.sign(alg as never, p.key as Key, a);
      case 'verify': return subtle.verify(alg as never, p.key as Key, a, bytes(job.b));
      case 'generateKey':
        capGenerate(alg);
        return subtle.generateKey(alg as never, ext, usages) as Promise<unknown>;
      case 'importKey': {
        const data = p.format === 'jwk' ? (p.jwk as webcrypto.JsonWebKey) : a;
        return (subtle.importKey(p.format as never, data as never, alg as never, ext, usages) as Promise<Key>).then(capImported);
      }
      case 'exportKey':
        // The spec: a raw export of an EC or CFRG private key is an InvalidAccessError (Node 24 says NotSupportedError).
        if (p.format === 'raw' && (p.key as Key).type === 'private' && RAW_PUBLIC.has((p.key as Key).algorithm.name)) throw new WebCryptoError('only a public key can be exported as raw', 'InvalidAccessError');
        return subtle.exportKey(p.format as never, p.key as Key) as Promise<unknown>;
      case 'deriveBits':
        capDerive(alg, p.length);
        return subtle.deriveBits(alg as never, p.key as Key, p.length as number);
      case 'deriveKey':
        capDerive(alg, lengthOf(p.derived));
        return subtle.deriveKey(alg as never, p.key as Key, p.derived as never, ext, usages);
      case 'wrapKey': return subtle.wrapKey(p.format as never, p.key as Key, p.wrappingKey as Key, alg as never);
      case 'unwrapKey':
        return (subtle.unwrapKey(p.format as never, a, p.unwrappingKey as Key, alg as never, p.keyAlg as never, ext, usages) as Promise<Key>).then(capImported);
      // DigestStream: a hash running host-side, fed in order (this queue is serial), synchronously.
      case 'digestStream': {
        const name = STREAM_HASHES[algName(alg)];
        if (!name) throw new WebCryptoError('Unrecognized algorithm name', 'NotSupportedError');
        if (this.#hashes.size >= MAX_DIGEST_STREAMS) throw new WebCryptoError(`more than ${MAX_DIGEST_STREAMS} DigestStreams open in this instance`, 'OperationError');
        const h = this.#next++;
        this.#hashes.set(h, createHash(name));
        return Promise.resolve(h);
      }
      case 'digestUpdate':
        this.#hash(p.h).update(a);
        return Promise.resolve(null);
      case 'digestFinish': {
        const d = this.#hash(p.h).digest();
        this.#hashes.delete(p.h as number);
        return Promise.resolve(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
      }
      default: throw new WebCryptoError(`unknown operation ${job.method}`, 'NotSupportedError');
    }
  }
}

const STREAM_HASHES: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const RAW_PUBLIC = new Set(['ECDSA', 'ECDH', 'Ed25519', 'X25519']);

function isKey(v: unknown): v is Key {
  return v instanceof globalThis.CryptoKey;
}

/** The guest sends BufferSources as ArrayBuffers (a string is not one). */
function bytes(v: ArrayBuffer | string | null): Uint8Array {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (v === null) return new Uint8Array(0);
  throw new WebCryptoError('data must be a BufferSource', 'TypeError');
}

function field(alg: unknown, k: string): unknown {
  return alg !== null && typeof alg === 'object' ? (alg as Record<string, unknown>)[k] : undefined;
}

function algName(alg: unknown): string {
  const n = typeof alg === 'string' ? alg : field(alg, 'name');
  return typeof n === 'string' ? n.toUpperCase() : '';
}

function capGenerate(alg: unknown): void {
  if (!algName(alg).startsWith('RSA')) return;
  // As WebIDL converts it (a string of digits counts): Number() of whatever came.
  const bits = Number(field(alg, 'modulusLength'));
  if (bits > RSA_MAX_GENERATE_BITS) throw new WebCryptoError(`RSA keys are generated with a modulusLength of at most ${RSA_MAX_GENERATE_BITS} bits here`, 'NotSupportedError');
}

function capImported(k: Key): Key {
  const bits = (k.algorithm as { modulusLength?: unknown }).modulusLength;
  if (typeof bits === 'number' && bits > RSA_MAX_IMPORT_BITS) throw new WebCryptoError(`RSA keys of at most ${RSA_MAX_IMPORT_BITS} bits are supported here`, 'NotSupportedError');
  return k;
}

function lengthOf(derived: unknown): unknown {
  return field(derived, 'length') ?? 512;
}

const HASH_BYTES: Record<string, number> = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

function capDerive(alg: unknown, length: unknown): void {
  if (algName(alg) !== 'PBKDF2') return;
  const it = Number(field(alg, 'iterations'));
  if (!(it > 0)) return;
  if (it > PBKDF2_MAX_ITERATIONS) throw new WebCryptoError(`PBKDF2 takes at most ${PBKDF2_MAX_ITERATIONS} iterations here`, 'NotSupportedError');
  const hash = field(alg, 'hash');
  const hb = HASH_BYTES[algName(hash)] ?? 20;
  const blocks = Math.ceil((Number(length) || 0) / 8 / hb);
  if (it * blocks > PBKDF2_MAX_WORK) throw new WebCryptoError(`PBKDF2: iterations × output blocks is at most ${PBKDF2_MAX_WORK} here`, 'NotSupportedError');
}
