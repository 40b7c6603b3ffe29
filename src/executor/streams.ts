/**
 * The gateway's halves of a streaming body (docs/architecture.md, "Streaming"). Each direction has a
 * window of STREAM_WINDOW_BYTES: the sender is never further ahead of the receiver than that, so what
 * the host buffers for one request is bounded whatever the speeds of the client and the function.
 * - RequestPump sends a client's request body to the executor as it arrives, pausing the socket when
 *   the executor has not asked for more (`req-credit`), and counts it against the revision's bodyBytes.
 * - ResponseBody is the Node Readable the edge pipes to the client: each `chunk` from the executor is
 *   pushed, and credit goes back as the client's socket takes bytes (`_read`).
 */
import { Readable } from 'node:stream';
import { EdgeError, type ErrorCode } from '../core/errors.ts';
import { CREDIT_STEP_BYTES, STREAM_WINDOW_BYTES, type ToExecutor } from './protocol.ts';

type Send = (m: ToExecutor, transfer?: ArrayBuffer) => void;

/** What the gateway hands an executor as a request body that streams. */
export interface StreamedBody {
  /** The client's request (a Node Readable: node:http's IncomingMessage). */
  stream: Readable;
  /** limits.bodyBytes of the revision: over it the body fails with EDGE_ERR_BODY_TOO_LARGE. */
  limit: number;
}

export class RequestPump {
  readonly #src: Readable;
  readonly #send: Send;
  readonly #id: number;
  readonly #limit: number;
  #credit = STREAM_WINDOW_BYTES;
  #bytes = 0;
  #done = false;
  readonly #onTooLarge: (e: EdgeError) => void;

  /** `onTooLarge`: the body went over its limit (the caller answers 413, or aborts a response already started). */
  constructor(id: number, body: StreamedBody, send: Send, onTooLarge: (e: EdgeError) => void) {
    this.#id = id;
    this.#onTooLarge = onTooLarge;
    this.#src = body.stream;
    this.#limit = body.limit;
    this.#send = send;
    this.#src.on('data', this.#onData);
    this.#src.once('end', this.#onEnd);
    this.#src.once('error', this.#onError);
    this.#src.once('aborted', this.#onError);
    this.#src.once('close', this.#onClose);
  }

  readonly #onData = (c: Buffer): void => {
    if (this.#done) return;
    this.#bytes += c.byteLength;
    if (this.#bytes > this.#limit) {
      const e = new EdgeError('EDGE_ERR_BODY_TOO_LARGE', `the request body is over the limit of ${this.#limit} bytes`);
      this.#fail(e.code, e.message);
      // Nothing more of it is read: the edge answers and closes the connection.
      this.#src.pause();
      this.#onTooLarge(e);
      return;
    }
    // An exact copy: node:http's chunks are views of a pooled buffer.
    const data = new Uint8Array(c);
    this.#credit -= data.byteLength;
    this.#send({ t: 'req-chunk', id: this.#id, data, last: false }, data.buffer);
    if (this.#credit <= 0) this.#src.pause();
  };

  readonly #onEnd = (): void => {
    if (this.#done) return;
    this.#done = true;
    this.#detach();
    this.#send({ t: 'req-chunk', id: this.#id, data: null, last: true });
  };

  readonly #onError = (): void => this.#fail('EDGE_ERR_CLIENT_CLOSED', 'the client stopped sending the request body');

  readonly #onClose = (): void => {
    if (!this.#done) this.#onError();
  };

  #fail(code: ErrorCode, message: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#detach();
    this.#send({ t: 'req-abort', id: this.#id, code, message });
  }

  #detach(): void {
    this.#src.off('data', this.#onData);
    this.#src.off('end', this.#onEnd);
    this.#src.off('error', this.#onError);
    this.#src.off('aborted', this.#onError);
    this.#src.off('close', this.#onClose);
  }

  /** The executor took `bytes` more: read on. */
  credit(bytes: number): void {
    this.#credit += bytes;
    if (!this.#done && this.#credit > 0) this.#src.resume();
  }

  /** The call ended (answered, failed, the executor died): stop sending. */
  close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#detach();
  }
}

/** What ResponseBody reads of the response it is piped into: bytes written but not yet handed to the kernel. */
export interface Sink {
  readonly writableLength: number;
  on(event: 'drain', listener: () => void): unknown;
}

export class ResponseBody extends Readable {
  readonly #send: Send;
  readonly #id: number;
  readonly #ring: Uint8Array;
  /** Bytes received from the executor and not yet credited back. */
  #uncredited = 0;
  #sink: Sink | undefined;
  ended = false;

  constructor(id: number, send: Send, ring: SharedArrayBuffer) {
    super({ highWaterMark: 64 * 1024 });
    this.#id = id;
    this.#send = send;
    this.#ring = new Uint8Array(ring);
  }

  /**
   * The response this body is piped into. Credit is given back only for bytes that left both this
   * Readable and the response's buffers (handed to the kernel), because the executor writes the ring
   * again where credit went: a chunk still queued in the socket is a view of the ring.
   */
  attach(sink: Sink): void {
    this.#sink = sink;
    sink.on('drain', () => this.#credit());
  }

  chunk(off: number, len: number): void {
    this.#uncredited += len;
    this.push(Buffer.from(this.#ring.buffer, off, len));
  }

  end(code?: ErrorCode, message?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (code === undefined) this.push(null);
    // A failure after the head: the edge logs it with the request id and aborts the connection.
    else this.destroy(new EdgeError(code, message ?? code));
  }

  /** Destroyed before its end (the client went away, the edge gave up): the executor ends the call. */
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.ended) {
      this.ended = true;
      this.#send({ t: 'cancel', id: this.#id });
    }
    cb(err);
  }

  /** The consumer wants more: what it took since the last call goes back as credit. */
  override _read(): void {
    this.#credit();
  }

  #credit(): void {
    if (this.ended) return;
    // Bytes still here or in the response's buffers are not out yet (the response's count may include
    // a few bytes of framing: that only delays their credit until the next drain or read).
    const held = this.#sink?.writableLength;
    const out = this.#uncredited - this.readableLength - (typeof held === 'number' && Number.isFinite(held) ? held : 0);
    if (out < CREDIT_STEP_BYTES && !(out > 0 && this.#uncredited - out === 0)) return;
    this.#uncredited -= out;
    this.#send({ t: 'res-credit', id: this.#id, bytes: out });
  }
}
