/** The executor's request path: an instance for the request, the call into it, limits, one reply with its timing. */
import type { Clock } from '../core/clock.ts';
import type { InvokeRequest, InvokeResult } from '../runtime/types.ts';
import type { Revision } from './instance.ts';
import type { Acquired } from './lifecycle.ts';
import { checkResponse } from './limits.ts';
import type { InvokeError, InvokeMessage, InvokeResponse } from './protocol.ts';

/** What the request path needs of the lifecycle. */
export interface RequestPath<I, R> {
  revision(revId: string): R | undefined;
  acquire(rev: R): Acquired<I>;
  release(inst: I, r: InvokeResult | undefined): void;
}

export type Reply = (m: InvokeResponse | InvokeError, transfer?: ArrayBuffer) => void;

export class Invoker<I extends { invoke(req: InvokeRequest, callId: number): Promise<InvokeResult> }, R extends Revision> {
  readonly #path: RequestPath<I, R>;
  readonly #clock: Clock;
  readonly #reply: Reply;
  /** Ids of calls into instances, unique on this thread. */
  #nextCall = 1;

  constructor(path: RequestPath<I, R>, clock: Clock, reply: Reply) {
    this.#path = path;
    this.#clock = clock;
    this.#reply = reply;
  }

  async invoke(m: InvokeMessage): Promise<void> {
    const rev = this.#path.revision(m.rev);
    if (!rev) {
      this.#reply({ t: 'err', id: m.id, code: 'EDGE_ERR_REVISION_NOT_FOUND', message: `revision ${m.rev} is not loaded in this executor` });
      return;
    }
    const t0 = this.#clock.now();
    let got: Acquired<I>;
    try {
      got = this.#path.acquire(rev);
    } catch (e) {
      this.#reply({ t: 'err', id: m.id, code: 'EDGE_ERR_INSTANCE_START', message: `could not start an instance of ${rev.spec.id}: ${(e as Error).message}`, tier: 'cold', startMs: this.#clock.now() - t0 });
      return;
    }
    const { inst, tier } = got;
    const t1 = this.#clock.now();
    let r: InvokeResult | undefined;
    try {
      r = await inst.invoke({ reqId: m.reqId, method: m.method, url: m.url, headers: m.headers, body: m.body }, this.#nextCall++);
    } finally {
      this.#path.release(inst, r);
    }
    const t2 = this.#clock.now();
    const timing = { tier, startMs: t1 - t0, execMs: t2 - t1 };
    if (r.ok) r = checkResponse(r, rev.spec);
    if (r.ok) {
      this.#reply({ t: 'res', id: m.id, status: r.status, headers: r.headers, body: r.body, ...timing }, r.body instanceof Uint8Array ? (r.body.buffer as ArrayBuffer) : undefined);
    } else {
      this.#reply({ t: 'err', id: m.id, code: r.code, message: r.message, ...timing });
    }
  }
}
