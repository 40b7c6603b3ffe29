/**
 * Request ids: an incoming `x-request-id` is kept only when short and plain
 * (it ends up in logs and headers); otherwise a new one is generated.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { REQUEST_ID_RE } from '../../core/ids.ts';

export function requestIdFactory(generate: () => string = randomUUID): (req: IncomingMessage) => string {
  return (req) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : generate();
  };
}
