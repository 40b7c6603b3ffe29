/** Liveness, readiness, metrics and host status. */
import type { FastifyInstance } from 'fastify';
import type { Nodes } from '../../cluster/nodes.ts';
import * as S from './schemas.ts';

export interface HealthRoutesOptions {
  /** Undefined when ready; otherwise why not ('starting', or what the host waits for). */
  notReady(): string | undefined;
  functionCount(): number;
  /** The Prometheus exposition of the host's metrics, and its content type. */
  metrics: { render(): Promise<string>; contentType: string };
  /** Executors, threads and memory, for `GET /v1/status`. */
  status(): Promise<Record<string, unknown>>;
  nodes: Nodes;
}

export async function healthRoutes(app: FastifyInstance, o: HealthRoutesOptions): Promise<void> {
  app.get('/healthz', { schema: S.healthz }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: S.readyz }, async (_req, reply) => {
    const why = o.notReady();
    if (why === 'starting') return reply.code(503).send({ status: 'starting' });
    if (why !== undefined) return reply.code(503).send({ status: 'unavailable', reason: why });
    return { status: 'ready', functions: o.functionCount() };
  });
  app.get('/metrics', { schema: S.metrics }, async (_req, reply) => reply.type(o.metrics.contentType).send(await o.metrics.render()));
  app.get('/v1/status', { schema: S.status }, async () => o.status());
  app.get('/v1/nodes', { schema: S.listNodes }, async () => ({ self: o.nodes.id, nodes: await o.nodes.list() }));
}
