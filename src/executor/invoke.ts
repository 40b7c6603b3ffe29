/**
 * The executor's request path: an instance for the request, the call into it, limits, one reply with its
 * timing; and for streaming bodies (docs/architecture.md, "Streaming") the credit-based flow both ways:
 * a streamed request body arrives in `req-chunk`s the executor asks for with `req-credit`, a streaming
 * response leaves in `chunk`s no further ahead of the client than the credit the gateway gave.
 */
import type { Clock } from '../core/clock.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { InvokeRequest, InvokeResult, RequestBodySource, ResponseStream } from '../runtime/types.ts';
import type { Revision } from './instance.ts';
import type { Acquired } from './lifecycle.ts';
import { checkResponse } from './limits.ts';
import { CREDIT_STEP_BYTES, STREAM_WINDOW_BYTES, type ChunkMessage, type EndMessage, type InvokeError, type InvokeMessage, type InvokeResponse, type RequestAbortMessage, type RequestChunkMessage, type RequestCreditMessage } from './protocol.ts';

/** What the request path needs of the lifecycle. */
export interface RequestPath<I, R> {
  revision(revId: string): R | undefined;
  acquire(rev: R): Acquired<I>;
  release(inst: I, r: InvokeResult | undefined): void;
}

export type Reply = (m: InvokeResponse | InvokeError | ChunkMessage | EndMessage | RequestCreditMessage, transfer?: ArrayBuffer) => void;

/** An instance as the request path calls it. */
export interface Callable {
  invoke(req: InvokeRequest, callId: number): Promise<InvokeResult>;
  /** Ends call `callId` early (the client went away); optional for instances that cannot be cancelled. */
  cancelRequest?(callId: number, code: ErrorCode, message: string): void;
}

/** A streamed request body on the executor's side: chunks as the gateway sends them, credit back as the guest reads. */
class BodySource implements RequestBodySource {
  readonly #chunks: Uint8Array[] = [];
  #ended = false;
  #failed: InvokeResult | undefined;
  #waiter: { resolve: (b: Uint8Array | null) => void; reject: (r: InvokeResult) => void } | undefined;
  readonly #credit: (bytes: number) => void;
  /** Bytes the guest took and the gateway was not told of yet (sent in CREDIT_STEP_BYTES steps). */
  #owed = 0;

  constructor(credit: (bytes: number) => void) {
    this.#credit = credit;
  }

  push(m: RequestChunkMessage): void {
    if (m.data !== null && m.data.byteLength > 0) this.#chunks.push(m.data);
    if (m.last) this.#ended = true;
    this.#wake();
  }

  fail(m: RequestAbortMessage): void {
    this.#failed = { ok: false, code: m.code, message: m.message, fatal: false };
    this.#chunks.length = 0;
    this.#wake();
  }

  read(): Promise<Uint8Array | null> {
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#wake();
    });
  }

  #wake(): void {
    const w = this.#waiter;
    if (!w) return;
    if (this.#failed) {
      this.#waiter = undefined;
      w.reject(this.#failed);
      return;
    }
    const c = this.#chunks.shift();
    if (c !== undefined) {
      this.#waiter = undefined;
      // The guest has it: the gateway may send that much more.
      this.#owed += c.byteLength;
      // No deadlock: a gateway out of credit has a whole window unacknowledged, and once the guest took it that is over a step.
      if (this.#owed >= CREDIT_STEP_BYTES) {
        this.#credit(this.#owed);
        this.#owed = 0;
      }
      w.resolve(c);
    } else if (this.#ended) {
      this.#waiter = undefined;
      w.resolve(null);
    }
  }
}

/** One call in progress, by the gateway's id: what its stream messages reach. */
interface Call {
  callId: number;
  inst: Callable;
  source: BodySource | undefined;
  stream: ResponseStream | undefined;
  /** Bytes of response the gateway will still take. */
  credit: number;
  /** Read the next response chunk if there is credit (set while the response streams). */
  resume: (() => void) | undefined;
}

/** A streaming response's message carries at most this much (several of the guest's chunks joined). */
const MESSAGE_BYTES = 512 * 1024;

/**
 * A streaming response's bytes on their way to the gateway: a ring of STREAM_WINDOW_BYTES both threads
 * see. The executor writes at most its credit (the free part, which follows the write position because
 * the gateway frees bytes in the order they were written); flush() answers the written regions since
 * the last flush, one or two (at the wrap).
 */
class Ring {
  readonly buffer: SharedArrayBuffer;
  readonly #u8: Uint8Array;
  #pos = 0;
  #start = 0;
  pending = 0;

  constructor(size: number) {
    this.buffer = new SharedArrayBuffer(size);
    this.#u8 = new Uint8Array(this.buffer);
  }

  write(c: Uint8Array): void {
    const size = this.#u8.byteLength;
    const first = Math.min(c.byteLength, size - this.#pos);
    this.#u8.set(c.subarray(0, first), this.#pos);
    if (first < c.byteLength) this.#u8.set(c.subarray(first), 0);
    this.#pos = (this.#pos + c.byteLength) % size;
    this.pending += c.byteLength;
  }

  /** Whether chunks the guest wrote into the ring itself are where the next writes go (else the ring is out of step). */
  fits(chunks: Uint8Array[]): boolean {
    let pos = this.#pos;
    for (const c of chunks) {
      if (c.buffer !== this.buffer) continue;
      if (c.byteOffset !== pos) return false;
      pos = (pos + c.byteLength) % this.#u8.byteLength;
    }
    return true;
  }

  /** A chunk the guest wrote into the ring itself, where fits() said it is. */
  commit(c: Uint8Array): void {
    this.#pos = (this.#pos + c.byteLength) % this.#u8.byteLength;
    this.pending += c.byteLength;
  }

  flush(): [off: number, len: number][] {
    const size = this.#u8.byteLength;
    const out: [number, number][] = [];
    const n = this.pending;
    if (n > 0) {
      const first = Math.min(n, size - this.#start);
      out.push([this.#start, first]);
      if (first < n) out.push([0, n - first]);
    }
    this.#start = this.#pos;
    this.pending = 0;
    return out;
  }
}

export class Invoker<I extends Callable, R extends Revision> {
  readonly #path: RequestPath<I, R>;
  readonly #clock: Clock;
  readonly #reply: Reply;
  /** Ids of calls into instances, unique on this thread. */
  #nextCall = 1;
  readonly #calls = new Map<number, Call>();

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
    const callId = this.#nextCall++;
    const source = m.body === 'stream' ? new BodySource((bytes) => this.#reply({ t: 'req-credit', id: m.id, bytes })) : undefined;
    const call: Call = { callId, inst, source, stream: undefined, credit: STREAM_WINDOW_BYTES, resume: undefined };
    this.#calls.set(m.id, call);
    let r: InvokeResult | undefined;
    try {
      r = await inst.invoke({ reqId: m.reqId, method: m.method, url: m.url, headers: m.headers, body: source ?? (m.body === 'stream' ? null : m.body), scheduled: m.scheduled }, callId);
      const t2 = this.#clock.now();
      const timing = { tier, startMs: t1 - t0, execMs: t2 - t1 };
      if (r.ok) r = checkResponse(r, rev.spec);
      if (!r.ok) {
        this.#reply({ t: 'err', id: m.id, code: r.code, message: r.message, ...(r.noRetry ? { noRetry: true as const } : {}), ...timing });
        return;
      }
      const body = r.body;
      if (body === null || typeof body === 'string' || body instanceof Uint8Array) {
        this.#reply({ t: 'res', id: m.id, status: r.status, headers: r.headers, body, ...timing }, body instanceof Uint8Array ? (body.buffer as ArrayBuffer) : undefined);
        return;
      }
      call.stream = body;
      const ring = new Ring(STREAM_WINDOW_BYTES);
      // The guest writes its chunks into the ring itself: one copy and one allocation fewer per chunk.
      body.useRing?.(ring.buffer);
      this.#reply({ t: 'res', id: m.id, status: r.status, headers: r.headers, body: null, stream: true, ring: ring.buffer, ...timing });
      r = await this.#pump(m.id, call, body, ring);
    } finally {
      this.#calls.delete(m.id);
      this.#path.release(inst, r);
    }
  }

  /** Sends the response stream's chunks while the gateway has credit; resolves with how the stream ended. */
  #pump(id: number, call: Call, s: ResponseStream, ring: Ring): Promise<InvokeResult> {
    return new Promise<InvokeResult>((done) => {
      let reading = false;
      const step = (): void => {
        if (reading || call.credit <= 0) return;
        reading = true;
        s.read(call.credit).then(
          (first) => {
            reading = false;
            if (first === null) {
              this.#reply({ t: 'end', id });
              done({ ok: true, status: 0, headers: [], body: null, cpuMs: 0 });
              return;
            }
            // Chunks the guest made in the same pull leave together, up to MESSAGE_BYTES: one message, one
            // write to the socket for several 64 KiB chunks.
            const more = s.take(Math.min(call.credit, MESSAGE_BYTES) - first.byteLength);
            let total = first.byteLength;
            for (const c of more) total += c.byteLength;
            if (total > call.credit || !ring.fits([first, ...more])) {
              // The guest sends no more than the credit of its pull (90_entry.js sendChunk): the ring would overflow.
              s.cancel('EDGE_ERR_INTERNAL', 'a response stream sent more than its credit');
              this.#reply({ t: 'end', id, code: 'EDGE_ERR_INTERNAL', message: 'a response stream sent more than its credit' });
              done({ ok: false, code: 'EDGE_ERR_INTERNAL', message: 'a response stream sent more than its credit', fatal: false });
              return;
            }
            for (const c of [first, ...more]) {
              if (c.buffer === ring.buffer) ring.commit(c);
              else ring.write(c);
            }
            call.credit -= ring.pending;
            for (const [off, len] of ring.flush()) this.#reply({ t: 'chunk', id, off, len });
            step();
          },
          (e: InvokeResult) => {
            reading = false;
            const f = e.ok ? { code: 'EDGE_ERR_INTERNAL' as const, message: 'the stream failed' } : e;
            this.#reply({ t: 'end', id, code: f.code, message: f.message });
            done(e.ok ? { ok: false, code: f.code, message: f.message, fatal: false } : e);
          },
        );
      };
      call.resume = step;
      step();
    });
  }

  /** The client took `bytes` more of call `id`'s response. */
  credit(id: number, bytes: number): void {
    const call = this.#calls.get(id);
    if (!call) return;
    call.credit += bytes;
    call.resume?.();
  }

  chunk(m: RequestChunkMessage): void {
    this.#calls.get(m.id)?.source?.push(m);
  }

  abortBody(m: RequestAbortMessage): void {
    this.#calls.get(m.id)?.source?.fail(m);
  }

  /** The client went away: the call ends (its request.signal aborts, its response stream is cancelled). */
  cancel(id: number): void {
    const call = this.#calls.get(id);
    if (!call) return;
    call.source?.fail({ t: 'req-abort', id, code: 'EDGE_ERR_CLIENT_CLOSED', message: 'the client closed the connection' });
    if (call.stream) call.stream.cancel('EDGE_ERR_CLIENT_CLOSED', 'the client closed the connection');
    else call.inst.cancelRequest?.(call.callId, 'EDGE_ERR_CLIENT_CLOSED', 'the client closed the connection');
  }
}
