/** Host metrics on prom-client: the registry per host, the gauges' collect callbacks, and `/metrics` through a real host. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register as globalRegister } from 'prom-client';
import { createHostMetrics, type GaugeSources, type RevisionGaugeState } from '../src/telemetry/index.ts';
import { testHost, type TestHost } from './helpers/host.ts';

const START_LE = ['0.00005', '0.0001', '0.00025', '0.0005', '0.001', '0.002', '0.005', '0.01', '0.025', '0.05', '0.1', '+Inf'];
const DEFAULTS = ['process_cpu_user_seconds_total', 'process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds'];

/** The sample lines of one metric (no HELP/TYPE), e.g. `name{a="b"} 1`. */
const samples = (text: string, name: string): string[] => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

function fakeSources(): GaugeSources & { revs: Map<string, RevisionGaugeState>; fns: number } {
  const revs = new Map<string, RevisionGaugeState>();
  const src = {
    revs,
    fns: 0,
    revisions: () => revs.entries(),
    threads: () => ({ desired: 3, running: 2, panic: true }),
    functionCount: () => src.fns,
  };
  return src;
}

describe('createHostMetrics', () => {
  it('renders the default process metrics and the request/scaling metrics with their help texts', async () => {
    const m = createHostMetrics(fakeSources());
    expect(m.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await m.render();
    for (const name of DEFAULTS) expect(text).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'));
    // the hand-written RSS gauge is gone: prom-client's is the only one.
    expect(text.match(/^# TYPE process_resident_memory_bytes /gm)).toHaveLength(1);
    expect(text).toContain('# HELP isoedge_requests_total Edge requests by function, revision and outcome code.\n# TYPE isoedge_requests_total counter');
    expect(text).toContain('# HELP isoedge_autoscaler_decisions_total Autoscaler decisions that changed a desired count.\n# TYPE isoedge_autoscaler_decisions_total counter');
    expect(text).toContain('# TYPE isoedge_instance_start_seconds histogram');
    expect(text).toContain('# HELP isoedge_queue_seconds Time requests waited in the activator or a revision queue.\n# TYPE isoedge_queue_seconds histogram');
  });

  it('counts by labels and buckets the histograms as the hand-written registry did', async () => {
    const m = createHostMetrics(fakeSources());
    m.requestsTotal.inc({ function: 'f', revision: 'f-00001', code: '200' });
    m.requestsTotal.inc({ function: 'f', revision: 'f-00001', code: '200' });
    m.requestsTotal.inc({ function: 'f', revision: 'f-00001', code: 'EDGE_ERR_QUEUE_FULL' });
    m.startSeconds.observe({ tier: 'hot', source: 'request' }, 0.00004);
    m.startSeconds.observe({ tier: 'hot', source: 'request' }, 0.0003);
    m.queueSeconds.observe({ revision: 'f-00001' }, 2);
    m.scaleEvents.inc({ revision: 'f-00001', direction: 'up' });
    const text = await m.render();
    expect(samples(text, 'isoedge_requests_total')).toEqual([
      'isoedge_requests_total{function="f",revision="f-00001",code="200"} 2',
      'isoedge_requests_total{function="f",revision="f-00001",code="EDGE_ERR_QUEUE_FULL"} 1',
    ]);
    const cumulative = [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2];
    expect(samples(text, 'isoedge_instance_start_seconds_bucket')).toEqual(START_LE.map((le, i) => `isoedge_instance_start_seconds_bucket{le="${le}",tier="hot",source="request"} ${cumulative[i]}`));
    expect(samples(text, 'isoedge_instance_start_seconds_count')).toEqual(['isoedge_instance_start_seconds_count{tier="hot",source="request"} 2']);
    expect(samples(text, 'isoedge_queue_seconds_bucket').map((l) => l.match(/le="([^"]+)"/)![1])).toEqual(['0.0001', '0.001', '0.005', '0.01', '0.05', '0.1', '0.5', '1', '5', '30', '+Inf']);
    expect(text).toMatch(/^isoedge_queue_seconds_bucket\{le="5",revision="f-00001"\} 1$/m);
    expect(text).toMatch(/^isoedge_queue_seconds_bucket\{le="1",revision="f-00001"\} 0$/m);
    expect(samples(text, 'isoedge_autoscaler_decisions_total')).toEqual(['isoedge_autoscaler_decisions_total{revision="f-00001",direction="up"} 1']);
  });

  it('reads the gauges from their sources at each scrape, dropping revisions that are gone', async () => {
    const src = fakeSources();
    const m = createHostMetrics(src);
    src.revs.set('a-00001', { desired: 2, ready: 1, inflight: 4, queued: 7, panicMode: true, excessBurstCapacity: -1.5 });
    src.revs.set('b-00002', { desired: 0, ready: 0, inflight: 0, queued: 0, panicMode: false, excessBurstCapacity: 10 });
    src.fns = 2;
    let text = await m.render();
    expect(samples(text, 'isoedge_revision_desired_instances')).toEqual(['isoedge_revision_desired_instances{revision="a-00001"} 2', 'isoedge_revision_desired_instances{revision="b-00002"} 0']);
    expect(samples(text, 'isoedge_revision_ready_instances')).toContain('isoedge_revision_ready_instances{revision="a-00001"} 1');
    expect(samples(text, 'isoedge_revision_inflight_requests')).toContain('isoedge_revision_inflight_requests{revision="a-00001"} 4');
    expect(samples(text, 'isoedge_revision_queued_requests')).toContain('isoedge_revision_queued_requests{revision="a-00001"} 7');
    expect(samples(text, 'isoedge_revision_panic_mode')).toEqual(['isoedge_revision_panic_mode{revision="a-00001"} 1', 'isoedge_revision_panic_mode{revision="b-00002"} 0']);
    expect(samples(text, 'isoedge_revision_excess_burst_capacity')).toEqual(['isoedge_revision_excess_burst_capacity{revision="a-00001"} -1.5', 'isoedge_revision_excess_burst_capacity{revision="b-00002"} 10']);
    expect(samples(text, 'isoedge_executor_threads')).toEqual(['isoedge_executor_threads{state="desired"} 3', 'isoedge_executor_threads{state="running"} 2']);
    expect(samples(text, 'isoedge_executor_threads_panic_mode')).toEqual(['isoedge_executor_threads_panic_mode 1']);
    expect(samples(text, 'isoedge_functions')).toEqual(['isoedge_functions 2']);
    src.revs.delete('a-00001');
    src.revs.set('b-00002', { desired: 1, ready: 1, inflight: 0, queued: 0, panicMode: false, excessBurstCapacity: 10 });
    src.fns = 1;
    text = await m.render();
    expect(samples(text, 'isoedge_revision_desired_instances')).toEqual(['isoedge_revision_desired_instances{revision="b-00002"} 1']);
    expect(text).not.toContain('a-00001');
    expect(samples(text, 'isoedge_functions')).toEqual(['isoedge_functions 1']);
  });

  it('gives each host a registry of its own, and leaves prom-client\'s global one alone', async () => {
    const a = createHostMetrics(fakeSources());
    const b = createHostMetrics(fakeSources());
    expect(a.registry).not.toBe(b.registry);
    a.requestsTotal.inc({ function: 'f', revision: 'f-00001', code: '200' });
    expect(samples(await a.render(), 'isoedge_requests_total')).toEqual(['isoedge_requests_total{function="f",revision="f-00001",code="200"} 1']);
    expect(samples(await b.render(), 'isoedge_requests_total')).toEqual([]);
    for (const name of DEFAULTS) expect(b.registry.getSingleMetric(name), name).toBeDefined();
    expect(globalRegister.getSingleMetric('isoedge_requests_total')).toBeUndefined();
    expect(globalRegister.getSingleMetric('process_resident_memory_bytes')).toBeUndefined();
  });
});

describe('GET /metrics through a host', () => {
  let h: TestHost;
  let other: TestHost;
  beforeAll(async () => { [h, other] = await Promise.all([testHost(), testHost()]); });
  afterAll(async () => { await Promise.all([h?.cleanup(), other?.cleanup()]); });

  const SRC = 'export default { fetch(req) { const p = new URL(req.url).pathname; return new Response(p, { status: p === "/missing" ? 404 : 200 }); } };';
  const deploy = (host: TestHost, name: string) =>
    host.admin.inject({ method: 'POST', url: `/v1/functions/${name}/revisions`, headers: { 'content-type': 'application/javascript' }, payload: SRC });
  // Requests are recorded in the check phase after their responses are written (dispatch/observe.ts).
  const edge = async (host: TestHost, name: string, path: string) => {
    const r = await host.edge.inject({ url: path, headers: { host: `${name}.localhost` } });
    await new Promise((res) => setImmediate(res));
    return r;
  };

  it('shows the default process metrics, requests by function/revision/code, start histograms by tier and the revision gauges', async () => {
    expect((await deploy(h, 'metered')).statusCode).toBe(201);
    for (let i = 0; i < 3; i++) expect((await edge(h, 'metered', '/')).statusCode).toBe(200);
    expect((await edge(h, 'metered', '/missing')).statusCode).toBe(404);
    const r = await h.admin.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const name of DEFAULTS) expect(r.body).toMatch(new RegExp(`^${name} [\\d.e+-]+$`, 'm'));
    expect(r.body).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m);
    expect(samples(r.body, 'isoedge_requests_total')).toEqual([
      'isoedge_requests_total{function="metered",revision="metered-00001",code="200"} 3',
      'isoedge_requests_total{function="metered",revision="metered-00001",code="404"} 1',
    ]);
    // every request took an instance, so the request-side series count 4 starts, each with all eleven buckets and +Inf.
    const series = new Map<string, string[]>();
    for (const l of samples(r.body, 'isoedge_instance_start_seconds_bucket')) {
      const [, le, labels] = l.match(/^isoedge_instance_start_seconds_bucket\{le="([^"]+)",(tier="(?:hot|warm|cold)",source="(?:request|autoscaler)")\} \d+$/)!;
      series.set(labels!, [...(series.get(labels!) ?? []), le!]);
    }
    expect(series.size).toBeGreaterThan(0);
    for (const les of series.values()) expect(les).toEqual(START_LE);
    const requestStarts = samples(r.body, 'isoedge_instance_start_seconds_count').filter((l) => l.includes('source="request"')).map((l) => Number(l.split(' ')[1]));
    expect(requestStarts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(r.body).toMatch(/^isoedge_revision_desired_instances\{revision="metered-00001"\} [1-9]\d*$/m);
    expect(r.body).toMatch(/^isoedge_revision_ready_instances\{revision="metered-00001"\} \d+$/m);
    expect(r.body).toMatch(/^isoedge_revision_inflight_requests\{revision="metered-00001"\} 0$/m);
    expect(r.body).toMatch(/^isoedge_revision_queued_requests\{revision="metered-00001"\} 0$/m);
    expect(r.body).toMatch(/^isoedge_revision_panic_mode\{revision="metered-00001"\} [01]$/m);
    expect(r.body).toMatch(/^isoedge_revision_excess_burst_capacity\{revision="metered-00001"\} -?[\d.]+$/m);
    expect(r.body).toMatch(/^isoedge_executor_threads\{state="desired"\} [1-9]\d*$/m);
    expect(r.body).toMatch(/^isoedge_executor_threads\{state="running"\} [1-9]\d*$/m);
    expect(r.body).toMatch(/^isoedge_functions 1$/m);
  });

  it('two hosts in one process keep their metrics apart', async () => {
    expect((await deploy(other, 'elsewhere')).statusCode).toBe(201);
    expect((await edge(other, 'elsewhere', '/')).statusCode).toBe(200);
    const [mine, theirs] = await Promise.all([h.admin.inject({ url: '/metrics' }), other.admin.inject({ url: '/metrics' })]);
    expect(mine.body).not.toContain('elsewhere');
    expect(theirs.body).not.toContain('metered');
    expect(samples(theirs.body, 'isoedge_requests_total')).toEqual(['isoedge_requests_total{function="elsewhere",revision="elsewhere-00001",code="200"} 1']);
    expect(samples(mine.body, 'isoedge_functions')).toEqual(['isoedge_functions 1']);
    expect(samples(theirs.body, 'isoedge_functions')).toEqual(['isoedge_functions 1']);
    // both have the default metrics, each once
    for (const body of [mine.body, theirs.body]) expect(body.match(/^# TYPE process_cpu_seconds_total /gm)).toHaveLength(1);
  });
});
