/**
 * Writing a dispatch result onto a node:http response: the function's status, headers and body as
 * it gave them, hop-by-hop framing left to node:http, `Server-Timing` on every response.
 */
import type { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { EdgeError } from '../../core/errors.ts';
import { isBodyStream, type BodyStream, type DispatchResult, type DispatchTiming } from '../../dispatch/index.ts';

/** Headers that describe one hop's framing; node:http sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'proxy-connection', 'te', 'trailer']);

const ms = (x: number): string => x.toFixed(3);

/**
 * The stages the host timed, then `total`: from the request's head parsed to the response's head
 * written, so what the stages do not cover (the hops between threads, the edge's own work) shows as
 * the difference.
 */
function serverTiming(t: DispatchTiming, totalMs: number): string {
  let s = `route;dur=${ms(t.routeMs)}, queue;dur=${ms(t.queueMs)}`;
  if (t.tier !== undefined) s += `, start;desc="${t.tier}";dur=${ms(t.startMs ?? 0)}`;
  if (t.execMs !== undefined) s += `, exec;dur=${ms(t.execMs)}`;
  return `${s}, total;dur=${ms(totalMs)}`;
}

/** No body on the wire for these statuses (RFC 9110 §6.4.1), so no content-length of ours either. */
const bodiless = (status: number): boolean => status === 204 || status === 304 || status < 200;

/** `{code, message, requestId}` with the code's status; `timing` when an executor was reached. */
export function writeError(res: ServerResponse, err: EdgeError, reqId: string, totalMs: number, extra: { revision?: string; timing?: DispatchTiming; retryAfterS?: number } = {}): void {
  const body = Buffer.from(JSON.stringify({ ...err.toJSON(), requestId: reqId }));
  const head: string[] = [];
  if (extra.revision !== undefined) head.push('isoedge-revision', extra.revision);
  if (extra.retryAfterS !== undefined) head.push('retry-after', String(extra.retryAfterS));
  // A refusal before any executor answered carries only the route stage it reached (and the total).
  const t = extra.timing && (extra.timing.tier !== undefined || extra.timing.execMs !== undefined) ? extra.timing : undefined;
  head.push('server-timing', t ? serverTiming(t, totalMs) : `route;dur=${ms(extra.timing?.routeMs ?? totalMs)}, total;dur=${ms(totalMs)}`);
  head.push('content-type', 'application/json; charset=utf-8', 'content-length', String(body.byteLength));
  res.writeHead(err.statusCode, head);
  res.end(body);
}

/**
 * The function's answer. Header pairs go to node:http as one flat array, so repeated names
 * (set-cookie) stay as they were; a function's content-length is kept only where there is no body to
 * measure (HEAD) or the body streams (the executor fails a stream whose bytes do not match it).
 */
export function writeResult(res: ServerResponse, method: string, reqId: string, r: DispatchResult, totalMs: number, log: Logger): void {
  if (!r.ok) {
    writeError(res, r.error, reqId, totalMs, { revision: r.revision, timing: r.timing, retryAfterS: r.retryAfterS });
    return;
  }
  const streamed = isBodyStream(r.body) && typeof r.body !== 'string';
  // A string body stays a string: node:http then writes head and body in one write, not a writev of two.
  const bytes = streamed || r.body === null ? undefined : r.body as Uint8Array | string;
  const size = bytes === undefined ? 0 : typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  const head: string[] = [];
  if (r.revision !== undefined) head.push('isoedge-revision', r.revision);
  let length: string | undefined;
  for (const [k, v] of r.headers) {
    if (k === 'content-length') {
      if (/^\d{1,15}$/.test(v) && (streamed || (method === 'HEAD' && size === 0))) length = v;
      continue;
    }
    if (HOP_BY_HOP.has(k)) continue;
    head.push(k, v);
  }
  head.push('server-timing', serverTiming(r.timing, totalMs));
  if (!bodiless(r.status)) {
    length ??= streamed ? undefined : String(size);
    if (length !== undefined) head.push('content-length', length);
  }
  res.writeHead(r.status, head);
  if (!streamed) {
    res.end(bytes);
    return;
  }
  const body = r.body as unknown as Readable & BodyStream;
  // A HEAD answer has no body: the function's stream is cancelled rather than run to its end unseen.
  if (method === 'HEAD' || bodiless(r.status)) {
    body.destroy();
    res.end();
    return;
  }
  // A socket writes the ring's views by reference, later: credit must wait for it. (inject()'s
  // response copies each write at once and drains on its own, so it is not attached.)
  if (res.socket instanceof Socket) body.attach?.(res);
  // A stream slow to its first chunk (an SSE endpoint waiting for its first event) must not leave the
  // client without a status meanwhile: the head goes now, not with the first bytes.
  res.flushHeaders();
  // pipeline() destroys each side with the other: a client that goes away cancels the function's
  // stream (ResponseBody's _destroy), and after the head, where HTTP/1.1 has no status left to send,
  // a failed stream aborts the connection. The log says why, unless the client left.
  pipeline(body, res, () => {
    const e = body.errored as (Error & { code?: string }) | null;
    if (!e || e.code === 'EDGE_ERR_CLIENT_CLOSED' || e.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    log.warn({ reqId, code: e.code, revision: r.revision }, `streaming response aborted: ${e.message}`);
  });
}
