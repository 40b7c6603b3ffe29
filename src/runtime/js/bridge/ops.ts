/**
 * The host operations a guest runtime may call: one declarative table from which both
 * sides of the bridge are built (host callbacks in bridge/host.ts, guest `ops.<name>` in
 * guest/00_infra.js from the names and shapes the host injects). Adding a bridged Web API
 * is one row here plus its host implementation (docs/architecture.md, "The bridge table").
 */
import type { ErrorCode } from '../../../core/errors.ts';

/**
 * Argument and result types as they cross isolated-vm: 'int' and 'number' are JS numbers
 * ('int' must be a safe integer), 'body' is ArrayBuffer | string | null, 'bytes' is an
 * ArrayBuffer (results only: ExternalCopy'd in), 'bytes?' the same or null. 'value' (results
 * only) is a value the host made inside this isolate by running a script there: the host returns
 * it as `Reference.derefInto()`, the guest receives the value itself (a function, for `vendor`).
 */
export type WireType = 'string' | 'int' | 'number' | 'body' | 'bytes' | 'bytes?' | 'value';

/**
 * Where the CPU of an op's guest-side work is charged:
 * - 'caller': a sync op runs inside the call that made it, metered to whoever that call is for; isolated-vm's
 *   cpuTime leaves out the host callback's own time, so an op with real host work is wrapped in
 *   GenericIsolate.#charged (isolate.ts), which adds it (the Cache API ops);
 * - 'request': an async op's completion re-enters the isolate charged to the request that started it
 *   while that request is pending, else to the background budget (GenericIsolate.enter());
 * - 'background': the completion is always charged to the background budget.
 */
export type CpuCharge = 'caller' | 'request' | 'background';

export interface SyncOpSpec {
  readonly kind: 'sync';
  readonly args: readonly WireType[];
  /** undefined: the op returns nothing. */
  readonly result: WireType | undefined;
  readonly cpu: 'caller';
}

export interface AsyncOpSpec {
  readonly kind: 'async';
  readonly args: readonly WireType[];
  /** The values the completion carries; the guest's promise resolves to undefined (none), the value (one) or an array. */
  readonly result: readonly WireType[];
  readonly cpu: 'request' | 'background';
}

export type OpSpec = SyncOpSpec | AsyncOpSpec;

/** The table. Its key order is the order of the callbacks handed to the context. */
export const OPS = {
  /** console output, attributed to the request whose call is running. */
  log: { kind: 'sync', args: ['string', 'string'], result: undefined, cpu: 'caller' },
  /** A request's response: id, status, headers as JSON pairs, body. */
  done: { kind: 'sync', args: ['int', 'int', 'string', 'body'], result: undefined, cpu: 'caller' },
  /** A request failed in the guest: id, fault kind (FAULTS), message. */
  fail: { kind: 'sync', args: ['int', 'string', 'string'], result: undefined, cpu: 'caller' },
  /** n bytes (at most 65536) from the host's CSPRNG. */
  random: { kind: 'sync', args: ['int'], result: 'bytes', cpu: 'caller' },
  /** The WHATWG URL parser (Node's, bridge/url.ts): input, base, 1 if there is a base → components joined by '\n', or '' if it fails. */
  url_parse: { kind: 'sync', args: ['string', 'string', 'int'], result: 'string', cpu: 'caller' },
  /** A URL setter: href, setter name, value → the new components ('' when the href setter fails). */
  url_set: { kind: 'sync', args: ['string', 'string', 'string'], result: 'string', cpu: 'caller' },
  /**
   * A third-party module of the runtime by name (prelude-source.ts VENDOR: streams, flate, urlpattern),
   * compiled and run in this isolate on its first use: its factory function.
   */
  vendor: { kind: 'sync', args: ['string'], result: 'value', cpu: 'caller' },
  /** The Encoding standard's "get an encoding" for a label the guest does not decode itself (bridge/encoding.ts): its name, or '' */
  text_label: { kind: 'sync', args: ['string'], result: 'string', cpu: 'caller' },
  /** A legacy encoding's decode: stream handle (0: none), encoding, flags (1 fatal, 2 ignoreBOM, 4 stream), bytes → the text. */
  text_decode: { kind: 'sync', args: ['int', 'string', 'int', 'body'], result: 'string', cpu: 'caller' },
  /** Cancels a pending async op by its id: it never completes. */
  cancel: { kind: 'sync', args: ['int'], result: undefined, cpu: 'caller' },
  /** Completes after ms milliseconds (setTimeout). */
  timer: { kind: 'async', args: ['number'], result: [], cpu: 'request' },
  /**
   * Outbound fetch: method, url, headers as JSON pairs, body → status, headers as JSON pairs, and either the
   * body (a small one, known by its content-length) or 0 there and a stream handle the guest reads with fetch_read.
   */
  fetch: { kind: 'async', args: ['string', 'string', 'string', 'body'], result: ['int', 'string', 'bytes?', 'int'], cpu: 'request' },
  /** The next chunk of a fetch's streamed body (null at its end). */
  fetch_read: { kind: 'async', args: ['int'], result: ['bytes?'], cpu: 'request' },
  /** The guest stopped reading a fetch's streamed body: the host aborts it. */
  fetch_cancel: { kind: 'sync', args: ['int'], result: undefined, cpu: 'caller' },
  /** The next chunk of a streamed request body (dispatch id → bytes, or null at its end). */
  body_read: { kind: 'async', args: ['int'], result: ['bytes?'], cpu: 'request' },
  /** A request's response head, its body to stream: id, status, headers as JSON pairs. The host pulls chunks (entry pull). */
  stream_head: { kind: 'sync', args: ['int', 'int', 'string'], result: undefined, cpu: 'caller' },
  /** One chunk of a streaming response (at most 64 KiB): id, bytes. */
  stream_chunk: { kind: 'sync', args: ['int', 'body'], result: undefined, cpu: 'caller' },
  /** The guest wrote `len` more bytes of a streaming response into the ring the host gave it with pull (at its own write position): id, len. */
  stream_wrote: { kind: 'sync', args: ['int', 'int'], result: undefined, cpu: 'caller' },
  /** A streaming response ended: id. */
  stream_end: { kind: 'sync', args: ['int'], result: undefined, cpu: 'caller' },
  /** crypto.subtle (crypto/subtle.ts): method, JSON parameters, data, data → JSON outcome, bytes; host CPU charged. */
  subtle: { kind: 'async', args: ['string', 'string', 'body', 'body'], result: ['string', 'bytes?'], cpu: 'request' },
  /** Frees a key handle whose CryptoKey the guest collected. */
  keyFree: { kind: 'sync', args: ['int'], result: undefined, cpu: 'caller' },
  /**
   * The Cache API (bridge/cache.ts), memory operations on the executor's store, so sync and charged to the
   * caller. The function is the instance's revision's, never an argument. put: cache name ('' = caches.default),
   * URL, `[status, statusText, headers]` as JSON, body.
   */
  cache_put: { kind: 'sync', args: ['string', 'string', 'string', 'body'], result: undefined, cpu: 'caller' },
  /** cache name, URL → null (a miss) or the entry packed as u32 meta length, meta JSON, body bytes (bridge/cache.ts). */
  cache_match: { kind: 'sync', args: ['string', 'string'], result: 'bytes?', cpu: 'caller' },
  /** cache name, URL → 1 if an entry was deleted, else 0. */
  cache_delete: { kind: 'sync', args: ['string', 'string'], result: 'int', cpu: 'caller' },
} as const satisfies Record<string, OpSpec>;

export type OpName = keyof typeof OPS;
export const OP_NAMES = Object.keys(OPS) as OpName[];

/** The host→guest entry points, in the order the guest runtime returns them (guest/90_entry.js). */
export const ENTRY_POINTS = ['bind', 'bindWasm', 'bindComponent', 'dispatch', 'pull', 'cancel', 'warmup', 'detach', 'complete'] as const;
export type EntryName = (typeof ENTRY_POINTS)[number];

/**
 * The one refusal convention: a host op refuses by throwing an OpError; the guest sees an
 * exception whose `code` is the OpError's and whose message is `${code}: ${message}`
 * (a TypeError: fetch's refusals must be TypeErrors, and no op needs another class yet).
 * An async op that fails later completes with ok = false, code and message, the same way.
 */
export type OpCode = 'EDGE_ERR_FETCH_DENIED' | 'EDGE_ERR_FETCH_FAILED' | 'EDGE_ERR_TOO_MANY_TIMERS' | 'EDGE_ERR_BAD_ARGUMENT' | 'EDGE_ERR_INSTANCE_ENDED' | 'EDGE_ERR_CPU_LIMIT' | 'EDGE_ERR_BODY_TOO_LARGE' | 'EDGE_ERR_BAD_REQUEST';

export class OpError extends Error {
  readonly code: OpCode;
  constructor(code: OpCode, message: string) {
    // isolated-vm carries only the message into the isolate: the code travels as its prefix.
    super(`${code}: ${message}`);
    this.code = code;
  }
}

/**
 * The entry points that bind a revision (bind, bindWasm, bindComponent) refuse the same way, the
 * other direction: the guest throws `ns.refuse(code, message)` (guest/00_infra.js), a TypeError
 * whose message is `${code}: ${message}`, and the host reads the code back with entryRefusal
 * (instance.ts raises it as the revision's start error). `detach` is not a refusal: it answers
 * whether the isolate may be reused.
 */
export type EntryCode = 'EDGE_ERR_MODULE_NO_FETCH' | 'EDGE_ERR_MODULE_INIT';
const ENTRY_CODES: ReadonlySet<string> = new Set(['EDGE_ERR_MODULE_NO_FETCH', 'EDGE_ERR_MODULE_INIT'] satisfies EntryCode[]);

/** An entry point's refusal (the exception isolated-vm rethrew on the host), or undefined for any other exception. */
export function entryRefusal(e: unknown): { code: EntryCode; message: string } | undefined {
  const message = e !== null && typeof e === 'object' ? (e as { message?: unknown }).message : undefined;
  if (typeof message !== 'string') return undefined;
  const at = message.indexOf(': ');
  const code = at < 0 ? '' : message.slice(0, at);
  return ENTRY_CODES.has(code) ? { code: code as EntryCode, message: message.slice(at + 2) } : undefined;
}

/**
 * The guest's fault kinds (the `fail` op) and what each answers with; fatal ones drop the instance.
 * `noRetry`: the failure carries InvokeFail.noRetry (a scheduled handler called controller.noRetry()).
 */
export const FAULTS = {
  threw: { code: 'EDGE_ERR_FUNCTION_THREW', fatal: false },
  bad_response: { code: 'EDGE_ERR_BAD_RESPONSE', fatal: false },
  too_large: { code: 'EDGE_ERR_RESPONSE_TOO_LARGE', fatal: false },
  // A trap or a memory overrun leaves the Wasm instance in an unknown state.
  trap: { code: 'EDGE_ERR_WASM_TRAP', fatal: true },
  memory: { code: 'EDGE_ERR_MEMORY_LIMIT', fatal: true },
  // A scheduled run (90_entry.js): the revision has no scheduled handler (a JS module without one, any Wasm or component tier) …
  no_scheduled: { code: 'EDGE_ERR_MODULE_NO_SCHEDULED', fatal: false },
  // … or its handler threw after it called controller.noRetry() (without that call it is `threw`).
  threw_no_retry: { code: 'EDGE_ERR_FUNCTION_THREW', fatal: false, noRetry: true },
} as const satisfies Record<string, { code: ErrorCode; fatal: boolean; noRetry?: true }>;

export type FaultKind = keyof typeof FAULTS;

/** A value inside the isolate, as the host hands it over (isolated-vm's `Reference.derefInto()`). */
export type GuestValue = object;

/** The TS type of a wire type on the host side. */
type HostType<T extends WireType> = T extends 'string' ? string
  : T extends 'int' | 'number' ? number
  : T extends 'body' ? ArrayBuffer | string | null
  : T extends 'bytes' ? ArrayBuffer
  : T extends 'bytes?' ? ArrayBuffer | null
  : T extends 'value' ? GuestValue
  : never;
type HostTypes<A extends readonly WireType[]> = { -readonly [I in keyof A]: HostType<A[I]> };

/** How an async op's host implementation reports its outcome (once; later calls are ignored). */
export interface Settle<R extends readonly WireType[]> {
  resolve(...values: HostTypes<R>): void;
  reject(code: OpCode, message: string): void;
  /**
   * Host CPU the op used outside the isolate (threadpool work: the wall time of a job is an upper
   * bound), in ns; may be called more than once, before resolve/reject. The completion charges it
   * like its re-entry: to the request that started the op (or the background budget), ending the
   * instance with EDGE_ERR_CPU_LIMIT without re-entering it once that is over budget.
   */
  charge(ns: bigint): void;
}

/**
 * What the host implements per row: a sync op returns its result; an async op starts its work,
 * may return a cancel function, and settles later. Either refuses by throwing an OpError.
 */
export type HostImpls = {
  [K in OpName]: (typeof OPS)[K] extends { kind: 'sync'; args: infer A extends readonly WireType[]; result: infer R }
    ? (...args: HostTypes<A>) => R extends WireType ? HostType<R> : void
    : (typeof OPS)[K] extends { kind: 'async'; args: infer A extends readonly WireType[]; result: infer R extends readonly WireType[] }
      ? (settle: Settle<R>, ...args: HostTypes<A>) => (() => void) | undefined
      : never;
};

/** The shapes the guest builds its op functions from: [name, kind, arity, result arity]. */
export function guestTable(): [OpName, 'sync' | 'async', number, number][] {
  return OP_NAMES.map((n) => {
    const o: OpSpec = OPS[n];
    return [n, o.kind, o.args.length, o.kind === 'async' ? o.result.length : o.result === undefined ? 0 : 1];
  });
}

/** The TS type of a wire type on the guest side (ArrayBuffers arrive as ArrayBuffers). */
type GuestResult<R extends readonly WireType[]> = R extends readonly [] ? void : R extends readonly [infer T extends WireType] ? HostType<T> : HostTypes<R>;

/** `ns.ops` as the guest sees it, derived from the table (guest/guest.d.ts types the guest files with it). */
export type GuestOps = {
  readonly [K in OpName]: (typeof OPS)[K] extends { kind: 'sync'; args: infer A extends readonly WireType[]; result: infer R }
    ? (...args: HostTypes<A>) => R extends 'value' ? unknown : R extends WireType ? HostType<R> : void
    : (typeof OPS)[K] extends { kind: 'async'; args: infer A extends readonly WireType[]; result: infer R extends readonly WireType[] }
      ? (...args: HostTypes<A>) => Promise<GuestResult<R>>
      : never;
};
