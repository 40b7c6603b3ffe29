/**
 * What the admin port answers while a cluster node waits for NATS at start: alive (`/healthz` 200),
 * not ready (`/readyz` 503 with the reason), and 503 EDGE_ERR_STORE_UNAVAILABLE for everything
 * else, so an operator or a load balancer sees why the node is not serving yet. It gives the port
 * back once NATS answers and the real admin listener takes over.
 */
import { createServer, type Server } from 'node:http';
import { EdgeError } from '../core/errors.ts';

export interface WaitingListener {
  close(): Promise<void>;
}

export async function listenWhileWaiting(host: string, port: number, reason: () => string): Promise<WaitingListener> {
  const server: Server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') json(200, { status: 'ok' });
    else if (path === '/readyz') json(503, { status: 'unavailable', reason: reason() });
    else json(503, new EdgeError('EDGE_ERR_STORE_UNAVAILABLE', `this node has not started: ${reason()}`).toJSON());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, reusePort: true }, () => resolve());
  });
  return {
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
