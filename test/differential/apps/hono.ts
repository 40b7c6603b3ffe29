// A Hono app using Hono's own middleware unchanged (basic-auth, bearer-auth, etag, cors, secure-headers, validator, jwt, streaming).
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { basicAuth } from 'hono/basic-auth';
import { bearerAuth } from 'hono/bearer-auth';
import { cors } from 'hono/cors';
import { etag } from 'hono/etag';
import { secureHeaders } from 'hono/secure-headers';
import { validator } from 'hono/validator';
import { jwt, sign } from 'hono/jwt';
import { stream, streamSSE } from 'hono/streaming';

const SECRET = 'differential-secret';
const app = new Hono();

app.get('/', (c) => c.text('hono'));
app.get('/users/:id{[0-9]+}', (c) => c.json({ id: Number(c.req.param('id')), q: c.req.query('q') ?? null }));
app.use('/basic/*', basicAuth({ username: 'ada', password: 'lovelace' }));
app.get('/basic/ok', (c) => c.text('basic ok'));
app.use('/bearer/*', bearerAuth({ token: 't0ken' }));
app.get('/bearer/ok', (c) => c.text('bearer ok'));
app.use('/etag/*', etag());
app.get('/etag/x', (c) => c.text('tagged body'));
app.use('/cors/*', cors({ origin: 'https://app.example', allowMethods: ['GET', 'POST'], maxAge: 600, exposeHeaders: ['x-exposed'] }));
app.get('/cors/x', (c) => { c.header('x-exposed', '1'); return c.text('cors'); });
app.use('/secure/*', secureHeaders());
app.get('/secure/x', (c) => c.text('secure'));
app.post('/validate', validator('json', (v: Record<string, unknown>, c) => (typeof v.name === 'string' ? { name: v.name } : c.json({ error: 'name required' }, 400))), (c) => c.json({ hello: c.req.valid('json').name }));
app.get('/jwt/token', async (c) => c.text(await sign({ sub: 'u1', role: 'admin', exp: 4102444800 }, SECRET)));
app.use('/jwt/private/*', jwt({ secret: SECRET, alg: 'HS256' }));
app.get('/jwt/private/me', (c) => c.json(c.get('jwtPayload')));
app.get('/sse', (c) => streamSSE(c, async (s) => {
  for (let i = 0; i < 3; i++) await s.writeSSE({ id: String(i), event: 'tick', data: `n=${i}` });
}));
app.get('/stream', (c) => stream(c, async (s) => { await s.write('a'); await s.write(new Uint8Array([98])); await s.write('c'); }));
app.get('/throws', () => { throw new Error('boom'); });
app.onError((e, c) => (e instanceof HTTPException ? e.getResponse() : c.json({ error: e.message }, 500)));
app.notFound((c) => c.text('no route', 404));

export default app;
