/** Admin bearer-token check, in constant time: both sides are hashed to equal length first. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { EdgeError } from '../../core/errors.ts';

const OPEN_PATHS = new Set(['/healthz', '/readyz']);

export function installAuth(app: FastifyInstance, token: string): void {
  if (!token) return;
  const want = createHash('sha256').update(token).digest();
  app.addHook('onRequest', async (req) => {
    if (OPEN_PATHS.has(req.url)) return;
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    const got = createHash('sha256').update(m ? m[1]! : '').digest();
    if (!m || !timingSafeEqual(got, want)) throw new EdgeError('EDGE_ERR_UNAUTHORIZED', 'missing or wrong bearer token (Authorization: Bearer $ISOEDGE_ADMIN_TOKEN)');
  });
}
