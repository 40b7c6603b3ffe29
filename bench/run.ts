/** `npm run bench [-- --quick] [-- --only=…]`: runs every bench script in turn, each in its own process. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const scripts = ['coldstart.bench.ts', 'router.bench.ts', 'scaling.bench.ts'];
let failed = 0;
for (const s of scripts) {
  const r = spawnSync(process.execPath, ['--no-node-snapshot', fileURLToPath(new URL(s, import.meta.url)), ...args], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; process.stderr.write(`[bench] ${s} failed with ${r.status ?? r.signal}\n`); }
}
process.exit(failed ? 1 : 0);
