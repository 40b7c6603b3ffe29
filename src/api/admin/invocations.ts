/** `/v1/invocations/{id}` (read, cancel, replay) and `/v1/functions/{name}/invocations` (list): async calls, design §11. */
import type { FastifyInstance } from 'fastify';
import { callSummary, callView, type AsyncService } from '../../async/index.ts';
import * as S from './schemas.ts';

export interface InvocationRoutesOptions {
  invocations: AsyncService;
  /** Throws EDGE_ERR_FUNCTION_NOT_FOUND for a name that is not deployed. */
  requireFunction(name: string): Promise<unknown>;
}

const last = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.at(-1) : v);

export async function invocationRoutes(app: FastifyInstance, o: InvocationRoutesOptions): Promise<void> {
  app.get<{ Params: { id: string } }>('/v1/invocations/:id', { schema: S.getInvocation }, async (req) => callView(await o.invocations.get(req.params.id)));

  app.get<{ Params: { name: string }; Querystring: { status?: string | string[]; limit?: string | string[]; before?: string | string[] } }>('/v1/functions/:name/invocations', { schema: S.listInvocations }, async (req) => {
    await o.requireFunction(req.params.name);
    const limit = last(req.query.limit);
    const calls = await o.invocations.list(req.params.name, last(req.query.status), limit === undefined ? undefined : Number(limit) || 100, last(req.query.before));
    return { invocations: calls.map(callSummary) };
  });

  app.delete<{ Params: { id: string } }>('/v1/invocations/:id', { schema: S.cancelInvocation }, async (req) => callView(await o.invocations.cancel(req.params.id)));

  app.post<{ Params: { id: string } }>('/v1/invocations/:id/replay', { schema: S.replayInvocation }, async (req, reply) => {
    const call = await o.invocations.replay(req.params.id);
    reply.code(202).header('location', `/v1/invocations/${call.id}`).header('isoedge-call-id', call.id);
    return callView(call);
  });
}
