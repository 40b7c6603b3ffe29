/**
 * The edge listener: parses `{name}.{domain}` and the request, hands them to the dispatcher, and
 * writes what it answers. Method, URL, headers and bytes are carried as they are; every response
 * has `Server-Timing` and, once a revision was chosen, `isoedge-revision`.
 *
 * Plain node:http, not fastify (the admin API keeps fastify): the edge has one route and no
 * schemas, and on this machine fastify alone serves 0.64x the requests of bare node:http at
 * concurrency 50 (per-request logger, hooks, reply object), more than isoedge may spend on top of
 * node:http (issue 16). `inject()` drives the same handler through light-my-request, as
 * fastify's own inject() does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inject as lightInject, type InjectOptions, type Response as InjectResponse } from 'light-my-request';
import type { Logger } from 'pino';
import { readBytes } from '../../core/bytes.ts';
import { EdgeError } from '../../core/errors.ts';
import type { DispatchRequest, DispatchResult, DispatchTarget } from '../../dispatch/index.ts';
import type { HeaderPairs } from '../../runtime/types.ts';
import { toEdgeError } from '../error-handler.ts';
import { requestIdFactory } from '../hooks/request-id.ts';
import type { AsyncService } from '../../async/index.ts';
import { ASYNC_PATH, asyncPath, cloudEventForEdge, isCloudEventRequest, prefersAsync, submitAsync } from './async.ts';
import { labelFromHost, resolveLabel } from './host-name.ts';
import { writeError, writeResult } from './respond.ts';

/** What the edge needs of the host: only these. */
export interface EdgeOptions {
  log: Logger;
  domain: string;
  dispatch(target: DispatchTarget, request: DispatchRequest, signal?: AbortSignal): Promise<DispatchResult>;
  /** Which functions exist and which tags they route (for the host name). */
  routes: { hasFunction(fn: string): boolean; hasTag(fn: string, tag: string): boolean };
  /** True once shutdown began: new requests are refused with a code. */
  closing(): boolean;
  /** Async submissions and CloudEvents (design §11); absent, the edge serves synchronous requests only. */
  async?: AsyncService;
}

export interface EdgeListener {
  readonly server: Server;
  /** Runs a request through the handler without a socket (tests, as fastify's inject()). */
  inject(opts: InjectOptions | string): Promise<InjectResponse>;
  listen(opts: { host: string; port: number; reusePort?: boolean }): Promise<string>;
  /** Stops accepting; requests in flight finish, idle keep-alive connections close. */
  close(): Promise<void>;
}

/** A request body up to this long (by its content-length) is read whole before dispatch; longer or chunked ones stream. */
const WHOLE_BODY_BYTES = 64 * 1024;
/** As fastify's default: a client's idle keep-alive connection stays open this long. */
const KEEP_ALIVE_MS = 72_000;

function headerPairs(raw: string[]): HeaderPairs {
  const out: HeaderPairs = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

/** The request's body as dispatch takes it: none (GET, HEAD, or nothing sent), small bytes read whole, or the stream. */
async function bodyOf(req: IncomingMessage): Promise<Uint8Array | null | IncomingMessage> {
  if (req.method === 'GET' || req.method === 'HEAD') return null;
  const chunked = req.headers['transfer-encoding'] !== undefined;
  const length = Number(req.headers['content-length'] ?? 0);
  if (!chunked && !(length > 0)) return null;
  if (chunked || !(length <= WHOLE_BODY_BYTES)) return req;
  // Its own buffer, so it is transferred to the executor, never cloned with a pool around it.
  const all = (await readBytes(req))!;
  return all.byteLength === 0 ? null : all;
}

export function buildEdge(o: EdgeOptions): EdgeListener {
  const log = o.log.child({ listener: 'edge' });
  const reqIdOf = requestIdFactory();
  let closing = false;

  const serve = async (req: IncomingMessage, res: ServerResponse, id: string, t0: number): Promise<void> => {
    if (o.closing()) throw new EdgeError('EDGE_ERR_SHUTTING_DOWN', 'the host is shutting down; retry on another instance');
    let label = labelFromHost(req.headers.host, o.domain);
    let url = req.url!;
    // OpenFaaS's gateway path, on a host that names no function: POST /async-function/{name}[/path].
    const viaPath = label === undefined && o.async !== undefined ? asyncPath(url) : undefined;
    if (viaPath) {
      label = viaPath.label;
      url = viaPath.path;
    }
    if (viaPath && req.method !== 'POST') throw new EdgeError('EDGE_ERR_BAD_REQUEST', `${ASYNC_PATH}{name} takes POST, not ${req.method}`);
    if (label === undefined) throw new EdgeError('EDGE_ERR_NO_ROUTE', `host ${JSON.stringify(req.headers.host ?? '')} is not {function}.${o.domain}`);
    const named = resolveLabel(label, o.routes.hasFunction, o.routes.hasTag);
    if (!named) throw new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(label)} is deployed`);
    const tagHeader = req.headers['isoedge-tag'];
    const target: DispatchTarget = { fn: named.fn, tag: named.tag ?? (typeof tagHeader === 'string' ? tagHeader : undefined) };
    const host = viaPath ? `${named.tag !== undefined ? `${named.tag}-` : ''}${named.fn}.${o.domain}` : req.headers.host;
    const preferred = o.async !== undefined && prefersAsync(req.headers.prefer);
    let headers = headerPairs(req.rawHeaders);
    if (viaPath || preferred) {
      await submitAsync(o.async!, { target, method: req.method!, url: `http://${host}${url}`, headers, body: await bodyOf(req) }, res, preferred);
      return;
    }
    // A client that goes away while its request waits for a slot leaves the queue (once a response
    // streams, the pipeline into the socket tells the stream: respond.ts).
    const gone = new AbortController();
    const onClose = (): void => { if (!res.writableFinished) gone.abort(new EdgeError('EDGE_ERR_CLIENT_CLOSED', 'the client closed the connection')); };
    res.once('close', onClose);
    let body = await bodyOf(req);
    if (o.async && isCloudEventRequest(headers)) ({ headers, body } = await cloudEventForEdge(headers, body, o.async.limits.maxBodyBytes));
    const result = await o.dispatch(target, { id, method: req.method!, url: `http://${host}${url}`, headers, body }, gone.signal);
    res.off('close', onClose);
    writeResult(res, req.method!, id, result, performance.now() - t0, log);
  };

  const fail = (res: ServerResponse, id: string, t0: number, err: unknown): void => {
    const e = toEdgeError(err);
    if (e.code === 'EDGE_ERR_INTERNAL') log.error({ reqId: id, err }, 'unhandled error');
    else log.debug({ reqId: id, code: e.code, msg: e.message }, 'request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A body refused part-way is not read on: this response is the connection's last. Otherwise a
    // body left unread is discarded by node:http once the response ended.
    if ((err as { closeConnection?: boolean }).closeConnection) res.shouldKeepAlive = false;
    writeError(res, e, id, performance.now() - t0, typeof e.details?.retryAfterS === 'number' ? { retryAfterS: e.details.retryAfterS } : {});
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const t0 = performance.now();
    const id = reqIdOf(req);
    res.once('close', () => {
      // Keep-alive connections that were busy when shutdown began close as soon as they are idle.
      if (closing) server.closeIdleConnections();
    });
    serve(req, res, id, t0).catch((e: unknown) => fail(res, id, t0, e));
  };

  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS, requestTimeout: 0 }, handle);
  return {
    server,
    inject: (opts) => lightInject(handle, opts),
    listen: ({ host, port, reusePort = false }) => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, reusePort }, () => {
        server.off('error', reject);
        const a = server.address() as AddressInfo;
        resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
      });
    }),
    close: () => new Promise((resolve) => {
      closing = true;
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
