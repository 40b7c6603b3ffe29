/**
 * Cold-start bench (first cut): cold (new isolate), warm (pre-warmed pool) and hot
 * starts as a client sees them over real HTTP on loopback, against bare node:http
 * serving the same handler in the same run; hot throughput at concurrency 50; RSS
 * per idle hot instance with 1,000 of them. Writes bench/results/<timestamp>.json.
 *
 *   npm run bench                 # full: 3 runs × 200 starts per tier
 *   npm run bench -- --quick      # 1 run × 200 starts, shorter load phases
 */
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin, deployAll, firstCalls as libFirstCalls, hotCalls as libHotCalls, startHost, status, waitWarm, type Host } from './lib/host.ts';
import { acrossRuns, median, summarize } from './lib/stats.ts';
import { load, makeAgent, timedGet } from './lib/client.ts';
import { measureHop } from './lib/hop.ts';
import { plainNodeFloor, bigModule, ECHO_WASM, COMPONENT_WASM } from './lib/wasm.ts';
import { readFileSync } from 'node:fs';
import { machine } from './lib/machine.ts';

const quick = process.argv.includes('--quick');
/** `--only=hop,warm,hot,throughput,cold,wasm,memory` runs a subset (for iterating; a full report needs all). */
const only = new Set((process.argv.find((a) => a.startsWith('--only='))?.slice(7) ?? 'hop,warm,hot,throughput,cold,wasm,memory').split(','));
const RUNS = quick ? 1 : 3;
const STARTS = 200;
const HOT_REQUESTS = quick ? 1000 : 2000;
const LOAD_MS = quick ? 3000 : 5000;
const RSS_INSTANCES = 1000;
const HELLO = `export default { async fetch(request) {
  return new Response('Hello from isoedge! You asked for ' + new URL(request.url).pathname + '\\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } });
} };`;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function progress(label: string, i: number, n: number): void {
  if (!process.stderr.isTTY) return;
  const w = 30;
  const done = Math.round((i / n) * w);
  process.stderr.write(`\r[bench] ${label.padEnd(24)} [${'#'.repeat(done)}${'.'.repeat(w - done)}] ${i}/${n}`);
  if (i === n) process.stderr.write('\n');
}

/** Deploys `n` functions named `${prefix}-${i}` (8 in flight): JS hello, or `wasm` bytes. */
async function deployMany(h: Host, prefix: string, n: number, wasm?: Uint8Array): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  await deployAll(h, names, () => wasm ?? HELLO, { deadline: performance.now() + 600_000, onDone: (d) => progress(`deploy ${prefix}`, d, n) });
  return names;
}

/** First calls with this bench's progress label; bounded at 10 minutes. */
function firstCalls(h: Host, names: string[], label: string, beforeEach: () => Promise<void>) {
  return libFirstCalls(h, names, performance.now() + 600_000, beforeEach, (i) => progress(label, i, names.length));
}

async function hotCalls(port: number, host: string, n: number): Promise<number[]> {
  return (await libHotCalls(port, host, n, performance.now() + 600_000)).ms;
}

async function startBare(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./lib/bare-server.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
    child.once('exit', (c) => reject(new Error(`bare server exited ${c}`)));
  });
  return { port, stop: () => child.kill('SIGTERM') };
}

async function rssOf(h: Host): Promise<number> {
  return (await status(h)).rss;
}

type Across = ReturnType<typeof acrossRuns>;

async function main(): Promise<void> {
  const t0 = performance.now();
  const result: Record<string, unknown> = { bench: 'coldstart', quick, only: [...only], machine: machine(), startedAt: new Date().toISOString(), config: { runs: RUNS, startsPerRun: STARTS, hotRequests: HOT_REQUESTS, loadMs: LOAD_MS } };
  const scenarios: Record<string, unknown> = {};
  const targets: Record<string, { value: number; pass: boolean }> = {};
  const lines: string[] = [];
  const row = (name: string, s: Across) => `${name.padEnd(16)} p50 ${s.p50.median.toFixed(3).padStart(8)} ms (runs ${s.p50.min.toFixed(3)}–${s.p50.max.toFixed(3)})   p99 ${s.p99.median.toFixed(3).padStart(8)} ms   n=${s.pooled.n}`;
  if (only.has('hop')) {
    log('gateway → executor → isolate hop (in process, no HTTP)');
    const hop = await measureHop(quick ? 2000 : 5000);
    scenarios.hop = hop;
    lines.push(`hop              isolate call p50 ${hop.isolateCallUs.p50} µs; gateway→executor→isolate→gateway round trip p50 ${hop.roundTripC1Us.p50} µs (exec ${hop.execC1Us.p50} µs) at c=1, ${hop.batch50PerRequestUs.p50} µs per request in batches of 50`);
  }
  const bare = await startBare();
  process.once('exit', () => bare.stop());

  if (only.has('warm') || only.has('hot') || only.has('throughput')) {
    const warmHost = await startHost(['--pool-warm-min', '2']);
    if (only.has('warm')) {
      // Warm tier: before each first request, wait for the pool to be refilled. This machine adds
      // ~0.7 ms to any request that follows an idle gap (bare node:http too), so the same pause is
      // also put before a hot request and a bare node:http request, interleaved: the idle-matched baselines.
      log('warm-pool starts (with idle-matched hot and bare node:http baselines)');
      const runs: number[][] = [];
      const idleHot: number[][] = [];
      const idleBare: number[][] = [];
      const tiers: Record<string, number> = {};
      let server;
      const agent = makeAgent(1);
      const bareAgent = makeAgent(1);
      for (let r = 0; r < RUNS; r++) {
        const names = await deployMany(warmHost, `w${r}`, STARTS);
        if (r === 0) await timedGet(agent, warmHost.edge, 'w0-0.localhost');
        const hotMs: number[] = [];
        const bareMs: number[] = [];
        const got = await firstCalls(warmHost, names.slice(r === 0 ? 1 : 0), `warm run ${r + 1}/${RUNS}`, async () => {
          await waitWarm(warmHost);
          hotMs.push((await timedGet(agent, warmHost.edge, 'w0-0.localhost')).ms);
          await waitWarm(warmHost);
          bareMs.push((await timedGet(bareAgent, bare.port, 'bare.localhost')).ms);
          await waitWarm(warmHost);
        });
        runs.push(got.ms);
        idleHot.push(hotMs);
        idleBare.push(bareMs);
        for (const [k, v] of Object.entries(got.tiers)) tiers[k] = (tiers[k] ?? 0) + v;
        server = got.serverStartMs;
      }
      agent.destroy();
      bareAgent.destroy();
      const warm = acrossRuns(runs);
      const hotIdle = acrossRuns(idleHot);
      const bareIdle = acrossRuns(idleBare);
      scenarios.warm = { ...warm, tiers, serverStartMs: server };
      scenarios.hotAfterIdle = hotIdle;
      scenarios.bareNodeHttpAfterIdle = bareIdle;
      targets.warmP50LeMs1 = { value: warm.p50.median, pass: warm.p50.median <= 1 };
      // Issue 6: these first requests find their revision at zero and go through the activator (poke, then a warm start).
      const fromZero = Math.round((warm.p50.median - hotIdle.p50.median) * 1000) / 1000;
      targets.scaleFromZeroAddsLeMs5OverHot = { value: fromZero, pass: fromZero <= 5 };
      targets.warmP99LeMs3 = { value: warm.p99.median, pass: warm.p99.median <= 3 };
      lines.push(row('warm (pool)', warm) + `  tiers ${JSON.stringify(tiers)}`, row('hot, after idle', hotIdle), row('bare, after idle', bareIdle));
    } else {
      await deployMany(warmHost, 'w0', 1);
    }
    if (only.has('hot')) {
      // Hot tier and its baseline at concurrency 1, alternating so drift hits both alike.
      log('hot starts vs bare node:http (concurrency 1)');
      const hotRuns: number[][] = [];
      const bareRuns: number[][] = [];
      for (let r = 0; r < RUNS; r++) {
        hotRuns.push(await hotCalls(warmHost.edge, 'w0-0.localhost', HOT_REQUESTS));
        bareRuns.push(await hotCalls(bare.port, 'bare.localhost', HOT_REQUESTS));
        progress('hot/bare runs', r + 1, RUNS);
      }
      const hot = acrossRuns(hotRuns);
      const bareLat = acrossRuns(bareRuns);
      scenarios.hot = hot;
      scenarios.bareNodeHttp = bareLat;
      const gapUs = Math.round((hot.p50.median - bareLat.p50.median) * 1000);
      targets.hotP50WithinUs100OfBare = { value: gapUs, pass: gapUs <= 100 };
      lines.push(row('hot', hot), row('bare node:http', bareLat));
    }
    if (only.has('throughput')) {
      log(`throughput at concurrency 50 (${LOAD_MS} ms each, alternating)`);
      const iso: number[] = [];
      const bareRps: number[] = [];
      let errors = 0;
      for (let r = 0; r < RUNS; r++) {
        const a = await load(warmHost.edge, 'w0-0.localhost', 50, LOAD_MS);
        const b = await load(bare.port, 'bare.localhost', 50, LOAD_MS);
        iso.push(a.rps);
        bareRps.push(b.rps);
        errors += a.errors + b.errors;
        progress('throughput runs', r + 1, RUNS);
      }
      const ratio = Math.round((median(iso) / median(bareRps)) * 1000) / 1000;
      scenarios.throughputC50 = { isoedgeRps: iso, bareRps, medianRatio: ratio, errors };
      targets.hotThroughputC50Ge90PctOfBare = { value: ratio, pass: ratio >= 0.9 };
      lines.push(`throughput c=50  isoedge ${median(iso)} req/s, bare node:http ${median(bareRps)} req/s, ratio ${ratio}, errors ${errors}`);
    }
    await warmHost.stop();
  }

  if (only.has('cold')) {
    // Cold tier: no warm pool, so every first request creates an isolate.
    log('cold starts (no warm pool)');
    const coldHost = await startHost(['--pool-warm-min', '0', '--pool-warm-max', '0']);
    const runs: number[][] = [];
    const tiers: Record<string, number> = {};
    let server;
    for (let r = 0; r < RUNS; r++) {
      const names = await deployMany(coldHost, `c${r}`, STARTS);
      const got = await firstCalls(coldHost, names, `cold run ${r + 1}/${RUNS}`, async () => {});
      runs.push(got.ms);
      for (const [k, v] of Object.entries(got.tiers)) tiers[k] = (tiers[k] ?? 0) + v;
      server = got.serverStartMs;
    }
    await coldHost.stop();
    const cold = acrossRuns(runs);
    scenarios.cold = { ...cold, tiers, serverStartMs: server };
    lines.push(row('cold', cold) + `  tiers ${JSON.stringify(tiers)}`);
  }

  if (only.has('wasm')) {
    // Core Wasm: cold = module compiled in the executor (same digest), no instance yet; warm = pre-warmed isolate; hot.
    log('core Wasm starts (cold, warm, hot) and the plain-Node floor');
    const wasm = readFileSync(ECHO_WASM);
    const coldHost = await startHost(['--pool-warm-min', '0', '--pool-warm-max', '0']);
    await deployMany(coldHost, 'wc-prime', 1, wasm);
    await timedGet(makeAgent(1), coldHost.edge, 'wc-prime-0.localhost'); // compiles the module once
    const coldNames = await deployMany(coldHost, 'wc', STARTS, wasm);
    const cold = await firstCalls(coldHost, coldNames, 'wasm cold', async () => {});
    // Components: transpiled once at deploy (same digest), core modules compiled once per executor.
    const comp = readFileSync(COMPONENT_WASM);
    await deployMany(coldHost, 'cc-prime', 1, comp);
    await timedGet(makeAgent(1), coldHost.edge, 'cc-prime-0.localhost');
    const compColdNames = await deployMany(coldHost, 'cc', Math.min(STARTS, 100), comp);
    const compCold = await firstCalls(coldHost, compColdNames, 'component cold', async () => {});
    // Deploy a 1 MiB module and time it to its first response (new digest each time, so it is compiled).
    const deployToFirst: number[] = [];
    for (let i = 0; i < (quick ? 3 : 5); i++) {
      const big = await bigModule(1024 * 1024, i + 1);
      const t0 = performance.now();
      await admin(coldHost, 'POST', `/v1/functions/big-${i}/revisions`, big, 'application/wasm');
      const r = await timedGet(makeAgent(1), coldHost.edge, `big-${i}.localhost`);
      if (r.status !== 200) throw new Error(`big-${i}: ${r.status} ${r.body}`);
      deployToFirst.push(performance.now() - t0);
    }
    await coldHost.stop();
    const warmHost = await startHost(['--pool-warm-min', '2']);
    await deployMany(warmHost, 'ww-prime', 1, wasm);
    await timedGet(makeAgent(1), warmHost.edge, 'ww-prime-0.localhost');
    const warmNames = await deployMany(warmHost, 'ww', STARTS, wasm);
    const warm = await firstCalls(warmHost, warmNames, 'wasm warm', () => waitWarm(warmHost));
    const hot = await hotCalls(warmHost.edge, 'ww-0.localhost', HOT_REQUESTS);
    await deployMany(warmHost, 'cw-prime', 1, comp);
    await timedGet(makeAgent(1), warmHost.edge, 'cw-prime-0.localhost');
    const compWarmNames = await deployMany(warmHost, 'cw', Math.min(STARTS, 100), comp);
    const compWarm = await firstCalls(warmHost, compWarmNames, 'component warm', () => waitWarm(warmHost));
    const compHot = await hotCalls(warmHost.edge, 'cw-0.localhost', HOT_REQUESTS);
    await warmHost.stop();
    const floor = plainNodeFloor(2000);
    const c = summarize(cold.ms), w = summarize(warm.ms), hh = summarize(hot), d = summarize(deployToFirst);
    const cc = summarize(compCold.ms), cw = summarize(compWarm.ms), ch = summarize(compHot);
    scenarios.wasm = { cold: { ...c, tiers: cold.tiers, serverStartMs: cold.serverStartMs }, warm: { ...w, tiers: warm.tiers, serverStartMs: warm.serverStartMs }, hot: hh, plainNodeInstantiateAndCallUs: floor, deploy1MiBToFirstResponseMs: d,
      component: { cold: { ...cc, tiers: compCold.tiers, serverStartMs: compCold.serverStartMs }, warm: { ...cw, tiers: compWarm.tiers, serverStartMs: compWarm.serverStartMs }, hot: ch } };
    // Issue 4 defines both as "module compiled, no instance yet": the compiled module (or component
    // script) meets a pre-warmed isolate, i.e. the warm-pool rows; the no-pool rows add isolate creation.
    targets.componentColdP50LeMs3 = { value: cw.p50, pass: cw.p50 <= 3 };
    targets.wasmColdP50LeMs05 = { value: w.p50, pass: w.p50 <= 0.5 };
    targets.wasmDeploy1MiBToFirstResponseLeMs50 = { value: d.p50, pass: d.p50 <= 50 };
    lines.push(
      `wasm cold        p50 ${c.p50.toFixed(3)} ms  p99 ${c.p99.toFixed(3)} ms (server start p50 ${cold.serverStartMs.p50} ms)  tiers ${JSON.stringify(cold.tiers)}`,
      `wasm warm        p50 ${w.p50.toFixed(3)} ms  p99 ${w.p99.toFixed(3)} ms (server start p50 ${warm.serverStartMs.p50} ms)  tiers ${JSON.stringify(warm.tiers)}`,
      `wasm hot         p50 ${hh.p50.toFixed(3)} ms  p99 ${hh.p99.toFixed(3)} ms`,
      `wasm floor       new WebAssembly.Instance + one call in plain Node: p50 ${floor.p50} µs, p99 ${floor.p99} µs`,
      `wasm 1 MiB       deploy → first response p50 ${d.p50.toFixed(1)} ms (n=${d.n}, max ${d.max.toFixed(1)})`,
      `component cold   p50 ${cc.p50.toFixed(3)} ms  p99 ${cc.p99.toFixed(3)} ms (server start p50 ${compCold.serverStartMs.p50} ms)`,
      `component warm   p50 ${cw.p50.toFixed(3)} ms  p99 ${cw.p99.toFixed(3)} ms (server start p50 ${compWarm.serverStartMs.p50} ms)`,
      `component hot    p50 ${ch.p50.toFixed(3)} ms  p99 ${ch.p99.toFixed(3)} ms`,
    );
  }

  if (only.has('memory')) {
    // Memory: RSS growth per idle hot instance, with 1,000 of them kept.
    log(`RSS per idle hot instance (${RSS_INSTANCES} instances)`);
    const memHost = await startHost(['--pool-warm-min', '2']);
    const names = await deployMany(memHost, 'm', RSS_INSTANCES);
    await timedGet(makeAgent(1), memHost.edge, `${names[0]}.localhost`);
    await sleep(200);
    const rss0 = await rssOf(memHost);
    await firstCalls(memHost, names.slice(1), 'instantiate 1000', async () => {});
    await sleep(500);
    const rss1 = await rssOf(memHost);
    const status = (await admin(memHost, 'GET', '/v1/status')) as { executors: { hot: number }[] };
    const hotInstances = status.executors.reduce((a, e) => a + e.hot, 0);
    await memHost.stop();
    const perInstanceMiB = +((rss1 - rss0) / (RSS_INSTANCES - 1) / 2 ** 20).toFixed(3);
    scenarios.memory = { instances: RSS_INSTANCES - 1, hotInstances, rssBeforeMiB: +(rss0 / 2 ** 20).toFixed(1), rssAfterMiB: +(rss1 / 2 ** 20).toFixed(1), perInstanceMiB };
    targets.rssPerIdleHotInstanceLeMiB2 = { value: perInstanceMiB, pass: perInstanceMiB <= 2 };
    lines.push(`memory           ${perInstanceMiB} MiB RSS per idle hot instance (${hotInstances} hot)`);
  }
  bare.stop();

  Object.assign(result, { scenarios, targets, durationS: Math.round((performance.now() - t0) / 1000) });
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  // bench/run.ts passes --out= to embed this result in the run's combined JSON.
  const file = process.argv.find((x) => x.startsWith('--out='))?.slice(6) ?? join(dir, `coldstart-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  lines.push(`targets          ${Object.entries(targets).map(([k, v]) => `${k}=${v.value} ${v.pass ? 'PASS' : 'MISS'}`).join(', ')}`, `written          ${file}`);
  console.log(lines.join('\n'));
}

await main();
