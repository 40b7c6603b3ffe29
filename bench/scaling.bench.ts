/**
 * Step-load scenario (issue 6): one revision (containerConcurrency 10, a handler
 * that waits 50 ms like an I/O-bound function), offered concurrency 0 → 200 → 0
 * from closed-loop clients over real HTTP. Every 250 ms it records offered
 * concurrency, desired and ready instances, executor threads, panic mode and the
 * p99 latency of the last second; writes JSON and an SVG plot to bench/results/.
 *
 *   node --no-node-snapshot bench/scaling.bench.ts [--quick]
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../test/helpers/process.ts';
import { makeAgent, timedGet } from './lib/client.ts';
import { percentile } from './lib/stats.ts';
import { machine } from './lib/machine.ts';
import { plotSteps } from './lib/svg.ts';

const quick = process.argv.includes('--quick');
const PEAK = 200;
const PHASES = quick ? { idle: 3, load: 12, after: 15 } : { idle: 5, load: 25, after: 30 };
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'isoedge-bench-scaling-'));
// Shorter windows than Knative's defaults so the whole step fits in a minute; same algorithm.
const host = await serve(['--edge-port', '0', '--admin-port', '0', '--data-dir', dir, '--no-examples', '--log-level', 'warn',
  '--autoscaler-stable-window-ms', '10000', '--autoscaler-scale-to-zero-grace-ms', '6000', '--pool-warm-min', '4']);
const admin = async (path: string, init?: RequestInit) => {
  const r = await fetch(`http://127.0.0.1:${host.adminPort}${path}`, init);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<Record<string, unknown>>;
};
await admin('/v1/functions/step/revisions?concurrency=10&initialScale=0', {
  method: 'POST', headers: { 'content-type': 'application/javascript' },
  body: 'export default { async fetch() { await new Promise((r) => setTimeout(r, 50)); return new Response("ok"); } };',
});

let offered = 0;
let stop = false;
let lost = 0;
let served = 0;
const lat: { t: number; ms: number }[] = [];
const t0 = performance.now();
const agent = makeAgent(PEAK + 10);
async function worker(id: number): Promise<void> {
  while (!stop) {
    if (id >= offered) { await sleep(20); continue; }
    try {
      const r = await timedGet(agent, host.edgePort, 'step.localhost');
      if (r.status === 200) { served++; lat.push({ t: performance.now() - t0, ms: r.ms }); } else lost++;
    } catch { lost++; }
  }
}
const workers = Array.from({ length: PEAK }, (_, i) => worker(i));

interface Sample { t: number; offered: number; desired: number; ready: number; threads: number; panic: boolean; p99: number | null }
const samples: Sample[] = [];
const total = PHASES.idle + PHASES.load + PHASES.after;
log(`step load: ${PHASES.idle} s idle, ${PHASES.load} s at ${PEAK} concurrent, ${PHASES.after} s idle`);
let firstPanicTick: number | null = null;
const stepAt = PHASES.idle * 1000;
while (performance.now() - t0 < total * 1000) {
  const t = performance.now() - t0;
  offered = t >= stepAt && t < (PHASES.idle + PHASES.load) * 1000 ? PEAK : 0;
  const fn = await admin('/v1/functions/step');
  const st = ((fn.revisions as { status: { desired: number; ready: number; panicMode: boolean } }[])[0]!).status;
  const hs = await admin('/v1/status');
  const recent = lat.filter((x) => x.t > t - 1000).map((x) => x.ms).sort((a, b) => a - b);
  samples.push({ t: +(t / 1000).toFixed(2), offered, desired: st.desired, ready: st.ready, threads: (hs.threads as { running: number }).running, panic: st.panicMode, p99: recent.length ? +percentile(recent, 99).toFixed(2) : null });
  if (st.panicMode && firstPanicTick === null && t >= stepAt) firstPanicTick = t - stepAt;
  await sleep(250);
}
stop = true;
await Promise.all(workers);
agent.destroy();
await host.stop();
rmSync(dir, { recursive: true, force: true });

const result = {
  bench: 'scaling-step', quick, machine: machine(), startedAt: new Date().toISOString(), phases: PHASES, peak: PEAK,
  served, lost, panicEnteredAfterStepMs: firstPanicTick === null ? null : Math.round(firstPanicTick),
  targets: {
    zeroLost: { value: lost, pass: lost === 0 },
    panicWithinTwoTicks: { value: firstPanicTick, pass: firstPanicTick !== null && firstPanicTick <= 4000 + 250 },
  },
  samples,
};
const out = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(out, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
// bench/run.ts passes --out= to embed this result in the run's combined JSON (the plot goes beside it).
const file = process.argv.find((x) => x.startsWith('--out='))?.slice(6) ?? join(out, `scaling-${stamp}.json`);
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
writeFileSync(file.replace(/\.json$/, '.svg'), plotSteps(samples, `isoedge step load 0 → ${PEAK} → 0 (cc=10, 50 ms handler), commit ${result.machine.commit}`));
console.log(`step load        served ${served}, lost ${lost}; panic entered ${firstPanicTick === null ? 'never' : `${Math.round(firstPanicTick)} ms`} after the step; peak desired ${Math.max(...samples.map((s) => s.desired))}, peak ready ${Math.max(...samples.map((s) => s.ready))}, threads ${Math.max(...samples.map((s) => s.threads))}`);
console.log(`written          ${file} and ${file.replace(/\.json$/, '.svg')}`);
