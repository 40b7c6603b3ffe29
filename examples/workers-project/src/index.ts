/** A small Workers app on hono: a JWT-protected route (HS256, verified with jose) and a form upload (urlencoded). */
import { Hono } from 'hono';
import { SignJWT, jwtVerify, errors } from 'jose';

type Bindings = { GREETING: string; JWT_SECRET: string; MAX_UPLOAD_BYTES: string };

const app = new Hono<{ Bindings: Bindings }>();
const key = (env: Bindings) => new TextEncoder().encode(env.JWT_SECRET);

app.get('/', (c) => c.text(`${c.env.GREETING} Try POST /token, GET /private with the token, POST /upload.\n`));

// Demo issuer: anyone may ask for a short-lived token, so the protected route can be tried with curl.
app.post('/token', async (c) => {
  const sub = new URL(c.req.url).searchParams.get('sub') ?? 'guest';
  const token = await new SignJWT({ role: 'demo' }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('5m').sign(key(c.env));
  return c.json({ token });
});

app.get('/private', async (c) => {
  const m = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '');
  if (!m) return c.json({ error: 'missing bearer token' }, 401, { 'www-authenticate': 'Bearer' });
  try {
    const { payload } = await jwtVerify(m[1]!, key(c.env), { algorithms: ['HS256'] });
    return c.json({ hello: payload.sub, role: payload.role });
  } catch (e) {
    const reason = e instanceof errors.JOSEError ? e.code : 'ERR_UNKNOWN';
    return c.json({ error: 'invalid token', reason }, 401, { 'www-authenticate': 'Bearer error="invalid_token"' });
  }
});

// The body is read as text and parsed as application/x-www-form-urlencoded: request.formData()
// (and multipart) arrives with the runtime's FormData, which this example does not rely on.
app.post('/upload', async (c) => {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return c.json({ error: 'send application/x-www-form-urlencoded' }, 415);
  const body = await c.req.arrayBuffer();
  const max = Number(JSON.parse(c.env.MAX_UPLOAD_BYTES));
  if (body.byteLength > max) return c.json({ error: `over ${max} bytes` }, 413);
  const fields = Object.fromEntries(new URLSearchParams(new TextDecoder().decode(body)));
  return c.json({ received: body.byteLength, fields });
});

// `[triggers] crons` in wrangler.toml runs this every 30 minutes (as an async invocation on isoedge,
// listed by `isoedge calls ls workers-project`), as Workers' module syntax has it: fetch and scheduled
// side by side in the default export.
export default {
  fetch: app.fetch,
  async scheduled(controller: { cron: string; scheduledTime: number }, env: Bindings) {
    console.log(`${env.GREETING} cron ${controller.cron} at ${new Date(controller.scheduledTime).toISOString()}`);
  },
};
