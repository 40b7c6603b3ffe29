/** The admin listener: its own fastify instance, auth, the deploy API, health and its OpenAPI document. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { Logger } from 'pino';
import { installErrorHandler } from '../error-handler.ts';
import { installAuth } from '../hooks/auth.ts';
import { requestIdFactory } from '../hooks/request-id.ts';
import { functionRoutes, type FunctionRoutesOptions } from './functions.ts';
import { healthRoutes, type HealthRoutesOptions } from './health.ts';
import { invocationRoutes, type InvocationRoutesOptions } from './invocations.ts';
import { logRoutes, type LogRoutesOptions } from './logs.ts';
import { collectRoutes, openapiRoutes } from './openapi.ts';
import { validationError } from './schemas.ts';

/** Each route group gets its own options, and only those. */
export interface AdminOptions {
  log: Logger;
  /** Bearer token the API requires ('' = none; the host refuses that off loopback). */
  token: string;
  functions: FunctionRoutesOptions;
  health: HealthRoutesOptions;
  logs: LogRoutesOptions;
  invocations: InvocationRoutesOptions;
}

export async function buildAdmin(o: AdminOptions): Promise<FastifyInstance> {
  const moduleBytes = o.functions.moduleBytes;
  const app = Fastify({
    loggerInstance: o.log.child({ listener: 'admin' }) as FastifyBaseLogger,
    genReqId: requestIdFactory(),
    bodyLimit: moduleBytes,
    logController: new LogController({ disableRequestLogging: true }),
    // Schemas only check requests (schemas.ts): no coercion, no defaults filled in, nothing removed.
    ajv: { customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allowUnionTypes: true } },
    schemaErrorFormatter: validationError('EDGE_ERR_BAD_REQUEST'),
  });
  // Before any route: /v1/openapi.json documents every route registered from here on.
  const routes = collectRoutes(app);
  installErrorHandler(app);
  installAuth(app, o.token);
  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, url: req.url, status: reply.statusCode, ms: +reply.elapsedTime.toFixed(2) }, 'admin request');
  });
  await app.register(multipart, { limits: { fileSize: moduleBytes, files: 2, fields: 4 } });
  await app.register(healthRoutes, o.health);
  await app.register(functionRoutes, o.functions);
  await app.register(logRoutes, o.logs);
  await app.register(invocationRoutes, o.invocations);
  await app.register(openapiRoutes, { routes });
  return app;
}
