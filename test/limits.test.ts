/** Limits per revision, under host maximums, each with its own code (issue 7, item 1). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHost, type TestHost } from './helpers/host.ts';

let h: TestHost;
beforeAll(async () => {
  h = await testHost(['--limits-header-count', '20', '--limits-max-cpu-ms', '500']);
  await h.admin.inject({ method: 'POST', url: '/v1/functions/lim/revisions?bodyBytes=100&responseBytes=1000', headers: { 'content-type': 'application/javascript' },
    payload: `export default { async fetch(req) {
      const p = new URL(req.url).pathname;
      if (p === '/big') return new Response('x'.repeat(5000));
      if (p === '/headers') { const h = new Headers(); for (let i = 0; i < 50; i++) h.append('x-h' + i, 'v'); return new Response('ok', { headers: h }); }
      return new Response('ok ' + (await req.text()).length);
    } };` });
});
afterAll(async () => { await h.cleanup(); });

const call = (path: string, init: { payload?: string; headers?: Record<string, string> } = {}) =>
  h.edge.inject({ method: init.payload ? 'POST' : 'GET', url: path, headers: { host: 'lim.localhost', ...init.headers }, ...(init.payload ? { payload: init.payload } : {}) });

describe('limits', () => {
  it('a request body over the revision limit → 413 EDGE_ERR_BODY_TOO_LARGE', async () => {
    expect((await call('/', { payload: 'x'.repeat(100) })).body).toBe('ok 100');
    const r = await call('/', { payload: 'x'.repeat(101) });
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_BODY_TOO_LARGE' });
  });

  it('too many request headers → 431 EDGE_ERR_HEADERS_TOO_LARGE', async () => {
    const headers = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`x-h${i}`, 'v']));
    const r = await call('/', { headers });
    expect(r.statusCode).toBe(431);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_HEADERS_TOO_LARGE' });
  });

  it('a response body or header set over the limits → 502 EDGE_ERR_RESPONSE_TOO_LARGE', async () => {
    const a = await call('/big');
    expect(a.statusCode).toBe(502);
    expect(a.json()).toMatchObject({ code: 'EDGE_ERR_RESPONSE_TOO_LARGE', message: expect.stringMatching(/5000 bytes, over the limit of 1000/) });
    const b = await call('/headers');
    expect(b.statusCode).toBe(502);
    expect(b.json()).toMatchObject({ code: 'EDGE_ERR_RESPONSE_TOO_LARGE' });
    expect((await call('/')).body).toBe('ok 0');
  });

  it('a revision limit above the host maximum is refused at deploy, naming the option', async () => {
    const r = await h.admin.inject({ method: 'POST', url: '/v1/functions/greedy/revisions?cpuMs=1000', headers: { 'content-type': 'application/javascript' }, payload: 'export default { fetch() { return new Response("x") } };' });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: 'limits.cpuMs 1000 is above the host maximum 500 (limits.maxCpuMs)' });
    expect((await h.admin.inject({ url: '/v1/functions/greedy' })).statusCode).toBe(404);
  });

  it('variables over 64 KiB → 400 EDGE_ERR_ENV_TOO_LARGE', async () => {
    const r = await h.admin.inject({ method: 'PATCH', url: '/v1/functions/lim/config', payload: { env: { BIG: 'x'.repeat(70_000) } } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_ENV_TOO_LARGE' });
  });
});
