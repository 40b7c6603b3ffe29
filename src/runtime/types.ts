/** The contract between the executor's pool and a runtime (JS today, Wasm next). */
import type { ErrorCode } from '../core/errors.ts';

export type HeaderPairs = [string, string][];

/**
 * The `limits` rows of config/revision-settings.ts, settable and host-only (runtime/ may not
 * import config/, so this is written out; test/revision-settings.test.ts pins it to the table).
 */
export interface RevisionLimits {
  cpuMs: number;
  wallMs: number;
  streamMs: number;
  memoryMb: number;
  wasmMemoryPages: number;
  bodyBytes: number;
  responseBytes: number;
  headerCount: number;
  headerBytes: number;
}

/** The host defaults (config limits.*), for code that builds a spec without a config (tests, deploy checks); a test checks them against `revisionDefaults()`. */
export const BASE_LIMITS: Readonly<RevisionLimits> = Object.freeze({
  cpuMs: 50, wallMs: 30_000, streamMs: 600_000, memoryMb: 64, wasmMemoryPages: 256, bodyBytes: 100 * 1024 * 1024, responseBytes: 1024 * 1024 * 1024, headerCount: 100, headerBytes: 8 * 1024,
});

/** Everything an executor needs to start instances of one revision. Immutable. */
export interface RevisionSpec {
  id: string;
  fn: string;
  digest: string;
  runtime: 'js' | 'wasm' | 'component';
  /** The deploy-time transformed script (an IIFE that sets `__isoedge_module`); '' for Wasm. */
  script: string;
  /** An edge-core-v1 core module's bytes (runtime 'wasm'). */
  wasm?: Uint8Array;
  /** A component's core modules as jco named them (runtime 'component'; `script` is the bundled instantiate()). */
  cores?: [string, Uint8Array][];
  /** V8 code cache for `script`, produced at deploy; null when unavailable. */
  cache: Uint8Array | null;
  env: Record<string, string>;
  /** Requests one instance serves at once; 0 = unlimited (Knative containerConcurrency). */
  concurrency: number;
  limits: RevisionLimits;
  /** Per-revision autoscaling overrides (read by the gateway's scaler, ignored by executors). */
  scaling?: Record<string, number>;
}

/** A response as Cache API put() hands it to the host: the guest has read the body to its end. */
export interface CachePut {
  status: number;
  statusText: string;
  headers: HeaderPairs;
  body: Uint8Array | null;
}

/**
 * The executor's Cache API store as the runtime sees it (executor/cache-store.ts implements it). `fn` is
 * always the instance's own revision's function, set by the host: it is what keeps tenants apart.
 * `cache` is the name given to caches.open ('' for caches.default). A match answers the entry packed
 * for the guest (u32 little-endian meta length, `[status, statusText, headers]` as UTF-8 JSON, body).
 */
export interface EdgeCache {
  put(fn: string, cache: string, url: string, res: CachePut): void;
  match(fn: string, cache: string, url: string): ArrayBuffer | undefined;
  delete(fn: string, cache: string, url: string): boolean;
}

/** A request body that is still arriving (the executor feeds it from the gateway): the runtime reads it as the guest does. */
export interface RequestBodySource {
  /** The next chunk, or null at the end; rejects with an InvokeFail (over limits.bodyBytes, the client went away). */
  read(): Promise<Uint8Array | null>;
}

/** A response body the guest is still producing (a ReadableStream): read chunk by chunk, as the client takes them. */
export interface ResponseStream {
  /**
   * The next chunk (at most 64 KiB), or null at its end; rejects with an InvokeFail (a limit, a guest error).
   * `maxBytes`: how much the reader can take now; the guest may produce up to that much ahead, held here.
   */
  read(maxBytes: number): Promise<Uint8Array | null>;
  /**
   * Lets the guest write the body straight into `ring` (the reader's SharedArrayBuffer, written in order
   * from offset 0 and wrapping): chunks read after this may be views of it, at the reader's own write position.
   */
  useRing?(ring: SharedArrayBuffer): void;
  /** Chunks the guest already produced, at most `maxBytes` in all (at least one if any is there), without asking it for more. */
  take(maxBytes: number): Uint8Array[];
  /** Ends it from the host's side (the client went away, the stream's wall time): the guest's stream is cancelled. */
  cancel(code: ErrorCode, message: string): void;
}

/**
 * A cron trigger's run (Workers' `scheduled(controller, env, ctx)`): which expression fired and when it
 * was due (Unix ms). docs/host-abi.md, "Scheduled handlers", gives the outcome's shape.
 */
export interface ScheduledEvent {
  cron: string;
  scheduledTime: number;
}

export interface InvokeRequest {
  reqId: string;
  method: string;
  url: string;
  headers: HeaderPairs;
  body: Uint8Array | null | RequestBodySource;
  /** Set: run the revision's scheduled handler instead of fetch (the guest sees no Request). */
  scheduled?: ScheduledEvent;
}

export interface InvokeOk {
  ok: true;
  status: number;
  headers: HeaderPairs;
  body: Uint8Array | string | null | ResponseStream;
  cpuMs: number;
}

export interface InvokeFail {
  ok: false;
  code: ErrorCode;
  message: string;
  /** True when the instance can no longer be used (CPU limit, heap limit, crash). */
  fatal: boolean;
  /** A scheduled handler called `controller.noRetry()` before it threw (docs/host-abi.md, "Scheduled handlers"). */
  noRetry?: boolean;
}

export type InvokeResult = InvokeOk | InvokeFail;

export type StartTier = 'hot' | 'warm' | 'cold';

/** Where guest console output goes (the executor tags it with function, revision and request). */
export type GuestLogSink = (level: 'debug' | 'info' | 'warn' | 'error', reqId: string, text: string) => void;
