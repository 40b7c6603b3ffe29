/**
 * The comparison suite (issue 8): isoedge's start tiers for JS (a trivial handler and a 50 KB
 * bundle), core Wasm and components, each cold (a new isolate, no pool) / warm-pool / hot,
 * against what a user would pick instead — a new node:vm context, a new worker_threads Worker, a
 * new process per request (exec mode), workerd (process start to first response, and warm), bare
 * node:http and fastify — over real HTTP on loopback, in one run; then streaming (issue 15: SSE
 * first byte, streamed download/upload MiB/s against node:http and workerd, host RSS under a slow
 * reader and a large upload; bench/lib/streaming.ts), then scale (functions deployed in steps,
 * first calls and a Zipf mix per step). Every scenario runs RUNS times, the runs of
 * all scenarios interleaved so drift on this shared machine hits them alike; ratios pair run i
 * with run i. Writes one bench/results/<timestamp>.json (see bench/lib/schema.ts), and the
 * markdown report and SVG plots beside it (bench/report.ts).
 *
 *   node --no-node-snapshot bench/suite.bench.ts [--quick] [--only=js,wasm,baselines,servers,workerd,streaming,scale] [--out=file.json]
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAt, type LoadResult } from './lib/wrk.ts';
import { firstCalls, hotCalls, pacedCalls, startHost, deployAll, waitWarm, type Code, type Host } from './lib/host.ts';
import { startServer, type ChildServer } from './lib/child-server.ts';
import { startWorkerd, workerdBinary, type Workerd } from './lib/workerd.ts';
import { helloJs, bundleJs } from './lib/handlers.ts';
import { COMPONENT_WASM, ECHO_WASM, floorSamplesMs, wasiHttpComponent } from './lib/wasm.ts';
import { acrossRuns, spread } from './lib/stats.ts';
import { logHistogram } from './lib/histogram.ts';
import { Progress } from './lib/progress.ts';
import { machine } from './lib/machine.ts';
import { scale } from './lib/scale.ts';
import { streaming, streamingSteps } from './lib/streaming.ts';
import { ratios, targets } from './lib/targets.ts';
import { SCHEMA, type BenchRun, type LatencyRow, type Scale, type Streaming, type ThroughputRow } from './lib/schema.ts';
import { writeReport } from './report.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const GROUPS = ['js', 'wasm', 'baselines', 'servers', 'workerd', 'streaming', 'scale'];
const only = new Set(argv.find((a) => a.startsWith('--only='))?.slice(7).split(',').filter((g) => GROUPS.includes(g)) ?? GROUPS);
const C = {
  runs: 3,
  starts: quick ? 20 : 100, // isoedge first calls per run and scenario
  perRequest: { vm: quick ? 20 : 100, worker: quick ? 10 : 50, process: quick ? 8 : 30 },
  workerdStarts: quick ? 3 : 8,
  hot: quick ? 300 : 2000,
  hotWarmup: quick ? 100 : 200,
  loadMs: quick ? 1000 : 5000,
  paced: quick ? 100 : 400, // requests per run, one every PACED_GAP_MS
  pacedFirst: quick ? 50 : 200, // first calls per run to functions at zero, one every PACED_GAP_MS
  runDeadlineMs: quick ? 8000 : 90_000, // per scenario and run: a hard stop whatever n says
  // The hot set holds a fifth of the largest count, so the Zipf mix's tail misses it in both modes.
  scale: quick
    ? { steps: [100, 200, 500, 1000], zipfCalls: 500, hotMax: 200, hotBudgetMb: 1024, stepDeadlineMs: 60_000 }
    : { steps: [100, 250, 500, 1000, 2500, 5000, 10_000], zipfCalls: 2000, hotMax: 2000, hotBudgetMb: 4096, stepDeadlineMs: 600_000 },
  // Issue 15. The slow read runs once (it is long); quick runs move less data (the JSON's streaming.note says so).
  streaming: {
    runs: 3, quick,
    sse: { requests: quick ? 30 : 100, warmup: quick ? 5 : 10, events: 3, everyMs: 5 },
    downloadMiB: quick ? 32 : 100,
    uploadMiB: quick ? 64 : 200,
    slowRead: { mib: quick ? 256 : 1024, paceMiBps: 48, runs: 1 },
    hot: { requests: quick ? 200 : 1000, warmup: 100, loadMs: quick ? 1000 : 3000 },
    scenarioDeadlineMs: quick ? 30_000 : 60_000,
  },
};

const WARMUP_STARTS = 2;
const PACED_GAP_MS = 20;

interface Sample { ms: number[]; rps?: number; tiers?: Record<string, number>; serverStart?: number[] }
interface Scenario { id: string; kind: LatencyRow['kind']; subject: string; handler: string; tier: string; /** Throughput row fed by a hot loop's rate. */ c1?: string; /** Progress units per run. */ n?: number; run(r: number, deadline: number, tick: (i: number) => void): Promise<Sample> }
interface Load { id: string; subject: string; port: () => number; hostHeader: string; pid: () => number | undefined }

const scenarios: Scenario[] = [];
const loads: Load[] = [];
// Groups left out by --only are listed as skipped too: a report never drops a scenario silently.
const skipped: { id: string; reason: string }[] = GROUPS.filter((g) => !only.has(g)).map((id) => ({ id, reason: 'group not selected by --only' }));
const stops: (() => Promise<void>)[] = [];
const progress = new Progress(3 + C.runs + (only.has('streaming') ? streamingSteps(C.streaming) : 0) + (only.has('scale') ? C.scale.steps.length : 0));

/**
 * First calls on `h` to functions deployed beforehand, one fresh set per run; the first
 * WARMUP_STARTS of each set are called unmeasured (sockets, the host's own JIT after the
 * previous scenario) and the first of run 0 is the one the hot row calls.
 */
async function firstCallScenario(h: Host, warm: boolean, id: string, subject: string, handler: string, code: (i: number) => Code, n = C.starts, pacedMs?: number): Promise<void> {
  const names = Array.from({ length: C.runs }, (_, r) => Array.from({ length: n + WARMUP_STARTS }, (_, i) => `${id.replace(/\./g, '-')}-${r}-${i}`));
  progress.phase(`deploy ${id}`, C.runs * (n + WARMUP_STARTS));
  await deployAll(h, names.flat(), code, { deadline: performance.now() + (quick ? 30_000 : 300_000), onDone: (d) => progress.tick(d) });
  scenarios.push({
    id, kind: 'start', subject, handler, tier: pacedMs ? `first calls one every ${pacedMs} ms (the pool refills as it can)` : warm ? 'warm-pool' : 'cold: new isolate, no pool', n,
    async run(r, deadline, tick) {
      // Paced: no waiting for the pool between calls, only the gap: the pool must keep up with the arrivals.
      const before = pacedMs ? () => new Promise<void>((res) => setTimeout(res, pacedMs)) : warm ? () => waitWarm(h) : undefined;
      await firstCalls(h, names[r]!.slice(0, WARMUP_STARTS), deadline, before);
      const got = await firstCalls(h, names[r]!.slice(WARMUP_STARTS), deadline, before, tick);
      return { ms: got.ms, tiers: got.tiers, serverStart: got.serverStartMs.n ? [got.serverStartMs.p50] : [] };
    },
  });
}

function hotScenario(port: () => number, hostHeader: string, id: string, subject: string, handler: string, c1?: string): void {
  scenarios.push({ id, kind: 'hot', subject, handler, tier: 'hot, concurrency 1', ...(c1 ? { c1 } : {}), run: (_r, deadline) => hotCalls(port(), hostHeader, C.hot, deadline, C.hotWarmup) });
}

/** One isoedge kind (JS hello, JS bundle, core Wasm, component): cold and warm-pool first calls, then hot. */
/**
 * Sparse traffic: one request every PACED_GAP_MS, each on a kept-alive connection to a server that
 * went idle in between (the case where every sleeping thread pays for its wake-up).
 */
function pacedScenario(port: () => number, hostHeader: string, id: string, subject: string): void {
  scenarios.push({ id, kind: 'hot', subject, handler: 'hello', tier: `paced, one request every ${PACED_GAP_MS} ms`, n: C.paced, run: (_r, deadline, tick) => pacedCalls(port(), hostHeader, C.paced, PACED_GAP_MS, deadline, tick) });
}

async function isoedgeKind(cold: Host, warm: Host, key: string, subject: string, handler: string, code: (i: number) => Code): Promise<void> {
  // Wasm: the module is compiled once per executor for a digest; prime it so every measured call is a start, not a compile.
  if (typeof code(0) !== 'string') {
    const prime = `${key.replace(/\./g, '-')}-prime`;
    for (const h of [cold, warm]) {
      await deployAll(h, [prime], code, { deadline: performance.now() + 30_000 });
      await firstCalls(h, [prime], performance.now() + 30_000);
    }
  }
  await firstCallScenario(cold, false, `${key}.cold`, subject, handler, code);
  await firstCallScenario(warm, true, `${key}.warm`, subject, handler, code);
  if (key === 'js.hello') await firstCallScenario(warm, true, `${key}.first-paced`, subject, handler, code, C.pacedFirst, PACED_GAP_MS);
  hotScenario(() => warm.edge, `${key.replace(/\./g, '-')}-warm-0-0.localhost`, `${key}.hot`, subject, handler, key === 'js.hello' ? 'isoedge.c1' : undefined);
}

async function setupIsoedge(): Promise<void> {
  progress.next('isoedge hosts: deploy the functions the runs will call');
  const cold = await startHost(['--pool-warm-min', '0', '--pool-warm-max', '0']);
  stops.push(cold.stop);
  const warm = await startHost(['--pool-warm-min', '2']);
  stops.push(warm.stop);
  if (only.has('js')) {
    await isoedgeKind(cold, warm, 'js.hello', 'isoedge JS', 'hello', (i) => helloJs(`isoedge ${i}`));
    await isoedgeKind(cold, warm, 'js.bundle', 'isoedge JS', '50 KB bundle', (i) => bundleJs(`bundle ${i}`));
    loads.push({ id: 'isoedge.c50', subject: 'isoedge JS', port: () => warm.edge, hostHeader: 'js-hello-warm-0-0.localhost', pid: () => warm.host.child.pid });
    pacedScenario(() => warm.edge, 'js-hello-warm-0-0.localhost', 'js.hello.paced', 'isoedge JS');
  }
  if (only.has('wasm')) {
    const kinds: [string, string, string | undefined, string][] = [
      ['wasm.echo', 'isoedge core Wasm', ECHO_WASM, 'examples/wasm-echo is not built (npm install builds it)'],
      ['component.echo', 'isoedge component', COMPONENT_WASM, 'examples/component-echo is not built (npm install builds it)'],
      // Hook: a wasi:http/proxy component example (examples/wasi-http*/build/*.wasm) joins as its own row once one is built.
      ['wasi-http.echo', 'isoedge wasi:http component', wasiHttpComponent(), 'no wasi:http/proxy example built yet (examples/wasi-http*/build/*.wasm)'],
    ];
    for (const [key, subject, file, missing] of kinds) {
      let bytes: Uint8Array;
      try { bytes = readFileSync(file ?? ''); } catch { skipped.push({ id: key, reason: missing }); continue; }
      try { await isoedgeKind(cold, warm, key, subject, 'echo', () => bytes); } catch (e) { skipped.push({ id: key, reason: `deploy or first call failed: ${(e as Error).message.slice(0, 200)}` }); }
    }
    scenarios.push({ id: 'wasm.floor', kind: 'floor', subject: 'plain Node', handler: 'echo (core)', tier: 'new WebAssembly.Instance + one call, in process', run: async (_r, deadline) => ({ ms: floorSamplesMs(C.hot, deadline) }) });
  }
}

async function setupBaselines(): Promise<void> {
  progress.next('baselines: per-request environments, servers, workerd');
  if (only.has('baselines')) {
    const names = { vm: 'new node:vm context', worker: 'new worker_threads Worker', process: 'new process (exec mode)' } as const;
    for (const mode of ['vm', 'worker', 'process'] as const) {
      for (const handler of ['hello', 'bundle'] as const) {
        const s = await startServer('./baseline-server.ts', [mode, handler]);
        stops.push(s.stop);
        const n = C.perRequest[mode];
        scenarios.push({
          id: `${mode}.${handler}.start`, kind: 'start', subject: names[mode], handler: handler === 'hello' ? 'hello' : '50 KB bundle', tier: 'a new environment per request',
          // Three untimed requests warm the server itself (JIT, socket); each timed one starts a new environment.
          run: async (_r, deadline) => ({ ms: (await hotCalls(s.port, 'x', n, deadline, 3)).ms }),
        });
      }
    }
  }
  if (only.has('servers')) {
    for (const [key, subject, script] of [['node-http', 'bare node:http', './bare-server.ts'], ['fastify', 'fastify', './fastify-server.ts']] as const) {
      const s: ChildServer = await startServer(script);
      stops.push(s.stop);
      hotScenario(() => s.port, 'x', `${key}.hello.hot`, subject, 'hello', `${key}.c1`);
      pacedScenario(() => s.port, 'x', `${key}.hello.paced`, subject);
      loads.push({ id: `${key}.c50`, subject, port: () => s.port, hostHeader: 'x', pid: () => s.pid });
    }
  }
  if (only.has('workerd')) {
    const found = workerdBinary((m) => progress.log(m));
    if (typeof found === 'string') { skipped.push({ id: 'workerd', reason: found }); return; }
    try {
      // One workerd kept up for the hot rows; every start row starts (and stops) its own.
      const hot: Workerd = await startWorkerd(found.bin, helloJs());
      stops.push(hot.stop);
      for (const [handler, src] of [['hello', helloJs()], ['50 KB bundle', bundleJs()]] as const) {
        scenarios.push({
          id: `workerd.${handler === 'hello' ? 'hello' : 'bundle'}.start`, kind: 'start', subject: 'workerd', handler, tier: 'process start to first response', n: C.workerdStarts,
          async run(_r, deadline, tick) {
            const ms: number[] = [];
            for (let i = 0; i < C.workerdStarts && performance.now() < deadline; i++) {
              const w = await startWorkerd(found.bin, src);
              ms.push(w.startMs);
              await w.stop();
              tick(i + 1);
            }
            return { ms };
          },
        });
      }
      hotScenario(() => hot.port, 'x', 'workerd.hello.hot', 'workerd', 'hello', 'workerd.c1');
      pacedScenario(() => hot.port, 'x', 'workerd.hello.paced', 'workerd');
      loads.push({ id: 'workerd.c50', subject: 'workerd', port: () => hot.port, hostHeader: 'x', pid: () => hot.pid });
    } catch (e) {
      skipped.push({ id: 'workerd', reason: (e as Error).message });
    }
  }
}

/** RUNS rounds; in each, every scenario once, then every throughput load (the loads last: they heat the machine). */
async function runAll(): Promise<{ latency: LatencyRow[]; throughput: ThroughputRow[] }> {
  const samples = new Map<string, Sample[]>();
  const rps = new Map<string, LoadResult[]>();
  for (let r = 0; r < C.runs; r++) {
    progress.next(`run ${r + 1}/${C.runs}: ${scenarios.length} scenarios, ${loads.length} loads`);
    for (const s of scenarios) {
      progress.phase(`${s.id} (run ${r + 1})`, s.n ?? 1);
      try {
        const got = await s.run(r, performance.now() + C.runDeadlineMs, (i) => progress.tick(i));
        samples.set(s.id, [...(samples.get(s.id) ?? []), got]);
      } catch (e) {
        if (!skipped.some((k) => k.id === s.id)) skipped.push({ id: s.id, reason: `failed in run ${r + 1}: ${(e as Error).message.slice(0, 200)}` });
      }
    }
    for (const l of loads) {
      progress.phase(`${l.id} (run ${r + 1}, ${C.loadMs} ms)`, 1);
      const got = await loadAt(l.port(), l.hostHeader, 50, C.loadMs, l.pid(), (m) => progress.log(m));
      rps.set(l.id, [...(rps.get(l.id) ?? []), got]);
    }
  }
  const latency: LatencyRow[] = [];
  const throughput: ThroughputRow[] = [];
  for (const s of scenarios) {
    const got = samples.get(s.id);
    if (!got || skipped.some((k) => k.id === s.id)) continue;
    const a = acrossRuns(got.map((g) => g.ms));
    const tiers: Record<string, number> = {};
    for (const g of got) for (const [k, v] of Object.entries(g.tiers ?? {})) tiers[k] = (tiers[k] ?? 0) + v;
    const serverStart = got.flatMap((g) => g.serverStart ?? []).filter(Number.isFinite);
    latency.push({ id: s.id, kind: s.kind, subject: s.subject, handler: s.handler, tier: s.tier, runs: a.runs, pooled: a.pooled, p50: a.p50, p90: a.p90, p99: a.p99, max: a.max, histogram: logHistogram(got.flatMap((g) => g.ms)),
      ...(Object.keys(tiers).length ? { tiers } : {}), ...(serverStart.length ? { serverStartMs: spread(serverStart) } : {}) });
    // Concurrency 1 throughput is the hot loop's own rate.
    if (s.c1 && got.every((g) => g.rps !== undefined)) {
      const xs = got.map((g) => g.rps!);
      throughput.push({ id: s.c1, subject: s.subject, concurrency: 1, rps: xs, spread: spread(xs), errors: 0 });
    }
  }
  for (const l of loads) {
    const got = rps.get(l.id)!;
    const cpu = got.map((g) => g.cpuUs).filter((c) => c !== undefined);
    throughput.push({ id: l.id, subject: l.subject, concurrency: 50, rps: got.map((g) => g.rps), spread: spread(got.map((g) => g.rps)), errors: got.reduce((a, g) => a + g.errors, 0),
      client: got[0]!.client, ...(cpu.length === got.length ? { cpuUs: cpu } : {}) });
  }
  return { latency, throughput };
}

const t0 = performance.now();
const startedAt = new Date().toISOString();
// The machine and commit as the run starts: what it measures. If HEAD moves during the run (a shared checkout), the end commit is recorded too.
const atStart = machine();
let rows: { latency: LatencyRow[]; throughput: ThroughputRow[] } = { latency: [], throughput: [] };
try {
  if (only.has('js') || only.has('wasm')) await setupIsoedge();
  await setupBaselines();
  rows = await runAll();
} finally {
  progress.next('stopping servers');
  for (const stop of stops.reverse()) await stop().catch(() => {});
}
let st: Streaming | null = null;
if (only.has('streaming')) {
  const m = machine();
  const got = await streaming(C.streaming, progress, undefined, { model: m.cpuModel, cpus: m.cpus });
  st = got.streaming;
  skipped.push(...got.skipped);
}
let sc: Scale | null = null;
if (only.has('scale')) {
  const got = await scale(C.scale, progress);
  sc = got.scale;
  if (got.stopped) skipped.push({ id: `scale.${(C.scale.steps[sc.steps.length] ?? 0)}`, reason: `stopped: ${got.stopped}` });
}
const base = { ...rows, scale: sc, skipped, streaming: st };
const rs = ratios(base);
const run: BenchRun = {
  schema: SCHEMA, mode: quick ? 'quick' : 'full', startedAt, durationS: Math.round((performance.now() - t0) / 1000),
  machine: machine().commit === atStart.commit ? atStart : { ...atStart, commitAtEnd: machine().commit },
  config: { ...C, only: [...only] }, latency: rows.latency, throughput: rows.throughput, scale: sc, streaming: st, ratios: rs, targets: targets(base, rs), skipped,
};
const out = argv.find((a) => a.startsWith('--out='))?.slice(6) ?? join(fileURLToPath(new URL('./results/', import.meta.url)), `${startedAt.replace(/[:.]/g, '-')}.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(run, null, 1) + '\n');
const files = writeReport(out);
progress.end();
console.log(`written          ${[out, ...files].join('\n                 ')}`);
