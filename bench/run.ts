/**
 * `npm run bench [-- --quick] [-- --only=…]`: one run, one result file.
 *
 * The comparison suite (bench/suite.bench.ts, issue 8) always runs and writes
 * bench/results/<timestamp>.json with the markdown report and SVG plots beside it. The full run
 * also runs, each in its own process, bench/coldstart.bench.ts (the hop, idle-matched warm/hot
 * tiers, RSS per instance, 1 MiB Wasm deploy: issues 3/4), bench/router.bench.ts (issue 5),
 * bench/scaling.bench.ts (the step load, issue 6) and bench/async.bench.ts (async invocations,
 * design §11) and bench/cluster.bench.ts (design §8), and embeds their results under `other` in the same JSON. `--quick` (under 3
 * minutes on a 2-core machine, under a minute of it the streaming group) runs the suite alone,
 * with fewer samples, smaller streamed sizes and scale up to 1,000 functions; the other benches
 * run in a quick run only when `--only` names them.
 *
 * `--only` takes suite groups (js, wasm, baselines, servers, workerd, streaming, scale) and bench names
 * (suite = every group, coldstart, router, scaling, async, cluster). The cluster bench (NATS propagation,
 * deploy rate, hot path on NATS, --processes 1 and 2) needs Debian's nats-server.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from './report.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const SUITE_GROUPS = ['js', 'wasm', 'baselines', 'servers', 'workerd', 'streaming', 'scale'];
const groups = only?.filter((o) => SUITE_GROUPS.includes(o)) ?? [];
const runSuite = !only || only.includes('suite') || groups.length > 0;
const others = ['coldstart', 'router', 'scaling', 'async', 'cluster'].filter((b) => (only ? only.includes(b) : !quick));

const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const main = join(dir, `${stamp}.json`);
const pass = (extra: string[]) => [...(quick ? ['--quick'] : []), ...extra];
let failed = 0;

function run(script: string, extra: string[]): boolean {
  const r = spawnSync(process.execPath, ['--no-node-snapshot', fileURLToPath(new URL(script, import.meta.url)), ...pass(extra)], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; process.stderr.write(`[bench] ${script} failed with ${r.status ?? r.signal}\n`); }
  return r.status === 0;
}

if (runSuite) run('suite.bench.ts', [`--out=${main}`, ...(groups.length && !only?.includes('suite') ? [`--only=${groups.join(',')}`] : [])]);
const embedded: Record<string, unknown> = {};
for (const b of others) {
  const part = join(dir, `${stamp}.${b}.json`);
  if (run(`${b}.bench.ts`, [`--out=${part}`]) && existsSync(part)) embedded[b] = JSON.parse(readFileSync(part, 'utf8'));
}
if (existsSync(main) && Object.keys(embedded).length) {
  // One run, one JSON: the other benches' results move into it (the step-load SVG stays beside it).
  const result = JSON.parse(readFileSync(main, 'utf8')) as Record<string, unknown>;
  writeFileSync(main, JSON.stringify({ ...result, other: embedded }, null, 1) + '\n');
  for (const b of Object.keys(embedded)) rmSync(join(dir, `${stamp}.${b}.json`), { force: true });
  writeReport(main);
}
if (existsSync(main)) console.log(`[bench] result: ${main} (+ .md, .latency.svg, .scale.svg); README: npm run bench:report -- <json> --readme`);
process.exit(failed ? 1 : 0);
