/**
 * The edge listener: parses `{name}.{domain}` and the request, hands them to the
 * dispatcher, and writes what it answers. Method, URL, headers and bytes are carried
 * as they are; every response has `Server-Timing` and, once a revision was chosen,
 * `isoedge-revision`.
 */
import { Socket } from 'node:net';
import { Readable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { readBytes } from '../../core/bytes.ts';
import { EdgeError } from '../../core/errors.ts';
import { isBodyStream, type BodyStream, type DispatchRequest, type DispatchResult, type DispatchTarget, type DispatchTiming } from '../../dispatch/index.ts';
import type { HeaderPairs } from '../../runtime/types.ts';
import { installErrorHandler, sendError } from '../error-handler.ts';
import { requestIdFactory } from '../hooks/request-id.ts';
import { labelFromHost, resolveLabel } from './host-name.ts';

/** What the edge needs of the host: only these. */
export interface EdgeOptions {
  log: Logger;
  domain: string;
  /** The host maximum: a revision may allow up to this (its own limit is checked by the dispatcher). */
  maxBodyBytes: number;
  dispatch(target: DispatchTarget, request: DispatchRequest, signal?: AbortSignal): Promise<DispatchResult>;
  /** Which functions exist and which tags they route (for the host name). */
  routes: { hasFunction(fn: string): boolean; hasTag(fn: string, tag: string): boolean };
  /** True once shutdown began: new requests are refused with a code. */
  closing(): boolean;
}

/** Headers that describe one hop's framing; node:http sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'proxy-connection', 'te', 'trailer']);

const ms = (x: number): string => x.toFixed(3);

function serverTiming(t: DispatchTiming): string {
  const parts = [`route;dur=${ms(t.routeMs)}`, `queue;dur=${ms(t.queueMs)}`];
  if (t.tier !== undefined) parts.push(`start;desc="${t.tier}";dur=${ms(t.startMs ?? 0)}`);
  if (t.execMs !== undefined) parts.push(`exec;dur=${ms(t.execMs)}`);
  return parts.join(', ');
}

function headerPairs(raw: string[]): HeaderPairs {
  const out: HeaderPairs = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

/**
 * Replies whose function gave no content-type: fastify's send() adds application/octet-stream to a
 * Buffer body; the onSend hook takes it off again, so the client sees what the function sent (as
 * from workerd, and as Fetch has it: no type unless one was given).
 */
const untyped = new WeakSet<FastifyReply>();

/** A request body up to this long (by its content-length) is read whole before dispatch; longer or chunked ones stream. */
const WHOLE_BODY_BYTES = 64 * 1024;

/** A small body (its content-length at most WHOLE_BODY_BYTES) read whole; its own buffer, so it is transferred to the executor, never cloned with a pool around it. */
async function readSmall(stream: Readable): Promise<Uint8Array | null> {
  const all = (await readBytes(stream))!;
  return all.byteLength === 0 ? null : all;
}

function writeResult(req: FastifyRequest, reply: FastifyReply, r: DispatchResult, log: Logger): FastifyReply {
  if (r.revision !== undefined) reply.header('isoedge-revision', r.revision);
  if (!r.ok) {
    // Refusals before an executor answered get the route-only Server-Timing of the onSend hook.
    if (r.timing.tier !== undefined || r.timing.execMs !== undefined) reply.header('server-timing', serverTiming(r.timing));
    if (r.retryAfterS !== undefined) reply.header('retry-after', String(r.retryAfterS));
    return sendError(req, reply, r.error);
  }
  const grouped: Record<string, string | string[]> = {};
  const streamed = isBodyStream(r.body) && typeof r.body !== 'string';
  for (const [k, v] of r.headers) {
    // A HEAD response has no body to measure: the guest's content-length is the only one there is. A streamed
    // body keeps the function's content-length (the executor fails the stream if the bytes do not match it).
    if (k === 'content-length' && /^\d{1,15}$/.test(v) && (streamed || (req.method === 'HEAD' && (r.body === null || (r.body as Uint8Array | string).length === 0)))) {
      grouped[k] = v;
      continue;
    }
    if (HOP_BY_HOP.has(k)) continue;
    const cur = grouped[k];
    grouped[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  reply.headers(grouped);
  reply.header('server-timing', serverTiming(r.timing));
  reply.code(r.status);
  if (r.body === null) return reply.send();
  if (grouped['content-type'] === undefined) untyped.add(reply);
  if (streamed) {
    const body = r.body as unknown as Readable;
    // After the head, HTTP/1.1 has no status left to send: a failure aborts the connection, and the log says why.
    // A HEAD answer has no body: the function's stream is cancelled rather than run to its end unseen.
    if (req.method === 'HEAD') {
      body.destroy();
      return reply.send();
    }
    body.once('error', (e: Error & { code?: string }) => {
      if (e.code === 'EDGE_ERR_CLIENT_CLOSED') return;
      log.warn({ reqId: req.id, code: e.code, revision: r.revision }, `streaming response aborted: ${e.message}`);
    });
    // A socket writes the ring's views by reference, later: credit must wait for it. (inject()'s
    // response copies each write at once and drains on its own, so it is not attached.)
    if (reply.raw.socket instanceof Socket) (r.body as BodyStream).attach?.(reply.raw);
    // node:http writes a head with the first body bytes; a stream slow to its first chunk (an SSE
    // endpoint waiting for its first event) must not leave the client without a status meanwhile.
    reply.raw.once('pipe', () => { if (!reply.raw.headersSent) reply.raw.flushHeaders(); });
    return reply.send(body);
  }
  const bytes = r.body as Uint8Array | string;
  // Always bytes: fastify would append "; charset=utf-8" to a string body's content type.
  return reply.send(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

export async function buildEdge(o: EdgeOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.log.child({ listener: 'edge' }) as FastifyBaseLogger,
    genReqId: requestIdFactory(),
    bodyLimit: o.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    // Paths are the function's business: keep them byte for byte.
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 8192 },
    // While draining, refuse new requests ourselves, with a code (fastify's own 503 has none).
    return503OnClosing: false,
  });
  app.addHook('onRequest', async () => {
    if (o.closing()) throw new EdgeError('EDGE_ERR_SHUTTING_DOWN', 'the host is shutting down; retry on another instance');
  });
  installErrorHandler(app);
  app.removeAllContentTypeParsers();
  // The body is not read here: the handler reads a small one whole and hands a large or chunked one on as a stream.
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const label = labelFromHost(req.headers.host, o.domain);
    if (label === undefined) throw new EdgeError('EDGE_ERR_NO_ROUTE', `host ${JSON.stringify(req.headers.host ?? '')} is not {function}.${o.domain}`);
    const named = resolveLabel(label, o.routes.hasFunction, o.routes.hasTag);
    if (!named) throw new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(label)} is deployed`);
    const tagHeader = req.headers['isoedge-tag'];
    const target: DispatchTarget = { fn: named.fn, tag: named.tag ?? (typeof tagHeader === 'string' ? tagHeader : undefined) };
    // A client that goes away while its request waits for a slot leaves the queue.
    const gone = new AbortController();
    const onClose = (): void => { if (!reply.raw.writableFinished) gone.abort(new EdgeError('EDGE_ERR_CLIENT_CLOSED', 'the client closed the connection')); };
    reply.raw.once('close', onClose);
    let body: Uint8Array | null | Readable = null;
    if (req.body instanceof Readable) {
      const length = Number(req.headers['content-length'] ?? NaN);
      body = Number.isSafeInteger(length) && length <= WHOLE_BODY_BYTES && req.headers['transfer-encoding'] === undefined ? await readSmall(req.body) : req.body;
    }
    const result = await o.dispatch(target, {
      id: String(req.id),
      method: req.method,
      url: `http://${req.headers.host}${req.url}`,
      headers: headerPairs(req.raw.rawHeaders),
      body,
    }, gone.signal);
    // A streaming response still needs to hear of a client that goes away (the executor cancels the guest's stream).
    if (result.ok && isBodyStream(result.body) && typeof result.body !== 'string') result.body.once('close', () => reply.raw.off('close', onClose));
    else reply.raw.off('close', onClose);
    return writeResult(req, reply, result, o.log);
  };
  // Refusals raised before dispatch still carry Server-Timing, so every response has it.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('server-timing')) reply.header('server-timing', `route;dur=${ms(reply.elapsedTime)}`);
    if (untyped.has(reply)) reply.removeHeader('content-type');
    return payload;
  });
  app.all('/', handler);
  app.all('/*', handler);
  return app;
}
