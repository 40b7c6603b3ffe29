/**
 * The comparison suite (issue 8, first part): isoedge's start tiers against what a
 * user would pick instead, over real HTTP on loopback, in one run — a new node:vm
 * context, a new worker_threads Worker and a new process per request (exec mode),
 * workerd (process start to first response, and warm throughput); then scale:
 * 1,000 (and with the full run 10,000) deployed functions called once each, then a
 * Zipf-distributed mix, with RSS, cold-start percentiles and the hot-set hit rate.
 * Writes bench/results/suite-<timestamp>.json and a markdown report beside it.
 *
 *   node --no-node-snapshot bench/suite.bench.ts [--quick]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { serve, type ServeProcess } from '../test/helpers/process.ts';
import { load, makeAgent, tierOf, timedGet } from './lib/client.ts';
import { summarize, median, type Summary } from './lib/stats.ts';
import { machine } from './lib/machine.ts';
import { seededRng } from '../src/core/rng.ts';
import { histogramsSvg } from './lib/histogram-svg.ts';

const quick = process.argv.includes('--quick');
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HELLO_JS = `export default { async fetch(request) { return new Response('Hello from isoedge! You asked for ' + new URL(request.url).pathname + '\\n'); } };`;
const results: Record<string, unknown> = {};
const skipped: Record<string, string> = {};

async function startChild(cmd: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
    child.once('exit', (c) => reject(new Error(`${cmd} exited ${c}`)));
  });
  return { child, port };
}

/** First requests to each baseline: every request starts a fresh environment there. */
const raw: { name: string; ms: number[] }[] = [];

async function baseline(mode: 'vm' | 'worker' | 'process', n: number): Promise<Summary> {
  const { child, port } = await startChild(process.execPath, [fileURLToPath(new URL('./lib/baseline-server.ts', import.meta.url)), mode]);
  const agent = makeAgent(1);
  for (let i = 0; i < 5; i++) await timedGet(agent, port, 'x'); // warm the server itself
  const ms: number[] = [];
  const deadline = performance.now() + 60_000;
  for (let i = 0; i < n && performance.now() < deadline; i++) ms.push((await timedGet(agent, port, 'x', `/p${i}`)).ms);
  agent.destroy();
  child.kill('SIGTERM');
  raw.push({ name: mode === 'vm' ? 'new node:vm context' : mode === 'worker' ? 'new worker_threads Worker' : 'new process (exec mode)', ms });
  return summarize(ms);
}

/** Hot latency at concurrency 1 and throughput at concurrency 50 of a server in its own process. */
async function serverHot(script: string, label: string): Promise<{ c1: Summary; rpsC50: number }> {
  const { child, port } = await startChild(process.execPath, [fileURLToPath(new URL(script, import.meta.url))]);
  const agent = makeAgent(1);
  for (let i = 0; i < 200; i++) await timedGet(agent, port, 'x');
  const ms: number[] = [];
  for (let i = 0; i < (quick ? 1000 : 3000); i++) ms.push((await timedGet(agent, port, 'x')).ms);
  agent.destroy();
  const rps = (await load(port, 'x', 50, quick ? 3000 : 5000)).rps;
  child.kill('SIGTERM');
  raw.push({ name: `${label}, hot`, ms });
  return { c1: summarize(ms), rpsC50: rps };
}

/** A ~50 KB handler bundle: many small functions, as a bundled app would have. */
const BUNDLE_50KB = Array.from({ length: 700 }, (_, i) => `function helper${i}(s) { return s.length > ${i} ? s.slice(0, ${i % 13}) + '${'x'.repeat(20)}' : s + ${i}; }`).join('\n')
  + `\nexport default { async fetch(request) { return new Response('Hello from a 50 KB bundle! ' + helper7(new URL(request.url).pathname) + '\\n'); } };`;

/** workerd: process start to the first 200, n times; then warm throughput at concurrency 50. */
async function workerd(n: number): Promise<{ start: Summary; rpsC50: number } | string> {
  // Not a dependency (its per-platform optional packages break `npm ci` elsewhere): installed here on first use.
  const prefix = join(tmpdir(), 'isoedge-bench-workerd');
  const pkg = join(prefix, 'node_modules', 'workerd', 'package.json');
  if (!existsSync(pkg)) {
    log('installing workerd@1.20261117.1 for the baseline (once)');
    const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, 'workerd@1.20261117.1'], { stdio: 'ignore', timeout: 180_000 });
    if (r.status !== 0) return `npm could not install workerd (exit ${r.status ?? r.signal})`;
  }
  const require = createRequire(pkg);
  let bin: string;
  try {
    bin = join(require.resolve('workerd/package.json'), '..', 'bin', 'workerd');
    if (!existsSync(bin)) return 'the workerd package has no binary for this platform';
  } catch {
    return 'workerd is not installed';
  }
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-workerd-'));
  writeFileSync(join(dir, 'worker.js'), HELLO_JS);
  const starts: number[] = [];
  let rps = 0;
  for (let i = 0; i < n; i++) {
    const port = 20000 + Math.floor(seededRng(Date.now() + i)() * 20000);
    writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = ( services = [ (name = "main", worker = .w) ], sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ] );
const w :Workerd.Worker = ( modules = [ (name = "worker", esModule = embed "worker.js") ], compatibilityDate = "2024-09-23" );`);
    const t0 = performance.now();
    const child = spawn(bin, ['serve', join(dir, 'config.capnp')], { stdio: 'ignore' });
    const agent = makeAgent(1);
    let ok = false;
    while (!ok && performance.now() - t0 < 10_000) {
      try { ok = (await timedGet(agent, port, 'x')).status === 200; } catch { await sleep(1); }
    }
    if (!ok) { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); return 'workerd did not answer within 10 s'; }
    starts.push(performance.now() - t0);
    if (i === n - 1) raw.push({ name: 'workerd start', ms: [...starts] });
    agent.destroy();
    if (i === n - 1) rps = (await load(port, 'x', 50, quick ? 3000 : 5000)).rps;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
  return { start: summarize(starts), rpsC50: rps };
}

async function isoedgeHost(args: string[] = []): Promise<{ host: ServeProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-suite-'));
  const host = await serve(['--edge-port', '0', '--admin-port', '0', '--data-dir', dir, '--no-examples', '--log-level', 'warn', ...args]);
  return { host, dir };
}

async function deploy(host: ServeProcess, name: string, src: string): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${host.adminPort}/v1/functions/${name}/revisions?initialScale=0`, { method: 'POST', body: src, headers: { 'content-type': 'application/javascript' } });
  if (!r.ok) throw new Error(`${name}: ${r.status} ${await r.text()}`);
}

async function status(host: ServeProcess): Promise<{ rss: number; starts: { hot: number; warm: number; cold: number } }> {
  const s = (await (await fetch(`http://127.0.0.1:${host.adminPort}/v1/status`)).json()) as { memory: { rss: number }; executors: { starts: { hot: number; warm: number; cold: number } }[] };
  const starts = { hot: 0, warm: 0, cold: 0 };
  for (const e of s.executors) for (const k of ['hot', 'warm', 'cold'] as const) starts[k] += e.starts[k];
  return { rss: s.memory.rss, starts };
}

/** Deploy `count` functions, call each once, then `mix` Zipf-distributed calls. */
async function scale(count: number, mix: number) {
  // The hot set keeps at most 2,000 idle instances (~3 GiB): beyond that, RSS is bounded by the budget, not the count.
  const { host, dir } = await isoedgeHost(['--pool-warm-min', '4', '--pool-hot-max', '2000']);
  const rss0 = (await status(host)).rss;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    // A distinct module per function: each is compiled and code-cached at deploy.
    await deploy(host, `f${i}`, HELLO_JS.replace('Hello from isoedge!', `Hello from f${i}!`));
    if (i % 500 === 499) log(`deployed ${i + 1}/${count}`);
  }
  const deployS = (performance.now() - t0) / 1000;
  const agent = makeAgent(1);
  const first: number[] = [];
  const tiers: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const r = await timedGet(agent, host.edgePort, `f${i}.localhost`);
    first.push(r.ms);
    const t = tierOf(r.headers) ?? '?';
    tiers[t] = (tiers[t] ?? 0) + 1;
  }
  const rss1 = (await status(host)).rss;
  // Zipf (s = 1): function k is called with probability ∝ 1/(k+1).
  const weights = Array.from({ length: count }, (_, k) => 1 / (k + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  const rng = seededRng(42);
  const before = (await status(host)).starts;
  const mixMs: number[] = [];
  for (let i = 0; i < mix; i++) {
    const x = rng();
    let lo = 0, hi = cdf.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid]! < x) lo = mid + 1; else hi = mid; }
    mixMs.push((await timedGet(agent, host.edgePort, `f${lo}.localhost`)).ms);
  }
  const after = await status(host);
  agent.destroy();
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
  const d = { hot: after.starts.hot - before.hot, warm: after.starts.warm - before.warm, cold: after.starts.cold - before.cold };
  return {
    functions: count, deploySeconds: +deployS.toFixed(1), firstCall: summarize(first), firstCallTiers: tiers, zipfMix: summarize(mixMs),
    hotSetHitRate: +(d.hot / Math.max(1, d.hot + d.warm + d.cold)).toFixed(4), rssMiB: { before: +(rss0 / 2 ** 20).toFixed(1), afterFirstCalls: +(rss1 / 2 ** 20).toFixed(1), afterMix: +(after.rss / 2 ** 20).toFixed(1) },
  };
}

const t0 = performance.now();
const N = quick ? 40 : 100;
log('isoedge warm-pool starts and hot throughput (for the ratios below)');
{
  const { host, dir } = await isoedgeHost(['--pool-warm-min', '2']);
  const agent = makeAgent(1);
  const warm: number[] = [];
  for (let i = 0; i < N; i++) {
    await deploy(host, `w${i}`, HELLO_JS);
    await sleep(15); // let the warm pool refill
    warm.push((await timedGet(agent, host.edgePort, `w${i}.localhost`)).ms);
  }
  const hotMs: number[] = [];
  for (let i = 0; i < (quick ? 1000 : 3000); i++) hotMs.push((await timedGet(agent, host.edgePort, 'w0.localhost')).ms);
  const bundleWarm: number[] = [];
  for (let i = 0; i < N; i++) {
    await deploy(host, `b${i}`, BUNDLE_50KB.replace('Hello from a 50 KB bundle!', `Hello from bundle ${i}!`));
    await sleep(15);
    bundleWarm.push((await timedGet(agent, host.edgePort, `b${i}.localhost`)).ms);
  }
  agent.destroy();
  const rps = await load(host.edgePort, 'w0.localhost', 50, quick ? 3000 : 5000);
  raw.push({ name: 'isoedge warm-pool start', ms: warm }, { name: 'isoedge warm start, 50 KB bundle', ms: bundleWarm }, { name: 'isoedge, hot', ms: hotMs });
  results.isoedge = { warmStart: summarize(warm), warmStart50KB: summarize(bundleWarm), hotC1: summarize(hotMs), hotRpsC50: rps.rps };
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
}
for (const mode of ['vm', 'worker', 'process'] as const) {
  log(`baseline: a new ${mode === 'vm' ? 'node:vm context' : mode === 'worker' ? 'worker_threads Worker' : 'process (exec mode)'} per request`);
  results[`new_${mode}`] = await baseline(mode, mode === 'process' ? Math.min(N, 40) : N);
}
log('baselines: bare node:http and fastify, hot');
results.bareNodeHttp = await serverHot('./lib/bare-server.ts', 'bare node:http');
results.fastify = await serverHot('./lib/fastify-server.ts', 'fastify');
log('baseline: workerd');
const wd = await workerd(quick ? 5 : 15);
if (typeof wd === 'string') skipped.workerd = wd;
else results.workerd = wd;

log(`scale: ${quick ? '1,000' : '1,000 and 10,000'} functions`);
const scales = [await scale(1000, quick ? 2000 : 5000)];
if (!quick) scales.push(await scale(10_000, 10_000));
results.scale = scales;

const iso = results.isoedge as { warmStart: Summary; hotRpsC50: number };
const proc = results.new_process as Summary;
const ratios = {
  warmVsNewProcess: +(proc.p50 / iso.warmStart.p50).toFixed(1),
  warmVsWorkerdStart: typeof wd === 'string' ? null : +(wd.start.p50 / iso.warmStart.p50).toFixed(1),
  hotThroughputVsWorkerd: typeof wd === 'string' ? null : +(iso.hotRpsC50 / wd.rpsC50).toFixed(2),
};
const big = scales.at(-1)!;
const targets = {
  warmAtLeast20xFasterThanNewProcess: { value: ratios.warmVsNewProcess, pass: ratios.warmVsNewProcess >= 20 },
  warmAtLeast5xFasterThanWorkerdStart: { value: ratios.warmVsWorkerdStart, pass: ratios.warmVsWorkerdStart !== null && ratios.warmVsWorkerdStart >= 5 },
  hotThroughputAtLeast2xWorkerd: { value: ratios.hotThroughputVsWorkerd, pass: ratios.hotThroughputVsWorkerd !== null && ratios.hotThroughputVsWorkerd >= 2 },
  [`coldP99LeMs5At${big.functions}Functions`]: { value: big.firstCall.p99, pass: big.firstCall.p99 <= 5 },
};
const out = { bench: 'suite', quick, machine: machine(), startedAt: new Date().toISOString(), results, skipped, ratios, targets, durationS: Math.round((performance.now() - t0) / 1000) };
const dirOut = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dirOut, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(join(dirOut, `suite-${stamp}.json`), JSON.stringify(out, null, 2) + '\n');
const row = (name: string, s: Summary) => `| ${name} | ${s.p50.toFixed(3)} | ${s.p90.toFixed(3)} | ${s.p99.toFixed(3)} | ${s.max.toFixed(3)} | ${s.n} |`;
const md = [
  `# isoedge comparison suite — ${out.startedAt}`, '',
  `Machine: ${out.machine.cpus} × ${out.machine.cpuModel}, ${out.machine.memGiB} GiB, Node ${out.machine.node}, commit ${out.machine.commit}${quick ? ' (quick run)' : ''}.`, '',
  '| start, as a client sees it (ms) | p50 | p90 | p99 | max | n |', '|---|---|---|---|---|---|',
  row('isoedge warm-pool start', iso.warmStart), row('new node:vm context per request', results.new_vm as Summary), row('new worker_threads Worker per request', results.new_worker as Summary),
  row('new process per request (exec mode)', proc), ...(typeof wd === 'string' ? [`| workerd | skipped: ${wd} | | | | |`] : [row('workerd: process start to first response', wd.start)]),
  row('isoedge warm start, 50 KB bundle', (results.isoedge as { warmStart50KB: Summary }).warmStart50KB), '',
  '| hot, concurrency 1 (ms) | p50 | p90 | p99 | max | n |', '|---|---|---|---|---|---|',
  row('isoedge', (results.isoedge as { hotC1: Summary }).hotC1), row('bare node:http', (results.bareNodeHttp as { c1: Summary }).c1), row('fastify', (results.fastify as { c1: Summary }).c1), '',
  `Hot throughput at concurrency 50: isoedge ${iso.hotRpsC50} req/s, bare node:http ${(results.bareNodeHttp as { rpsC50: number }).rpsC50}, fastify ${(results.fastify as { rpsC50: number }).rpsC50}${typeof wd === 'string' ? '' : `, workerd ${wd.rpsC50}`} req/s.`, '',
  `Ratios: warm start vs new process ${ratios.warmVsNewProcess}×; vs workerd start ${ratios.warmVsWorkerdStart ?? 'n/a'}×; hot throughput vs workerd ${ratios.hotThroughputVsWorkerd ?? 'n/a'}×.`, '',
  '| functions | deploy (s) | first call p50 / p99 (ms) | first-call tiers | Zipf mix p50 / p99 (ms) | hot-set hit rate | RSS before / after first calls / after mix (MiB) |', '|---|---|---|---|---|---|---|',
  ...scales.map((s) => `| ${s.functions} | ${s.deploySeconds} | ${s.firstCall.p50.toFixed(3)} / ${s.firstCall.p99.toFixed(3)} | ${JSON.stringify(s.firstCallTiers)} | ${s.zipfMix.p50.toFixed(3)} / ${s.zipfMix.p99.toFixed(3)} | ${s.hotSetHitRate} | ${s.rssMiB.before} / ${s.rssMiB.afterFirstCalls} / ${s.rssMiB.afterMix} |`), '',
  'Targets: ' + Object.entries(targets).map(([k, v]) => `${k} = ${v.value} ${v.pass ? 'PASS' : 'MISS'}`).join('; '), '',
].join('\n');
writeFileSync(join(dirOut, `suite-${stamp}.md`), md);
writeFileSync(join(dirOut, `suite-${stamp}.svg`), histogramsSvg(`isoedge suite ${out.startedAt} — latency as a client sees it (log scale)`, raw));
console.log(md);
console.log(`written          bench/results/suite-${stamp}.{json,md,svg}`);
if (median([1]) !== 1) process.exitCode = 1;
