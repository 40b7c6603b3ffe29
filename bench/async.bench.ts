/**
 * Async invocations (design §11) on one host, over real HTTP on loopback, against one hello
 * function: the enqueue rate (202s per second at concurrency 50, beside the same client's req/s on
 * the synchronous hot path), enqueue → start latency at light load, the drain rate of a backlog, and
 * the hot edge path while a backlog drains beside it. The host runs with the default async options
 * (maxInflight 16 per function, concurrency 256, maxQueued 100,000). Writes JSON to bench/results/.
 *
 *   npm run bench -- --only=async [--quick]
 *   node --no-node-snapshot bench/async.bench.ts [--quick] [--out=FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin, deploy, hotCalls, startHost } from './lib/host.ts';
import { makeAgent, timedGet } from './lib/client.ts';
import { summarize } from './lib/stats.ts';
import { machine } from './lib/machine.ts';
import { asyncGauges, loadRun, perCallUs, snapshot, submit, waitDrained, window, type AsyncGauges, type CpuMs } from './lib/async-client.ts';
import { commitCost } from './lib/fsync-probe.ts';

const quick = process.argv.includes('--quick');
const CONCURRENCY = 50;
const LOAD_MS = quick ? 3000 : 5000;
const LIGHT_CALLS = quick ? 100 : 300;
const LIGHT_GAP_MS = 20;
const BACKLOG = quick ? 3000 : 10_000;
const HOT_REQUESTS = 500;
/** Gauges are polled this often while waiting for a drain: drain times are known to within it. */
const POLL_MS = 50;
const DRAIN_TIMEOUT_MS = 300_000;
const FN = 'hello';
const HOST = `${FN}.localhost`;
const HELLO = `export default { fetch() { return new Response('hello') } }`;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const depth = (g: AsyncGauges) => g.queued + g.running;

const t0 = performance.now();
const h = await startHost([]);
const pid = h.host.child.pid;
const adminPort = h.host.adminPort;

async function drained(what: string): Promise<number> {
  const d = await waitDrained(adminPort, DRAIN_TIMEOUT_MS, POLL_MS);
  if (!d.drained) throw new Error(`${what}: ${depth(d.last)} calls still queued or running after ${DRAIN_TIMEOUT_MS / 1000} s`);
  return d.at;
}

/**
 * Back-to-back GETs at concurrency 1 until `n` or `stop()`. With `poll`, the gauges are polled beside
 * them as the drain watcher polls them while a backlog drains, so both measurements carry the same polling.
 */
async function hotBeside(agent: ReturnType<typeof makeAgent>, n: number, stop: () => boolean, poll: boolean): Promise<{ ms: number[]; ends: number[]; server: Record<'total' | 'queue' | 'exec', number>[] }> {
  const ms: number[] = [];
  const ends: number[] = [];
  const server: Record<'total' | 'queue' | 'exec', number>[] = [];
  let done = false;
  const poller = (async () => { while (poll && !done) { await asyncGauges(adminPort); await sleep(POLL_MS); } })();
  const deadline = performance.now() + 120_000;
  for (let i = 0; i < n && !stop() && performance.now() < deadline; i++) {
    const r = await timedGet(agent, h.edge, HOST);
    if (r.status !== 200) throw new Error(`${HOST}: ${r.status} ${r.body}`);
    ms.push(r.ms);
    ends.push(performance.now());
    // Server-Timing: the host's own account, from reading the request to writing the answer.
    const st = String(r.headers['server-timing'] ?? '');
    const dur = (k: string) => Number(new RegExp(`${k};(?:desc="\\w+";)?dur=([\\d.]+)`).exec(st)?.[1] ?? NaN);
    server.push({ total: dur('total'), queue: dur('queue'), exec: dur('exec') });
  }
  done = true;
  await poller;
  return { ms, ends, server };
}

let stopped = false;
try {
  const startedAt = new Date().toISOString();
  const load0 = loadavg().map(r1);
  await deploy(h, FN, HELLO);
  // Warm-up: the hot instance, the edge's sockets and JIT, and the worker's path (a few async calls run to the end).
  await hotCalls(h.edge, HOST, 0, performance.now() + 30_000, 200);
  const warm = makeAgent(4);
  for (let i = 0; i < 50; i++) if ((await submit(warm, h.edge, HOST)).status !== 202) throw new Error('warm-up submission was not answered 202');
  warm.destroy();
  await drained('warm-up');

  // 1. Enqueue rate, with the sync hot path from the same client as the baseline. Every 202'd call is
  // then run by the worker, beside the load: the backlog it leaves is recorded, then drained.
  log(`1/4 sync hot path, then async submissions, concurrency ${CONCURRENCY} for ${LOAD_MS} ms each`);
  const s0 = snapshot(pid);
  const sync = await loadRun(h.edge, HOST, { async: false, concurrency: CONCURRENCY, durationMs: LOAD_MS }, log);
  const syncW = window(s0, snapshot(pid), pid);
  const g1 = await asyncGauges(adminPort);
  const s1 = snapshot(pid);
  const enq = await loadRun(h.edge, HOST, { async: true, concurrency: CONCURRENCY, durationMs: LOAD_MS }, log);
  const s2 = snapshot(pid);
  const enqEnd = s2.at;
  const g2 = await asyncGauges(adminPort);
  const drainedAt1 = await drained('enqueue phase');
  const s3 = snapshot(pid);
  const g3 = await asyncGauges(adminPort);
  const loadW = window(s1, s2, pid), tailW = window(s2, s3, pid);
  const cpuLoad = loadW.hostCpuMs, cpuTail = tailW.hostCpuMs;
  const runDuring = g2.finished - g1.finished;
  const runAfter = g3.finished - g2.finished;
  // The worker ran calls during the load too: take a run's CPU from the drain after it (nothing else
  // ran then), and the rest of the load's CPU as the 202s'.
  const runCpuUs = perCallUs(cpuTail, runAfter);
  const enqueueOnlyUs = cpuLoad && runCpuUs && enq.ok > 0 ? r1((cpuLoad.total * 1000 - runDuring * runCpuUs.total) / enq.ok) : null;
  const sum = (a: CpuMs, b: CpuMs): CpuMs => ({ total: a.total + b.total, main: a.main + b.main, mainSys: a.mainSys + b.mainSys, executors: a.executors + b.executors, other: a.other + b.other });
  const lifecycle = cpuLoad && cpuTail ? perCallUs(sum(cpuLoad, cpuTail), g3.finished - g1.finished) : undefined;
  const enqueue = {
    client: enq.client, concurrency: CONCURRENCY, durationMs: enq.ms, accepted202: enq.ok, errors: enq.errors, perS: enq.rps, clientLatencyMs: enq.latencyMs,
    syncBaseline: { client: sync.client, requests: sync.ok, errors: sync.errors, rps: sync.rps, clientLatencyMs: sync.latencyMs, hostCpuUsPerRequest: perCallUs(syncW.hostCpuMs, sync.ok), window: syncW },
    ratioToSync: r3(enq.rps / sync.rps),
    callsRunByWorker: g3.finished - g1.finished,
    runDuringLoad: runDuring,
    queueDepthAtEnd: { queued: g2.queued, running: g2.running },
    drainAfterLoadMs: Math.round(drainedAt1 - enqEnd),
    drainAfterLoadPerS: Math.round(runAfter / ((drainedAt1 - enqEnd) / 1000)),
    windows: { load: loadW, drainAfter: tailW },
    hostCpuUs: {
      perAcceptedDuringLoad: perCallUs(cpuLoad, enq.ok),
      perCallRunInDrainAfter: runCpuUs,
      per202EnqueueOnlyEstimate: enqueueOnlyUs,
      perCallLifecycle: lifecycle,
      note: 'µs of the host process\'s CPU from /proc by thread (main = the gateway, which also runs the queue worker and SQLite). During the load the worker also ran calls; per202EnqueueOnlyEstimate = (load CPU - calls run during the load × a run\'s CPU in the drain after it) / 202s.',
    },
  };

  // 2. Enqueue → start at light load: one call every 20 ms, each read back once all have run.
  log(`2/4 enqueue → start at light load: ${LIGHT_CALLS} calls, one every ${LIGHT_GAP_MS} ms`);
  const agent = makeAgent(1);
  for (let i = 0; i < 5; i++) await submit(agent, h.edge, HOST);
  await drained('light-load warm-up');
  const ids: string[] = [];
  const submitMs: number[] = [];
  const lightDeadline = performance.now() + 120_000;
  for (let i = 0; i < LIGHT_CALLS && performance.now() < lightDeadline; i++) {
    await sleep(LIGHT_GAP_MS);
    const r = await submit(agent, h.edge, HOST);
    if (r.status !== 202 || !r.id) throw new Error(`light-load submission ${i}: ${r.status}`);
    ids.push(r.id);
    submitMs.push(r.ms);
  }
  await drained('light-load calls');
  const startDelay: number[] = [];
  const runMs: number[] = [];
  const statuses: Record<string, number> = {};
  for (const id of ids) {
    const c = (await admin(h, 'GET', `/v1/invocations/${id}`)) as { status: string; createdAt: string; attempts: { startedAt: string; durationMs: number }[] };
    statuses[c.status] = (statuses[c.status] ?? 0) + 1;
    const a = c.attempts[0];
    if (!a) continue;
    startDelay.push(Date.parse(a.startedAt) - Date.parse(c.createdAt));
    runMs.push(a.durationMs);
  }
  const delay = summarize(startDelay);
  const light = {
    calls: ids.length, gapMs: LIGHT_GAP_MS, statuses,
    enqueueToStartMs: delay,
    attemptDurationMs: summarize(runMs),
    submit202ClientMs: summarize(submitMs),
    resolution: 'createdAt and attempts[0].startedAt are ISO times with 1 ms resolution (wall clock, Date.now() on the host), so each enqueue → start sample is an integer number of ms within ±1 ms of the true delay; attemptDurationMs likewise. submit202ClientMs is the client-side time to the 202 (performance.now(), sub-ms): it includes the group commit and fsync.',
  };

  // 3. Drain rate: a backlog submitted as fast as the client goes (the worker runs beside it, defaults
  // as they are), timed from the first submission until nothing is queued or running.
  log(`3/4 drain rate: ${BACKLOG} calls submitted at concurrency ${CONCURRENCY}, timed until drained`);
  const d0 = await asyncGauges(adminPort);
  const ds0 = snapshot(pid);
  const dStart = ds0.at;
  const fill = await loadRun(h.edge, HOST, { async: true, concurrency: CONCURRENCY, durationMs: quick ? 30_000 : 60_000, stopAfter: BACKLOG }, log);
  const ds1 = snapshot(pid);
  const dEnq = ds1.at;
  const d1 = await asyncGauges(adminPort);
  const dDone = await drained('drain phase');
  const ds2 = snapshot(pid);
  const d2 = await asyncGauges(adminPort);
  const enqW = window(ds0, ds1, pid), drainW = window(ds1, ds2, pid);
  const calls = d2.finished - d0.finished;
  const drain = {
    client: fill.client, submitted202: fill.ok, errors: fill.errors, callsRun: calls,
    enqueueMs: Math.round(dEnq - dStart), enqueuePerS: fill.rps,
    backlogAtEnqueueEnd: { queued: d1.queued, running: d1.running },
    firstSubmissionToDrainedMs: Math.round(dDone - dStart),
    perS: Math.round(calls / ((dDone - dStart) / 1000)),
    afterEnqueue: { calls: d2.finished - d1.finished, ms: Math.round(dDone - dEnq), perS: Math.round((d2.finished - d1.finished) / ((dDone - dEnq) / 1000)) },
    hostCpuUs: { per202DuringEnqueue: perCallUs(enqW.hostCpuMs, fill.ok), perCallRunAfterEnqueue: perCallUs(drainW.hostCpuMs, d2.finished - d1.finished) },
    windows: { enqueue: enqW, drainAfter: drainW },
    pollMs: POLL_MS,
    note: `perS = calls run / (time from the first submission until queued + running read 0), the worker running beside the submissions (default maxInflight 16); afterEnqueue is the drain alone, once the client stopped. Drain times are known to within one ${POLL_MS} ms poll of /metrics.`,
  };

  // 4. The hot edge path at concurrency 1 with no backlog, then while a backlog drains (gauges polled beside both alike).
  log(`4/4 hot path (concurrency 1, ${HOT_REQUESTS} requests) with no backlog, then beside a draining ${BACKLOG}-call backlog`);
  const hotAgent = makeAgent(1);
  for (let i = 0; i < 200; i++) await timedGet(hotAgent, h.edge, HOST);
  const hs0 = snapshot(pid);
  const idle = await hotBeside(hotAgent, HOT_REQUESTS, () => false, true);
  const idleW = window(hs0, snapshot(pid), pid);
  const fill4 = await loadRun(h.edge, HOST, { async: true, concurrency: CONCURRENCY, durationMs: quick ? 30_000 : 60_000, stopAfter: BACKLOG }, log);
  const b0 = await asyncGauges(adminPort);
  const hs1 = snapshot(pid);
  let drainedAt: number | undefined;
  const watcher = waitDrained(adminPort, DRAIN_TIMEOUT_MS, POLL_MS).then((d) => { drainedAt = d.at; });
  const busy = await hotBeside(hotAgent, HOT_REQUESTS, () => drainedAt !== undefined, false);
  const busyW = window(hs1, snapshot(pid), pid);
  const b1 = await asyncGauges(adminPort);
  await watcher;
  hotAgent.destroy();
  // Only requests that ended while the backlog was still there count.
  const kept = busy.ms.map((_, i) => i).filter((i) => drainedAt === undefined || busy.ends[i]! <= drainedAt);
  const during = kept.map((i) => busy.ms[i]!);
  const noBacklog = summarize(idle.ms);
  const withBacklog = summarize(during);
  // Where a request's time went: in the host (Server-Timing total; of it, the revision queue and the
  // executor), and outside it (the client minus the host's total: the socket, and the event loop busy
  // with something else before it read the request).
  const split = (ms: number[], server: { total: number; queue: number; exec: number }[]) => ({
    hostTotal: summarize(server.map((x) => x.total)), revisionQueue: summarize(server.map((x) => x.queue)), exec: summarize(server.map((x) => x.exec)),
    outsideHost: summarize(ms.map((m, i) => m - server[i]!.total)),
  });
  const hot = {
    concurrency: 1, requests: HOT_REQUESTS, noBacklog, withBacklog,
    backlog: { submitted202: fill4.ok, atMeasurementStart: { queued: b0.queued, running: b0.running }, atMeasurementEnd: { queued: b1.queued, running: b1.running }, drainedBeforeMeasurementEnded: during.length < HOT_REQUESTS },
    ratio: { p50: r3(withBacklog.p50 / noBacklog.p50), p99: r3(withBacklog.p99 / noBacklog.p99) },
    serverTimingMs: { noBacklog: split(idle.ms, idle.server), withBacklog: split(during, kept.map((i) => busy.server[i]!)) },
    windows: { noBacklog: idleW, withBacklog: busyW },
    note: 'back-to-back GETs on one kept-alive connection; the async gauges are polled every 50 ms beside both measurements; withBacklog keeps only requests that ended before the backlog read drained.',
  };

  // After the host is gone, so the probe measures the disk alone.
  await h.stop();
  stopped = true;
  const commit = { ...commitCost(), note: 'one better-sqlite3 transaction (WAL, synchronous=FULL, as the invocation store) on the disk of os.tmpdir(), where the host\'s data directory was; synchronous, so in the host it stops the gateway\'s event loop for that long' };

  const targets = {
    enqueueRateGe5000PerS: { value: enqueue.perS, pass: enqueue.perS >= 5000 },
    enqueueToStartP50LeMs5: { value: delay.p50, pass: delay.p50 <= 5 },
    enqueueToStartP99LeMs20: { value: delay.p99, pass: delay.p99 <= 20 },
  };
  const result = {
    bench: 'async', quick, machine: machine(), startedAt, loadavg: { start: load0, end: loadavg().map(r1) },
    config: { function: HELLO, hostOptions: 'defaults: --async-max-inflight 16, --async-concurrency 256, --async-max-queued 100000', concurrency: CONCURRENCY, loadMs: LOAD_MS, lightCalls: LIGHT_CALLS, backlog: BACKLOG, hotRequests: HOT_REQUESTS },
    enqueue, light, drain, hot, commit, targets, durationS: Math.round((performance.now() - t0) / 1000),
  };
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  // bench/run.ts passes --out= to embed this result in the run's combined JSON.
  const file = process.argv.find((x) => x.startsWith('--out='))?.slice(6) ?? join(dir, `async-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  const cpu = enqueue.hostCpuUs;
  const gw = (w: { gateway?: { onCpu: number; runqueueWait: number; offCpu: number }; machineCores?: { busy: number; iowait: number; steal: number } }) =>
    `gateway on CPU ${w.gateway?.onCpu}%, waiting for a CPU ${w.gateway?.runqueueWait}%, off CPU ${w.gateway?.offCpu}%; machine busy ${w.machineCores?.busy} cores, iowait ${w.machineCores?.iowait}, steal ${w.machineCores?.steal}`;
  console.log([
    `enqueue c=${CONCURRENCY}     ${enqueue.perS} 202/s (${enq.client}, ${enq.errors} errors; client p50 ${enq.latencyMs?.p50} ms, p99 ${enq.latencyMs?.p99} ms); sync hot ${sync.rps} req/s, ratio ${enqueue.ratioToSync}; depth at end ${depth(g2)}, drained in ${enqueue.drainAfterLoadMs} ms (${enqueue.drainAfterLoadPerS} calls/s)`,
    `host CPU         per 202 during load ${cpu.perAcceptedDuringLoad?.total} µs (gateway ${cpu.perAcceptedDuringLoad?.main}), per run in the drain ${cpu.perCallRunInDrainAfter?.total} µs, per 202 alone ≈ ${cpu.per202EnqueueOnlyEstimate} µs, per call lifecycle ${cpu.perCallLifecycle?.total} µs; per sync request ${enqueue.syncBaseline.hostCpuUsPerRequest?.total} µs`,
    `enqueue → start  p50 ${delay.p50} ms, p99 ${delay.p99} ms, max ${delay.max} ms (n=${delay.n}, 1 ms resolution); 202 at the client p50 ${light.submit202ClientMs.p50} ms, p99 ${light.submit202ClientMs.p99} ms`,
    `drain            ${drain.perS} calls/s from first submission (${calls} calls, enqueued in ${drain.enqueueMs} ms, backlog then ${depth(d1)}); after the enqueue ${drain.afterEnqueue.perS} calls/s`,
    `hot c=1          no backlog p50 ${noBacklog.p50} ms p99 ${noBacklog.p99} ms; with backlog (${depth(b0)} at start, n=${withBacklog.n}) p50 ${withBacklog.p50} ms p99 ${withBacklog.p99} ms; ratio p50 ${hot.ratio.p50}, p99 ${hot.ratio.p99}`,
    `                 Server-Timing p50 no backlog: host ${hot.serverTimingMs.noBacklog.hostTotal.p50} ms (exec ${hot.serverTimingMs.noBacklog.exec.p50}), outside the host ${hot.serverTimingMs.noBacklog.outsideHost.p50} ms; with backlog: host ${hot.serverTimingMs.withBacklog.hostTotal.p50} ms (revision queue ${hot.serverTimingMs.withBacklog.revisionQueue.p50}, exec ${hot.serverTimingMs.withBacklog.exec.p50}, p99 host ${hot.serverTimingMs.withBacklog.hostTotal.p99}), outside the host ${hot.serverTimingMs.withBacklog.outsideHost.p50} ms (p99 ${hot.serverTimingMs.withBacklog.outsideHost.p99})`,
    `gateway kernel   per 202 during load ${cpu.perAcceptedDuringLoad?.mainSys} µs, per run in the drain ${cpu.perCallRunInDrainAfter?.mainSys} µs, per sync request ${enqueue.syncBaseline.hostCpuUsPerRequest?.mainSys} µs`,
    `where the time went  sync load: ${gw(syncW)}`,
    `                 enqueue load: ${gw(loadW)}`,
    `                 drain after it: ${gw(tailW)}`,
    `                 hot, no backlog: ${gw(idleW)}; with backlog: ${gw(busyW)}`,
    `sqlite commit    1 row p50 ${commit.oneRowMs.p50} ms p99 ${commit.oneRowMs.p99} ms; 50 rows p50 ${commit.fiftyRowsMs.p50} ms p99 ${commit.fiftyRowsMs.p99} ms (WAL, synchronous=FULL, this disk)`,
    `targets          ${Object.entries(targets).map(([n, v]) => `${n}=${v.value} ${v.pass ? 'PASS' : 'MISS'}`).join(', ')}`,
    `written          ${file}`,
  ].join('\n'));
} finally {
  if (!stopped) await h.stop();
}
