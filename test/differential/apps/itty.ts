// An itty-router v5+ app (AutoRouter with its json/error/cors helpers) used unchanged.
import { AutoRouter, cors, error, json, status, withParams, type IRequest } from 'itty-router';

const { preflight, corsify } = cors({ origin: 'https://app.example', allowMethods: ['GET', 'POST'] });
const router = AutoRouter({ before: [preflight], finally: [corsify] });

router
  .get('/', () => 'itty')
  .get('/items/:id', withParams, ({ id }: IRequest) => ({ id, kind: 'item' }))
  .get('/query', (req: IRequest) => json({ q: req.query }))
  .post('/echo', async (req: IRequest) => json({ got: await req.json() }, { status: 201 }))
  .get('/teapot', () => error(418, 'short and stout'))
  .get('/accepted', () => status(202))
  .get('/text', () => new Response('plain', { headers: { 'content-type': 'text/plain; charset=utf-8', 'x-custom': 'yes' } }))
  .get('/throws', () => { throw new Error('itty boom'); });

export default { fetch: router.fetch };
