/** Outbound fetch from guests: through the host, only to allowlisted destinations, with a timeout and a size limit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { allowlist } from '../src/runtime/outbound.ts';
import { testHost, type TestHost } from './helpers/host.ts';

let h: TestHost;
let upstream: http.Server;
let port = 0;
beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    if (req.url === '/slow') return; // never answers
    if (req.url === '/big') { res.end('x'.repeat(5000)); return; }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => { res.writeHead(201, { 'content-type': 'text/plain', 'x-up': 'yes' }); res.end(`upstream saw ${req.method} ${req.url} ${body} ${req.headers['x-from'] ?? ''}`); });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  port = (upstream.address() as { port: number }).port;
  // The timeout has headroom: an executor thread's first fetch loads undici (~200 ms here, several times that on a loaded machine).
  h = await testHost(['--fetch-allow', `127.0.0.1:${port}`, '--fetch-timeout-ms', '2000', '--fetch-max-bytes', '1000']);
  await h.admin.inject({ method: 'POST', url: '/v1/functions/proxy/revisions', headers: { 'content-type': 'application/javascript' },
    payload: `export default { async fetch(req) {
      const target = new URL(req.url).searchParams.get('to');
      try {
        const r = await fetch(target, { method: 'POST', body: 'ping', headers: { 'x-from': 'guest' } });
        return new Response(r.status + ' ' + r.headers.get('x-up') + ' ' + await r.text());
      } catch (e) { return new Response(e.message, { status: 502 }); }
    } };` });
});
afterAll(async () => {
  await h.cleanup();
  upstream.close();
});

const via = (to: string) => h.edge.inject({ url: `/?to=${encodeURIComponent(to)}`, headers: { host: 'proxy.localhost' } });

describe('allowlist', () => {
  it.each([
    [['api.example.com'], 'https://api.example.com/x', true],
    [['api.example.com'], 'https://evil.example.com/x', false],
    [['*.example.com'], 'https://a.b.example.com/', true],
    [['*.example.com'], 'https://example.com.evil.net/', false],
    [['127.0.0.1:8080'], 'http://127.0.0.1:8080/', true],
    [['127.0.0.1:8080'], 'http://127.0.0.1:9090/', false],
    [['*'], 'http://anything.test/', true],
    [[], 'http://anything.test/', false],
  ] as [string[], string, boolean][])('%j allows %s: %s', (patterns, url, ok) => {
    expect(allowlist(patterns)(new URL(url)) === '').toBe(ok);
  });
});

describe('guest fetch', () => {
  it('reaches an allowlisted upstream with method, body and headers, and reads status, headers and body', async () => {
    const r = await via(`http://127.0.0.1:${port}/hello`);
    expect(r.body).toBe('201 yes upstream saw POST /hello ping guest');
  });

  it('is denied with EDGE_ERR_FETCH_DENIED elsewhere (no traffic leaves)', async () => {
    expect((await via('http://example.com/')).body).toMatch(/^EDGE_ERR_FETCH_DENIED: outbound fetch to http:\/\/example\.com is not allowed/);
    expect((await via(`http://127.0.0.1:${port + 1 === 65536 ? 1 : port + 1}/`)).body).toMatch(/EDGE_ERR_FETCH_DENIED/);
    expect((await via('file:///etc/passwd')).body).toMatch(/only http and https/);
  });

  it('times out and enforces the size limit', async () => {
    expect((await via(`http://127.0.0.1:${port}/slow`)).body).toMatch(/failed: no answer within 2000 ms/);
    expect((await via(`http://127.0.0.1:${port}/big`)).body).toMatch(/over the limit of 1000 bytes/);
  });
});
