/**
 * Types for the guest runtime files (guest/NN_*.js, `// @ts-check`): the two parameters of the
 * function prelude-source.ts wraps them in, and `ns`, the namespace they share. Global on purpose:
 * the files are concatenated into one script, so these names are in scope in every one of them.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the runtime's classes are declared inside the files' blocks, and a clone or a handler takes anything */
import type { EntryCode, FaultKind, GuestOps } from '../bridge/ops.ts';
import type * as Streams from 'web-streams-polyfill';
import type * as Fflate from 'fflate';

declare global {
  /** The host's callbacks, one per op, in table order (isolate.ts). */
  const __isoedge_bridge: unknown;
  /** The op table and entry-point list, generated into the script (prelude-source.ts GUEST_TABLE). */
  const __isoedge_table: { ops: [string, 'sync' | 'async', number, number][]; entries: string[] };
  const ns: IsoedgeNs;
  /** The bundled third-party code (prelude-source.ts VENDOR): the factories `ns.ops.vendor(name)` answers on first use. */
  type IsoedgeVendorStreams = (intrinsics: { Promise: unknown; queueMicrotask: (cb: () => void) => void }) => typeof Streams;
  type IsoedgeVendorFlate = () => Pick<typeof Fflate, 'Gzip' | 'Zlib' | 'Deflate' | 'Inflate'>;
  type IsoedgeVendorUrlPattern = () => { URLPattern: unknown };

  type IsoedgeOps = GuestOps;
  type IsoedgeEntry = (...args: any[]) => unknown;
  /** A bound handler: a tenant's default export, or the runtime's own for Wasm and components. */
  type IsoedgeHandler = { fetch(req: any, env?: unknown, ctx?: unknown): unknown; scheduled?: unknown };

  interface IsoedgeNs {
    // 00_infra.js
    primordials: {
      ReflectApply: typeof Reflect.apply;
      ObjectDefineProperty: typeof Object.defineProperty;
      ObjectFreeze: typeof Object.freeze;
      ObjectKeys: typeof Object.keys;
      JSONParse: typeof JSON.parse;
      JSONStringify: typeof JSON.stringify;
      Promise: PromiseConstructor;
      PromiseReject: (reason: unknown) => Promise<never>;
      PromisePrototypeThen: <T, R>(p: Promise<T>, onFulfilled: (v: T) => R, onRejected?: (e: unknown) => unknown) => Promise<R>;
      MapPrototypeGet: <K, V>(m: Map<K, V>, k: K) => V | undefined;
      MapPrototypeSet: <K, V>(m: Map<K, V>, k: K, v: V) => Map<K, V>;
      MapPrototypeDelete: <K, V>(m: Map<K, V>, k: K) => boolean;
      MapPrototypeClear: <K, V>(m: Map<K, V>) => void;
      StringPrototypeStartsWith: (s: string, search: string) => boolean;
      StringPrototypeIndexOf: (s: string, search: string) => number;
      StringPrototypeSlice: (s: string, start?: number, end?: number) => string;
    };
    define(name: string, value: unknown): void;
    deepFreeze<T>(o: T): T;
    ops: IsoedgeOps;
    OP_ID: symbol;
    /** An entry point's refusal, to throw: a TypeError `${code}: ${message}` (the host reads it with bridge/ops.ts entryRefusal). */
    refuse<C extends EntryCode>(code: C, message: string): TypeError & { code: C };
    cancel(promise: Promise<unknown>): void;
    dropPending(): void;
    /** The entry points by name; 90_entry.js checks them against `__isoedge_table.entries`. */
    entry: Record<string, IsoedgeEntry>;
    api: Readonly<Record<string, IsoedgeEntry>>;
    /** The bound handler and env (bind, bindWasm, bindComponent set them, or throw ns.refuse(…); detach drops them). */
    state: { handler: IsoedgeHandler | null; env: unknown; responseBytes: number };
    // 01_console.js
    fmt(v: unknown): string;
    console: { log(...a: unknown[]): void; info(...a: unknown[]): void; debug(...a: unknown[]): void; trace(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void };
    // 01_dom_exception.js
    DOMException: any;
    /** A DOMException to throw: `throw ns.domException('…', 'InvalidCharacterError')`. */
    domException(message: string, name: string): Error & { name: string; code: number };
    // 01_events.js
    /** The runtime's clock: ms since `origin`, advanced by tick() when the host enters the isolate. */
    clock: { origin: number; tick(): void; now(): number };
    /** Reports an exception (an ErrorEvent on the global scope, then the log); never throws. */
    reportException(e: unknown): void;
    requestSignal(req: object): any;
    isEventObject(v: object): boolean;
    /** `promise`, or a rejection with the signal's reason if it aborts first (cancelling the op `op`). */
    withSignal<T>(signal: unknown, promise: Promise<T>, op?: Promise<unknown>): Promise<T>;
    INTERNAL: symbol;
    // 02_encoding.js … 04_url.js
    TextEncoder: any;
    TextDecoder: any;
    Headers: any;
    URL: any;
    URLSearchParams: any;
    // 05_streams.js
    /** Uint8Array brand check and bytes through captured getters (the request path's own use). */
    isU8(v: unknown): v is Uint8Array;
    u8ArrayBuffer(b: Uint8Array): ArrayBuffer;
    u8Copy(b: Uint8Array): Uint8Array;
    /** The Streams classes, loading them on first use. */
    streams(): typeof Streams;
    isReadableStream(v: unknown): v is Streams.ReadableStream;
    isLocked(s: any): boolean;
    isDisturbed(s: any): boolean;
    teeStream(s: any): [any, any];
    byteStream(bytes: Uint8Array): any;
    hostStream(next: () => Promise<ArrayBuffer | null>, stop: () => void): any;
    getStreamReader(s: any): any;
    readChunk(r: any): Promise<{ done: boolean; value: unknown }>;
    cancelReader(r: any, why: unknown): Promise<void>;
    /** Aborts a request's signal (the client went away). */
    abortRequest(req: object, reason: unknown): void;
    /** Reads a stream to its end; over `limit` bytes it cancels the stream and rejects with TOO_LARGE. */
    readAll(stream: any, limit?: number): Promise<Uint8Array>;
    readonly TOO_LARGE: object;
    bufferSource(chunk: unknown, who: string): Uint8Array;
    // 06_blob.js
    Blob: any;
    File: any;
    FormData: any;
    blobBytes(b: any): Uint8Array;
    serializeFormData(fd: any): [Uint8Array, string];
    parseFormData(bytes: Uint8Array, contentType: string): any;
    // 06_body.js, 07_request_response.js
    enc: { encode(s?: string): Uint8Array };
    dec: { decode(b?: Uint8Array | ArrayBuffer): string };
    /** The body slot of a Request or Response (06_body.js): a private field; a TypeError for anything else. */
    bodyOf(o: object): any;
    setBody(o: object, v: unknown): void;
    Body: any;
    /** A body as the runtime holds it: a string or bytes until `body` is read, then (or when given one) a ReadableStream. */
    extractBody(body: unknown): [string | Uint8Array | null | Streams.ReadableStream, string | null];
    bodyBytesAsync(b: unknown): Promise<Uint8Array | string | null>;
    /** The body a clone gets (a stream body is teed; the original keeps one branch). */
    cloneBody(o: any): unknown;
    Request: any;
    Response: any;
    NULL_BODY_STATUS: Set<number>;
    // 09_timers.js, 11_deferred.js
    dropTimers(): void;
    muteDeferred(): boolean;
    // 12_wasm.js
    readonly WASM_FAULT: unique symbol;
    wasmFault(kind: FaultKind, message: string): Error;
    bodyBytes(req: any): Uint8Array;
    checkMemory(memory: WebAssembly.Memory, maxBytes: number, who: string): void;
  }

  /* eslint-disable no-var -- globals the host and the deploy transform set: `var` is how a global is declared */
  /** The host's callbacks until 00_infra.js deletes it. */
  var __isoedge_host: unknown;
  /** What a revision's script defines: its module (JS) or its component glue (jco). */
  var __isoedge_module: { default?: { fetch?: unknown; scheduled?: unknown } } | undefined;
  var __isoedge_component: { instantiate?: (getCore: (name: string) => WebAssembly.Module, imports: object) => any; wasiHttp?: (cap: object) => any } | undefined;

  /** The parts of the JS WebAssembly API the guest uses; the project's libs (es2023 + node) declare only its types. */
  namespace WebAssembly {
    interface Memory { readonly buffer: ArrayBuffer }
    var Memory: { prototype: Memory; new (descriptor: { initial: number; maximum?: number }): Memory };
    interface Instance { readonly exports: Record<string, unknown> }
    var Instance: { prototype: Instance; new (module: Module, imports?: object): Instance };
    type RuntimeError = Error;
    var RuntimeError: { prototype: RuntimeError; new (message?: string): RuntimeError };
  }
}
