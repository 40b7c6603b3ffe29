/**
 * `GET /v1/functions/{name}/logs`: recent entries as JSON, or with `follow=true`
 * a server-sent event stream — the recent history first, then live entries.
 */
import type { FastifyInstance } from 'fastify';
import type { LogHub } from '../../logging/index.ts';
import * as S from './schemas.ts';

export interface LogRoutesOptions {
  logs: Pick<LogHub, 'recent' | 'subscribe'>;
  linesPerFunction: number;
  /** Throws EDGE_ERR_FUNCTION_NOT_FOUND for a name that is not deployed. */
  requireFunction(name: string): Promise<unknown>;
}

const HEARTBEAT_MS = 15_000;

export async function logRoutes(app: FastifyInstance, o: LogRoutesOptions): Promise<void> {
  // Open streams end before the listener closes, or close() would wait on them forever.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  app.get<{ Params: { name: string }; Querystring: { follow?: string; tail?: string } }>('/v1/functions/:name/logs', { schema: S.getLogs }, async (req, reply) => {
    await o.requireFunction(req.params.name);
    const tail = Math.min(o.linesPerFunction, Math.max(0, Number(req.query.tail ?? 100) || 0));
    const recent = o.logs.recent(req.params.name, tail);
    const follow = req.query.follow === 'true' || req.query.follow === '1' || req.query.follow === '';
    if (!follow) return { logs: recent };
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (e: unknown) => res.write(`event: log\ndata: ${JSON.stringify(e)}\n\n`);
    for (const e of recent) send(e);
    res.write(': live\n\n');
    const unsubscribe = o.logs.subscribe(req.params.name, send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const end = () => {
      if (!open.delete(end)) return;
      clearInterval(heartbeat);
      unsubscribe();
      res.end();
    };
    open.add(end);
    req.raw.on('close', end);
  });
}
