/** The admin listener: its own fastify instance, auth, the deploy API, health and its OpenAPI document. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { Services } from '../../host/services.ts';
import { installErrorHandler } from '../error-handler.ts';
import { installAuth } from '../hooks/auth.ts';
import { requestIdFactory } from '../hooks/request-id.ts';
import { functionRoutes } from './functions.ts';
import { healthRoutes } from './health.ts';
import { logRoutes } from './logs.ts';
import { collectRoutes, openapiRoutes } from './openapi.ts';
import { validationError } from './schemas.ts';

export async function buildAdmin(services: Services): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.log.child({ listener: 'admin' }) as FastifyBaseLogger,
    genReqId: requestIdFactory(),
    bodyLimit: services.config.limits.moduleBytes,
    logController: new LogController({ disableRequestLogging: true }),
    // Schemas only check requests (schemas.ts): no coercion, no defaults filled in, nothing removed.
    ajv: { customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allowUnionTypes: true } },
    schemaErrorFormatter: validationError('EDGE_ERR_BAD_REQUEST'),
  });
  // Before any route: /v1/openapi.json documents every route registered from here on.
  const routes = collectRoutes(app);
  installErrorHandler(app);
  installAuth(app, services.config.admin.token);
  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, url: req.url, status: reply.statusCode, ms: +reply.elapsedTime.toFixed(2) }, 'admin request');
  });
  await app.register(multipart, { limits: { fileSize: services.config.limits.moduleBytes, files: 2, fields: 4 } });
  await app.register(healthRoutes, { services });
  await app.register(functionRoutes, { services });
  await app.register(logRoutes, { services });
  await app.register(openapiRoutes, { routes });
  return app;
}
