// @ts-check
/* Outbound fetch on the async `fetch` op: the host checks its allowlist, fetches, and completes the op with status, headers and the body (small) or a stream handle. A request body that is a stream is read to its end first. */
{
  const { ops, define, bodyOf, Headers, Request, Response, NULL_BODY_STATUS, bodyBytesAsync, isU8, u8Copy, u8ArrayBuffer, hostStream } = ns;
  const { JSONParse, JSONStringify, PromisePrototypeThen, PromiseReject } = ns.primordials;
  /** The host's answer: a small body whole, or (handle > 0) a body that streams in through fetch_read as the guest reads it. */
  /** @type {(r: [number, string, ArrayBuffer | null, number]) => Response} */
  const toResponse = (r) => {
    const h = r[3];
    const body = h > 0 ? hostStream(() => ops.fetch_read(h), () => ops.fetch_cancel(h)) : r[2];
    if (NULL_BODY_STATUS.has(r[0]) && h > 0) ops.fetch_cancel(h);
    return new Response(NULL_BODY_STATUS.has(r[0]) ? null : body, { status: r[0], headers: JSONParse(r[1]) });
  };
  define('fetch', function fetch(/** @type {any} */ input, /** @type {any} */ init) {
    let req;
    try { req = input instanceof Request && init === undefined ? input : new Request(input instanceof Request ? input : String(input), init || {}); }
    catch (e) { return PromiseReject(e); }
    const b = bodyOf(req);
    // An abort before or during the call rejects with the signal's reason and cancels the host's fetch.
    const signal = init && init.signal !== undefined ? init.signal : input instanceof Request ? input.signal : undefined;
    if (signal && signal.aborted) return PromiseReject(signal.reason);
    /** @type {(b: string | Uint8Array | null) => Promise<Response>} */
    const send = (b) => {
      if (signal && signal.aborted) return PromiseReject(signal.reason);
      const op = ops.fetch(req.method, req.url, JSONStringify(Headers.pairs(req.headers)), b === null ? null : typeof b === 'string' ? b : u8ArrayBuffer(u8Copy(b)));
      return PromisePrototypeThen(ns.withSignal(signal, op, op), toResponse);
    };
    if (b === null || typeof b === 'string' || isU8(b)) return send(b);
    // A ReadableStream body is read to its end first: the host's fetch takes bytes.
    return PromisePrototypeThen(bodyBytesAsync(b), send);
  });
}
