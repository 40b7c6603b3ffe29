/** The dispatch pipeline's inputs and outputs: what an edge request, an async invocation or a peer hands it. */
import type { EdgeError } from '../core/errors.ts';
import type { HeaderPairs, ScheduledEvent, StartTier } from '../runtime/types.ts';

/** Which function, and optionally which tagged revision, a request is for. */
export interface DispatchTarget {
  fn: string;
  tag?: string;
  /** One revision of `fn`, past the traffic table (a cron tick runs on the revision whose crons fired). */
  revision?: string;
}

/**
 * A body still arriving from the client or still coming from the function: a Node Readable at the edge;
 * dispatch needs only this of it.
 */
export interface BodyStream extends AsyncIterable<Uint8Array> {
  once(event: 'close', listener: () => void): unknown;
  destroy(error?: Error): unknown;
  /**
   * A response body from an executor: the writer it is piped into, whose buffered bytes it must not
   * count as delivered (the bytes are views of memory the executor writes again once delivered).
   */
  attach?(sink: { readonly writableLength: number; on(event: 'drain', listener: () => void): unknown }): void;
}

/** Whether a body is a stream rather than bytes, a string or none. */
export const isBodyStream = (b: unknown): b is BodyStream => b !== null && typeof b === 'object' && !(b instanceof Uint8Array);

export interface DispatchRequest {
  /** The request id, for logs and the guest's console lines. */
  id: string;
  method: string;
  /** The full URL the function sees. */
  url: string;
  headers: HeaderPairs;
  /**
   * The body: bytes, none, or a Readable still arriving from the client. A JS revision reads that as a
   * stream (request.body while the client sends); the Wasm tiers get it collected.
   */
  body: Uint8Array | null | BodyStream;
  /**
   * Set: a cron trigger's run. The revision's `scheduled(controller, env, ctx)` runs instead of fetch
   * (`controller`: frozen `{ cron, scheduledTime, type: 'scheduled', noRetry() }`, scheduledTime in Unix
   * ms) under the same limits; method, url and headers still route, limit and log it, but the guest sees
   * no Request (and no body). The result (docs/host-abi.md, "Scheduled handlers"):
   * - the handler returned and its promise, if any, resolved: `ok: true`, status 204, body null, headers
   *   `[['isoedge-no-retry', '1']]` if it called `controller.noRetry()`, else `[]`;
   * - every failure is `ok: false` with `error` as for fetch: a throw or rejection is
   *   EDGE_ERR_FUNCTION_THREW (message `${name}: ${message}`), and `error.details.noRetry === true`
   *   when the handler called `controller.noRetry()` before it threw; no scheduled handler (a JS module
   *   without one, any Wasm or component revision) is EDGE_ERR_MODULE_NO_SCHEDULED; the host's limits
   *   (EDGE_ERR_CPU_LIMIT, EDGE_ERR_WALL_TIMEOUT, …) and refusals (queue, no such function) as for fetch.
   *   A failure the host caused (a limit) does not know of noRetry(): `details` is then absent.
   */
  scheduled?: ScheduledEvent;
}

export interface DispatchTiming {
  routeMs: number;
  queueMs: number;
  /** Set once an executor answered. */
  tier?: StartTier;
  startMs?: number;
  execMs?: number;
}

export type DispatchResult =
  /** A BodyStream body streams from the function as the client reads it (its errors after the head abort the response). */
  | { ok: true; revision: string; status: number; headers: HeaderPairs; body: Uint8Array | string | null | BodyStream; timing: DispatchTiming }
  | {
    ok: false;
    /** Undefined when no revision was chosen (unknown function, no route). */
    revision: string | undefined;
    error: EdgeError;
    timing: DispatchTiming;
    /** Seconds a client should wait before retrying (a full queue). */
    retryAfterS?: number;
  };

/** One finished dispatch, as hooks see it: after the response is known, before it is written. */
export interface DispatchEvent {
  target: DispatchTarget;
  request: DispatchRequest;
  result: DispatchResult;
  /** The last stage the request entered: routing (incl. limits), admission, or the executor. */
  stage: 'route' | 'admit' | 'execute';
  /** Whether an executor answered (with a response or a coded failure), as opposed to a refusal before or a lost executor. */
  executed: boolean;
  totalMs: number;
}

/** Metrics and logs hang here; a hook never changes the result. */
export interface DispatchHooks {
  finished?(e: DispatchEvent): void;
}
