/**
 * One table of every stable error code the host can return, with its HTTP status.
 * The API maps `EdgeError` to `{code, message}` in one place (api/error-handler.ts);
 * test/errors.test.ts checks this table against docs/errors.md.
 */
export const ERROR_CODES = {
  EDGE_ERR_BAD_REQUEST: { status: 400, meaning: 'The request to the admin API is malformed.' },
  EDGE_ERR_INVALID_NAME: { status: 400, meaning: 'A function or revision name does not match the naming rule.' },
  EDGE_ERR_INVALID_CONFIG: { status: 400, meaning: 'A revision configuration value is out of range or of the wrong type.' },
  EDGE_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The deploy body has a content type the host cannot deploy.' },
  EDGE_ERR_MODULE_TOO_LARGE: { status: 413, meaning: 'The deployed module is larger than the configured limit.' },
  EDGE_ERR_MODULE_PARSE: { status: 400, meaning: 'The deployed JavaScript module does not parse, or imports something the host does not provide.' },
  EDGE_ERR_MODULE_NO_FETCH: { status: 400, meaning: 'The deployed module has no default export with a fetch(request, env, ctx) method.' },
  EDGE_ERR_MODULE_INIT: { status: 400, meaning: 'The deployed module threw or ran out of time or memory while it was evaluated.' },
  EDGE_ERR_WASM_INVALID: { status: 400, meaning: 'The deployed bytes are not a valid WebAssembly module.' },
  EDGE_ERR_WASM_ABI: { status: 400, meaning: 'The WebAssembly module does not fit the edge-core-v1 ABI: a missing or mistyped export, an import the host does not provide, an unknown ABI, or a component.' },
  EDGE_ERR_ENV_TOO_LARGE: { status: 400, meaning: 'The revision\'s variables are larger than the host allows (64 KiB in all).' },
  EDGE_ERR_FUNCTION_NOT_FOUND: { status: 404, meaning: 'No function is deployed under that name.' },
  EDGE_ERR_REVISION_NOT_FOUND: { status: 404, meaning: 'No revision with that name exists.' },
  EDGE_ERR_REVISION_HAS_TRAFFIC: { status: 409, meaning: 'The revision still receives traffic; move the traffic before deleting it.' },
  EDGE_ERR_CONFLICT: { status: 409, meaning: 'The function changed since it was read (its generation moved on); read it again and retry.' },
  EDGE_ERR_NO_ROUTE: { status: 404, meaning: 'The request host does not name a function under the configured domain.' },
  EDGE_ERR_UNAUTHORIZED: { status: 401, meaning: 'The admin API needs `Authorization: Bearer <token>` and the token did not match.' },
  EDGE_ERR_BODY_TOO_LARGE: { status: 413, meaning: 'The request body is larger than the configured limit.' },
  EDGE_ERR_HEADERS_TOO_LARGE: { status: 431, meaning: 'The request has more headers, or more header bytes, than the limits allow.' },
  EDGE_ERR_CPU_LIMIT: { status: 503, meaning: 'The function used more CPU time than its limit while handling this request.' },
  EDGE_ERR_MEMORY_LIMIT: { status: 503, meaning: 'The function exceeded its isolate heap limit; the instance was dropped.' },
  EDGE_ERR_WALL_TIMEOUT: { status: 504, meaning: 'The function did not produce a response within the wall-clock limit.' },
  EDGE_ERR_FUNCTION_THREW: { status: 500, meaning: 'The function threw an exception or rejected instead of returning a Response.' },
  EDGE_ERR_WASM_TRAP: { status: 500, meaning: 'The WebAssembly module trapped while handling the request; the instance was dropped.' },
  EDGE_ERR_BAD_RESPONSE: { status: 502, meaning: 'The function returned something that is not a Response.' },
  EDGE_ERR_RESPONSE_TOO_LARGE: { status: 502, meaning: 'The function\'s response body or headers are larger than the limits allow.' },
  EDGE_ERR_INSTANCE_START: { status: 503, meaning: 'An instance of the revision could not be started.' },
  EDGE_ERR_QUEUE_FULL: { status: 503, meaning: 'The revision has no free slot and its queue is full; retry after the Retry-After seconds.' },
  EDGE_ERR_QUEUE_TIMEOUT: { status: 504, meaning: 'The request waited in the revision queue past its deadline without getting a slot.' },
  EDGE_ERR_ACTIVATION_TIMEOUT: { status: 504, meaning: 'The revision was scaling from zero and no instance became ready before the deadline.' },
  EDGE_ERR_CLIENT_CLOSED: { status: 499, meaning: 'The client closed the connection before the response ended; the function\'s request was cancelled.' },
  EDGE_ERR_EXECUTOR_LOST: { status: 503, meaning: 'The executor thread running the request stopped; the request was not completed.' },
  EDGE_ERR_SHUTTING_DOWN: { status: 503, meaning: 'The host is shutting down and accepts no new requests.' },
  EDGE_ERR_MODULE_NO_SCHEDULED: { status: 400, meaning: 'The revision has cron triggers but its module has no scheduled(controller, env, ctx) handler (or is Wasm, which has none).' },
  EDGE_ERR_ASYNC_QUEUE_FULL: { status: 429, meaning: 'The function already has async.maxQueued calls queued; retry after the Retry-After seconds.' },
  EDGE_ERR_INVOCATION_NOT_FOUND: { status: 404, meaning: 'No async invocation with that id exists (or its record outlived async.retentionS).' },
  EDGE_ERR_INVOCATION_STATE: { status: 409, meaning: 'The invocation is not in a state that allows this (only a queued call can be cancelled; only a failed or dead one replayed).' },
  EDGE_ERR_CLOUDEVENT_INVALID: { status: 400, meaning: 'The request is a CloudEvent (ce-* headers or application/cloudevents+json) missing a required attribute, with a bad specversion, or malformed.' },
  EDGE_ERR_CLOUDEVENT_BATCH: { status: 415, meaning: 'The request is a batch of CloudEvents (application/cloudevents-batch+json); send one event per request.' },
  EDGE_ERR_FUNCTION_STATUS: { status: 502, meaning: "An async call's function answered with an error status (kept in the call's result); after retries, or at once for a status that is not retried, the call failed." },
  EDGE_ERR_STORE_UNAVAILABLE: { status: 503, meaning: "The store could not take the write (NATS unreachable or electing leaders, the invocation store's thread stopped, the disk is full); nothing was stored: retry." },
  EDGE_ERR_NOT_FOUND: { status: 404, meaning: 'No admin API route matches the method and path.' },
  EDGE_ERR_INTERNAL: { status: 500, meaning: 'An unexpected host fault; the log has the details under the request id.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class EdgeError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'EdgeError';
    this.code = code;
    this.statusCode = ERROR_CODES[code].status;
    this.details = opts.details;
  }

  static statusOf(code: ErrorCode): number {
    return ERROR_CODES[code].status;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
