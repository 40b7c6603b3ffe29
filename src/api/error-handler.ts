/**
 * The one place where errors become HTTP responses: `EdgeError.code` → status
 * and `{code, message, requestId}`. Fastify's own errors are translated to the
 * nearest EDGE_ERR_* code so clients only ever see our codes.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EdgeError, type ErrorCode } from '../core/errors.ts';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'EDGE_ERR_BODY_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'EDGE_ERR_MODULE_TOO_LARGE',
  FST_FILES_LIMIT: 'EDGE_ERR_BAD_REQUEST',
  FST_PARTS_LIMIT: 'EDGE_ERR_BAD_REQUEST',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'EDGE_ERR_BAD_REQUEST',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'EDGE_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EDGE_ERR_BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'EDGE_ERR_BAD_REQUEST',
  FST_ERR_VALIDATION: 'EDGE_ERR_BAD_REQUEST',
};

export function toEdgeError(err: unknown): EdgeError {
  if (err instanceof EdgeError) return err;
  const fe = err as Partial<FastifyError>;
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new EdgeError(mapped, fe.message ?? mapped, { cause: err });
  if (fe.statusCode === 400 || err instanceof SyntaxError) return new EdgeError('EDGE_ERR_BAD_REQUEST', fe.message ?? 'bad request', { cause: err });
  return new EdgeError('EDGE_ERR_INTERNAL', 'internal error', { cause: err });
}

function sendError(req: FastifyRequest, reply: FastifyReply, err: EdgeError): FastifyReply {
  return reply.code(err.statusCode).type('application/json').send({ ...err.toJSON(), requestId: req.id });
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const e = toEdgeError(err);
    if (e.code === 'EDGE_ERR_INTERNAL') req.log.error({ err }, 'unhandled error');
    else req.log.debug({ code: e.code, msg: e.message }, 'request refused');
    return sendError(req, reply, e);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, new EdgeError('EDGE_ERR_NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`)),
  );
}
