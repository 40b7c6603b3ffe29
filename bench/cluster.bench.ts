/**
 * The cluster (design §8) on one machine, every part real: nats-server, `isoedge serve` processes,
 * HTTP on loopback. Writes JSON to bench/results/.
 *
 * 1. Propagation: a traffic change (and a deploy) written on node A of three, timed from the write's
 *    start until nodes B and C serve it (each polled by back-to-back GETs on its edge).
 * 2. Deploy rate: small distinct functions deployed one after another, against SQLite and against NATS.
 * 3. The hot path on a NATS-backed node against a SQLite one, in the same run (the request path
 *    never waits on NATS, so the ratio should be ~1).
 * 4. `--processes 1` and `--processes 2` (SQLite shared), throughput at concurrency 50 from wrk, with
 *    the CPU wrk itself used: on two cores the client takes a share of what the server could use.
 *
 *   npm run bench -- --only=cluster [--quick]
 *   node --no-node-snapshot bench/cluster.bench.ts [--quick] [--out=FILE]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { serve, type ServeProcess } from '../test/helpers/process.ts';
import { natsServerPath, startNats, NATS_INSTALL_HINT } from '../test/helpers/nats.ts';
import { makeAgent, timedGet } from './lib/client.ts';
import { hotCalls } from './lib/host.ts';
import { summarize } from './lib/stats.ts';
import { machine } from './lib/machine.ts';
import { wrkBinary } from './lib/wrk.ts';

const quick = process.argv.includes('--quick');
const CHANGES = quick ? 20 : 60;
const DEPLOYS = quick ? 20 : 60;
const HOT = quick ? 1000 : 3000;
const LOAD_S = quick ? 3 : 5;
const REPEATS = quick ? 1 : 3;

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const say = (w: string) => `export default { fetch() { return new Response(${JSON.stringify(w)}); } };`;

if (!natsServerPath()) {
  log(`nats-server is not installed (${NATS_INSTALL_HINT}); the cluster bench needs it`);
  process.exit(1);
}

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'isoedge-bench-cl-')); dirs.push(d); return d; };
const BASE = ['--edge-port', '0', '--admin-port', '0', '--examples', 'false', '--log-level', 'warn', '--executors-max', '1'];

async function api(p: ServeProcess, method: string, path: string, body?: string, type = 'application/javascript'): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${p.adminPort}${path}`, { method, body, headers: body ? { 'content-type': type } : {} });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Back-to-back GETs on a node's edge until it answers `want`; the time it did, in performance.now(). */
async function servedAt(agent: ReturnType<typeof makeAgent>, p: ServeProcess, host: string, want: string, deadline: number): Promise<number> {
  while (performance.now() < deadline) {
    const r = await timedGet(agent, p.edgePort, host);
    if (r.status === 200 && r.body === want) return performance.now();
  }
  throw new Error(`${host} on :${p.edgePort} did not serve ${JSON.stringify(want)} in time`);
}

/** CPU ticks (user + system) of processes, from /proc. */
function ticks(pids: number[]): number {
  let t = 0;
  for (const pid of pids) {
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch { /* gone */ }
  }
  return t;
}
const HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const children = (pid: number): number[] => {
  try { return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').map(Number).filter(Boolean); } catch { return []; }
};

/** wrk at c=50 for LOAD_S; wrk's own CPU and the server processes' CPU over the run, as shares of one core. */
async function wrkLoad(bin: string, port: number, host: string, serverPids: number[]): Promise<{ rps: number; errors: number; clientCores: number; serverCores: number }> {
  const t0 = ticks(serverPids);
  const start = performance.now();
  const child = spawn(bin, ['-t1', '-c50', `-d${LOAD_S}s`, '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let clientTicks = 0;
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  // wrk's ticks are read while it runs (its /proc entry goes when it exits): the last reading counts.
  const sampler = setInterval(() => { const t = ticks([child.pid!]); if (t > 0) clientTicks = t; }, 100);
  await new Promise((r) => child.once('exit', r));
  clearInterval(sampler);
  const secs = (performance.now() - start) / 1000;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps: Math.round(rps), errors: non2xx, clientCores: r3(clientTicks / HZ / secs), serverCores: r3((ticks(serverPids) - t0) / HZ / secs) };
}

const startedAt = new Date().toISOString();
const load0 = loadavg().map(r1);
const t0 = performance.now();
const result: Record<string, unknown> = { bench: 'cluster', startedAt, quick, machine: machine(), loadavgBefore: load0 };
const nats = await startNats();
const running: ServeProcess[] = [];
try {
  // 1. Propagation across three nodes on one NATS server.
  log('1/4 three nodes on one nats-server: propagation of traffic changes and deploys');
  const nodes: ServeProcess[] = [];
  for (const n of ['a', 'b', 'c']) {
    const p = await serve([...BASE, '--store', nats.url, '--node-name', n, '--data-dir', tempDir()]);
    nodes.push(p);
    running.push(p);
  }
  const [a, b, c] = nodes as [ServeProcess, ServeProcess, ServeProcess];
  await api(a, 'POST', '/v1/functions/prop/revisions', say('v1'));
  await api(a, 'POST', '/v1/functions/prop/revisions', say('v2'));
  const agentB = makeAgent(1);
  const agentC = makeAgent(1);
  for (const [p, ag] of [[b, agentB], [c, agentC]] as const) await servedAt(ag, p, 'prop.localhost', 'v2', performance.now() + 20_000);
  const traffic: number[] = [];
  const writes: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const want = i % 2 === 0 ? 'v1' : 'v2';
    const t = performance.now();
    const put = api(a, 'PUT', '/v1/functions/prop/traffic', JSON.stringify([{ revision: `prop-0000${want === 'v1' ? 1 : 2}`, percent: 100 }]), 'application/json');
    const deadline = t + 10_000;
    const [, tb, tc] = await Promise.all([put.then(() => writes.push(performance.now() - t)), servedAt(agentB, b, 'prop.localhost', want, deadline), servedAt(agentC, c, 'prop.localhost', want, deadline)]);
    traffic.push(tb - t, tc - t);
  }
  // Deploys to a function whose table follows its latest revision: each new one takes the traffic.
  await api(a, 'POST', '/v1/functions/propd/revisions', say('d-first'));
  for (const [p, ag] of [[b, agentB], [c, agentC]] as const) await servedAt(ag, p, 'propd.localhost', 'd-first', performance.now() + 20_000);
  const deploys: number[] = [];
  for (let i = 0; i < Math.ceil(CHANGES / 3); i++) {
    const want = `d${i}`;
    const t = performance.now();
    const put = api(a, 'POST', '/v1/functions/propd/revisions', say(want));
    const [, tb, tc] = await Promise.all([put, servedAt(agentB, b, 'propd.localhost', want, t + 20_000), servedAt(agentC, c, 'propd.localhost', want, t + 20_000)]);
    deploys.push(tb - t, tc - t);
  }
  agentB.destroy();
  agentC.destroy();
  result.propagation = {
    what: 'ms from the start of a write on node A until node B (and C) first serves it; each sample one node',
    trafficChangeMs: summarize(traffic), trafficWriteMs: summarize(writes), deployMs: summarize(deploys), targetP99Ms: 100,
  };
  log(`  traffic change → served elsewhere: p50 ${summarize(traffic).p50} ms, p99 ${summarize(traffic).p99} ms; deploy: p50 ${summarize(deploys).p50} ms`);

  // 3 (run while A is up). The hot path on a NATS node against a SQLite node, alternated ABAB.
  log('2/4 hot path: NATS-backed node against a SQLite node');
  const sq = await serve([...BASE, '--data-dir', tempDir()]);
  running.push(sq);
  await api(sq, 'POST', '/v1/functions/hot/revisions', say('hot'));
  await api(a, 'POST', '/v1/functions/hot/revisions', say('hot'));
  const hot: Record<'sqlite' | 'nats', number[]> = { sqlite: [], nats: [] };
  for (let k = 0; k < 2 * REPEATS; k++) {
    for (const [kind, p] of (k % 2 ? [['nats', a], ['sqlite', sq]] : [['sqlite', sq], ['nats', a]]) as ['sqlite' | 'nats', ServeProcess][]) {
      const r = await hotCalls(p.edgePort, 'hot.localhost', HOT, performance.now() + 60_000, 200);
      hot[kind].push(summarize(r.ms).p50);
    }
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  result.hot = { what: 'p50 ms of back-to-back GETs at concurrency 1, one sample per run', sqliteP50Ms: hot.sqlite, natsP50Ms: hot.nats, ratioNatsToSqlite: r3(med(hot.nats) / med(hot.sqlite)) };
  log(`  hot p50: sqlite ${med(hot.sqlite)} ms, nats ${med(hot.nats)} ms`);

  // 2. Deploy rate against SQLite and NATS.
  log('3/4 deploy rate: SQLite, then NATS');
  const rate = async (p: ServeProcess, tag: string) => {
    const ms: number[] = [];
    const s = performance.now();
    for (let i = 0; i < DEPLOYS; i++) {
      const t = performance.now();
      await api(p, 'POST', `/v1/functions/dep-${tag}-${i}/revisions`, say(`${tag}${i}`));
      ms.push(performance.now() - t);
    }
    return { deploysPerS: r1(DEPLOYS / ((performance.now() - s) / 1000)), latencyMs: summarize(ms) };
  };
  result.deployRate = { what: 'distinct small JS functions deployed one after another through the admin API', sqlite: await rate(sq, 's'), nats: await rate(a, 'n') };
  for (const p of running.splice(0)) await p.stop();

  // 4. One and two processes on one data directory.
  log('4/4 --processes 1 and 2 (SQLite shared), wrk at c=50');
  const bin = wrkBinary(log);
  const procs: Record<string, unknown>[] = [];
  if (bin) {
    for (const n of [1, 2]) {
      const p = await serve(['--edge-port', '0', '--admin-port', '0', '--examples', 'false', '--log-level', 'warn', '--data-dir', tempDir(), '--processes', String(n), '--executors-max', '1']);
      running.push(p);
      await api(p, 'POST', '/v1/functions/tp/revisions', say('tp'));
      await new Promise((r) => setTimeout(r, 500));
      const pids = n === 1 ? [p.child.pid!] : children(p.child.pid!);
      await wrkLoad(bin, p.edgePort, 'tp.localhost', pids); // warm-up
      const runs = [];
      for (let k = 0; k < REPEATS; k++) runs.push(await wrkLoad(bin, p.edgePort, 'tp.localhost', pids));
      procs.push({ processes: n, runs });
      log(`  ${n} process(es): ${runs.map((x) => x.rps).join(', ')} req/s; wrk ${runs.map((x) => x.clientCores).join(', ')} cores, server ${runs.map((x) => x.serverCores).join(', ')} cores`);
      await p.stop();
      running.splice(running.indexOf(p), 1);
    }
  }
  result.processes = { what: 'wrk -t1 -c50 on tp.localhost (a hello function); cores = CPU seconds per second of wall time, of wrk and of the server processes', runs: procs };
} finally {
  for (const p of running) await p.stop('SIGKILL');
  await nats.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
result.loadavgAfter = loadavg().map(r1);
result.wallS = r1((performance.now() - t0) / 1000);
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = process.argv.find((x) => x.startsWith('--out='))?.slice(6) ?? join(dir, `cluster-${startedAt.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
log(`wrote ${file}`);
