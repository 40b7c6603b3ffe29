/**
 * `npm run bench [-- --quick] [-- --only=…]`: runs every bench script in turn, each in its own
 * process. `--only` takes scenario names: hop, warm, hot, throughput, cold, wasm, memory
 * (bench/coldstart.bench.ts), router (bench/router.bench.ts), scaling (bench/scaling.bench.ts) and
 * suite (bench/suite.bench.ts: the baselines and 1,000/10,000 functions).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const COLDSTART = ['hop', 'warm', 'hot', 'throughput', 'cold', 'wasm', 'memory'];
const scripts: [string, boolean][] = [
  ['coldstart.bench.ts', !only || only.some((o) => COLDSTART.includes(o))],
  ['router.bench.ts', !only || only.includes('router')],
  ['scaling.bench.ts', !only || only.includes('scaling')],
  ['suite.bench.ts', !only || only.includes('suite')],
];
let failed = 0;
for (const [s, run] of scripts) {
  if (!run) continue;
  const r = spawnSync(process.execPath, ['--no-node-snapshot', fileURLToPath(new URL(s, import.meta.url)), ...args], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; process.stderr.write(`[bench] ${s} failed with ${r.status ?? r.signal}\n`); }
}
process.exit(failed ? 1 : 0);
