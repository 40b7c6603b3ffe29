/**
 * An isoedge host: services plus the admin and edge listeners. main.ts runs one;
 * tests build one and call `admin.inject()` / `edge.inject()` or listen on port 0.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/index.ts';
import { Services, type ServiceOptions } from './host/services.ts';
import { buildAdmin } from './api/admin/index.ts';
import { buildEdge } from './api/edge/index.ts';

export interface Isoedge {
  services: Services;
  admin: FastifyInstance;
  edge: FastifyInstance;
  /** Binds both listeners; returns the bound addresses. */
  listen(): Promise<{ edge: string; admin: string; edgePort: number; adminPort: number }>;
  close(): Promise<void>;
}

export async function createIsoedge(config: Config, log: Logger, opts: ServiceOptions = {}): Promise<Isoedge> {
  const services = new Services(config, log, opts);
  try {
    const admin = await buildAdmin(services);
    const edge = await buildEdge(services);
    await services.start();
    let closed = false;
    return {
      services,
      admin,
      edge,
      async listen() {
        const edgeAddr = await edge.listen({ host: config.edge.host, port: config.edge.port });
        const edgePort = (edge.server.address() as { port: number }).port;
        services.edgePort = edgePort;
        const adminAddr = await admin.listen({ host: config.admin.host, port: config.admin.port });
        const adminPort = (admin.server.address() as { port: number }).port;
        return { edge: edgeAddr, admin: adminAddr, edgePort, adminPort };
      },
      async close() {
        if (closed) return;
        closed = true;
        services.closing = true;
        // Stop accepting first; in-flight requests finish before the executors go.
        await Promise.all([edge.close(), admin.close()]);
        await services.close();
      },
    };
  } catch (e) {
    await services.close().catch(() => {});
    throw e;
  }
}
