/**
 * Fuzzing the edge and the admin API with fast-check: random methods, paths,
 * headers, bodies, content types and modules. No response may be a 5xx except the
 * documented ones, every error has an EDGE_ERR_* code, and the host keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { testHost, type TestHost } from './helpers/host.ts';
import { ERROR_CODES } from '../src/core/errors.ts';

let h: TestHost;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  h = await testHost(['--limits-body-bytes', '65536', '--limits-module-bytes', '65536']);
  await h.admin.inject({ method: 'POST', url: '/v1/functions/echo/revisions', headers: { 'content-type': 'application/javascript' },
    payload: `export default { async fetch(req) { const b = await req.arrayBuffer(); return new Response(b, { status: 200, headers: { 'x-m': req.method, 'x-n': String([...req.headers].length) } }); } };` });
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await h.cleanup();
});

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'] as const;
const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const pathArb = fc.array(fc.oneof(token, fc.constantFrom('%2F', '..', '.', '%00', 'a b', '~', '%E2%9C%93', '?x=1&x=2', '#frag')), { maxLength: 5 }).map((xs) => '/' + xs.join('/'));
const headerName = fc.stringMatching(/^x-[a-z0-9-]{1,20}$/);
const headerValue = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
const body = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)));
const ctype = fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/javascript', 'application/wasm', 'bogus/!!', '');

const DOCUMENTED_5XX = new Set(Object.entries(ERROR_CODES).filter(([, v]) => v.status >= 500).map(([k]) => k));

function checkResponse(r: { statusCode: number; headers: Record<string, unknown>; body: string }): void {
  // Every host-made error is JSON with a code; a 5xx that is not is a fault (the echo function never answers 5xx).
  if (r.statusCode >= 500 && r.body !== '') expect(String(r.headers['content-type']), r.body).toMatch(/^application\/json/);
  if (r.statusCode >= 400 && r.body !== '' && r.headers['content-type']?.toString().startsWith('application/json')) {
    const j = JSON.parse(r.body) as { code?: string };
    expect(j.code, r.body).toMatch(/^EDGE_ERR_[A-Z_]+$/);
    if (r.statusCode >= 500) expect(DOCUMENTED_5XX.has(j.code!), r.body).toBe(true);
  }
  expect(r.statusCode === 500 && r.body.includes('EDGE_ERR_INTERNAL'), r.body).toBe(false);
}

describe('fuzz', () => {
  it('the edge answers any request with a documented status, and keeps serving', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...METHODS), pathArb, fc.constantFrom('echo.localhost', 'nope.localhost', 'x.y.localhost', 'localhost', 'ECHO.LOCALHOST:80', ''),
      fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }), body, ctype,
      async (method, url, host, headers, payload, type) => {
        const hs: Record<string, string> = { host, ...Object.fromEntries(headers) };
        if (type !== undefined) hs['content-type'] = type;
        const r = await h.edge.inject({ method, url, headers: hs, ...(payload !== undefined && method !== 'GET' && method !== 'HEAD' ? { payload } : {}) });
        checkResponse(r);
        expect(r.headers['server-timing']).toBeDefined();
      },
    ), { numRuns: 300 });
    const ok = await h.edge.inject({ method: 'POST', url: '/', headers: { host: 'echo.localhost' }, payload: 'still here' });
    expect(ok.body).toBe('still here');
  });

  it('the admin API answers any request with a documented status and stores nothing broken', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...METHODS), fc.constantFrom('/v1/functions', '/v1/functions/f', '/v1/functions/f/revisions', '/v1/functions/f/traffic', '/v1/functions/f/config', '/v1/functions/F!', '/v1/functions/f/revisions/f-00001', '/v1/functions/f/logs', '/v1/nope', '/healthz'),
      fc.oneof(fc.constant(''), fc.constantFrom('?env.A=1', '?cpuMs=-1', '?noTraffic=maybe', '?tag=Bad', '?minScale=x', '?bogus=1')), body, ctype,
      fc.constantFrom('', 'export default { fetch() { return new Response("x") } }', 'export default {', 'throw 1', 'export default { fetch: 1 }', '[1,2]', '{"env":{"A":"1"}}', '[{"revision":"f-00001","percent":100}]'),
      async (method, path, query, payload, type, module) => {
        const sendModule = type === 'application/javascript' || method === 'PUT' || method === 'PATCH';
        const r = await h.admin.inject({ method, url: path + query, headers: type !== undefined ? { 'content-type': type } : {}, ...(method !== 'GET' && method !== 'HEAD' ? { payload: sendModule ? module : payload ?? '' } : {}) });
        checkResponse(r);
      },
    ), { numRuns: 300 });
    // Whatever was created must be listable and, when it has a revision, servable or cleanly refused.
    const list = (await h.admin.inject({ url: '/v1/functions' })).json() as { functions: { name: string }[] };
    for (const f of list.functions) {
      const r = await h.edge.inject({ url: '/', headers: { host: `${f.name}.localhost` } });
      checkResponse(r);
    }
    expect(unhandled).toEqual([]);
  });

  it('an oversized multipart module is 413 EDGE_ERR_MODULE_TOO_LARGE, not a fault', async () => {
    const big = 'x'.repeat(70_000);
    const body = ['--b', 'Content-Disposition: form-data; name="module"; filename="m.js"', 'Content-Type: application/javascript', '', big, '--b--', ''].join('\r\n');
    const r = await h.admin.inject({ method: 'POST', url: '/v1/functions/big/revisions', headers: { 'content-type': 'multipart/form-data; boundary=b' }, payload: body });
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_MODULE_TOO_LARGE' });
  });
});
