/**
 * Renders a run's report from its JSON alone: the markdown report and the SVG plots beside it
 * (<stem>.md, <stem>.latency.svg, <stem>.scale.svg), and with --readme the README section
 * between <!-- bench:begin --> and <!-- bench:end -->.
 *
 *   node --no-node-snapshot bench/report.ts bench/results/<file>.json [--readme]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { histogramsSvg } from './lib/histogram-svg.ts';
import { scaleSvg } from './lib/scale-svg.ts';
import { readmeSection, renderMarkdown, replaceSection } from './lib/render.ts';
import type { BenchRun } from './lib/schema.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Writes the markdown and SVGs beside `jsonPath`; returns the files written. */
export function writeReport(jsonPath: string): string[] {
  const run = JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchRun;
  const base = jsonPath.replace(/\.json$/, '');
  const rel = relative(ROOT, jsonPath);
  const files: [string, string][] = [[`${base}.md`, renderMarkdown(run, rel)]];
  const label = `${run.mode} run ${run.startedAt.slice(0, 16)}, commit ${run.machine.commit}`;
  if (run.latency.length) {
    files.push([`${base}.latency.svg`, histogramsSvg(`isoedge bench, ${label}: latency distributions (log scale; red = p50)`,
      run.latency.map((r) => ({ name: `${r.subject}, ${r.handler}: ${r.tier}`, hist: r.histogram, p50: r.pooled.p50, n: r.pooled.n })))]);
  }
  if (run.scale?.steps.length) files.push([`${base}.scale.svg`, scaleSvg(`isoedge bench, ${label}: first-call latency against deployed functions`, run.scale)]);
  for (const [f, text] of files) writeFileSync(f, text);
  return files.map(([f]) => f);
}

/** Replaces README's generated section with the one rendered from `jsonPath`. */
export function writeReadme(jsonPath: string): void {
  const run = JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchRun;
  const readme = `${ROOT}README.md`;
  writeFileSync(readme, replaceSection(readFileSync(readme, 'utf8'), readmeSection(run, relative(ROOT, jsonPath))));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: node bench/report.ts bench/results/<file>.json [--readme]\n');
    process.exit(2);
  }
  for (const f of writeReport(file)) console.log(`written ${f}`);
  if (process.argv.includes('--readme')) {
    writeReadme(file);
    console.log('written README.md (the section between the bench markers)');
  }
}
