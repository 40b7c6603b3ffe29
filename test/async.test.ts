/**
 * Async invocations end to end (design §11) on a real host: real isolates, the real SQLite store,
 * submissions through the edge handler, reads through the admin API, callbacks to a real loopback
 * server. Retries use millisecond backoffs so the suite stays quick.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../src/store/index.ts';
import { testHost, HELLO, type TestHost } from './helpers/host.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const CONFIG = { env: {}, concurrency: 0, limits: {} };
const FAST = ['--async-initial-retry-ms', '20', '--async-max-retry-ms', '40', '--async-max-attempts', '3', '--async-max-body-bytes', '1024'];

const FLAKY = `export default { async fetch(req) {
  const n = Number(req.headers.get('isoedge-attempt'));
  return n < 2 ? new Response('busy', { status: 503 }) : new Response('ok on ' + n + ' ' + req.headers.get('isoedge-call-id'));
} };`;
const STATUS = `export default { async fetch(req) { const s = Number(new URL(req.url).searchParams.get('s') ?? 200); return new Response('status ' + s, { status: s }); } };`;
const ECHO = `export default { async fetch(req) {
  const h = {}; for (const [k, v] of req.headers) if (k.startsWith('ce-') || k === 'content-type') h[k] = v;
  return Response.json({ url: req.url, method: req.method, headers: h, body: await req.text() });
} };`;

let h: TestHost;
const edge = (url: string, headers: Record<string, string> = {}, payload?: string, method = 'POST', host = 'hello.localhost') =>
  h.edge.inject({ method: method as 'POST', url, headers: { host, ...headers }, ...(payload !== undefined ? { payload } : {}) });
const admin = (method: 'GET' | 'POST' | 'DELETE', url: string) => h.admin.inject({ method, url });

async function settled(id: string, timeoutMs = 10_000): Promise<CallRecord> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const c = await h.invocations.get(id);
    if (['succeeded', 'failed', 'dead', 'cancelled'].includes(c.status)) return c;
    if (Date.now() > end) throw new Error(`call ${id} still ${c.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  h = await testHost(FAST);
  for (const [name, src] of [['hello', HELLO], ['flaky', FLAKY], ['status', STATUS], ['echo', ECHO]] as const) await h.functions.deploy(name, { bytes: utf8(src), kind: 'js' }, CONFIG);
});
afterAll(() => h.cleanup());

describe('submitting', () => {
  it('Prefer: respond-async answers 202 once stored; the call runs and its result is kept', async () => {
    const r = await edge('/x?y=1', { prefer: 'respond-async, wait=5' }, 'body');
    expect(r.statusCode).toBe(202);
    const id = r.headers['isoedge-call-id'] as string;
    expect(r.headers['x-call-id']).toBe(id);
    expect(r.headers.location).toBe(`/v1/invocations/${id}`);
    expect(r.headers['preference-applied']).toBe('respond-async');
    expect(r.json()).toEqual({ id, function: 'hello', status: 'queued', location: `/v1/invocations/${id}` });
    const c = await settled(id);
    expect(c.status).toBe('succeeded');
    expect(new TextDecoder().decode(c.result!.body!)).toBe('hello /x');
    expect(c.attempts).toHaveLength(1);
    expect(c.attempts[0]).toMatchObject({ n: 1, status: 200 });
    const view = await admin('GET', `/v1/invocations/${id}`);
    expect(view.statusCode).toBe(200);
    expect(view.json()).toMatchObject({ id, function: 'hello', status: 'succeeded', request: { method: 'POST', url: 'http://hello.localhost/x?y=1', bodyBytes: 4 }, result: { status: 200, body: 'hello /x', bodyEncoding: 'utf8', truncated: false } });
    expect(view.json().request.headers.some(([k]: [string]) => k === 'prefer')).toBe(false);
  });

  it("POST /async-function/{name}/path (OpenFaaS's path) on a host that names no function", async () => {
    const r = await edge('/async-function/hello/deep/path?q=1', {}, 'x', 'POST', '127.0.0.1:8080');
    expect(r.statusCode).toBe(202);
    expect(r.headers['preference-applied']).toBeUndefined();
    const c = await settled(r.headers['isoedge-call-id'] as string);
    expect(c.request.url).toBe('http://hello.localhost/deep/path?q=1');
    expect(new TextDecoder().decode(c.result!.body!)).toBe('hello /deep/path');
    expect((await edge('/async-function/hello', {}, undefined, 'GET', '127.0.0.1')).json().code).toBe('EDGE_ERR_BAD_REQUEST');
  });

  it('refuses an unknown function with 404 and a body over async.maxBodyBytes with 413, storing nothing', async () => {
    const before = (await h.invocations.list('hello', undefined, 1000, undefined)).length;
    const a = await edge('/', { prefer: 'respond-async' }, 'x', 'POST', 'nope.localhost');
    expect([a.statusCode, a.json().code]).toEqual([404, 'EDGE_ERR_FUNCTION_NOT_FOUND']);
    const b = await edge('/async-function/nope', {}, 'x', 'POST', '127.0.0.1');
    expect([b.statusCode, b.json().code]).toEqual([404, 'EDGE_ERR_FUNCTION_NOT_FOUND']);
    const c = await edge('/', { prefer: 'respond-async' }, 'x'.repeat(1025));
    expect([c.statusCode, c.json().code]).toEqual([413, 'EDGE_ERR_BODY_TOO_LARGE']);
    expect(c.json().message).toMatch(/1025 bytes, over the limit of 1024/);
    // A body that streams (over 64 KiB) is refused by its content-length, with a 413, not a reset.
    const big = await edge('/', { prefer: 'respond-async' }, 'x'.repeat(70_000));
    expect([big.statusCode, big.json().code]).toEqual([413, 'EDGE_ERR_BODY_TOO_LARGE']);
    expect(big.headers.connection).toBe('close');
    expect((await h.invocations.list('hello', undefined, 1000, undefined)).length).toBe(before);
  });

  it('the same Idempotency-Key or X-Call-Id returns the first call, which runs once', async () => {
    const a = await edge('/k', { prefer: 'respond-async', 'idempotency-key': 'order-17' });
    const b = await edge('/k', { prefer: 'respond-async', 'idempotency-key': 'order-17' });
    expect(b.statusCode).toBe(202);
    expect(b.headers['isoedge-call-id']).toBe(a.headers['isoedge-call-id']);
    expect(b.headers['isoedge-duplicate']).toBe('true');
    expect(b.json().duplicate).toBe(true);
    const c = await edge('/k', { prefer: 'respond-async', 'x-call-id': 'client-1' });
    const d = await edge('/k', { prefer: 'respond-async', 'x-call-id': 'client-1' });
    expect(d.headers['isoedge-call-id']).toBe(c.headers['isoedge-call-id']);
    expect(c.headers['isoedge-call-id']).not.toBe(a.headers['isoedge-call-id']);
    const first = await settled(a.headers['isoedge-call-id'] as string);
    expect(first.attempts).toHaveLength(1);
    // One stored call per key, whatever the number of submissions.
    const all = await h.invocations.list('hello', undefined, 1000, undefined);
    expect(all.filter((c) => c.key === 'order-17').map((c) => c.id)).toEqual([first.id]);
    expect(all.filter((c) => c.key === 'client-1')).toHaveLength(1);
  });
});

describe('running', () => {
  it('a 503 is retried after a backoff and the second attempt succeeds; the function sees its call id and attempt', async () => {
    const r = await edge('/', { prefer: 'respond-async' }, undefined, 'POST', 'flaky.localhost');
    const id = r.headers['isoedge-call-id'] as string;
    const c = await settled(id);
    expect(c.status).toBe('succeeded');
    expect(c.attempts.map((a) => a.status)).toEqual([503, 200]);
    expect(new TextDecoder().decode(c.result!.body!)).toBe(`ok on 2 ${id}`);
    expect(c.attempts[1]!.startedAt - c.attempts[0]!.startedAt).toBeGreaterThanOrEqual(20);
  });

  it('a 404 fails at once; a 500 every time is dead after maxAttempts, and replay runs it again as a new call', async () => {
    const f = await settled((await edge('/?s=404', { prefer: 'respond-async' }, undefined, 'POST', 'status.localhost')).headers['isoedge-call-id'] as string);
    expect(f.status).toBe('failed');
    expect(f.attempts).toHaveLength(1);
    expect(f.error).toMatchObject({ code: 'EDGE_ERR_FUNCTION_STATUS' });
    expect(f.error!.message).toBe("the function answered status 404, which is not retried");
    const d = await settled((await edge('/?s=500', { prefer: 'respond-async' }, undefined, 'POST', 'status.localhost')).headers['isoedge-call-id'] as string);
    expect(d.status).toBe('dead');
    expect(d.attempts.map((a) => a.status)).toEqual([500, 500, 500]);
    expect(d.result).toMatchObject({ status: 500 });
    expect(d.error!.message).toMatch(/last of 3 attempts/);
    const rep = await admin('POST', `/v1/invocations/${d.id}/replay`);
    expect(rep.statusCode).toBe(202);
    expect(rep.json()).toMatchObject({ replayOf: d.id, status: 'queued' });
    expect((await settled(rep.json().id)).attempts).toHaveLength(3);
    const ok = await settled((await edge('/', { prefer: 'respond-async' })).headers['isoedge-call-id'] as string);
    const no = await admin('POST', `/v1/invocations/${ok.id}/replay`);
    expect([no.statusCode, no.json().code]).toEqual([409, 'EDGE_ERR_INVOCATION_STATE']);
    const list = await admin('GET', '/v1/functions/status/invocations?status=dead,failed');
    expect(list.statusCode).toBe(200);
    expect(list.json().invocations.map((c: { status: string }) => c.status).sort()).toEqual(['dead', 'dead', 'failed']);
    expect((await admin('GET', '/v1/functions/status/invocations?status=bogus')).json().code).toBe('EDGE_ERR_BAD_REQUEST');
    expect((await admin('GET', '/v1/invocations/nope')).json().code).toBe('EDGE_ERR_INVOCATION_NOT_FOUND');
  });

  it('counts attempts and outcomes in /metrics', async () => {
    const m = (await admin('GET', '/metrics')).body;
    expect(m).toMatch(/isoedge_async_attempts_total\{function="flaky",outcome="retry"\} [1-9]/);
    expect(m).toMatch(/isoedge_async_calls_total\{function="status",status="dead"\} [1-9]/);
    expect(m).toContain('# TYPE isoedge_async_queued gauge');
  });
});

describe('CloudEvents', () => {
  it('binary mode passes through; a malformed event is refused with a code', async () => {
    const ok = await edge('/', { 'ce-specversion': '1.0', 'ce-id': 'e1', 'ce-source': '/s', 'ce-type': 't', 'content-type': 'text/plain' }, 'data', 'POST', 'echo.localhost');
    expect(ok.statusCode).toBe(200);
    expect(ok.json().headers).toMatchObject({ 'ce-id': 'e1', 'ce-source': '/s', 'content-type': 'text/plain' });
    const bad = await edge('/', { 'ce-specversion': '1.0', 'ce-id': 'e1', 'ce-type': 't' }, 'data', 'POST', 'echo.localhost');
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'EDGE_ERR_CLOUDEVENT_INVALID']);
    expect(bad.json().message).toMatch(/ce-source/);
    const v = await edge('/', { 'ce-specversion': '0.3', 'ce-id': 'e1', 'ce-source': '/s', 'ce-type': 't' }, 'data', 'POST', 'echo.localhost');
    expect(v.json().code).toBe('EDGE_ERR_CLOUDEVENT_INVALID');
  });

  it('structured mode reaches the function in binary mode; batches are refused', async () => {
    const ev = { specversion: '1.0', id: 'e2', source: '/orders', type: 'order.created', data: { n: 1 } };
    const r = await edge('/', { 'content-type': 'application/cloudevents+json; charset=utf-8' }, JSON.stringify(ev), 'POST', 'echo.localhost');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ headers: { 'ce-id': 'e2', 'ce-source': '/orders', 'ce-type': 'order.created', 'content-type': 'application/json' }, body: '{"n":1}' });
    const b = await edge('/', { 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify([ev]), 'POST', 'echo.localhost');
    expect([b.statusCode, b.json().code]).toEqual([415, 'EDGE_ERR_CLOUDEVENT_BATCH']);
  });

  it('an async CloudEvent with a long source (a resource path) is accepted and keyed', async () => {
    const ev = JSON.stringify({ specversion: '1.0', id: 'e4', source: '/subscriptions/' + 'a'.repeat(300), type: 't', data: {} });
    const r = await edge('/', { 'content-type': 'application/cloudevents+json', prefer: 'respond-async' }, ev, 'POST', 'echo.localhost');
    expect(r.statusCode).toBe(202);
    expect((await h.invocations.get(r.headers['isoedge-call-id'] as string)).key).toMatch(/^ce:[0-9a-f]{64}$/);
  });

  it('an async CloudEvent is deduplicated by (source, id)', async () => {
    const ev = JSON.stringify({ specversion: '1.0', id: 'e3', source: '/orders', type: 'order.created', data: 'x', datacontenttype: 'text/plain' });
    const a = await edge('/', { 'content-type': 'application/cloudevents+json', prefer: 'respond-async' }, ev, 'POST', 'echo.localhost');
    const b = await edge('/', { 'content-type': 'application/cloudevents+json', prefer: 'respond-async' }, ev, 'POST', 'echo.localhost');
    expect(a.statusCode).toBe(202);
    expect(b.headers['isoedge-call-id']).toBe(a.headers['isoedge-call-id']);
    const c = await settled(a.headers['isoedge-call-id'] as string);
    expect(JSON.parse(new TextDecoder().decode(c.result!.body!))).toMatchObject({ headers: { 'ce-id': 'e3', 'content-type': 'text/plain' }, body: 'x' });
  });
});

describe('queue bounds, cancel and callbacks', () => {
  let q: TestHost;
  let receiver: Server;
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => { got.push({ headers: req.headers, body }); res.writeHead(got.length === 1 ? 503 : 204).end(); });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    q = await testHost([...FAST, '--async-max-queued', '2', '--fetch-allow', '127.0.0.1']);
    await q.functions.deploy('hello', { bytes: utf8(HELLO), kind: 'js' }, CONFIG);
  });
  afterAll(async () => {
    await q.cleanup();
    receiver.close();
  });
  const submit = (headers: Record<string, string> = {}) => q.edge.inject({ method: 'POST', url: '/', headers: { host: 'hello.localhost', prefer: 'respond-async', ...headers } });

  it('posts the result to X-Callback-Url with OpenFaaS headers, retrying a 503 from the receiver', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const r = await submit({ 'x-callback-url': `http://127.0.0.1:${port}/done` });
    expect(r.statusCode).toBe(202);
    const id = r.headers['isoedge-call-id'] as string;
    const end = Date.now() + 10_000;
    while (got.length < 2 && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    expect(got).toHaveLength(2);
    expect(got[1]!.headers).toMatchObject({ 'x-call-id': id, 'x-function-name': 'hello', 'x-function-status': '200', 'isoedge-call-status': 'succeeded' });
    expect(Number(got[1]!.headers['x-duration-seconds'])).toBeGreaterThanOrEqual(0);
    expect(got[1]!.body).toBe('hello /');
    const deadline = Date.now() + 5000;
    while ((await q.invocations.get(id)).callback?.status !== 'delivered' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect((await q.invocations.get(id)).callback).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it("refuses a callback URL the outbound allowlist denies, and the host's own listeners even when allowed", async () => {
    const r = await submit({ 'x-callback-url': 'http://example.com/hook' });
    expect([r.statusCode, r.json().code]).toEqual([400, 'EDGE_ERR_BAD_REQUEST']);
    expect(r.json().message).toMatch(/not allowed by the host allowlist/);
    const { adminPort } = await q.listen();
    const own = await submit({ 'x-callback-url': `http://127.0.0.1:${adminPort}/v1/functions` });
    expect([own.statusCode, own.json().code]).toEqual([400, 'EDGE_ERR_BAD_REQUEST']);
    expect(own.json().message).toMatch(/this host's own listener/);
  });

  it('answers 429 with Retry-After once async.maxQueued calls wait; DELETE cancels a queued call only', async () => {
    await q.async.worker.stop(0);
    const a = await submit();
    const b = await submit();
    const c = await submit();
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([202, 202, 429]);
    expect(c.json().code).toBe('EDGE_ERR_ASYNC_QUEUE_FULL');
    expect(c.headers['retry-after']).toBe('1');
    const del = await q.admin.inject({ method: 'DELETE', url: `/v1/invocations/${a.headers['isoedge-call-id']}` });
    expect(del.statusCode).toBe(200);
    expect(del.json().status).toBe('cancelled');
    // DELETE is idempotent: a cancelled call answers as it is; a call that ran cannot be cancelled.
    const again = await q.admin.inject({ method: 'DELETE', url: `/v1/invocations/${a.headers['isoedge-call-id']}` });
    expect([again.statusCode, again.json().status]).toEqual([200, 'cancelled']);
    const ran = (await q.invocations.list('hello', 'succeeded', 1, undefined))[0]!;
    const no = await q.admin.inject({ method: 'DELETE', url: `/v1/invocations/${ran.id}` });
    expect([no.statusCode, no.json().code]).toEqual([409, 'EDGE_ERR_INVOCATION_STATE']);
    expect(no.json().message).toMatch(/is succeeded; only a queued call can be cancelled/);
    expect((await submit()).statusCode).toBe(202);
    // Deleting the function cancels what it still had queued: a new function of that name must not run them.
    const queued = (await q.invocations.list('hello', 'queued', 10, undefined)).map((c) => c.id);
    expect(queued.length).toBeGreaterThan(0);
    expect((await q.admin.inject({ method: 'DELETE', url: '/v1/functions/hello' })).statusCode).toBe(204);
    const end = Date.now() + 5000;
    while ((await q.invocations.get(queued[0]!)).status !== 'cancelled' && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    for (const id of queued) expect((await q.invocations.get(id)).status).toBe('cancelled');
  });
});

describe('cron triggers', () => {
  it('runs scheduled() at each tick as an invocation (the host clock is set 4 s before a minute)', async () => {
    // Set once the host is up, so only the deploy must fit in the 4 s before the tick.
    let offset = 0;
    const c = await testHost(FAST, undefined, { wallNow: () => Date.now() + offset });
    offset = 60_000 - (Date.now() % 60_000) - 4000;
    try {
      const src = `export default { fetch() { return new Response('x'); }, async scheduled(controller, env) { console.log('tick', controller.cron, controller.scheduledTime); } };`;
      await c.functions.deploy('ticker', { bytes: utf8(src), kind: 'js' }, { ...CONFIG, triggers: { crons: ['* * * * *'] } });
      expect(c.async.cron.upcoming()).toEqual([{ fn: 'ticker', revision: 'ticker-00001', cron: '* * * * *', next: expect.any(Number) }]);
      const tick = c.async.cron.upcoming()[0]!.next;
      expect(tick % 60_000).toBe(0);
      let calls: CallRecord[] = [];
      const end = Date.now() + 20_000;
      while (Date.now() < end) {
        calls = await c.invocations.list('ticker', 'succeeded', 10, undefined);
        if (calls.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(calls).toHaveLength(1);
      // It runs on the revision whose crons fired, whatever the traffic table says.
      expect(calls[0]!.request.scheduled).toEqual({ cron: '* * * * *', scheduledTime: tick, revision: 'ticker-00001' });
      expect(calls[0]!.result?.status).toBe(204);
      expect(c.logs.some((l) => l.console === `tick * * * * * ${tick}`)).toBe(true);
    } finally {
      await c.cleanup();
    }
  });
});
