/**
 * The edge listener: `{name}.{domain}` → router → executor → Response. Method,
 * URL, headers and bytes are carried as they are; every response has
 * `Server-Timing` (route, start tier, exec) and `isoedge-revision`.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { EdgeError } from '../../core/errors.ts';
import { pick } from '../../router/index.ts';
import type { Services } from '../../host/services.ts';
import type { FromExecutor, Timing } from '../../executor/index.ts';
import { installErrorHandler, sendError, toEdgeError } from '../error-handler.ts';
import { requestIdFactory } from '../hooks/request-id.ts';
import { labelFromHost, resolveLabel } from './host-name.ts';

/** Headers that describe one hop's framing; node:http sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'proxy-connection', 'te', 'trailer']);

const ms = (x: number): string => x.toFixed(3);

function serverTiming(routeMs: number, t: Partial<Timing>, queueMs = 0): string {
  const parts = [`route;dur=${ms(routeMs)}`, `queue;dur=${ms(queueMs)}`];
  if (t.tier !== undefined) parts.push(`start;desc="${t.tier}";dur=${ms(t.startMs ?? 0)}`);
  if (t.execMs !== undefined) parts.push(`exec;dur=${ms(t.execMs)}`);
  return parts.join(', ');
}

function headerPairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

function writeResult(req: FastifyRequest, reply: FastifyReply, m: FromExecutor, routeMs: number, rev: string, queueMs: number): FastifyReply {
  reply.header('isoedge-revision', rev);
  if (m.t === 'res') {
    const grouped: Record<string, string | string[]> = {};
    for (const [k, v] of m.headers) {
      // A HEAD response has no body to measure: the guest's content-length is the only one there is.
      if (k === 'content-length' && req.method === 'HEAD' && /^\d{1,15}$/.test(v) && (m.body === null || m.body.length === 0)) {
        grouped[k] = v;
        continue;
      }
      if (HOP_BY_HOP.has(k)) continue;
      const cur = grouped[k];
      grouped[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
    }
    reply.headers(grouped);
    reply.header('server-timing', serverTiming(routeMs, m, queueMs));
    reply.code(m.status);
    if (m.body === null) return reply.send();
    // Always bytes: fastify would append "; charset=utf-8" to a string body's content type.
    return reply.send(typeof m.body === 'string' ? Buffer.from(m.body, 'utf8') : Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength));
  }
  if (m.t === 'err') {
    reply.header('server-timing', serverTiming(routeMs, m, queueMs));
    req.log.warn({ revision: rev, code: m.code, msg: m.message }, 'function request failed');
    return sendError(req, reply, new EdgeError(m.code, m.message));
  }
  return sendError(req, reply, new EdgeError('EDGE_ERR_INTERNAL', 'unexpected executor reply'));
}

export async function buildEdge(s: Services): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: s.log.child({ listener: 'edge' }) as FastifyBaseLogger,
    genReqId: requestIdFactory(),
    // The host maximum: a revision may allow up to this (limits.bodyBytes per revision is checked below).
    bodyLimit: s.config.limits.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    // Paths are the function's business: keep them byte for byte.
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 8192 },
    // While draining, refuse new requests ourselves, with a code (fastify's own 503 has none).
    return503OnClosing: false,
  });
  app.addHook('onRequest', async () => {
    if (s.closing) throw new EdgeError('EDGE_ERR_SHUTTING_DOWN', 'the host is shutting down; retry on another instance');
  });
  installErrorHandler(app);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const t0 = s.clock.now();
    const label = labelFromHost(req.headers.host, s.config.domain);
    if (label === undefined) throw new EdgeError('EDGE_ERR_NO_ROUTE', `host ${JSON.stringify(req.headers.host ?? '')} is not {function}.${s.config.domain}`);
    const target = resolveLabel(label, (fn) => s.registry.route(fn) !== undefined, (fn, t) => s.registry.route(fn)?.table.tags.has(t) ?? false);
    if (!target) throw new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(label)} is deployed`);
    const name = target.fn;
    // Read the table once: a concurrent traffic update swaps the whole object, never half of it.
    const route = s.registry.route(name)!;
    const tagHeader = req.headers['isoedge-tag'];
    const tag = target.tag ?? (typeof tagHeader === 'string' ? tagHeader : undefined);
    const rev = pick(route.table, s.rng, tag);
    if (rev === undefined) {
      throw new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', tag !== undefined ? `function ${name} has no revision tagged ${JSON.stringify(tag)}` : `function ${name} has no revision with traffic`);
    }
    const spec = s.registry.spec(rev);
    if (!spec) throw new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', `revision ${rev} is gone`);
    const raw = req.raw.rawHeaders;
    let headerBytes = 0;
    for (const h of raw) headerBytes += h.length;
    if (raw.length / 2 > spec.limits.headerCount || headerBytes > spec.limits.headerBytes) {
      throw new EdgeError('EDGE_ERR_HEADERS_TOO_LARGE', `the request has ${raw.length / 2} headers and ${headerBytes} header bytes; the limits are ${spec.limits.headerCount} and ${spec.limits.headerBytes}`);
    }
    if (req.body instanceof Buffer && req.body.byteLength > spec.limits.bodyBytes) {
      throw new EdgeError('EDGE_ERR_BODY_TOO_LARGE', `the request body is ${req.body.byteLength} bytes, over the limit of ${spec.limits.bodyBytes}`);
    }
    const body = req.body instanceof Buffer && req.body.byteLength > 0 ? new Uint8Array(req.body) : null;
    const routeMs = s.clock.now() - t0;
    // Activator and breaker: a slot now, a place in the queue, or a refusal with a code.
    const scaler = s.scaling.scaler(rev, spec.concurrency, spec.scaling);
    let admission;
    try {
      admission = await scaler.admit(() => s.clock.now());
    } catch (e) {
      const err = toEdgeError(e);
      reply.header('isoedge-revision', rev);
      if (err.code === 'EDGE_ERR_QUEUE_FULL') reply.header('retry-after', '1');
      s.metrics.requestsTotal.inc({ function: name, revision: rev, code: err.code });
      return sendError(req, reply, err);
    }
    if (admission.queuedMs > 0) s.metrics.queueSeconds.observe({ revision: rev }, admission.queuedMs / 1000);
    s.scaling.requestStarted();
    try {
      const m = await s.executors.invoke(spec, {
        reqId: String(req.id),
        method: req.method,
        url: `http://${req.headers.host}${req.url}`,
        headers: headerPairs(req.raw.rawHeaders),
        body,
      });
      if (m.t === 'res' || m.t === 'err') {
        if (m.tier !== undefined) s.metrics.startSeconds.observe({ tier: m.tier, source: 'request' }, (m.startMs ?? 0) / 1000);
        const status = m.t === 'res' ? m.status : EdgeError.statusOf(m.code);
        s.metrics.requestsTotal.inc({ function: name, revision: rev, code: m.t === 'res' ? String(m.status) : m.code });
        const total = s.clock.now() - t0;
        s.logs.push({
          time: new Date().toISOString(), level: m.t === 'res' ? 'info' : 'warn', source: 'host', function: name, revision: rev, reqId: String(req.id),
          msg: `${req.method} ${req.url.split('?')[0]} ${status}${m.t === 'err' ? ` ${m.code}` : ''} ${total.toFixed(2)} ms${m.tier ? ` (${m.tier})` : ''}`,
          request: { method: req.method, path: req.url, status, ms: +total.toFixed(3), ...(m.tier ? { tier: m.tier } : {}) },
        });
      }
      return writeResult(req, reply, m, routeMs, rev, admission.queuedMs);
    } catch (e) {
      reply.header('isoedge-revision', rev);
      return sendError(req, reply, toEdgeError(e));
    } finally {
      admission.release();
      s.scaling.requestEnded();
    }
  };
  // Refusals raised before dispatch still carry Server-Timing, so every response has it.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('server-timing')) reply.header('server-timing', `route;dur=${ms(reply.elapsedTime)}`);
    return payload;
  });
  app.all('/', handler);
  app.all('/*', handler);
  return app;
}
