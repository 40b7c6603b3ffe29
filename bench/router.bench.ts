/**
 * Router bench (issue 5): the cost of a routing decision on a 10-entry table, and
 * what a traffic update does to requests under a steady 1,000 req/s over real HTTP.
 *
 *   node --no-node-snapshot bench/router.bench.ts [--quick]
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRouteTable, pick, type TrafficTarget } from '../src/router/index.ts';
import { labelFromHost, resolveLabel } from '../src/api/edge/host-name.ts';
import { seededRng } from '../src/core/rng.ts';
import { serve } from '../test/helpers/process.ts';
import { makeAgent, timedGet } from './lib/client.ts';
import { summarize, median } from './lib/stats.ts';
import { machine } from './lib/machine.ts';

const quick = process.argv.includes('--quick');
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function routingDecision() {
  const targets: TrafficTarget[] = Array.from({ length: 10 }, (_, i) => ({ revision: `shop-${String(i + 1).padStart(5, '0')}`, percent: 10, ...(i % 3 === 0 ? { tag: `t${i}` } : {}) }));
  const table = buildRouteTable(targets, 'shop-00010');
  const rng = seededRng(1);
  const BATCH = 10_000;
  const batches = quick ? 100 : 300;
  let sink = 0;
  const perPickNs: number[] = [];
  const fullNs: number[] = [];
  const tags = new Map([['shop', table]]);
  for (let b = 0; b < batches + 20; b++) {
    let t0 = performance.now();
    for (let i = 0; i < BATCH; i++) sink += pick(table, rng)!.length;
    const a = ((performance.now() - t0) * 1e6) / BATCH;
    t0 = performance.now();
    for (let i = 0; i < BATCH; i++) {
      const label = labelFromHost('shop.localhost:8080', 'localhost')!;
      const target = resolveLabel(label, (f) => tags.has(f), (f, t) => tags.get(f)?.tags.has(t) ?? false)!;
      sink += pick(tags.get(target.fn)!, rng, target.tag)!.length;
    }
    const c = ((performance.now() - t0) * 1e6) / BATCH;
    if (b >= 20) { perPickNs.push(a); fullNs.push(c); } // the first batches are JIT warm-up
  }
  if (sink === 42) log('');
  return { pickNs: summarize(perPickNs), hostAndPickNs: summarize(fullNs), batchSize: BATCH };
}

/** Open loop: one request every 1 ms regardless of replies, for `ms`. Returns latencies and failures. */
async function steadyLoad(port: number, host: string, ms: number): Promise<{ lat: number[]; sent: number; failed: number; revisions: Record<string, number> }> {
  const agent = makeAgent(256);
  const lat: number[] = [];
  const revisions: Record<string, number> = {};
  let sent = 0;
  let failed = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let next = start;
  while (performance.now() - start < ms) {
    const now = performance.now();
    while (next <= now) {
      sent++;
      pending.push(timedGet(agent, port, host).then((r) => {
        if (r.status !== 200) failed++;
        else { lat.push(r.ms); const rev = String(r.headers['isoedge-revision']); revisions[rev] = (revisions[rev] ?? 0) + 1; }
      }, () => { failed++; }));
      next += 1;
    }
    await sleep(0.5);
  }
  await Promise.all(pending);
  agent.destroy();
  return { lat, sent, failed, revisions };
}

async function trafficUnderLoad() {
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-bench-router-'));
  const host = await serve(['--edge-port', '0', '--admin-port', '0', '--data-dir', dir, '--no-examples', '--log-level', 'warn']);
  const admin = (method: string, path: string, body?: string, type = 'application/json') =>
    fetch(`http://127.0.0.1:${host.adminPort}${path}`, { method, body, headers: { 'content-type': type } }).then(async (r) => { if (!r.ok) throw new Error(`${path} ${r.status} ${await r.text()}`); return r.json(); });
  for (const v of [1, 2]) await admin('POST', '/v1/functions/shop/revisions', `export default { fetch() { return new Response('v${v}'); } };`, 'application/javascript');
  await admin('PUT', '/v1/functions/shop/traffic', JSON.stringify([{ revision: 'shop-00001', percent: 50 }, { revision: 'shop-00002', percent: 50 }]));
  const agent = makeAgent(4);
  for (let i = 0; i < 500; i++) await timedGet(agent, host.edgePort, 'shop.localhost');
  agent.destroy();
  const PHASE = quick ? 3000 : 5000;
  const rounds = quick ? 2 : 3;
  const calm: { p50: number; p99: number; failed: number; sent: number }[] = [];
  const churn: { p50: number; p99: number; failed: number; sent: number; updates: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    log(`round ${r + 1}/${rounds}: ${PHASE} ms at 1,000 req/s without, then with, a traffic update every 100 ms`);
    const a = await steadyLoad(host.edgePort, 'shop.localhost', PHASE);
    let updates = 0;
    let stop = false;
    const updater = (async () => {
      while (!stop) {
        const split = updates % 2 === 0 ? [{ revision: 'shop-00001', percent: 90 }, { revision: 'shop-00002', percent: 10 }] : [{ revision: 'shop-00001', percent: 10 }, { revision: 'shop-00002', percent: 90 }];
        await admin('PUT', '/v1/functions/shop/traffic', JSON.stringify(split));
        updates++;
        await sleep(100);
      }
    })();
    const b = await steadyLoad(host.edgePort, 'shop.localhost', PHASE);
    stop = true;
    await updater;
    const sa = summarize(a.lat);
    const sb = summarize(b.lat);
    calm.push({ p50: sa.p50, p99: sa.p99, failed: a.failed, sent: a.sent });
    churn.push({ p50: sb.p50, p99: sb.p99, failed: b.failed, sent: b.sent, updates });
  }
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
  const addedP99 = median(churn.map((c) => c.p99)) - median(calm.map((c) => c.p99));
  return { calm, churn, lost: churn.reduce((x, c) => x + c.failed, 0) + calm.reduce((x, c) => x + c.failed, 0), addedP99Ms: Math.round(addedP99 * 1000) / 1000 };
}

const t0 = performance.now();
log('routing decision on a 10-entry table');
const decision = routingDecision();
log('traffic updates under 1,000 req/s');
const update = await trafficUnderLoad();
const result = {
  bench: 'router', quick, machine: machine(), startedAt: new Date().toISOString(),
  scenarios: { decision, update },
  targets: {
    routingDecisionP50LeNs1000: { value: decision.pickNs.p50, pass: decision.pickNs.p50 <= 1000 },
    trafficUpdateLosesZero: { value: update.lost, pass: update.lost === 0 },
    trafficUpdateAddsLeMs1ToP99: { value: update.addedP99Ms, pass: update.addedP99Ms <= 1 },
  },
  durationS: Math.round((performance.now() - t0) / 1000),
};
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
// bench/run.ts passes --out= to embed this result in the run's combined JSON.
const file = process.argv.find((x) => x.startsWith('--out='))?.slice(6) ?? join(dir, `router-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
console.log([
  `routing decision  pick p50 ${decision.pickNs.p50} ns (p99 ${decision.pickNs.p99}); host → function → pick p50 ${decision.hostAndPickNs.p50} ns`,
  `traffic updates   calm p99 ${calm(update.calm)} ms; with an update every 100 ms p99 ${calm(update.churn)} ms; added ${update.addedP99Ms} ms; lost ${update.lost} of ${[...update.calm, ...update.churn].reduce((x, c) => x + c.sent, 0)}`,
  `targets           ${Object.entries(result.targets).map(([k, v]) => `${k}=${v.value} ${v.pass ? 'PASS' : 'MISS'}`).join(', ')}`,
  `written           ${file}`,
].join('\n'));

function calm(xs: { p99: number }[]): string {
  return xs.map((x) => x.p99.toFixed(2)).join(' / ');
}
