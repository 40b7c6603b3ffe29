/** The admin API and the edge through fastify's inject(): real host, real isolates, no sockets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testHost, HELLO, type TestHost } from './helpers/host.ts';

let h: TestHost;
beforeAll(async () => { h = await testHost(['--admin-token', 'sekret']); });
afterAll(async () => { await h.cleanup(); });

const auth = { authorization: 'Bearer sekret' };
const deploy = (name: string, source: string, query = '') =>
  h.admin.inject({ method: 'POST', url: `/v1/functions/${name}/revisions${query}`, headers: { ...auth, 'content-type': 'application/javascript' }, payload: source });
const edge = (name: string, path = '/', opts: { method?: string; headers?: Record<string, string>; payload?: string | Buffer } = {}) =>
  h.edge.inject({ method: (opts.method ?? 'GET') as 'GET', url: path, headers: { host: `${name}.localhost:8080`, ...opts.headers }, ...(opts.payload !== undefined ? { payload: opts.payload } : {}) });
const artifactCount = () => (existsSync(join(h.dataDir, 'artifacts')) ? readdirSync(join(h.dataDir, 'artifacts')).length : 0);

describe('admin API', () => {
  it('health and readiness answer without a token', async () => {
    expect((await h.admin.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await h.admin.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('refuses requests without the bearer token', async () => {
    const r = await h.admin.inject({ url: '/v1/functions' });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_UNAUTHORIZED' });
    expect((await h.admin.inject({ url: '/v1/functions', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
  });

  it('deploys a module as revision 00001 and serves it', async () => {
    const r = await deploy('hello', HELLO);
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ name: 'hello', revision: 'hello-00001', runtime: 'js', digest: expect.stringMatching(/^[0-9a-f]{64}$/), url: expect.stringMatching(/^http:\/\/hello\.localhost:\d+\/$/) });
    const e = await edge('hello', '/a/b?x=1');
    expect(e.statusCode).toBe(200);
    expect(e.body).toBe('hello /a/b');
    expect(e.headers['isoedge-revision']).toBe('hello-00001');
    expect(e.headers['server-timing']).toMatch(/^route;dur=[\d.]+, queue;dur=[\d.]+, start;desc="(hot|warm|cold)";dur=[\d.]+, exec;dur=[\d.]+, total;dur=[\d.]+$/);
    // total covers the whole server-side time: at least the stages it contains.
    const dur = Object.fromEntries([...String(e.headers['server-timing']).matchAll(/(\w+);(?:desc="\w+";)?dur=([\d.]+)/g)].map((m) => [m[1], Number(m[2])]));
    expect(dur.total).toBeGreaterThanOrEqual(dur.route! + dur.queue! + dur.start! + dur.exec! - 0.01);
  });

  it('a second deploy makes revision 00002, which takes the traffic', async () => {
    const r = await deploy('hello', HELLO.replace("'hello '", "'v2 '"));
    expect(r.json().revision).toBe('hello-00002');
    expect((await edge('hello', '/z')).body).toBe('v2 /z');
    const g = (await h.admin.inject({ url: '/v1/functions/hello', headers: auth })).json();
    expect(g.revisions.map((x: { name: string }) => x.name)).toEqual(['hello-00001', 'hello-00002']);
    expect(g.latestRevision).toBe('hello-00002');
    expect(g.traffic).toEqual([{ latestRevision: true, percent: 100 }]);
  });

  it('lists functions and gets one revision', async () => {
    const l = (await h.admin.inject({ url: '/v1/functions', headers: auth })).json();
    expect(l.functions.map((f: { name: string }) => f.name)).toContain('hello');
    const r = await h.admin.inject({ url: '/v1/functions/hello/revisions/hello-00001', headers: auth });
    expect(r.json()).toMatchObject({ name: 'hello-00001', function: 'hello', runtime: 'js', status: { routed: false } });
    expect((await h.admin.inject({ url: '/v1/functions/hello/revisions/hello-00009', headers: auth })).json()).toMatchObject({ code: 'EDGE_ERR_REVISION_NOT_FOUND' });
  });

  it.each([
    { name: 'a syntax error', source: 'export default { fetch( {', code: 'EDGE_ERR_MODULE_PARSE', msg: /does not parse at line 1/ },
    { name: 'no default export', source: 'export const x = 1;', code: 'EDGE_ERR_MODULE_NO_FETCH', msg: /no default export with a fetch/ },
    { name: 'a default export without fetch', source: 'export default { get() {} };', code: 'EDGE_ERR_MODULE_NO_FETCH', msg: /fetch/ },
    { name: 'an import the host does not provide', source: "import x from 'lodash'; export default { fetch() { return new Response(x) } };", code: 'EDGE_ERR_MODULE_PARSE', msg: /cannot import "lodash"/ },
    { name: 'a top-level throw', source: "throw new Error('at load'); export default { fetch() {} };", code: 'EDGE_ERR_MODULE_INIT', msg: /at load/ },
    { name: 'a top-level infinite loop', source: 'for (;;) {} export default { fetch() {} };', code: 'EDGE_ERR_MODULE_INIT', msg: /CPU/ },
  ])('refuses $name with 400 and stores nothing', async ({ source, code, msg }) => {
    const before = artifactCount();
    const r = await deploy('bad', source);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code, message: expect.stringMatching(msg) });
    expect(artifactCount()).toBe(before);
    expect((await h.admin.inject({ url: '/v1/functions/bad', headers: auth })).statusCode).toBe(404);
  });

  it('refuses a bad name, a bad content type and bad config', async () => {
    expect((await deploy('Bad_Name', HELLO)).json()).toMatchObject({ code: 'EDGE_ERR_INVALID_NAME' });
    const t = await h.admin.inject({ method: 'POST', url: '/v1/functions/x/revisions', headers: { ...auth, 'content-type': 'text/plain' }, payload: HELLO });
    expect(t.statusCode).toBe(415);
    expect(t.json()).toMatchObject({ code: 'EDGE_ERR_UNSUPPORTED_MEDIA_TYPE' });
    expect((await deploy('x', HELLO, '?cpuMs=0')).json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/limits\.cpuMs "0"/) });
    expect((await deploy('x', HELLO, '?bogus=1')).json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/unknown query parameter "bogus"/) });
  });

  it('deploys with env from query parameters and from a multipart config part', async () => {
    const src = 'export default { fetch(req, env) { return Response.json(env); } };';
    await deploy('envq', src, '?env.A=1&env.B=two');
    expect((await edge('envq')).json()).toEqual({ A: '1', B: 'two' });
    const boundary = 'XyZ';
    const body = [`--${boundary}`, 'Content-Disposition: form-data; name="config"', '', JSON.stringify({ env: { C: 'three' } }),
      `--${boundary}`, 'Content-Disposition: form-data; name="module"; filename="m.js"', 'Content-Type: application/javascript', '', src, `--${boundary}--`, ''].join('\r\n');
    const r = await h.admin.inject({ method: 'POST', url: '/v1/functions/envm/revisions', headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
    expect(r.statusCode).toBe(201);
    expect((await edge('envm')).json()).toEqual({ C: 'three' });
  });

  it('refuses to delete a revision with traffic, deletes one without, and deletes a function', async () => {
    const r = await h.admin.inject({ method: 'DELETE', url: '/v1/functions/hello/revisions/hello-00002', headers: auth });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_REVISION_HAS_TRAFFIC' });
    expect((await h.admin.inject({ method: 'DELETE', url: '/v1/functions/hello/revisions/hello-00001', headers: auth })).statusCode).toBe(204);
    expect((await h.admin.inject({ method: 'DELETE', url: '/v1/functions/hello', headers: auth })).statusCode).toBe(204);
    const e = await edge('hello');
    expect(e.statusCode).toBe(404);
    expect(e.json()).toMatchObject({ code: 'EDGE_ERR_FUNCTION_NOT_FOUND' });
  });

  it('answers unknown admin routes with a code', async () => {
    const r = await h.admin.inject({ url: '/v1/nope', headers: auth });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_NOT_FOUND' });
  });
});

describe('edge', () => {
  beforeAll(async () => {
    await deploy('echo', `export default { async fetch(req) {
      const u = new URL(req.url);
      if (u.pathname === '/status') return new Response(null, { status: Number(u.searchParams.get('s')), headers: { 'x-s': 'y' } });
      if (u.pathname === '/boom') throw new Error('boom');
      if (u.pathname === '/spin') for (;;) {}
      if (u.pathname === '/head') return new Response(null, { headers: { 'content-length': '1234', 'content-type': 'video/mp4' } });
      const bytes = new Uint8Array(await req.arrayBuffer());
      return new Response(bytes, { headers: { 'x-method': req.method, 'x-ct': String(req.headers.get('content-type')), 'x-url': req.url } });
    } };`, '?cpuMs=20');
  });

  it('carries binary bodies, method and URL exactly', async () => {
    const payload = Buffer.from([0, 255, 1, 254, 10, 13]);
    const r = await edge('echo', '/p/%2F?q=a%20b', { method: 'PATCH', headers: { 'content-type': 'application/octet-stream' }, payload });
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.equals(payload)).toBe(true);
    expect(r.headers['x-method']).toBe('PATCH');
    expect(r.headers['x-ct']).toBe('application/octet-stream');
    expect(r.headers['x-url']).toBe('http://echo.localhost:8080/p/%2F?q=a%20b');
  });

  it('a JSON body reaches the guest unparsed', async () => {
    const r = await edge('echo', '/', { method: 'POST', headers: { 'content-type': 'application/json' }, payload: '{"a": 1 }' });
    expect(r.body).toBe('{"a": 1 }');
  });

  it('carries status codes and headers back', async () => {
    const r = await edge('echo', '/status?s=404');
    expect(r.statusCode).toBe(404);
    expect(r.headers['x-s']).toBe('y');
  });

  it('a throwing function gets 500 with a code; a runaway one 503; the function keeps serving', async () => {
    const a = await edge('echo', '/boom');
    expect(a.statusCode).toBe(500);
    expect(a.json()).toMatchObject({ code: 'EDGE_ERR_FUNCTION_THREW', message: 'Error: boom' });
    const b = await edge('echo', '/spin');
    expect(b.statusCode).toBe(503);
    expect(b.json()).toMatchObject({ code: 'EDGE_ERR_CPU_LIMIT' });
    expect(b.headers['server-timing']).toMatch(/start;desc=/);
    expect((await edge('echo', '/', { method: 'POST', payload: 'still here' })).body).toBe('still here');
  });

  it('unknown hosts and functions get 404 with a code and Server-Timing', async () => {
    const a = await h.edge.inject({ url: '/', headers: { host: 'example.com' } });
    expect(a.statusCode).toBe(404);
    expect(a.json()).toMatchObject({ code: 'EDGE_ERR_NO_ROUTE' });
    expect(a.headers['server-timing']).toMatch(/^route;dur=/);
    expect((await edge('ghost')).json()).toMatchObject({ code: 'EDGE_ERR_FUNCTION_NOT_FOUND' });
  });

  it('HEAD keeps the content-length the function gives; other methods get the length of the body sent', async () => {
    const a = await edge('echo', '/head', { method: 'HEAD' });
    expect(a.statusCode).toBe(200);
    expect(a.headers['content-length']).toBe('1234');
    expect(a.body).toBe('');
    const c = await edge('echo', '/head', { method: 'GET' });
    expect(c.headers['content-length']).toBe('0'); // a GET's length is the body's, never the guest's word
  });

  it('reports hot starts after the first request', async () => {
    await edge('echo', '/');
    const r = await edge('echo', '/');
    expect(r.headers['server-timing']).toMatch(/start;desc="hot"/);
  });
});
