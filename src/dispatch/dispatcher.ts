/**
 * The data plane's one entry point (Knative's activator handler is the model: it only
 * calls Try(ctx, revision, fn)): route → admit (activator and breaker) → executor →
 * result. It knows nothing of HTTP servers: the edge listener parses and writes, an
 * async queue or a cluster peer calls the same dispatch(). Metrics and logs are hooks.
 */
import type { Clock } from '../core/clock.ts';
import { readBytes } from '../core/bytes.ts';
import { EdgeError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { pick, type RouteTable } from '../router/index.ts';
import type { InvokeRequest, RevisionSpec } from '../runtime/types.ts';
import type { FromExecutor } from '../executor/index.ts';
import { checkRequest } from './limits.ts';
import { isBodyStream, type BodyStream, type DispatchHooks, type DispatchRequest, type DispatchResult, type DispatchTarget, type DispatchTiming } from './types.ts';

/** What the dispatcher reads of the catalog. */
export interface Routes {
  route(fn: string): { table: RouteTable } | undefined;
  specNow(rev: string): RevisionSpec | undefined;
  spec(rev: string): Promise<RevisionSpec | undefined>;
}

/** A granted slot (breaker or activator queue): release it when the executor answered. */
export interface Slot {
  release(): void;
  queuedMs: number;
}

/** The activator and breaker, as the dispatcher uses them. */
export interface Admission {
  admit(spec: RevisionSpec, signal: AbortSignal | undefined): Promise<Slot>;
  /** Around the executor call: the thread autoscaler's concurrency. */
  started(): void;
  ended(): void;
}

/** A request body as the executors take it: bytes, none, or a client stream with the revision's limit. */
export type ExecutorBody = Uint8Array | null | { stream: BodyStream; limit: number };

export interface Executors {
  /** `signal` aborts when the client went away: the executor cancels the call. */
  invoke(spec: RevisionSpec, req: Omit<InvokeRequest, 'body'> & { body: ExecutorBody }, signal?: AbortSignal): Promise<FromExecutor>;
}

export interface DispatcherDeps {
  routes: Routes;
  admission: Admission;
  executors: Executors;
  clock: Clock;
  rng: Rng;
  hooks?: DispatchHooks;
}

export class Dispatcher {
  readonly #d: DispatcherDeps;

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
  }

  async dispatch(target: DispatchTarget, request: DispatchRequest, signal?: AbortSignal): Promise<DispatchResult> {
    const t0 = this.#d.clock.now();
    const state: { stage: 'route' | 'admit' | 'execute'; executed: boolean } = { stage: 'route', executed: false };
    let result: DispatchResult;
    try {
      result = await this.#run(target, request, signal, t0, state);
    } catch (e) {
      // Executor loss, shutdown: the promise rejected with a code; anything else is a host fault.
      result = { ok: false, revision: undefined, error: e instanceof EdgeError ? e : new EdgeError('EDGE_ERR_INTERNAL', 'internal error', { cause: e }), timing: { routeMs: this.#d.clock.now() - t0, queueMs: 0 } };
    }
    this.#d.hooks?.finished?.({ target, request, result, stage: state.stage, executed: state.executed, totalMs: this.#d.clock.now() - t0 });
    return result;
  }

  async #run(target: DispatchTarget, request: DispatchRequest, signal: AbortSignal | undefined, t0: number, state: { stage: 'route' | 'admit' | 'execute'; executed: boolean }): Promise<DispatchResult> {
    const { routes, clock } = this.#d;
    const refuse = (error: EdgeError, revision?: string): DispatchResult => ({ ok: false, revision, error, timing: { routeMs: clock.now() - t0, queueMs: 0 } });
    // Read the table once: a concurrent traffic update swaps the whole object, never half of it.
    const route = routes.route(target.fn);
    if (!route) return refuse(new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(target.fn)} is deployed`));
    const rev = target.revision ?? pick(route.table, this.#d.rng, target.tag);
    if (rev === undefined) {
      return refuse(new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', target.tag !== undefined ? `function ${target.fn} has no revision tagged ${JSON.stringify(target.tag)}` : `function ${target.fn} has no revision with traffic`));
    }
    const spec = routes.specNow(rev) ?? (await routes.spec(rev));
    if (!spec || spec.fn !== target.fn) return refuse(new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', `revision ${rev} is gone`));
    const tooLarge = checkRequest(request.headers, request.body, spec.limits);
    if (tooLarge) return refuse(tooLarge);
    const routeMs = clock.now() - t0;
    state.stage = 'admit';
    let slot: Slot;
    try {
      slot = await this.#d.admission.admit(spec, signal);
    } catch (e) {
      const error = e instanceof EdgeError ? e : new EdgeError('EDGE_ERR_INTERNAL', 'internal error', { cause: e });
      return { ok: false, revision: rev, error, timing: { routeMs, queueMs: 0 }, ...(error.code === 'EDGE_ERR_QUEUE_FULL' ? { retryAfterS: 1 } : {}) };
    }
    state.stage = 'execute';
    this.#d.admission.started();
    // A streaming response holds its slot until its body ended: the instance is busy until then.
    let held = false;
    try {
      let body: ExecutorBody;
      if (isBodyStream(request.body)) {
        // The Wasm tiers take whole bodies (docs/host-abi.md); a JS function reads it as it arrives.
        if (spec.runtime === 'js') body = { stream: request.body, limit: spec.limits.bodyBytes };
        else {
          const got = await collect(request.body, spec.limits.bodyBytes);
          if (got instanceof EdgeError) return { ok: false, revision: rev, error: got, timing: { routeMs, queueMs: slot.queuedMs } };
          body = got;
        }
      } else body = request.body;
      // No spread on this path (issue 16): `scheduled` is undefined for every edge request.
      const m = await this.#d.executors.invoke(spec, { reqId: request.id, method: request.method, url: request.url, headers: request.headers, body, scheduled: request.scheduled }, signal);
      state.executed = m.t === 'res' || m.t === 'err';
      const timing: DispatchTiming = { routeMs, queueMs: slot.queuedMs, tier: m.t === 'res' || m.t === 'err' ? m.tier : undefined, startMs: 'startMs' in m ? m.startMs : undefined, execMs: 'execMs' in m ? m.execMs : undefined };
      if (m.t === 'res' && isBodyStream(m.body) && typeof m.body !== 'string') {
        held = true;
        m.body.once('close', () => { slot.release(); this.#d.admission.ended(); });
        return { ok: true, revision: rev, status: m.status, headers: m.headers, body: m.body as BodyStream, timing };
      }
      if (m.t === 'res') return { ok: true, revision: rev, status: m.status, headers: m.headers, body: m.body as Uint8Array | string | null, timing };
      // A scheduled handler that called controller.noRetry() before it failed says so in the error's details (types.ts, DispatchRequest.scheduled).
      if (m.t === 'err') return { ok: false, revision: rev, error: new EdgeError(m.code, m.message, m.noRetry ? { details: { noRetry: true } } : {}), timing };
      return { ok: false, revision: rev, error: new EdgeError('EDGE_ERR_INTERNAL', 'unexpected executor reply'), timing: { routeMs, queueMs: slot.queuedMs } };
    } catch (e) {
      return { ok: false, revision: rev, error: e instanceof EdgeError ? e : new EdgeError('EDGE_ERR_INTERNAL', 'internal error', { cause: e }), timing: { routeMs, queueMs: slot.queuedMs } };
    } finally {
      if (!held) {
        slot.release();
        this.#d.admission.ended();
      }
    }
  }
}

/** A client's body read whole (for the Wasm tiers), or the refusal once it is over `limit`. */
async function collect(stream: BodyStream, limit: number): Promise<Uint8Array | null | EdgeError> {
  let all: Uint8Array | undefined;
  try {
    all = await readBytes(stream, limit);
  } catch (e) {
    return new EdgeError('EDGE_ERR_BAD_REQUEST', `the request body could not be read: ${(e as Error).message}`);
  }
  if (all === undefined) {
    stream.destroy();
    return new EdgeError('EDGE_ERR_BODY_TOO_LARGE', `the request body is over the limit of ${limit} bytes`);
  }
  return all.byteLength === 0 ? null : all;
}
