/** Every example under examples/ deploys and answers as its README says. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployExamples, readExamples } from '../src/control/examples.ts';
import { testHost, type TestHost } from './helpers/host.ts';
import { buildExamples } from '../scripts/build-examples.ts';


let h: TestHost;
beforeAll(async () => {
  await buildExamples();
  h = await testHost();
});
afterAll(async () => { await h.cleanup(); });
const get = (name: string, url: string, init: { method?: 'GET' | 'POST'; payload?: string; headers?: Record<string, string> } = {}) =>
  h.edge.inject({ method: init.method ?? 'GET', url, headers: { host: `${name}.localhost:8080`, ...init.headers }, ...(init.payload !== undefined ? { payload: init.payload } : {}) });

describe('examples', () => {
  it('all deploy, and a second start does not redeploy them', async () => {
    const first = await deployExamples(h.functions, h.url);
    expect(first.map((d) => d.name)).toEqual(readExamples().map((e) => e.manifest.name));
    expect(first.every((d) => d.deployed)).toBe(true);
    expect((await deployExamples(h.functions, h.url)).every((d) => !d.deployed)).toBe(true);
  });

  it('canary is split 90/10 with a preview tag, as its README says', async () => {
    const fn = (await h.admin.inject({ url: '/v1/functions/canary' })).json();
    expect(fn.traffic).toEqual([{ revision: 'canary-00001', percent: 90 }, { revision: 'canary-00002', percent: 10, tag: 'preview' }]);
    expect((await get('preview-canary', '/')).body).toBe('shop v2 (green) with the new checkout\n');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add((await get('canary', '/')).body);
    expect(seen).toEqual(new Set(['shop v1 (blue)\n', 'shop v2 (green) with the new checkout\n']));
  });

  it('streaming answers as its README says', async () => {
    expect((await get('streaming', '/')).body).toBe('streaming: try /sse, /download?mib=16, POST /hash, POST /upper\n');
    const sse = await get('streaming', '/sse?n=3&ms=10');
    expect(sse.headers['content-type']).toBe('text/event-stream');
    expect(sse.body.replace(/"at":\d+/g, '"at":0')).toBe([0, 1, 2].map((n) => `id: ${n}\nevent: tick\ndata: {"n":${n},"at":0}\n\n`).join(''));
    const dl = await get('streaming', '/download?mib=2');
    expect([dl.headers['content-length'], dl.rawPayload.byteLength, dl.rawPayload.every((b) => b === 0x78)]).toEqual(['2097152', 2097152, true]);
    const zeros = Buffer.alloc(200_000);
    const { createHash } = await import('node:crypto');
    expect((await get('streaming', '/hash', { method: 'POST', payload: zeros.toString('latin1') })).body).toBe(`200000 bytes, sha-256 ${createHash('sha256').update(zeros).digest('hex')}\n`);
    expect((await get('streaming', '/upper', { method: 'POST', payload: 'hello streams\n' })).body).toBe('HELLO STREAMS\n');
  });

  it('as-router answers as its README says', async () => {
    expect((await get('as-router', '/')).body).toBe('Hello from AssemblyScript on isoedge! Try /hello/your-name\n');
    expect((await get('as-router', '/hello/Ada')).body).toBe('{"greeting":"Hello, Ada!","runtime":"assemblyscript"}');
    const nf = await get('as-router', '/nope');
    expect(nf.statusCode).toBe(404);
    expect(nf.body).toBe('{"error":"not found","path":"/nope"}');
  });

  it('component-echo answers as its README says', async () => {
    const g = await get('component-echo', '/');
    expect(g.body).toBe('Hello from a WebAssembly component (edge:host/handler@0.1.0)! POST a body and I echo it back.\n');
    expect(g.headers['x-component']).toBe('edge:host/handler@0.1.0');
    expect((await get('component-echo', '/', { method: 'POST', payload: 'abc' })).body).toBe('abc');
  });

  it('wasi-http-echo answers as its README says', async () => {
    const g = await get('wasi-http-echo', '/hello/world?x=1', { headers: { 'user-agent': 'curl/7.88.1', accept: '*/*', 'x-demo': 'yes' } });
    expect(g.statusCode).toBe(200);
    expect(g.headers['x-component']).toBe('wasi:http/proxy');
    expect(g.body).toBe('GET /hello/world?x=1\nhost: wasi-http-echo.localhost:8080\nuser-agent: curl/7.88.1\naccept: */*\nx-demo: yes\n\n');
    const put = await h.edge.inject({ method: 'PUT', url: '/items/7', payload: 'hi', headers: { host: 'wasi-http-echo.localhost:8080', 'x-status': '201' } });
    expect(put.statusCode).toBe(201);
    expect(put.body).toMatch(/^PUT \/items\/7\n[\s\S]*\n\nhi$/);
  });

  it('wasm-echo answers as its README says', async () => {
    const g = await get('wasm-echo', '/');
    expect(g.body).toBe('Hello from WebAssembly (WAT, edge-core-v1)! POST a body and I echo it back.\n');
    expect(g.headers['x-wasm-abi']).toBe('edge-core-v1');
    expect((await get('wasm-echo', '/', { method: 'POST', payload: 'abc' })).body).toBe('abc');
  });

  it('hello answers as its README says', async () => {
    expect((await get('hello', '/')).body).toBe('Hello from isoedge! You asked for /\n');
    expect((await get('hello', '/some/where')).body).toBe('Hello from isoedge! You asked for /some/where\n');
  });

  it('echo answers as its README says', async () => {
    const j = await get('echo', '/a/b?x=1', { method: 'POST', payload: '{"hello":"world"}', headers: { 'content-type': 'application/json' } });
    expect(j.body).toBe('{"method":"POST","path":"/a/b","query":{"x":"1"},"contentType":"application/json","json":{"hello":"world"},"greeting":"hello from env"}');
    const hd = await get('echo', '/headers');
    expect(hd.statusCode).toBe(204);
    expect(hd.headers['x-greeting']).toBe('hello from env');
    expect(hd.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const st = await get('echo', '/status?code=418');
    expect(st.statusCode).toBe(418);
    expect(st.body).toBe('status 418\n');
    expect((await get('echo', '/bytes', { method: 'POST', payload: 'abc' })).body).toBe('bcd');
    expect(h.logs.some((l) => l.function === 'echo' && l.console === 'echo POST /a/b' && l.msg === 'guest console')).toBe(true);
  });

  it('workers-project (a wrangler project on hono) answers as its README says', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await get('workers-project', '/')).body).toBe('Hello from a wrangler project on isoedge! Try POST /token, GET /private with the token, POST /upload.\n');
    const up = await get('workers-project', '/upload', { method: 'POST', payload: 'title=Hello+world&tags=a%2Cb', headers: form });
    expect(up.statusCode).toBe(200);
    expect(up.body).toBe('{"received":28,"fields":{"title":"Hello world","tags":"a,b"}}');
    expect((await get('workers-project', '/upload', { method: 'POST', payload: '{}', headers: { 'content-type': 'application/json' } })).statusCode).toBe(415);
    expect((await get('workers-project', '/upload', { method: 'POST', payload: `x=${'a'.repeat(5000)}`, headers: form })).body).toBe('{"error":"over 4096 bytes"}');
    const none = await get('workers-project', '/private');
    expect(none.statusCode).toBe(401);
    expect(none.body).toBe('{"error":"missing bearer token"}');
    const junk = await get('workers-project', '/private', { headers: { authorization: 'Bearer not.a.jwt' } });
    expect(junk.statusCode).toBe(401);
    expect(junk.body).toBe('{"error":"invalid token","reason":"ERR_JWS_INVALID"}');
    const config = (await h.admin.inject({ url: '/v1/functions/workers-project' })).json().revisions.at(-1).config;
    expect(config).toMatchObject({ env: { MAX_UPLOAD_BYTES: '4096' }, limits: { cpuMs: 200 }, triggers: { crons: ['*/30 * * * *'] }, compatibilityDate: '2025-06-01', compatibilityFlags: ['no_nodejs_compat'] });
  });

  // jose signs and verifies with crypto.subtle (the host's WebCrypto through the bridge).
  it('workers-project: a token from /token is accepted by /private, a tampered or foreign one refused', async () => {
    const t = await get('workers-project', '/token?sub=ada', { method: 'POST' });
    expect(t.statusCode).toBe(200);
    const token = t.json().token as string;
    expect(token).toMatch(/^eyJhbGciOiJIUzI1NiJ9\.[\w-]+\.[\w-]+$/);
    const ok = await get('workers-project', '/private', { headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('{"hello":"ada","role":"demo"}');
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    expect((await get('workers-project', '/private', { headers: { authorization: `Bearer ${tampered}` } })).body).toBe('{"error":"invalid token","reason":"ERR_JWS_SIGNATURE_VERIFICATION_FAILED"}');
  });

  it('async-report: submitted async, polled to a result, deduplicated, and its cron is scheduled, as its README says', async () => {
    const r = await get('async-report', '/weekly?ms=50', { method: 'POST', headers: { prefer: 'respond-async' } });
    expect(r.statusCode).toBe(202);
    const id = r.headers['isoedge-call-id'] as string;
    expect(r.headers.location).toBe(`/v1/invocations/${id}`);
    expect(r.headers['preference-applied']).toBe('respond-async');
    let view = (await h.admin.inject({ url: `/v1/invocations/${id}` })).json();
    for (let i = 0; i < 200 && view.status !== 'succeeded'; i++) {
      await new Promise((res) => setTimeout(res, 25));
      view = (await h.admin.inject({ url: `/v1/invocations/${id}` })).json();
    }
    expect(view).toMatchObject({ status: 'succeeded', attempts: [{ n: 1, status: 200 }], result: { status: 200, bodyEncoding: 'utf8', truncated: false } });
    expect(JSON.parse(view.result.body)).toEqual({ report: 'weekly', callId: id, attempt: 1, lines: [{ region: 'r1', orders: 17 }, { region: 'r2', orders: 34 }, { region: 'r3', orders: 51 }], total: 102 });
    const via = await h.edge.inject({ method: 'POST', url: '/async-function/async-report/monthly?ms=10&rows=2', headers: { host: '127.0.0.1:8080' } });
    expect(via.statusCode).toBe(202);
    const k1 = await get('async-report', '/x?ms=10', { method: 'POST', headers: { prefer: 'respond-async', 'idempotency-key': 'report-2026-12' } });
    const k2 = await get('async-report', '/x?ms=10', { method: 'POST', headers: { prefer: 'respond-async', 'idempotency-key': 'report-2026-12' } });
    expect(k2.json()).toMatchObject({ id: k1.json().id, duplicate: true });
    expect((await get('nope', '/', { method: 'POST', headers: { prefer: 'respond-async' } })).json().code).toBe('EDGE_ERR_FUNCTION_NOT_FOUND');
    expect(h.async.cron.upcoming().filter((u) => u.fn === 'async-report').map((u) => u.cron)).toEqual(['0 3 * * *']);
    expect(h.async.cron.upcoming().filter((u) => u.fn === 'workers-project').map((u) => u.cron)).toEqual(['*/30 * * * *']);
  });

  it('async-report: the callback receiver prints what the host POSTs', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['examples/async-report/receiver.mjs', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      while (!/listening on 127.0.0.1:(\d+)/.test(out)) await new Promise((res) => setTimeout(res, 20));
      const port = /listening on 127.0.0.1:(\d+)/.exec(out)![1]!;
      const cb = await testHost(['--fetch-allow', `127.0.0.1:${port}`]);
      try {
        await deployExamples(cb.functions, cb.url);
        const r = await cb.edge.inject({ method: 'POST', url: '/async-function/async-report/monthly?ms=10&rows=2', headers: { host: '127.0.0.1', 'x-callback-url': `http://127.0.0.1:${port}/done` } });
        const id = r.headers['isoedge-call-id'] as string;
        const printed = new RegExp(`callback ${id} async-report status=200 call=succeeded \\d+\\.\\d{6}s\n\\{"report":"monthly","callId":"${id}","attempt":1,"lines":\\[\\{"region":"r1","orders":17\\},\\{"region":"r2","orders":34\\}\\],"total":51\\}`);
        // The receiver prints two lines, which may reach this pipe in two chunks: wait for both.
        for (let i = 0; i < 200 && !printed.test(out); i++) await new Promise((res) => setTimeout(res, 25));
        expect(out).toMatch(printed);
      } finally {
        await cb.cleanup();
      }
    } finally {
      child.kill();
    }
  });
});
