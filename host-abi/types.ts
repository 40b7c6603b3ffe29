/**
 * Types for code written against isoedge's JS host ABI (docs/host-abi.md §1).
 * A function module's default export satisfies `ExportedHandler<Env>`.
 */
export interface ExecutionContext {
  /** Keeps work going after the response is returned; a rejection is logged. */
  waitUntil(promise: Promise<unknown>): void;
  /** Accepted for Workers compatibility; isoedge has no origin to pass through to. */
  passThroughOnException(): void;
}

export interface ExportedHandler<Env extends Record<string, string> = Record<string, string>> {
  fetch(request: Request, env: Readonly<Env>, ctx: ExecutionContext): Response | Promise<Response>;
}
