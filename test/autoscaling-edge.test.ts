/** Activator and autoscaler through the edge, with real executors and isolates. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHost, type TestHost } from './helpers/host.ts';

let h: TestHost;
beforeAll(async () => { h = await testHost(); });
afterAll(async () => { await h.cleanup(); });

const deploy = (name: string, src: string, query = '') =>
  h.admin.inject({ method: 'POST', url: `/v1/functions/${name}/revisions${query}`, headers: { 'content-type': 'application/javascript' }, payload: src });

describe('scale from zero through the edge', () => {
  // cpuMs has headroom: the test is about the activator, and on a loaded machine a few of 1,000 calls hit 50 ms of CPU.
  it('a burst of 1,000 concurrent first requests to a revision at zero: none lost, none failed', async () => {
    expect((await deploy('burst', 'export default { async fetch(req) { await new Promise((r) => setTimeout(r, 5)); return new Response("ok"); } };', '?initialScale=0&concurrency=10&cpuMs=1000')).statusCode).toBe(201);
    const st0 = (await h.admin.inject({ url: '/v1/functions/burst' })).json().revisions[0].status;
    expect(st0.desired).toBe(0);
    const results = await Promise.all(Array.from({ length: 1000 }, () => h.edge.inject({ url: '/', headers: { host: 'burst.localhost' } })));
    const codes = new Map<number, number>();
    for (const r of results) codes.set(r.statusCode, (codes.get(r.statusCode) ?? 0) + 1);
    expect(Object.fromEntries(codes)).toEqual({ 200: 1000 });
    expect(results.some((r) => /queue;dur=(?!0\.000)/.test(String(r.headers['server-timing'])))).toBe(true);
    const st = (await h.admin.inject({ url: '/v1/functions/burst' })).json().revisions[0].status;
    expect(st.desired).toBeGreaterThanOrEqual(1);
    expect(st.ready).toBeGreaterThanOrEqual(1);
  });

  it('a deploy starts one instance (initial scale 1): the first request is hot', async () => {
    await deploy('prewarmed', 'export default { fetch() { return new Response("ok"); } };');
    // Up to 5 s for the pre-started instance to be reported (it takes milliseconds on a quiet machine).
    for (let i = 0; i < 500 && h.executors.readyCount('prewarmed-00001') < 1; i++) await new Promise((r) => setTimeout(r, 10));
    const r = await h.edge.inject({ url: '/', headers: { host: 'prewarmed.localhost' } });
    expect(r.headers['server-timing']).toMatch(/start;desc="hot"/);
  });

  it('exposes desired, ready, in-flight and queued in /metrics, with start histograms by tier', async () => {
    const m = await h.admin.inject({ url: '/metrics' });
    expect(m.statusCode).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toMatch(/^isoedge_revision_desired_instances\{revision="burst-00001"\} \d+$/m);
    expect(m.body).toMatch(/^isoedge_revision_ready_instances\{revision="burst-00001"\} \d+$/m);
    expect(m.body).toMatch(/^isoedge_instance_start_seconds_bucket\{le="0\.001",tier="(warm|cold)",source="request"\} \d+$/m);
    expect(m.body).toMatch(/^isoedge_requests_total\{function="burst",revision="burst-00001",code="200"\} 1000$/m);
    expect(m.body).toMatch(/^isoedge_executor_threads\{state="running"\} \d+$/m);
  });
});
