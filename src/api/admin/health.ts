/** Liveness, readiness and host status. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../host/services.ts';
import * as S from './schemas.ts';

export async function healthRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  app.get('/healthz', { schema: S.healthz }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: S.readyz }, async (_req, reply) => {
    if (!s.ready) return reply.code(503).send({ status: 'starting' });
    return { status: 'ready', functions: s.registry.functionCount };
  });
  app.get('/metrics', { schema: S.metrics }, async (_req, reply) => reply.type(s.metrics.contentType).send(await s.metrics.render()));
  app.get('/v1/status', { schema: S.status }, async () => {
    const m = process.memoryUsage();
    return {
      functions: s.registry.functionCount,
      memory: { rss: m.rss, heapUsed: m.heapUsed, external: m.external },
      executors: await s.executors.stats(),
      threads: { desired: s.scaling.threadsDesired, running: s.executors.size, panicMode: s.scaling.threadsPanic },
    };
  });
}
