/**
 * `npm run compat [-- --json] [-- --write] [-- --record-apps]`: runs the differential suite
 * (test/differential/) on isoedge and workerd and prints the per-area report as markdown (or JSON).
 * --write records it as bench/results/compat-YYYY-MM-DD.md and .json (committed, like the baselines); --record-apps writes workerd's app
 * responses as the app expectations (test/differential/expected-apps.json), to be reviewed before commit.
 */
import { writeFileSync } from 'node:fs';
import { bundleAll, compare, EXPECTED_APPS_FILE, GET_WORKERD, loadCases, markdown, runIsoedge, runWorkerd } from '../test/differential/run.ts';

const args = new Set(process.argv.slice(2));
const t0 = performance.now();
const bundles = await bundleAll();
const bundleMs = Math.round(performance.now() - t0);
const cases = await loadCases();
const [iso, wd] = await Promise.all([runIsoedge(bundles), runWorkerd(bundles, (m) => process.stderr.write(`${m}\n`))]);
if (typeof wd === 'string') process.stderr.write(`workerd side skipped: ${wd}; to get it: ${GET_WORKERD}\n`);
if (args.has('--record-apps')) {
  if (typeof wd === 'string') throw new Error('--record-apps needs workerd');
  writeFileSync(EXPECTED_APPS_FILE, `${JSON.stringify(wd.apps, null, 2)}\n`);
  process.stderr.write(`recorded ${EXPECTED_APPS_FILE}\n`);
}
const report = compare(cases, iso, wd);
const md = `${markdown(report)}\nBundling ${bundles.length} bundles: ${bundleMs} ms; whole run ${Math.round(performance.now() - t0)} ms.\n`;
if (args.has('--write')) {
  const day = new Date().toISOString().slice(0, 10);
  writeFileSync(`bench/results/compat-${day}.md`, md);
  writeFileSync(`bench/results/compat-${day}.json`, `${JSON.stringify({ date: new Date().toISOString(), bundleMs, ...report }, null, 2)}\n`);
}
process.stdout.write(args.has('--json') ? `${JSON.stringify(report, null, 2)}\n` : md);
