/**
 * The bench's pure helpers, and README's generated benchmark section: it must be exactly what
 * bench/report.ts renders from the recorded run it names (regenerate with
 * `npx node --no-node-snapshot bench/report.ts <json> --readme`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { acrossRuns, median, percentile, ratioSpread, spread, summarize } from '../bench/lib/stats.ts';
import { binLow, binOf, logHistogram } from '../bench/lib/histogram.ts';
import { collect, mapBounded } from '../bench/lib/bounded.ts';
import { zipfCdf, zipfPick } from '../bench/lib/zipf.ts';
import { fmt, readmeSection, replaceSection, sectionSource, BEGIN, END } from '../bench/lib/render.ts';
import { ratios, targets } from '../bench/lib/targets.ts';
import type { BenchRun, LatencyRow } from '../bench/lib/schema.ts';

describe('bench statistics', () => {
  it('percentile is the nearest rank, a real sample', () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(s, 50)).toBe(5);
    expect(percentile(s, 90)).toBe(9);
    expect(percentile(s, 99)).toBe(10);
    expect(percentile(s, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarize sorts and rounds to µs', () => {
    expect(summarize([3, 1, 2.00049])).toEqual({ n: 3, p50: 2, p90: 3, p99: 3, max: 3, mean: 2 });
  });

  it('median of even and odd counts', () => {
    expect(median([4, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('spread is the median with the range', () => {
    expect(spread([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
  });

  it('acrossRuns gives each percentile across runs, and pools the samples', () => {
    const a = acrossRuns([[1, 2, 3], [2, 3, 4], [10, 20, 30], []]);
    expect(a.runs).toHaveLength(3);
    expect(a.p50).toEqual({ median: 3, min: 2, max: 20 });
    expect(a.max).toEqual({ median: 4, min: 3, max: 30 });
    expect(a.pooled.n).toBe(9);
  });

  it('ratioSpread pairs run i with run i and divides the medians', () => {
    expect(ratioSpread([20, 30, 40], [2, 2, 4])).toEqual({ median: 15, min: 10, max: 15 });
    expect(ratioSpread([], [1]).median).toBeNaN();
  });
});

describe('bench histogram, loops and Zipf', () => {
  it('bins are 10 per decade and round-trip their lower edge', () => {
    expect(binOf(1)).toBe(30);
    expect(binOf(10)).toBe(40);
    expect(binLow(binOf(2.5))).toBeLessThanOrEqual(2.5);
    expect(binLow(binOf(2.5) + 1)).toBeGreaterThan(2.5);
    const h = logHistogram([1, 1.1, 10, 0]);
    expect(h.first).toBe(0);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(h.counts[30]).toBe(2);
    expect(logHistogram([]).counts).toEqual([]);
  });

  it('collect stops at the count and at the deadline', async () => {
    expect(await collect(3, Infinity, async (i) => i)).toEqual([0, 1, 2]);
    expect(await collect(1000, performance.now() - 1, async (i) => i)).toEqual([]);
  });

  it('mapBounded keeps order and never exceeds its limit in flight', async () => {
    let inFlight = 0, most = 0;
    const out = await mapBounded([1, 2, 3, 4, 5, 6, 7], 3, Infinity, async (x) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return x * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(most).toBe(3);
    expect(await mapBounded([1, 2], 4, performance.now() - 1, async (x) => x)).toEqual([undefined, undefined]);
  });

  it('zipf: the CDF ends at 1 and picks follow 1/(k+1)', () => {
    const cdf = zipfCdf(100);
    expect(cdf.at(-1)).toBeCloseTo(1, 12);
    expect(zipfPick(cdf, 0)).toBe(0);
    expect(zipfPick(cdf, 0.999999)).toBe(99);
    const counts = [0, 0];
    for (let i = 0; i < 10_000; i++) counts[Math.min(1, zipfPick(cdf, i / 10_000))]!++;
    expect(counts[0]! / 10_000).toBeCloseTo(cdf[0]!, 3);
  });
});

function row(id: string, p50s: number[]): LatencyRow {
  const runs = p50s.map((p50) => ({ n: 10, p50, p90: p50, p99: p50, max: p50, mean: p50 }));
  const s = spread(p50s);
  return { id, kind: 'start', subject: id, handler: 'hello', tier: 't', runs, pooled: runs[0]!, p50: s, p90: s, p99: s, max: s, histogram: logHistogram([1]) };
}

describe('bench ratios and targets', () => {
  it('a target whose baseline was skipped is SKIPPED with the reason', () => {
    const rows = { latency: [row('js.hello.warm', [1, 1, 1]), row('process.hello.start', [30, 20, 25]), row('js.hello.hot', [0.4, 0.3, 0.5]), row('node-http.hello.hot', [0.2, 0.25, 0.3])], throughput: [], scale: null, skipped: [{ id: 'workerd', reason: 'no binary' }] };
    const rs = ratios(rows);
    expect(rs.find((r) => r.id === 'warmVsNewProcess')!.value).toEqual({ median: 25, min: 20, max: 30 });
    expect(rs.find((r) => r.id === 'warmVsWorkerdStart')).toMatchObject({ value: null });
    const ts = targets(rows, rs);
    // A difference target: medians of the runs' p50s, 0.4 - 0.25 = 0.15 ms over node:http, against 0.10.
    expect(ts.find((t) => t.id === 'hotC1OverNodeHttp')).toMatchObject({ status: 'MISS', value: 0.15 });
    expect(ts.find((t) => t.id === 'warmP50')).toMatchObject({ status: 'PASS', value: 1 });
    expect(ts.find((t) => t.id === 'rpsC50VsWorkerd')).toMatchObject({ status: 'SKIPPED', value: null });
    expect(ts.find((t) => t.id === 'rpsC50VsWorkerd')!.note).toContain('workerd skipped: no binary');
    expect(ts.find((t) => t.id === 'scaleFirstP99')!.status).toBe('SKIPPED');
  });

  it('fmt keeps about three significant digits', () => {
    expect([fmt(0.0164), fmt(2.449), fmt(23.17), fmt(146.4), fmt(NaN)]).toEqual(['0.016', '2.45', '23.2', '146', 'n/a']);
  });

  it('replaceSection swaps only the text between the markers', () => {
    expect(replaceSection(`a\n${BEGIN}\nold\n${END}\nb`, `${BEGIN}\nnew\n${END}`)).toBe(`a\n${BEGIN}\nnew\n${END}\nb`);
    expect(() => replaceSection('no markers', 'x')).toThrow();
  });
});

describe('README benchmark section', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const source = sectionSource(readme);

  it('names a recorded run that is committed', () => {
    expect(source).toMatch(/^bench\/results\/baseline-[\w.-]+\.json$/);
    expect(existsSync(new URL(`../${source}`, import.meta.url))).toBe(true);
  });

  it('is exactly what bench/report.ts renders from that run', () => {
    const run = JSON.parse(readFileSync(new URL(`../${source}`, import.meta.url), 'utf8')) as BenchRun;
    const a = readme.indexOf(BEGIN);
    expect(readme.slice(a, readme.indexOf(END) + END.length)).toBe(readmeSection(run, source!));
  });

  it('recomputes the same ratios and targets from the rows', () => {
    const run = JSON.parse(readFileSync(new URL(`../${source}`, import.meta.url), 'utf8')) as BenchRun;
    const rs = ratios(run);
    expect(rs).toEqual(run.ratios);
    expect(targets(run, rs)).toEqual(run.targets);
  });
});
